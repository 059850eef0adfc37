//! The modal in the user's language. Portico serves one message table per language (`i18n/*.json`
//! in the repository, content-hashed under `/modal/pkg/`); the modal fetches only its own
//! language's: the screens' words before the first screen shows, the error wordings just after.
//! English stays compiled in (`build.rs`) for when nothing could be fetched.
//!
//! The language: the loader's `locale` option (in the frame's `?locale=`, and again in the session
//! message), else the browser's languages, else English; `portico_wire::locale` decides, as the
//! server does when it names the table in the page.

use std::cell::{Cell, RefCell};

use gloo_net::http::Request;
use js_sys::Reflect;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portico_wire::locale;
use portico_wire::ErrorCode;
use wasm_bindgen::JsValue;

use crate::api::Failure;

/// The words this build knows without fetching anything (English).
const FALLBACK: &str = include_str!(concat!(env!("OUT_DIR"), "/en.json"));
/// How long the first screen waits for its language's words before showing in English.
const WAIT_STEPS: u32 = 200;
const WAIT_STEP_MS: i32 = 15;

thread_local! {
    static ENGLISH: JsValue = crate::js::parse(FALLBACK).unwrap_or(JsValue::UNDEFINED);
    static MESSAGES: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
    static ERRORS: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
    /// The language asked for, and whether its words are still on the way.
    static WANTED: Cell<&'static str> = const { Cell::new(locale::DEFAULT) };
    /// The language whose words are in.
    static SHOWN: Cell<&'static str> = const { Cell::new(locale::DEFAULT) };
    static LOADING: Cell<bool> = const { Cell::new(false) };
}

fn lookup(table: &JsValue, key: &str) -> Option<String> {
    if !table.is_object() {
        return None;
    }
    Reflect::get(table, &JsValue::from_str(key)).ok()?.as_string()
}

/// The current language's text for `key`, if any table has it (English compiled in last).
pub fn find(key: &str) -> Option<String> {
    MESSAGES
        .with_borrow(|t| lookup(t, key))
        .or_else(|| ERRORS.with_borrow(|t| lookup(t, key)))
        .or_else(|| ENGLISH.with(|t| lookup(t, key)))
}

/// The text for `key` (the key itself if no table has it, which a test in the server prevents).
pub fn t(key: &str) -> String {
    find(key).unwrap_or_else(|| key.to_string())
}

/// `{name}` placeholders replaced by their values.
pub fn fill(mut text: String, args: &[(&str, &str)]) -> String {
    for (name, value) in args {
        let mut needle = String::with_capacity(name.len() + 2);
        needle.push('{');
        needle.push_str(name);
        needle.push('}');
        text = text.replace(&needle, value);
    }
    text
}

/// The text for `key` with its placeholders filled.
pub fn tf(key: &str, args: &[(&str, &str)]) -> String {
    fill(t(key), args)
}

/// `key` with the value `platform`.
pub fn tp(key: &str, platform: &str) -> String {
    tf(key, &[("platform", platform)])
}

/// English, whatever the language (placeholders unfilled): what goes to the host's `onError` for
/// the browser's own errors.
pub fn english_error(code: ErrorCode) -> String {
    let key = error_key(code);
    ENGLISH.with(|t| lookup(t, &key)).unwrap_or_default()
}

fn error_key(code: ErrorCode) -> String {
    let mut key = String::from("error.");
    key.push_str(code.as_str());
    key
}

/// What the user reads for `failure`: the translated wording of its code, else the server's own
/// sentence, else a general one.
pub fn failure_text(failure: &Failure) -> String {
    let unknown_platform = || t("platform.unknown");
    let platform = failure.platform.clone().unwrap_or_else(unknown_platform);
    let translated = (failure.code != ErrorCode::Unknown).then(|| find(&error_key(failure.code))).flatten();
    match translated {
        Some(text) => fill(text, &[("platform", &platform)]),
        None if !failure.message.is_empty() => failure.message.clone(),
        None => t("error.error"),
    }
}

/// A category's name: translated for the catalog's own categories, else the slug made readable.
pub fn category(slug: &str) -> String {
    let mut key = String::from("category.");
    key.push_str(slug);
    find(&key).unwrap_or_else(|| crate::pretty_category(slug))
}

/// The browser's languages, most preferred first.
fn browser_languages() -> Vec<String> {
    let languages = window().navigator().languages();
    languages.iter().filter_map(|l| l.as_string()).collect()
}

/// The language for an explicit `locale` (unknown: English), else for the browser.
pub fn choose(explicit: Option<&str>) -> &'static str {
    match explicit.filter(|l| !l.trim().is_empty()) {
        Some(tag) => locale::negotiate([tag]),
        None => locale::negotiate(browser_languages().iter().map(String::as_str)),
    }
}

/// The page's `data-<name>` URL of a table, with its `{lang}` filled.
fn table_url(name: &str, language: &str) -> Option<String> {
    let template = document().body()?.get_attribute(name).filter(|t| !t.is_empty())?;
    Some(template.replace("{lang}", language))
}

async fn fetch_table(url: &str) -> Option<JsValue> {
    let response = Request::get(url).send().await.ok().filter(|r| r.ok())?;
    crate::js::parse(&response.text().await.ok()?)
}

fn set_document_language(language: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", language);
        let _ = root.set_attribute("dir", locale::direction(language));
    }
}

/// Marks `language` as the one whose words are in, for the page and the screens (`shown` is set
/// to it: a `String` signal like the search box's, not one more signal type in the WASM).
fn now_showing(language: &'static str, shown: RwSignal<String>) {
    SHOWN.set(language);
    set_document_language(language);
    shown.set(language.to_string());
}

/// Starts fetching `language`'s words (nothing to do if it is already the one asked for).
pub fn switch(language: &'static str, shown: RwSignal<String>) {
    if WANTED.get() == language {
        if LOADING.get() {
            return;
        }
        if SHOWN.get() == language {
            set_document_language(language);
            return;
        }
    }
    WANTED.set(language);
    ERRORS.set(JsValue::UNDEFINED);
    let Some(url) = table_url("data-messages", language).filter(|_| language != locale::DEFAULT) else {
        LOADING.set(false);
        MESSAGES.set(JsValue::UNDEFINED);
        now_showing(locale::DEFAULT, shown);
        return;
    };
    LOADING.set(true);
    spawn_local(async move {
        let table = fetch_table(&url).await;
        if WANTED.get() != language {
            return;
        }
        LOADING.set(false);
        let found = table.is_some();
        MESSAGES.set(table.unwrap_or(JsValue::UNDEFINED));
        now_showing(if found { language } else { locale::DEFAULT }, shown);
    });
}

/// Waits (a few seconds at most) until the words asked for are in.
pub async fn ready() {
    for _ in 0..WAIT_STEPS {
        if !LOADING.get() {
            return;
        }
        crate::oauth::sleep(WAIT_STEP_MS).await;
    }
}

/// Fetches the error wordings of the language shown, after the first screen: they are not
/// needed before it. English too: the server's errors have their own wording there.
pub async fn load_errors() {
    let language = SHOWN.get();
    if ERRORS.with_borrow(JsValue::is_object) {
        return;
    }
    let Some(url) = table_url("data-errors", language) else {
        return;
    };
    if let Some(table) = fetch_table(&url).await {
        if WANTED.get() == language || language == locale::DEFAULT {
            ERRORS.set(table);
        }
    }
}
