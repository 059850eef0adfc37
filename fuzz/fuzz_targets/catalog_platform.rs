#![no_main]
//! Operator catalog files: parsing and validating any text never panics.
use libfuzzer_sys::fuzz_target;
use portico_catalog::{parse_platform, LoadVars, Source};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let vars = LoadVars { mock_provider_url: Some("http://127.0.0.1:4010".into()) };
        if let Ok(platform) = parse_platform("fuzz.toml", text, &vars, Source::Builtin) {
            assert_eq!(platform.slug, "fuzz");
        }
    }
});
