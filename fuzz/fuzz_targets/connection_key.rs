#![no_main]
//! Connection keys arrive in a header from hosts: parsing never panics, and whatever parses prints
//! back to exactly the input (no two spellings of one key).
use libfuzzer_sys::fuzz_target;
use portico::lifecycle::ConnectionKey;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(key) = ConnectionKey::parse(text) {
            assert_eq!(key.to_string(), text);
            assert!(key.id_hex.len() == 32);
        }
    }
});
