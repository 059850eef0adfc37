//! The modal's English fallback: the strings it shows when its language's message table could not
//! be fetched, taken from `i18n/en.json` at build time. Only what the modal itself writes goes in:
//! the screens' words and the errors the browser side reports (network, pop-up, sign-in window);
//! category names fall back to the slug made readable, and the server's errors to the server's
//! own sentence. Every language's full table is served by Portico, not compiled in here.

use std::{env, fs, path::PathBuf};

/// `error.<code>` entries kept: the codes the modal and the loader raise in the browser.
const BROWSER_ERRORS: [&str; 14] = [
    "error",
    "network_error",
    "server_error",
    "bad_response",
    "bad_request",
    "token_missing",
    "modal_misconfigured",
    "popup_blocked",
    "popup_closed",
    "redirect_unavailable",
    "redirect_failed",
    "attempt_not_found",
    "oauth_incomplete",
    "oauth_failed",
];

fn keep(key: &str) -> bool {
    match key.split_once('.') {
        Some(("error", code)) => BROWSER_ERRORS.contains(&code),
        Some(("category" | "boot", _)) => false,
        _ => true,
    }
}

fn main() {
    let source = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../i18n/en.json");
    println!("cargo:rerun-if-changed={}", source.display());
    let text = fs::read_to_string(&source).expect("i18n/en.json");
    let table: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).expect("i18n/en.json is JSON");
    let kept: serde_json::Map<_, _> = table.into_iter().filter(|(k, _)| keep(k)).collect();
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets it")).join("en.json");
    fs::write(out, serde_json::to_string(&kept).expect("a map serialises")).expect("OUT_DIR is writable");
}
