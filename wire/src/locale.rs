//! The modal's languages and how one is chosen. Shared by the server (which names the message
//! table in the modal's page) and the modal (which checks the loader's `locale` option and the
//! browser's languages): both must reach the same answer.

/// Every language the modal speaks, English first (the fallback). A language listed here has a
/// message table `i18n/<code>.json` (docs/i18n.md says how to add one).
pub const LANGUAGES: [&str; 5] = ["en", "fr", "de", "es", "ja"];

/// The language used when nothing else matches.
pub const DEFAULT: &str = "en";

/// Written right to left (none of [`LANGUAGES`] yet: ready for Arabic, Hebrew, Persian, Urdu).
const RIGHT_TO_LEFT: [&str; 4] = ["ar", "he", "fa", "ur"];

/// The primary subtag of a BCP 47 tag, lower case: `fr-CA` → `fr`, `ja_JP` → `ja`.
fn primary(tag: &str) -> &str {
    tag.trim().split(['-', '_']).next().unwrap_or_default()
}

/// The supported language of one tag (`fr-CA` → `fr`), if any.
pub fn supported(tag: &str) -> Option<&'static str> {
    let primary = primary(tag);
    LANGUAGES.into_iter().find(|l| l.eq_ignore_ascii_case(primary))
}

/// The first of `preferred` (most wanted first) that the modal speaks, else English.
pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> &'static str {
    preferred.into_iter().find_map(supported).unwrap_or(DEFAULT)
}

/// `rtl` for a right-to-left language, else `ltr` (the value of `<html dir>`).
pub fn direction(language: &str) -> &'static str {
    if RIGHT_TO_LEFT.iter().any(|l| l.eq_ignore_ascii_case(primary(language))) {
        "rtl"
    } else {
        "ltr"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regional_tag_gets_its_language() {
        assert_eq!(negotiate(["fr-CA"]), "fr");
        assert_eq!(negotiate(["ja-JP"]), "ja");
        assert_eq!(negotiate(["de_AT"]), "de");
        assert_eq!(negotiate(["ES"]), "es");
    }

    #[test]
    fn an_unknown_language_is_english() {
        assert_eq!(negotiate(["xx"]), "en");
        assert_eq!(negotiate([""]), "en");
        assert_eq!(negotiate([]), "en");
        assert_eq!(negotiate(["zh-Hant-TW"]), "en");
    }

    #[test]
    fn the_first_spoken_preference_wins() {
        assert_eq!(negotiate(["xx", "pt-BR", "de-DE", "fr"]), "de");
        assert_eq!(negotiate(["en-GB", "fr"]), "en");
    }

    #[test]
    fn direction_follows_the_script() {
        assert_eq!(direction("fr"), "ltr");
        assert_eq!(direction("ja"), "ltr");
        assert_eq!(direction("ar-EG"), "rtl");
        assert_eq!(direction("he"), "rtl");
    }
}
