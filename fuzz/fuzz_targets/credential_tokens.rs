#![no_main]
//! Secret keys, AuthKit tokens and connect-link codes as callers present them: parsing never
//! panics and accepts only the documented shapes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if portico::keys::PresentedSecretKey::parse(text).is_some() {
            assert!(text.starts_with("sk_test_") || text.starts_with("sk_live_"));
            assert_eq!(text.len(), 8 + 43);
        }
        if portico::session::parse_token(text).is_some() {
            assert!(text.starts_with("akt_") && text.is_ascii());
        }
        if portico::session::parse_link(text).is_some() {
            assert!(text.starts_with("lnk_") && text.len() == 4 + 43);
        }
    }
});
