//! The modal's languages, server side. The message tables are `i18n/<language>.json` (flat
//! `key → text`, `{name}` placeholders); `cargo xtask build` splits each into the screens' words
//! and the error wordings and writes them, content-hashed and precompressed, beside the modal's
//! bundle, which fetches only its own language's (docs/i18n.md). The server compiles the tables in
//! to choose the page's language (`?locale=` from the loader, else `Accept-Language`) and to write
//! the few words the page shows before the modal's code runs.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use portico_wire::locale;

/// One language's messages.
pub type Table = BTreeMap<String, String>;

/// Each language of [`locale::LANGUAGES`] with its table's text.
const SOURCES: [(&str, &str); 5] = [
    ("en", include_str!("../../i18n/en.json")),
    ("fr", include_str!("../../i18n/fr.json")),
    ("de", include_str!("../../i18n/de.json")),
    ("es", include_str!("../../i18n/es.json")),
    ("ja", include_str!("../../i18n/ja.json")),
];

/// The parsed tables (a table that does not parse is empty, and the tests fail).
static TABLES: LazyLock<Vec<(&'static str, Table)>> = LazyLock::new(|| {
    SOURCES.iter().map(|(lang, text)| (*lang, serde_json::from_str(text).unwrap_or_default())).collect()
});

fn table(language: &str) -> Option<&'static Table> {
    TABLES.iter().find(|(l, _)| *l == language).map(|(_, t)| t)
}

/// The text of `key` in `language`, else in English, else empty.
pub fn text(language: &str, key: &str) -> &'static str {
    table(language)
        .and_then(|t| t.get(key))
        .or_else(|| table(locale::DEFAULT).and_then(|t| t.get(key)))
        .map(String::as_str)
        .unwrap_or_default()
}

/// The languages of an `Accept-Language` header, most wanted first (`q=0` dropped).
pub fn accept_language(header: &str) -> Vec<&str> {
    let mut ranked: Vec<(&str, u32)> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .unwrap_or(1.0);
            (!tag.is_empty() && tag != "*" && q > 0.0).then_some((tag, (q * 1000.0) as u32))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    ranked.into_iter().map(|(tag, _)| tag).collect()
}

/// The page's language: the loader's `locale` when it gave one (unknown: English), else the
/// browser's `Accept-Language`, else English. The modal checks it again against
/// `navigator.languages` and the session's options.
pub fn page_language(explicit: Option<&str>, accept: Option<&str>) -> &'static str {
    match explicit.map(str::trim).filter(|l| !l.is_empty()) {
        Some(tag) => locale::negotiate([tag]),
        None => locale::negotiate(accept_language(accept.unwrap_or_default())),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use portico_wire::ErrorCode;

    use super::*;

    fn english() -> &'static Table {
        table("en").expect("English is a language")
    }

    /// `{name}` placeholders of a text.
    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
    }

    #[test]
    fn every_table_parses_and_every_language_has_one() {
        let languages: Vec<&str> = SOURCES.iter().map(|(l, _)| *l).collect();
        assert_eq!(languages, locale::LANGUAGES, "SOURCES must list locale::LANGUAGES in order");
        for (language, text) in SOURCES {
            let parsed: Result<Table, _> = serde_json::from_str(text);
            assert!(parsed.is_ok(), "i18n/{language}.json: {:?}", parsed.err());
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../i18n");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("i18n/")
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".json").map(str::to_string))
            .collect();
        files.sort();
        let mut wanted: Vec<String> = locale::LANGUAGES.iter().map(|l| l.to_string()).collect();
        wanted.sort();
        assert_eq!(files, wanted, "every file in i18n/ is a language of locale::LANGUAGES, and back");
    }

    #[test]
    fn every_language_has_every_key_of_english_and_no_other() {
        for (language, table) in TABLES.iter() {
            let missing: Vec<&String> = english().keys().filter(|k| !table.contains_key(*k)).collect();
            assert!(missing.is_empty(), "i18n/{language}.json lacks {missing:?}");
            let extra: Vec<&String> = table.keys().filter(|k| !english().contains_key(*k)).collect();
            assert!(extra.is_empty(), "i18n/{language}.json has keys English does not: {extra:?}");
            let empty: Vec<&String> = table.iter().filter(|(_, v)| v.trim().is_empty()).map(|(k, _)| k).collect();
            assert!(empty.is_empty(), "i18n/{language}.json has empty texts: {empty:?}");
        }
    }

    #[test]
    fn placeholders_are_the_same_in_every_language() {
        for (language, table) in TABLES.iter() {
            for (key, text) in table {
                let want = placeholders(&english()[key]);
                assert_eq!(placeholders(text), want, "i18n/{language}.json `{key}`: placeholders differ from English");
            }
        }
    }

    #[test]
    fn every_error_code_has_a_wording() {
        for code in ErrorCode::ALL.iter().copied().chain([ErrorCode::Unknown]) {
            let key = format!("error.{}", code.as_str());
            assert!(english().contains_key(&key), "i18n/en.json lacks `{key}`");
        }
    }

    /// Every message key written in the modal's code (a string literal shaped like one) exists.
    #[test]
    fn every_key_the_modal_uses_exists() {
        const SECTIONS: [&str; 12] = [
            "dialog", "busy", "failed", "closed", "list", "badge", "nav", "platform", "form", "success", "oauth",
            "error",
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/src");
        let mut used = 0;
        for entry in std::fs::read_dir(&dir).expect("frontend/src").flatten() {
            let source = std::fs::read_to_string(entry.path()).expect("readable");
            for literal in source.split('"').skip(1).step_by(2) {
                let Some((section, rest)) = literal.split_once('.') else { continue };
                let is_key = SECTIONS.contains(&section)
                    && !rest.is_empty()
                    && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                if is_key {
                    used += 1;
                    assert!(
                        english().contains_key(literal),
                        "{}: `{literal}` is not in i18n/en.json",
                        entry.path().display()
                    );
                }
            }
        }
        assert!(used > 40, "the scan found the modal's keys ({used})");
    }

    #[test]
    fn accept_language_is_ranked_by_weight() {
        assert_eq!(accept_language("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5"), ["fr-CH", "fr", "en"]);
        assert_eq!(accept_language("en;q=0.2, ja;q=0.7, de"), ["de", "ja", "en"]);
        assert_eq!(accept_language("es;q=0, pt"), ["pt"]);
        assert!(accept_language("").is_empty());
    }

    #[test]
    fn the_page_language_follows_locale_then_the_browser() {
        assert_eq!(page_language(Some("fr-CA"), Some("de")), "fr");
        assert_eq!(page_language(Some("ja-JP"), None), "ja");
        // An unknown `locale` is English, not the browser's language: the host asked for it.
        assert_eq!(page_language(Some("xx"), Some("de-DE")), "en");
        assert_eq!(page_language(None, Some("de-DE,de;q=0.9,en;q=0.8")), "de");
        assert_eq!(page_language(Some(" "), Some("pt-BR, es;q=0.5")), "es");
        assert_eq!(page_language(None, None), "en");
    }

    #[test]
    fn text_falls_back_to_english() {
        assert_eq!(text("fr", "dialog.close"), "Fermer");
        assert_eq!(text("xx", "dialog.close"), "Close");
        assert_eq!(text("fr", "no.such.key"), "");
    }
}
