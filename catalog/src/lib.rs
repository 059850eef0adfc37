//! The integration catalog: which platforms exist, how users authenticate to each, where their API
//! lives and how credentials go into a request.
//!
//! Platforms are data: one TOML file per platform (docs/catalog.md documents the format). The
//! built-in files under `catalog/platforms/` are embedded in the binary; an operator directory
//! (`PORTICO_CATALOG_DIR`) adds platforms or replaces built-in ones at start-up. Everything is
//! validated when it loads — templates parsed, URLs checked, patterns compiled — so a request never
//! meets a malformed entry. A malformed file, built-in or operator, fails the load with the file,
//! the line where the parser knows it, and the reason.
#![forbid(unsafe_code)]

pub mod template;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{include_dir, Dir};
use portico_wire::{AuthKind, FormField, PlatformSummary};
use regex::Regex;
use serde::Deserialize;

pub use template::{Template, TemplateError};

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/platforms");

/// The longest value accepted in a connect-form field.
pub const MAX_FIELD_LEN: usize = 4096;

/// Values known when the catalog loads, used as `${portico.<name>}` in catalog files: the mock
/// provider's address differs per deployment and per test.
#[derive(Debug, Clone, Default)]
pub struct LoadVars {
    pub mock_provider_url: Option<String>,
}

impl LoadVars {
    fn get(&self, name: &str) -> Option<&str> {
        match name {
            "portico.mockProviderUrl" => self.mock_provider_url.as_deref(),
            _ => None,
        }
    }
}

/// Where a platform's definition came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Builtin,
    Operator(PathBuf),
}

#[derive(Debug, Clone)]
pub struct OAuth {
    pub authorization_url: Option<Template>,
    pub token_url: Template,
    pub revoke_url: Option<Template>,
    pub scopes: Vec<String>,
    pub scope_separator: String,
    pub authorization_params: BTreeMap<String, String>,
    pub pkce: bool,
}

/// How a credential goes into an upstream request.
#[derive(Debug, Clone, Default)]
pub struct Inject {
    pub headers: Vec<(String, Template)>,
    pub query: Vec<(String, Template)>,
    pub basic: Option<(Template, Template)>,
}

/// A request that proves a credential works before it is stored.
#[derive(Debug, Clone)]
pub struct Verify {
    pub method: String,
    pub path: Template,
    pub headers: Vec<(String, Template)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Stable across releases: `<platform>.<name>`.
    pub id: String,
    pub title: String,
    pub method: String,
    /// `/repos/{owner}/{repo}/issues`: `{…}` segments match one path segment.
    pub path: String,
    pub docs_url: Option<String>,
}

/// One validated platform.
#[derive(Debug, Clone)]
pub struct Platform {
    pub slug: String,
    pub name: String,
    pub categories: Vec<String>,
    pub logo: String,
    pub docs_url: Option<String>,
    pub api_base_url: Template,
    /// May live on loopback or a private network over plain http (the mock provider, an
    /// operator's internal API). Passthrough still requires the operator to allow-list it.
    pub local: bool,
    pub auth_kind: AuthKind,
    pub oauth: Option<OAuth>,
    pub inject: Inject,
    pub fields: Vec<FormField>,
    patterns: Vec<Option<Regex>>,
    pub verify: Option<Verify>,
    pub actions: Vec<Action>,
    pub source: Source,
}

/// A connect-form value that was refused, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl Platform {
    /// Checks submitted form values against the form: every required field present, no unknown
    /// field, each value within bounds and matching its pattern. Returns the trimmed values.
    pub fn check_form(&self, values: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut clean = BTreeMap::new();
        for name in values.keys() {
            if !self.fields.iter().any(|f| &f.name == name) {
                errors.push(FieldError {
                    field: name.clone(),
                    message: format!("{} has no field named `{name}`", self.name),
                });
            }
        }
        for (field, pattern) in self.fields.iter().zip(&self.patterns) {
            let value = values.get(&field.name).map(|v| v.trim()).unwrap_or("");
            if value.is_empty() {
                if field.required {
                    errors.push(FieldError {
                        field: field.name.clone(),
                        message: format!("{} is required", field.label),
                    });
                }
                continue;
            }
            if value.len() > MAX_FIELD_LEN {
                errors.push(FieldError {
                    field: field.name.clone(),
                    message: format!("{} is too long (at most {MAX_FIELD_LEN} characters)", field.label),
                });
                continue;
            }
            if let Some(re) = pattern {
                if !re.is_match(value) {
                    let hint = field.example.as_deref().map(|e| format!(" (it looks like {e})")).unwrap_or_default();
                    errors.push(FieldError {
                        field: field.name.clone(),
                        message: format!("{} does not have the expected format{hint}", field.label),
                    });
                    continue;
                }
            }
            clean.insert(field.name.clone(), value.to_string());
        }
        if errors.is_empty() {
            Ok(clean)
        } else {
            Err(errors)
        }
    }

    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }

    pub fn summary(&self) -> PlatformSummary {
        PlatformSummary {
            platform: self.slug.clone(),
            name: self.name.clone(),
            categories: self.categories.clone(),
            auth_kind: self.auth_kind,
            logo_url: format!("/logos/{}", self.logo),
            action_count: self.actions.len(),
        }
    }
}

/// A catalog file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct CatalogError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// The loaded catalog, sorted by slug.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    platforms: BTreeMap<String, Arc<Platform>>,
}

impl Catalog {
    /// The built-in platforms, then the operator's directory on top (same slug replaces).
    pub fn load(vars: &LoadVars, operator_dir: Option<&Path>) -> Result<Self, CatalogError> {
        let mut platforms = BTreeMap::new();
        let mut files: Vec<_> = BUILTIN.files().collect();
        files.sort_by_key(|f| f.path());
        for file in files {
            let name = file.path().display().to_string();
            if !name.ends_with(".toml") {
                continue;
            }
            let text = file.contents_utf8().ok_or_else(|| CatalogError {
                file: name.clone(),
                line: None,
                message: "not UTF-8".into(),
            })?;
            let platform = parse_platform(&name, text, vars, Source::Builtin)?;
            platforms.insert(platform.slug.clone(), Arc::new(platform));
        }
        if let Some(dir) = operator_dir {
            let entries = std::fs::read_dir(dir).map_err(|e| CatalogError {
                file: dir.display().to_string(),
                line: None,
                message: format!("cannot read the catalog directory: {e}"),
            })?;
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for path in paths {
                let shown = path.display().to_string();
                let text = std::fs::read_to_string(&path).map_err(|e| CatalogError {
                    file: shown.clone(),
                    line: None,
                    message: format!("cannot read: {e}"),
                })?;
                let platform = parse_platform(&shown, &text, vars, Source::Operator(path.clone()))?;
                platforms.insert(platform.slug.clone(), Arc::new(platform));
            }
        }
        Ok(Catalog { platforms })
    }

    pub fn get(&self, slug: &str) -> Option<&Arc<Platform>> {
        self.platforms.get(slug)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Platform>> {
        self.platforms.values()
    }

    pub fn len(&self) -> usize {
        self.platforms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.platforms.is_empty()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformFile {
    slug: String,
    name: String,
    categories: Vec<String>,
    logo: Option<String>,
    docs_url: Option<String>,
    api_base_url: String,
    #[serde(default)]
    local: bool,
    auth: AuthFile,
    #[serde(default)]
    inject: InjectFile,
    #[serde(default)]
    form: FormFile,
    verify: Option<VerifyFile>,
    #[serde(default)]
    actions: Vec<ActionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthFile {
    kind: AuthKind,
    authorization_url: Option<String>,
    token_url: Option<String>,
    revoke_url: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    scope_separator: Option<String>,
    #[serde(default)]
    authorization_params: BTreeMap<String, String>,
    pkce: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct InjectFile {
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    query: BTreeMap<String, String>,
    basic: Option<BasicFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BasicFile {
    username: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FormFile {
    #[serde(default)]
    fields: Vec<FieldFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldFile {
    name: String,
    label: String,
    help: Option<String>,
    #[serde(default)]
    secret: bool,
    #[serde(default = "yes")]
    required: bool,
    pattern: Option<String>,
    example: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyFile {
    #[serde(default = "get")]
    method: String,
    path: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

fn get() -> String {
    "GET".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionFile {
    id: String,
    title: String,
    method: String,
    path: String,
    docs_url: Option<String>,
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Parses and validates one platform file. `file` names it in errors (`github.toml`); the slug
/// inside must equal the file's stem.
pub fn parse_platform(file: &str, text: &str, vars: &LoadVars, source: Source) -> Result<Platform, CatalogError> {
    let fail = |message: String| CatalogError { file: file.to_string(), line: None, message };
    let raw: PlatformFile = toml::from_str(text).map_err(|e| CatalogError {
        file: file.to_string(),
        line: e.span().map(|span| line_of(text, span.start)),
        message: e.message().to_string(),
    })?;
    let stem = Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if !is_slug(&raw.slug) {
        return Err(fail(format!(
            "slug `{}` must be lowercase letters, digits and `-`, at most 64 characters",
            raw.slug
        )));
    }
    if raw.slug != stem {
        return Err(fail(format!("slug `{}` must equal the file name `{stem}.toml`", raw.slug)));
    }
    let slug = raw.slug;
    if raw.name.trim().is_empty() {
        return Err(fail("name must not be empty".into()));
    }
    if raw.categories.is_empty() || raw.categories.iter().any(|c| !is_slug(c)) {
        return Err(fail("categories must be a non-empty list of lowercase slugs".into()));
    }

    // Form fields first: templates may only use the variables the form or the auth kind defines.
    let mut fields = Vec::new();
    let mut patterns = Vec::new();
    let mut names = BTreeSet::new();
    let kind = raw.auth.kind;
    // A client-credentials platform's user brings their own app (an Entra app registration, a
    // PayPal REST app): the form collects its id and secret, which the token request then uses.
    let client_fields = matches!(kind, AuthKind::Oauth2ClientCredentials);
    for (i, f) in raw.form.fields.into_iter().enumerate() {
        let valid_name = matches!(f.name.as_str(), "apiKey" | "username" | "password")
            || (client_fields && matches!(f.name.as_str(), "clientId" | "clientSecret"))
            || f.name.strip_prefix("connectionConfig.").is_some_and(is_identifier);
        if !valid_name {
            let client = if client_fields { ", clientId, clientSecret" } else { "" };
            return Err(fail(format!(
                "form.fields[{i}].name `{}` must be apiKey, username, password{client} or connectionConfig.<name>",
                f.name
            )));
        }
        if !names.insert(f.name.clone()) {
            return Err(fail(format!("form.fields[{i}].name `{}` is defined twice", f.name)));
        }
        let pattern = match &f.pattern {
            Some(p) => Some(
                Regex::new(&format!("^(?:{p})$"))
                    .map_err(|e| fail(format!("form.fields[{i}].pattern does not compile: {e}")))?,
            ),
            None => None,
        };
        patterns.push(pattern);
        fields.push(FormField {
            name: f.name,
            label: f.label,
            help: f.help,
            secret: f.secret,
            required: f.required,
            pattern: f.pattern,
            example: f.example,
        });
    }
    let mut known: BTreeSet<String> = names.clone();
    match kind {
        AuthKind::Oauth2 => {
            known.insert("accessToken".into());
        }
        AuthKind::Oauth2ClientCredentials => {
            known.extend(["accessToken", "clientId", "clientSecret"].map(String::from));
        }
        AuthKind::ApiKey | AuthKind::Basic => {}
    }
    let needs_form = kind.uses_form() && !matches!(kind, AuthKind::Oauth2ClientCredentials);
    if needs_form && fields.iter().all(|f| f.name.starts_with("connectionConfig.")) {
        return Err(fail(format!("auth kind {kind:?} needs a credential field in form.fields")));
    }

    let template = |what: &str, source: &str| -> Result<Template, CatalogError> {
        let parsed = Template::parse(source).map_err(|e| fail(format!("{what}: {e}")))?;
        let rendered = parsed.render_partial(|n| vars.get(n));
        let parsed = Template::parse(&rendered).map_err(|e| fail(format!("{what}: {e}")))?;
        for var in parsed.variables() {
            if var.starts_with("portico.") {
                return Err(fail(format!("{what}: `${{{var}}}` has no value in this deployment")));
            }
            if !known.contains(var) {
                return Err(fail(format!(
                    "{what}: `${{{var}}}` is not a field of this platform (known: {})",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(parsed)
    };
    let url_template = |what: &str, source: &str| -> Result<Template, CatalogError> {
        let parsed = template(what, source)?;
        let sample = parsed.render(|_| Some("example")).map_err(|e| fail(format!("{what}: {e}")))?;
        let url = url::Url::parse(&sample).map_err(|e| fail(format!("{what} `{source}`: {e}")))?;
        let scheme_ok = url.scheme() == "https" || (raw.local && url.scheme() == "http");
        if !scheme_ok {
            return Err(fail(format!("{what} `{source}` must be an absolute https URL")));
        }
        if url.host_str().is_none() || url.fragment().is_some() {
            return Err(fail(format!("{what} `{source}` must have a host and no fragment")));
        }
        Ok(parsed)
    };

    // Documentation links are shown to people, never requested by the server, but a relative or
    // plain-http link in the dashboard is still a mistake worth failing on.
    let docs_link = |what: &str, link: &str| -> Result<(), CatalogError> {
        let url = url::Url::parse(link).map_err(|e| fail(format!("{what} `{link}`: {e}")))?;
        let scheme_ok = url.scheme() == "https" || (raw.local && url.scheme() == "http");
        if !scheme_ok || url.host_str().is_none() {
            return Err(fail(format!("{what} `{link}` must be an absolute https URL")));
        }
        Ok(())
    };
    if let Some(link) = &raw.docs_url {
        docs_link("docs_url", link)?;
    }

    let api_base_url = url_template("api_base_url", &raw.api_base_url)?;
    if api_base_url.source().contains('?') {
        return Err(fail("api_base_url must not have a query".into()));
    }
    let oauth = match kind {
        AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => {
            let token_url = raw
                .auth
                .token_url
                .as_deref()
                .ok_or_else(|| fail("auth.token_url is required for OAuth platforms".into()))?;
            let authorization_url = match (&raw.auth.authorization_url, kind) {
                (Some(u), _) => Some(url_template("auth.authorization_url", u)?),
                (None, AuthKind::Oauth2) => return Err(fail("auth.authorization_url is required for oauth2".into())),
                (None, _) => None,
            };
            Some(OAuth {
                authorization_url,
                token_url: url_template("auth.token_url", token_url)?,
                revoke_url: raw.auth.revoke_url.as_deref().map(|u| url_template("auth.revoke_url", u)).transpose()?,
                scopes: raw.auth.scopes,
                scope_separator: raw.auth.scope_separator.unwrap_or_else(|| " ".into()),
                authorization_params: raw.auth.authorization_params,
                pkce: raw.auth.pkce.unwrap_or(true),
            })
        }
        AuthKind::ApiKey | AuthKind::Basic => None,
    };

    let mut inject = Inject::default();
    for (name, value) in &raw.inject.headers {
        if !is_header_name(name) {
            return Err(fail(format!("inject.headers: `{name}` is not a valid header name")));
        }
        inject.headers.push((name.to_ascii_lowercase(), template(&format!("inject.headers.{name}"), value)?));
    }
    for (name, value) in &raw.inject.query {
        inject.query.push((name.clone(), template(&format!("inject.query.{name}"), value)?));
    }
    if let Some(basic) = &raw.inject.basic {
        inject.basic = Some((
            template("inject.basic.username", &basic.username)?,
            template("inject.basic.password", &basic.password)?,
        ));
    }
    if inject.headers.is_empty() && inject.query.is_empty() && inject.basic.is_none() {
        return Err(fail("inject must put the credential in a header, the query or basic auth".into()));
    }

    let verify = match raw.verify {
        Some(v) => {
            let method = v.method.to_ascii_uppercase();
            if !METHODS.contains(&method.as_str()) {
                return Err(fail(format!("verify.method `{}` is not an HTTP method", v.method)));
            }
            if !v.path.starts_with('/') {
                return Err(fail("verify.path must start with `/`".into()));
            }
            let mut headers = Vec::new();
            for (name, value) in &v.headers {
                if !is_header_name(name) {
                    return Err(fail(format!("verify.headers: `{name}` is not a valid header name")));
                }
                headers.push((name.to_ascii_lowercase(), template("verify.headers", value)?));
            }
            Some(Verify { method, path: template("verify.path", &v.path)?, headers })
        }
        None => None,
    };

    let mut actions = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, a) in raw.actions.into_iter().enumerate() {
        let prefix = format!("{slug}.");
        let ok_id = a.id.strip_prefix(&prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
        if !ok_id {
            return Err(fail(format!(
                "actions[{i}].id `{}` must be `{slug}.<name>` with lowercase letters, digits and `-`",
                a.id
            )));
        }
        if !ids.insert(a.id.clone()) {
            return Err(fail(format!("actions[{i}].id `{}` is used twice", a.id)));
        }
        let method = a.method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(fail(format!("actions[{i}].method `{}` is not an HTTP method", a.method)));
        }
        if !a.path.starts_with('/') || a.path.contains("..") || a.path.contains('?') {
            return Err(fail(format!("actions[{i}].path `{}` must start with `/` and hold no `..` or query", a.path)));
        }
        // Passthrough matches `{param}` against exactly one path segment, so a parameter sharing
        // a segment with text (`/tickets/{id}.json`) could never match a request.
        let bad_segment = a.path.split('/').find(|seg| {
            let param = seg.strip_prefix('{').and_then(|p| p.strip_suffix('}'));
            match param {
                Some(name) => !is_identifier(name),
                None => seg.contains(['{', '}']),
            }
        });
        if let Some(seg) = bad_segment {
            return Err(fail(format!(
                "actions[{i}].path segment `{seg}`: a parameter must be a whole segment, `{{name}}`"
            )));
        }
        if a.title.trim().is_empty() {
            return Err(fail(format!("actions[{i}].title must not be empty")));
        }
        if let Some(link) = &a.docs_url {
            docs_link(&format!("actions[{i}].docs_url"), link)?;
        }
        actions.push(Action { id: a.id, title: a.title, method, path: a.path, docs_url: a.docs_url });
    }

    Ok(Platform {
        logo: raw.logo.unwrap_or_else(|| format!("{slug}.svg")),
        slug,
        name: raw.name,
        categories: raw.categories,
        docs_url: raw.docs_url,
        api_base_url,
        local: raw.local,
        auth_kind: kind,
        oauth,
        inject,
        fields,
        patterns,
        verify,
        actions,
        source,
    })
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests;
