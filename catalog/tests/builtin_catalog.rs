//! The built-in catalog as shipped: every file under `catalog/platforms/` loads, follows the
//! documented conventions (docs/catalog.md), has a logo in `public/logos/`, and together they
//! cover the platforms the product promises.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use portico_catalog::{parse_platform, Catalog, LoadVars, Platform, Source, Template};
use portico_wire::AuthKind;

/// The platforms the product promises (issue 5), by slug.
const REQUIRED: [&str; 60] = [
    "gmail",
    "google-calendar",
    "google-drive",
    "google-sheets",
    "outlook",
    "microsoft-teams",
    "slack",
    "github",
    "gitlab",
    "bitbucket",
    "notion",
    "hubspot",
    "salesforce",
    "quickbooks",
    "xero",
    "stripe",
    "shopify",
    "zendesk",
    "intercom",
    "asana",
    "linear",
    "jira",
    "confluence",
    "clickup",
    "monday",
    "airtable",
    "dropbox",
    "box",
    "zoom",
    "calendly",
    "mailchimp",
    "sendgrid",
    "twilio",
    "pipedrive",
    "attio",
    "discord",
    "figma",
    "typeform",
    "docusign",
    "freshdesk",
    "openai",
    "anthropic",
    "exa",
    "resend",
    "pagerduty",
    "sentry",
    "vercel",
    "cloudflare",
    "datadog",
    "mixpanel",
    "klaviyo",
    "webflow",
    "linkedin",
    "reddit",
    "spotify",
    "youtube",
    "greenhouse",
    "lever",
    "bamboohr",
    "gusto",
];

/// The 20 most used platforms (docs/catalog.md lists the same), which carry at least five
/// actions each.
const MOST_USED: [&str; 20] = [
    "gmail",
    "google-calendar",
    "google-drive",
    "google-sheets",
    "outlook",
    "microsoft-teams",
    "slack",
    "github",
    "notion",
    "hubspot",
    "salesforce",
    "stripe",
    "shopify",
    "zendesk",
    "intercom",
    "jira",
    "asana",
    "zoom",
    "airtable",
    "openai",
];

fn vars() -> LoadVars {
    LoadVars { mock_provider_url: Some("http://127.0.0.1:4010".into()) }
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn catalog() -> Catalog {
    Catalog::load(&vars(), None).expect("the built-in catalog loads")
}

/// The real platforms: everything but the project's own mock provider.
fn real_platforms(catalog: &Catalog) -> Vec<&Platform> {
    catalog.iter().filter(|p| !p.local).map(|p| p.as_ref()).collect()
}

fn platform_files() -> Vec<(PathBuf, String)> {
    let mut files: Vec<_> = std::fs::read_dir(manifest_dir().join("platforms"))
        .expect("catalog/platforms exists")
        .map(|e| e.expect("directory entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            assert_eq!(
                path.extension().and_then(|x| x.to_str()),
                Some("toml"),
                "only platform files belong in catalog/platforms: {}",
                path.display()
            );
            let text = std::fs::read_to_string(&path).expect("readable");
            (path, text)
        })
        .collect()
}

/// The platforms written by `catalog/tools/generate_from_reference.py`: their files start with its
/// comment line.
fn generated_slugs() -> BTreeSet<String> {
    platform_files()
        .into_iter()
        .filter(|(_, text)| text.starts_with("# Generated from shared/reference/provider-facts.tsv"))
        .filter_map(|(path, _)| path.file_stem().and_then(|s| s.to_str()).map(String::from))
        .collect()
}

/// Every template a platform holds, named by where it is.
fn templates(p: &Platform) -> Vec<(String, &Template)> {
    let mut out = vec![("api_base_url".to_string(), &p.api_base_url)];
    if let Some(oauth) = &p.oauth {
        out.extend(oauth.authorization_url.iter().map(|t| ("auth.authorization_url".to_string(), t)));
        out.push(("auth.token_url".to_string(), &oauth.token_url));
        out.extend(oauth.revoke_url.iter().map(|t| ("auth.revoke_url".to_string(), t)));
    }
    for (name, t) in p.inject.headers.iter().chain(&p.inject.query) {
        out.push((format!("inject.{name}"), t));
    }
    if let Some((user, pass)) = &p.inject.basic {
        out.push(("inject.basic.username".to_string(), user));
        out.push(("inject.basic.password".to_string(), pass));
    }
    if let Some(verify) = &p.verify {
        out.push(("verify.path".to_string(), &verify.path));
        for (name, t) in &verify.headers {
            out.push((format!("verify.headers.{name}"), t));
        }
    }
    out
}

#[test]
fn every_platform_file_parses_on_its_own() {
    let files = platform_files();
    assert!(!files.is_empty());
    for (path, text) in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if let Err(e) = parse_platform(name, text, &vars(), Source::Builtin) {
            panic!("{e}");
        }
    }
    assert_eq!(catalog().len(), files.len(), "the embedded catalog holds every file on disk");
}

#[test]
fn offers_at_least_600_real_platforms_including_every_promised_one() {
    let catalog = catalog();
    let real = real_platforms(&catalog);
    assert!(real.len() >= 600, "only {} real platforms", real.len());
    let missing: Vec<_> = REQUIRED.iter().filter(|s| catalog.get(s).is_none()).collect();
    assert!(missing.is_empty(), "promised platforms missing: {missing:?}");
    let unique: BTreeSet<_> = REQUIRED.iter().collect();
    assert_eq!(unique.len(), REQUIRED.len(), "REQUIRED names each platform once");
}

#[test]
fn only_the_mock_provider_is_local() {
    // Its API-key API, its OAuth server, and its client-credentials grant: the only entries that
    // may point at http:// and loopback, and each must say it is the project's mock.
    let mut local: Vec<_> = catalog().iter().filter(|p| p.local).map(|p| p.slug.clone()).collect();
    local.sort();
    assert_eq!(local, ["mock", "mock-cc", "mock-oauth"]);
    for slug in &local {
        let p = catalog().get(slug).cloned().unwrap();
        assert!(p.api_base_url.source().starts_with("http://127.0.0.1:4010/"), "{slug}: the mock provider's URL");
        assert_eq!(p.categories, ["testing"], "{slug}");
    }
}

#[test]
fn every_url_is_absolute_https() {
    for p in real_platforms(&catalog()) {
        // A `${connectionConfig.…}` part is filled per connection: use the form's own example.
        let sample = |name: &str| {
            let field = p.fields.iter().find(|f| f.name == name);
            Some(field.and_then(|f| f.example.as_deref()).unwrap_or("example"))
        };
        let mut urls: Vec<(String, String)> = Vec::new();
        for (what, t) in templates(p) {
            if what == "api_base_url" || what.starts_with("auth.") {
                urls.push((what, t.render(sample).expect("renders with sample values")));
            }
        }
        urls.extend(p.docs_url.iter().map(|u| ("docs_url".to_string(), u.clone())));
        for a in &p.actions {
            urls.extend(a.docs_url.iter().map(|u| (format!("{} docs_url", a.id), u.clone())));
        }
        for (what, url) in urls {
            let parsed = url::Url::parse(&url).unwrap_or_else(|e| panic!("{}: {what} `{url}`: {e}", p.slug));
            assert_eq!(parsed.scheme(), "https", "{}: {what} `{url}`", p.slug);
            assert!(parsed.host_str().is_some_and(|h| h.contains('.')), "{}: {what} `{url}`", p.slug);
        }
    }
}

#[test]
fn every_platform_and_action_links_its_documentation() {
    for p in real_platforms(&catalog()) {
        assert!(p.docs_url.is_some(), "{} has no docs_url", p.slug);
        for a in &p.actions {
            assert!(a.docs_url.is_some(), "{} has no docs_url", a.id);
        }
    }
}

#[test]
fn templates_use_only_fields_the_form_or_the_auth_kind_defines() {
    let catalog = catalog();
    for p in catalog.iter() {
        let mut known: BTreeSet<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
        match p.auth_kind {
            AuthKind::Oauth2 => known.insert("accessToken"),
            AuthKind::Oauth2ClientCredentials => {
                known.extend(["accessToken", "clientId", "clientSecret"]);
                true
            }
            AuthKind::ApiKey | AuthKind::Basic => false,
        };
        for (what, t) in templates(p) {
            for var in t.variables() {
                assert!(known.contains(var), "{}: {what} uses `${{{var}}}`, not a field of the form", p.slug);
            }
        }
    }
}

#[test]
fn the_parser_checks_every_builtin_file_for_undefined_template_fields() {
    // Sabotage each file: a credential header naming a field its form lacks must fail the load,
    // so the check above is the parser's, applied to this very file.
    for (path, text) in platform_files() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let sabotaged = if text.contains("\n[inject.headers]\n") {
            text.replacen(
                "\n[inject.headers]\n",
                "\n[inject.headers]\nx-sabotage = \"${connectionConfig.notInTheForm}\"\n",
                1,
            )
        } else {
            format!("{text}\n[inject.headers]\nx-sabotage = \"${{connectionConfig.notInTheForm}}\"\n")
        };
        let err = parse_platform(&name, &sabotaged, &vars(), Source::Builtin)
            .expect_err(&format!("{name}: an undefined field must be refused"));
        assert!(err.message.contains("notInTheForm"), "{name}: {err}");
    }
}

#[test]
fn action_ids_are_unique_across_the_catalog() {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let catalog = catalog();
    for p in catalog.iter() {
        for a in &p.actions {
            if let Some(other) = seen.insert(&a.id, &p.slug) {
                panic!("action id {} is used by {other} and {}", a.id, p.slug);
            }
            assert!(a.id.starts_with(&format!("{}.", p.slug)), "{} is namespaced by its platform", a.id);
        }
    }
}

#[test]
fn actions_within_a_platform_are_distinct_endpoints() {
    for p in catalog().iter() {
        let mut seen = BTreeSet::new();
        for a in &p.actions {
            assert!(seen.insert((&a.method, &a.path)), "{}: {} {} is listed twice", p.slug, a.method, a.path);
        }
    }
}

#[test]
fn the_most_used_platforms_have_at_least_five_actions_and_every_platform_one() {
    let catalog = catalog();
    for slug in MOST_USED {
        let p = catalog.get(slug).unwrap_or_else(|| panic!("{slug} is missing"));
        assert!(p.actions.len() >= 5, "{slug} has {} actions", p.actions.len());
    }
    // A platform generated from the reference (docs/catalog.md, "Generated from the reference")
    // has no action until someone adds documented endpoints: the reference lists none, and a
    // guessed one would be worse than none. Every hand-written platform has at least one.
    let generated = generated_slugs();
    for p in catalog.iter() {
        assert!(!p.actions.is_empty() || generated.contains(&p.slug), "{} has no action", p.slug);
    }
    let unique: BTreeSet<_> = MOST_USED.iter().collect();
    assert_eq!(unique.len(), 20);
    assert!(MOST_USED.iter().all(|s| REQUIRED.contains(s)));
}

#[test]
fn every_platform_has_a_logo_file() {
    let logos = manifest_dir().join("../public/logos");
    for p in catalog().iter() {
        let path = logos.join(&p.logo);
        let svg = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: logo {} unreadable: {e}", p.slug, path.display()));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{}: not an SVG", p.logo);
        // `href=` (also `xlink:href=`), not `href`: a name such as "Ahrefs" is text, not a link.
        let lower = svg.to_ascii_lowercase();
        assert!(
            !lower.contains("<script") && !lower.contains("href=") && !lower.contains("url("),
            "{}: logos are inert, self-contained SVG",
            p.logo
        );
    }
}

#[test]
fn categories_come_from_the_documented_set() {
    let doc = std::fs::read_to_string(manifest_dir().join("../docs/catalog.md")).expect("docs/catalog.md");
    let section = doc.split("## Categories").nth(1).expect("docs/catalog.md has a Categories section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let documented: BTreeSet<&str> = section.split('`').skip(1).step_by(2).collect();
    for p in catalog().iter() {
        for c in &p.categories {
            assert!(documented.contains(c.as_str()), "{}: category `{c}` is not in docs/catalog.md", p.slug);
        }
    }
}

#[test]
fn form_fields_are_labelled_and_secrets_are_marked() {
    for p in real_platforms(&catalog()) {
        for f in &p.fields {
            assert!(!f.label.trim().is_empty(), "{}: {} has no label", p.slug, f.name);
            assert!(f.help.as_deref().is_some_and(|h| !h.trim().is_empty()), "{}: {} has no help", p.slug, f.name);
            let is_secret = matches!(f.name.as_str(), "apiKey" | "password" | "clientSecret");
            assert_eq!(f.secret, is_secret, "{}: {} secret flag", p.slug, f.name);
            if f.name.starts_with("connectionConfig.") {
                assert!(f.pattern.is_some(), "{}: {} needs a pattern", p.slug, f.name);
            }
        }
        if p.auth_kind.uses_form() && p.auth_kind != AuthKind::Oauth2ClientCredentials {
            assert!(p.fields.iter().any(|f| f.secret), "{}: a form without a secret", p.slug);
        }
    }
}

#[test]
fn examples_match_their_own_patterns() {
    for p in real_platforms(&catalog()) {
        for f in &p.fields {
            if let (Some(pattern), Some(example)) = (&f.pattern, &f.example) {
                let re = regex_lite(pattern);
                assert!(re.is_match(example), "{}: {} example `{example}` fails `{pattern}`", p.slug, f.name);
            }
        }
    }
}

fn regex_lite(pattern: &str) -> regex::Regex {
    regex::Regex::new(&format!("^(?:{pattern})$")).expect("the parser already compiled it")
}

#[test]
fn oauth_platforms_inject_the_access_token() {
    for p in real_platforms(&catalog()) {
        if matches!(p.auth_kind, AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials) {
            let uses_token = templates(p)
                .iter()
                .any(|(what, t)| what.starts_with("inject.") && t.variables().any(|v| v == "accessToken"));
            assert!(uses_token, "{} never sends its access token", p.slug);
            let oauth = p.oauth.as_ref().expect("OAuth platforms have OAuth settings");
            for reserved in ["response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge"] {
                assert!(
                    !oauth.authorization_params.contains_key(reserved),
                    "{}: `{reserved}` is set by the OAuth flow, not the catalog",
                    p.slug
                );
            }
        }
    }
}
