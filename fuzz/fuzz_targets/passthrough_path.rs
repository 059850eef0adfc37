#![no_main]
//! The passthrough URL join: whatever path and query a host sends, an accepted URL stays on the
//! API base's origin and under its path.
use libfuzzer_sys::fuzz_target;
use portico::upstream::join;

fuzz_target!(|data: (&str, Option<&str>)| {
    let base = url::Url::parse("https://api.example.com/v2").unwrap();
    let (path, query) = data;
    if let Ok(url) = join(&base, path, query) {
        assert_eq!(url.origin(), base.origin());
        assert!(url.path() == "/v2" || url.path().starts_with("/v2/"), "{url}");
    }
});
