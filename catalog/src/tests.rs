use super::*;

fn vars() -> LoadVars {
    LoadVars { mock_provider_url: Some("http://127.0.0.1:4010".into()) }
}

fn parse(file: &str, text: &str) -> Result<Platform, CatalogError> {
    parse_platform(file, text, &vars(), Source::Builtin)
}

const API_KEY_PLATFORM: &str = r#"
slug = "acme"
name = "Acme"
categories = ["crm"]
api_base_url = "https://${connectionConfig.subdomain}.acme.example/api"

[auth]
kind = "api_key"

[inject.headers]
Authorization = "Token ${apiKey}"

[[form.fields]]
name = "apiKey"
label = "API key"
secret = true
pattern = "ak_[a-z0-9]{4,}"
example = "ak_1234"

[[form.fields]]
name = "connectionConfig.subdomain"
label = "Subdomain"

[[actions]]
id = "acme.list-deals"
title = "List deals"
method = "get"
path = "/deals"
"#;

#[test]
fn every_builtin_file_loads() {
    let catalog = Catalog::load(&vars(), None).expect("built-in catalog loads");
    assert!(catalog.get("mock").is_some());
    for platform in catalog.iter() {
        assert_eq!(platform.source, Source::Builtin);
    }
}

#[test]
fn builtin_files_need_the_mock_url_to_be_known() {
    let err = Catalog::load(&LoadVars::default(), None).unwrap_err();
    assert!(err.message.contains("portico.mockProviderUrl"), "{err}");
}

#[test]
fn parses_a_complete_api_key_platform() {
    let p = parse("acme.toml", API_KEY_PLATFORM).unwrap();
    assert_eq!(p.slug, "acme");
    assert_eq!(p.logo, "acme.svg");
    assert_eq!(p.inject.headers[0].0, "authorization", "header names are lower-cased");
    assert_eq!(p.actions[0].method, "GET", "methods are upper-cased");
    let rendered = p.api_base_url.render(|n| (n == "connectionConfig.subdomain").then_some("eu")).unwrap();
    assert_eq!(rendered, "https://eu.acme.example/api");
}

#[test]
fn reports_the_line_of_a_syntax_error() {
    let text = "slug = \"acme\"\nname = \"Acme\"\ncategories = [\"crm\"\n";
    let err = parse("acme.toml", text).unwrap_err();
    assert_eq!(err.file, "acme.toml");
    assert!(err.line.is_some(), "{err}");
    assert!(err.to_string().starts_with("acme.toml:"), "{err}");
}

#[test]
fn rejects_unknown_keys() {
    let text = API_KEY_PLATFORM.replace("name = \"Acme\"", "name = \"Acme\"\ncolour = \"red\"");
    let err = parse("acme.toml", &text).unwrap_err();
    assert!(err.message.contains("colour"), "{err}");
    assert_eq!(err.line, Some(4));
}

#[test]
fn slug_must_match_the_file_name() {
    let err = parse("other.toml", API_KEY_PLATFORM).unwrap_err();
    assert!(err.message.contains("file name"), "{err}");
}

#[test]
fn templates_may_only_use_defined_fields() {
    let text = API_KEY_PLATFORM.replace("Token ${apiKey}", "Token ${apiSecret}");
    let err = parse("acme.toml", &text).unwrap_err();
    assert!(err.message.contains("apiSecret"), "{err}");
}

#[test]
fn urls_must_be_absolute_https() {
    for bad in ["http://acme.example/api", "/api", "ftp://acme.example"] {
        let text = API_KEY_PLATFORM.replace("https://${connectionConfig.subdomain}.acme.example/api", bad);
        let err = parse("acme.toml", &text).unwrap_err();
        assert!(err.message.contains("api_base_url"), "{bad}: {err}");
    }
}

#[test]
fn local_platforms_may_use_http() {
    let text = API_KEY_PLATFORM
        .replace("https://${connectionConfig.subdomain}.acme.example/api", "http://10.0.0.5/api")
        .replace("categories", "local = true\ncategories");
    assert!(parse("acme.toml", &text).unwrap().local);
}

#[test]
fn action_ids_are_namespaced_and_unique() {
    let text = API_KEY_PLATFORM.replace("acme.list-deals", "list-deals");
    assert!(parse("acme.toml", &text).unwrap_err().message.contains("acme.<name>"));
    let twice = format!(
        "{API_KEY_PLATFORM}\n[[actions]]\nid = \"acme.list-deals\"\ntitle = \"Again\"\nmethod = \"GET\"\npath = \"/d\"\n"
    );
    assert!(parse("acme.toml", &twice).unwrap_err().message.contains("twice"));
}

#[test]
fn a_bad_pattern_fails_the_load() {
    let text = API_KEY_PLATFORM.replace("ak_[a-z0-9]{4,}", "ak_[a-z");
    assert!(parse("acme.toml", &text).unwrap_err().message.contains("pattern"));
}

#[test]
fn check_form_accepts_good_values_and_trims_them() {
    let p = parse("acme.toml", API_KEY_PLATFORM).unwrap();
    let values = BTreeMap::from([
        ("apiKey".to_string(), "  ak_abcd  ".to_string()),
        ("connectionConfig.subdomain".to_string(), "eu".to_string()),
    ]);
    let clean = p.check_form(&values).unwrap();
    assert_eq!(clean["apiKey"], "ak_abcd");
}

#[test]
fn check_form_names_every_problem() {
    let p = parse("acme.toml", API_KEY_PLATFORM).unwrap();
    let values = BTreeMap::from([("apiKey".to_string(), "wrong".to_string()), ("token".to_string(), "x".to_string())]);
    let errors = p.check_form(&values).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["token", "apiKey", "connectionConfig.subdomain"]);
    assert!(errors[1].message.contains("ak_1234"), "the example is offered: {errors:?}");
    assert!(errors[2].message.contains("Subdomain is required"));
}

#[test]
fn patterns_match_the_whole_value() {
    let p = parse("acme.toml", API_KEY_PLATFORM).unwrap();
    let values = BTreeMap::from([
        ("apiKey".to_string(), "xx ak_abcd".to_string()),
        ("connectionConfig.subdomain".to_string(), "eu".to_string()),
    ]);
    assert!(p.check_form(&values).is_err());
}

#[test]
fn operator_files_add_and_replace_platforms() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme.toml"), API_KEY_PLATFORM).unwrap();
    let replaced = include_str!("../platforms/mock.toml").replace("Mock Provider", "Our Mock");
    std::fs::write(dir.path().join("mock.toml"), replaced).unwrap();
    std::fs::write(dir.path().join("README.md"), "ignored").unwrap();
    let catalog = Catalog::load(&vars(), Some(dir.path())).unwrap();
    assert_eq!(catalog.get("mock").unwrap().name, "Our Mock");
    assert!(matches!(catalog.get("acme").unwrap().source, Source::Operator(_)));
}

#[test]
fn a_malformed_operator_file_fails_the_load_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme.toml"), "slug = ").unwrap();
    let err = Catalog::load(&vars(), Some(dir.path())).unwrap_err();
    assert!(err.file.ends_with("acme.toml"), "{err}");
    assert_eq!(err.line, Some(1));
}

#[test]
fn action_parameters_must_be_whole_segments() {
    for bad in ["/deals/{id}.json", "/deals/{id", "/deals/{}", "/deals/{a-b}", "/deals/x}"] {
        let text = API_KEY_PLATFORM.replace("path = \"/deals\"", &format!("path = \"{bad}\""));
        let err = parse("acme.toml", &text).unwrap_err();
        assert!(err.message.contains("whole segment"), "{bad}: {err}");
    }
    let text = API_KEY_PLATFORM.replace("path = \"/deals\"", "path = \"/deals/{deal_id}/notes.json\"");
    assert_eq!(parse("acme.toml", &text).unwrap().actions[0].path, "/deals/{deal_id}/notes.json");
}

#[test]
fn docs_links_must_be_absolute_https() {
    let platform_link = API_KEY_PLATFORM.replace("categories", "docs_url = \"LINK\"\ncategories");
    let action_link = API_KEY_PLATFORM.replace("path = \"/deals\"", "path = \"/deals\"\ndocs_url = \"LINK\"");
    for text in [&platform_link, &action_link] {
        for bad in ["/docs", "http://acme.example/docs", "docs.acme.example"] {
            let err = parse("acme.toml", &text.replace("LINK", bad)).unwrap_err();
            assert!(err.message.contains("docs_url"), "{bad}: {err}");
        }
        assert!(parse("acme.toml", &text.replace("LINK", "https://acme.example/docs")).is_ok());
    }
}

const CLIENT_CREDENTIALS_PLATFORM: &str = r#"
slug = "acme"
name = "Acme"
categories = ["payments"]
api_base_url = "https://api.acme.example"

[auth]
kind = "oauth2_client_credentials"
token_url = "https://api.acme.example/oauth/token"

[inject.headers]
authorization = "Bearer ${accessToken}"

[[form.fields]]
name = "clientId"
label = "Client ID"

[[form.fields]]
name = "clientSecret"
label = "Client secret"
secret = true
"#;

#[test]
fn client_credentials_forms_collect_the_client_id_and_secret() {
    let p = parse("acme.toml", CLIENT_CREDENTIALS_PLATFORM).unwrap();
    let names: Vec<_> = p.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["clientId", "clientSecret"]);
    assert!(p.oauth.unwrap().authorization_url.is_none());
}

#[test]
fn rejects_client_fields_outside_client_credentials() {
    let text = API_KEY_PLATFORM.replace("name = \"connectionConfig.subdomain\"", "name = \"clientId\"");
    let err = parse("acme.toml", &text).unwrap_err();
    assert!(err.message.contains("`clientId` must be apiKey, username, password or"), "{err}");
}

#[test]
fn settings_of_only_dots_are_refused_whatever_the_pattern() {
    let p = parse("acme.toml", API_KEY_PLATFORM).unwrap();
    for dots in [".", "..", "...", " .. "] {
        let values = BTreeMap::from([
            ("apiKey".to_string(), "ak_abcd".to_string()),
            ("connectionConfig.subdomain".to_string(), dots.to_string()),
        ]);
        let errors = p.check_form(&values).unwrap_err();
        assert_eq!(errors.len(), 1, "{dots:?}: {errors:?}");
        assert_eq!(errors[0].field, "connectionConfig.subdomain");
        assert!(errors[0].message.contains("dots"), "said in words: {errors:?}");
    }
    let values = BTreeMap::from([
        ("apiKey".to_string(), "ak_abcd".to_string()),
        ("connectionConfig.subdomain".to_string(), "eu.west".to_string()),
    ]);
    assert!(p.check_form(&values).is_ok(), "dots inside a value are fine");
}

#[test]
fn body_encoding_is_json_unless_the_platform_or_the_action_says_form() {
    let json = parse("acme.toml", API_KEY_PLATFORM).unwrap();
    assert_eq!(json.actions[0].body_encoding, BodyEncoding::Json);
    let platform_wide = API_KEY_PLATFORM.replace("categories", "body_encoding = \"form\"\ncategories");
    let form = parse("acme.toml", &platform_wide).unwrap();
    assert_eq!(form.actions[0].body_encoding, BodyEncoding::Form);
    let one_action = format!("{API_KEY_PLATFORM}body_encoding = \"form\"\n");
    assert_eq!(parse("acme.toml", &one_action).unwrap().actions[0].body_encoding, BodyEncoding::Form);
    let back = format!("{platform_wide}body_encoding = \"json\"\n");
    assert_eq!(parse("acme.toml", &back).unwrap().actions[0].body_encoding, BodyEncoding::Json);
    let unknown = format!("{API_KEY_PLATFORM}body_encoding = \"xml\"\n");
    assert!(parse("acme.toml", &unknown).unwrap_err().message.contains("xml"));
}
