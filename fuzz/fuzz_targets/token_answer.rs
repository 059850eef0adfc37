#![no_main]
//! Token-endpoint answers as any provider (or an attacker in its place) might send them: reading
//! one never panics; an accepted answer always has a non-empty access token and a positive
//! lifetime if any, and an answer naming an `error` is never accepted.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: (u16, bool, &[u8])| {
    let (status, is_json, body) = data;
    if let Ok(tokens) = portico::oauth::parse_token_answer(status, is_json, body) {
        assert!(!tokens.access_token.is_empty());
        assert!(tokens.expires_in.is_none_or(|s| s > 0));
        assert!((200..300).contains(&status));
    }
});
