//! Reading one platform file: the TOML into the raw shape below, then one named step per section,
//! each validating what it reads. The steps run in the order the checks have always run, so a
//! file with several mistakes still reports the same first one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use portico_wire::{AuthKind, FormField};
use regex::Regex;
use serde::Deserialize;

use crate::{
    is_slug, Action, ActionParam, BodyEncoding, CatalogError, Inject, LoadVars, OAuth, Platform, Source, Template,
    Verify,
};

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
    /// How every action's body is sent, unless the action says otherwise (default JSON).
    body_encoding: Option<BodyEncoding>,
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
    description: Option<String>,
    method: String,
    path: String,
    docs_url: Option<String>,
    /// `{param}` name → what it is.
    #[serde(default)]
    params: BTreeMap<String, ParamFile>,
    #[serde(default)]
    query: BTreeMap<String, ParamFile>,
    /// A JSON Schema, written as TOML.
    body: Option<toml::Value>,
    body_encoding: Option<BodyEncoding>,
}

/// Everything besides `description` and `required` is the value's JSON Schema.
#[derive(Deserialize)]
struct ParamFile {
    description: Option<String>,
    #[serde(default)]
    required: bool,
    /// `type`, `enum`, `format`, `minimum`…: a JSON Schema for the value, written as TOML.
    #[serde(default, flatten)]
    schema: BTreeMap<String, toml::Value>,
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Parses and validates one platform file. `file` names it in errors (`github.toml`); the slug
/// inside must equal the file's stem.
pub fn parse_platform(file: &str, text: &str, vars: &LoadVars, source: Source) -> Result<Platform, CatalogError> {
    let raw = read_file(file, text)?;
    let cx = Ctx { file, local: raw.local };
    check_identity(&cx, &raw)?;
    let PlatformFile {
        slug,
        name,
        categories,
        logo,
        docs_url,
        api_base_url,
        local,
        auth,
        inject,
        form,
        verify,
        body_encoding,
        actions,
    } = raw;
    let kind = auth.kind;

    // Form fields first: templates may only use the variables the form or the auth kind defines.
    let (fields, patterns) = parse_form(&cx, kind, form.fields)?;
    let known = known_variables(kind, &fields);
    check_credential_field(&cx, kind, &fields)?;
    let templates = Templates { cx: &cx, vars, known };

    // The documentation link is checked here, after the form, as it always was: a file with
    // several mistakes keeps reporting the same first one.
    if let Some(link) = &docs_url {
        cx.docs_link("docs_url", link)?;
    }
    let api_base_url = parse_api_base_url(&templates, &api_base_url)?;
    let oauth = parse_auth(&templates, auth)?;
    let inject = parse_inject(&templates, &inject)?;
    let verify = verify.map(|v| parse_verify(&templates, v)).transpose()?;
    let actions = parse_actions(&cx, &slug, actions, body_encoding.unwrap_or_default())?;

    Ok(Platform {
        logo: logo.unwrap_or_else(|| format!("{slug}.svg")),
        slug,
        name,
        categories,
        docs_url,
        api_base_url,
        local,
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

/// The TOML text into the raw file shape; a syntax or shape error carries its line.
fn read_file(file: &str, text: &str) -> Result<PlatformFile, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError {
        file: file.to_string(),
        line: e.span().map(|span| line_of(text, span.start)),
        message: e.message().to_string(),
    })
}

/// What every step needs to report a mistake and check a link: the file's name, and whether the
/// platform may use plain http (`local = true`).
struct Ctx<'a> {
    file: &'a str,
    local: bool,
}

impl Ctx<'_> {
    fn fail(&self, message: String) -> CatalogError {
        CatalogError { file: self.file.to_string(), line: None, message }
    }

    /// `https`, or `http` for a local platform.
    fn scheme_ok(&self, url: &url::Url) -> bool {
        url.scheme() == "https" || (self.local && url.scheme() == "http")
    }

    /// Documentation links are shown to people, never requested by the server, but a relative or
    /// plain-http link in the dashboard is still a mistake worth failing on.
    fn docs_link(&self, what: &str, link: &str) -> Result<(), CatalogError> {
        let url = url::Url::parse(link).map_err(|e| self.fail(format!("{what} `{link}`: {e}")))?;
        if !self.scheme_ok(&url) || url.host_str().is_none() {
            return Err(self.fail(format!("{what} `{link}` must be an absolute https URL")));
        }
        Ok(())
    }
}

/// The slug (a slug, equal to the file's stem), the display name and the categories.
fn check_identity(cx: &Ctx, raw: &PlatformFile) -> Result<(), CatalogError> {
    let stem = Path::new(cx.file).file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if !is_slug(&raw.slug) {
        return Err(
            cx.fail(format!("slug `{}` must be lowercase letters, digits and `-`, at most 64 characters", raw.slug))
        );
    }
    if raw.slug != stem {
        return Err(cx.fail(format!("slug `{}` must equal the file name `{stem}.toml`", raw.slug)));
    }
    if raw.name.trim().is_empty() {
        return Err(cx.fail("name must not be empty".into()));
    }
    if raw.categories.is_empty() || raw.categories.iter().any(|c| !is_slug(c)) {
        return Err(cx.fail("categories must be a non-empty list of lowercase slugs".into()));
    }
    Ok(())
}

/// The connect form's fields, each with its compiled pattern (anchored to the whole value).
fn parse_form(
    cx: &Ctx,
    kind: AuthKind,
    raw: Vec<FieldFile>,
) -> Result<(Vec<FormField>, Vec<Option<Regex>>), CatalogError> {
    let mut fields = Vec::new();
    let mut patterns = Vec::new();
    let mut names = BTreeSet::new();
    for (i, f) in raw.into_iter().enumerate() {
        check_field_name(cx, kind, i, &f.name)?;
        if !names.insert(f.name.clone()) {
            return Err(cx.fail(format!("form.fields[{i}].name `{}` is defined twice", f.name)));
        }
        let pattern = match &f.pattern {
            Some(p) => Some(
                Regex::new(&format!("^(?:{p})$"))
                    .map_err(|e| cx.fail(format!("form.fields[{i}].pattern does not compile: {e}")))?,
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
    Ok((fields, patterns))
}

/// A field is a credential (`apiKey`, `username`, `password`; `clientId`, `clientSecret` for
/// client credentials) or `connectionConfig.<name>`.
fn check_field_name(cx: &Ctx, kind: AuthKind, i: usize, name: &str) -> Result<(), CatalogError> {
    // A client-credentials platform's user brings their own app (an Entra app registration, a
    // PayPal REST app): the form collects its id and secret, which the token request then uses.
    let client_fields = matches!(kind, AuthKind::Oauth2ClientCredentials);
    let valid_name = matches!(name, "apiKey" | "username" | "password")
        || (client_fields && matches!(name, "clientId" | "clientSecret"))
        || name.strip_prefix("connectionConfig.").is_some_and(is_identifier);
    if !valid_name {
        let client = if client_fields { ", clientId, clientSecret" } else { "" };
        return Err(cx.fail(format!(
            "form.fields[{i}].name `{name}` must be apiKey, username, password{client} or connectionConfig.<name>"
        )));
    }
    Ok(())
}

/// The variables templates may use: the form's fields and what the auth kind adds.
fn known_variables(kind: AuthKind, fields: &[FormField]) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = fields.iter().map(|f| f.name.clone()).collect();
    match kind {
        AuthKind::Oauth2 => {
            known.insert("accessToken".into());
        }
        AuthKind::Oauth2ClientCredentials => {
            known.extend(["accessToken", "clientId", "clientSecret"].map(String::from));
        }
        AuthKind::ApiKey | AuthKind::Basic => {}
    }
    known
}

/// An auth kind whose credential comes from the form needs a field beyond `connectionConfig.*`.
fn check_credential_field(cx: &Ctx, kind: AuthKind, fields: &[FormField]) -> Result<(), CatalogError> {
    let needs_form = kind.uses_form() && !matches!(kind, AuthKind::Oauth2ClientCredentials);
    if needs_form && fields.iter().all(|f| f.name.starts_with("connectionConfig.")) {
        return Err(cx.fail(format!("auth kind {kind:?} needs a credential field in form.fields")));
    }
    Ok(())
}

/// Parses templates, fills in the load-time values and checks the variables left are known.
struct Templates<'a> {
    cx: &'a Ctx<'a>,
    vars: &'a LoadVars,
    known: BTreeSet<String>,
}

impl Templates<'_> {
    fn template(&self, what: &str, source: &str) -> Result<Template, CatalogError> {
        let fail = |message: String| self.cx.fail(message);
        let parsed = Template::parse(source).map_err(|e| fail(format!("{what}: {e}")))?;
        let rendered = parsed.render_partial(|n| self.vars.get(n));
        let parsed = Template::parse(&rendered).map_err(|e| fail(format!("{what}: {e}")))?;
        for var in parsed.variables() {
            if var.starts_with("portico.") {
                return Err(fail(format!("{what}: `${{{var}}}` has no value in this deployment")));
            }
            if !self.known.contains(var) {
                return Err(fail(format!(
                    "{what}: `${{{var}}}` is not a field of this platform (known: {})",
                    self.known.iter().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        Ok(parsed)
    }

    /// A template that, filled in, is an absolute https URL (http for a local platform) with a
    /// host and no fragment.
    fn url_template(&self, what: &str, source: &str) -> Result<Template, CatalogError> {
        let fail = |message: String| self.cx.fail(message);
        let parsed = self.template(what, source)?;
        let sample = parsed.render(|_| Some("example")).map_err(|e| fail(format!("{what}: {e}")))?;
        let url = url::Url::parse(&sample).map_err(|e| fail(format!("{what} `{source}`: {e}")))?;
        if !self.cx.scheme_ok(&url) {
            return Err(fail(format!("{what} `{source}` must be an absolute https URL")));
        }
        if url.host_str().is_none() || url.fragment().is_some() {
            return Err(fail(format!("{what} `{source}` must have a host and no fragment")));
        }
        Ok(parsed)
    }
}

fn parse_api_base_url(t: &Templates, source: &str) -> Result<Template, CatalogError> {
    let api_base_url = t.url_template("api_base_url", source)?;
    if api_base_url.source().contains('?') {
        return Err(t.cx.fail("api_base_url must not have a query".into()));
    }
    Ok(api_base_url)
}

/// The OAuth endpoints and options; `None` for the kinds that need none.
fn parse_auth(t: &Templates, auth: AuthFile) -> Result<Option<OAuth>, CatalogError> {
    let kind = auth.kind;
    match kind {
        AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials => {
            let token_url = auth
                .token_url
                .as_deref()
                .ok_or_else(|| t.cx.fail("auth.token_url is required for OAuth platforms".into()))?;
            let authorization_url = match (&auth.authorization_url, kind) {
                (Some(u), _) => Some(t.url_template("auth.authorization_url", u)?),
                (None, AuthKind::Oauth2) => {
                    return Err(t.cx.fail("auth.authorization_url is required for oauth2".into()))
                }
                (None, _) => None,
            };
            Ok(Some(OAuth {
                authorization_url,
                token_url: t.url_template("auth.token_url", token_url)?,
                revoke_url: auth.revoke_url.as_deref().map(|u| t.url_template("auth.revoke_url", u)).transpose()?,
                scopes: auth.scopes,
                scope_separator: auth.scope_separator.unwrap_or_else(|| " ".into()),
                authorization_params: auth.authorization_params,
                pkce: auth.pkce.unwrap_or(true),
            }))
        }
        AuthKind::ApiKey | AuthKind::Basic => Ok(None),
    }
}

/// Where the credential goes: headers, query parameters or basic auth, at least one of them.
fn parse_inject(t: &Templates, raw: &InjectFile) -> Result<Inject, CatalogError> {
    let mut inject = Inject::default();
    for (name, value) in &raw.headers {
        if !is_header_name(name) {
            return Err(t.cx.fail(format!("inject.headers: `{name}` is not a valid header name")));
        }
        inject.headers.push((name.to_ascii_lowercase(), t.template(&format!("inject.headers.{name}"), value)?));
    }
    for (name, value) in &raw.query {
        inject.query.push((name.clone(), t.template(&format!("inject.query.{name}"), value)?));
    }
    if let Some(basic) = &raw.basic {
        inject.basic = Some((
            t.template("inject.basic.username", &basic.username)?,
            t.template("inject.basic.password", &basic.password)?,
        ));
    }
    if inject.headers.is_empty() && inject.query.is_empty() && inject.basic.is_none() {
        return Err(t.cx.fail("inject must put the credential in a header, the query or basic auth".into()));
    }
    Ok(inject)
}

/// The request that proves a credential works.
fn parse_verify(t: &Templates, v: VerifyFile) -> Result<Verify, CatalogError> {
    let method = v.method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(t.cx.fail(format!("verify.method `{}` is not an HTTP method", v.method)));
    }
    if !v.path.starts_with('/') {
        return Err(t.cx.fail("verify.path must start with `/`".into()));
    }
    let mut headers = Vec::new();
    for (name, value) in &v.headers {
        if !is_header_name(name) {
            return Err(t.cx.fail(format!("verify.headers: `{name}` is not a valid header name")));
        }
        headers.push((name.to_ascii_lowercase(), t.template("verify.headers", value)?));
    }
    Ok(Verify { method, path: t.template("verify.path", &v.path)?, headers })
}

/// The platform's actions, each id `<slug>.<name>` and used once; `encoding` is the platform's
/// body encoding, which an action may override.
fn parse_actions(
    cx: &Ctx,
    slug: &str,
    raw: Vec<ActionFile>,
    encoding: BodyEncoding,
) -> Result<Vec<Action>, CatalogError> {
    let mut actions = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, a) in raw.into_iter().enumerate() {
        actions.push(parse_action(cx, slug, i, a, &mut ids, encoding)?);
    }
    Ok(actions)
}

/// One action; `ids` holds the ids of the actions before it, `encoding` is the platform's.
fn parse_action(
    cx: &Ctx,
    slug: &str,
    i: usize,
    a: ActionFile,
    ids: &mut BTreeSet<String>,
    encoding: BodyEncoding,
) -> Result<Action, CatalogError> {
    let prefix = format!("{slug}.");
    let ok_id = a.id.strip_prefix(&prefix).is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    if !ok_id {
        return Err(cx.fail(format!(
            "actions[{i}].id `{}` must be `{slug}.<name>` with lowercase letters, digits and `-`",
            a.id
        )));
    }
    if !ids.insert(a.id.clone()) {
        return Err(cx.fail(format!("actions[{i}].id `{}` is used twice", a.id)));
    }
    let method = a.method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(cx.fail(format!("actions[{i}].method `{}` is not an HTTP method", a.method)));
    }
    check_action_path(cx, i, &a.path)?;
    if a.title.trim().is_empty() {
        return Err(cx.fail(format!("actions[{i}].title must not be empty")));
    }
    if let Some(link) = &a.docs_url {
        cx.docs_link(&format!("actions[{i}].docs_url"), link)?;
    }
    let (path_params, query, body) = parse_action_inputs(cx, i, &a.path, a.params, a.query, a.body)?;
    Ok(Action {
        id: a.id,
        title: a.title,
        description: a.description.filter(|d| !d.trim().is_empty()),
        method,
        path: a.path,
        docs_url: a.docs_url,
        path_params,
        query,
        body,
        body_encoding: a.body_encoding.unwrap_or(encoding),
    })
}

type ActionInputs = (Vec<ActionParam>, Vec<ActionParam>, Option<serde_json::Value>);

/// An action's inputs: every path parameter (described where the file says), the query
/// parameters, and the body's schema, which must be an object schema.
fn parse_action_inputs(
    cx: &Ctx,
    i: usize,
    path: &str,
    mut params: BTreeMap<String, ParamFile>,
    query: BTreeMap<String, ParamFile>,
    body: Option<toml::Value>,
) -> Result<ActionInputs, CatalogError> {
    let names: Vec<&str> =
        path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
    if let Some(stray) = params.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(cx.fail(format!("actions[{i}].params.{stray} is not a `{{…}}` segment of the path")));
    }
    let path_params = names
        .iter()
        .map(|name| {
            let file = params.remove(*name).unwrap_or(ParamFile {
                description: None,
                required: true,
                schema: BTreeMap::new(),
            });
            action_param(cx, &format!("actions[{i}].params.{name}"), name, file, true)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let query = query
        .into_iter()
        .map(|(name, file)| {
            let required = file.required;
            action_param(cx, &format!("actions[{i}].query.{name}"), &name, file, required)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let body = match body {
        None => None,
        Some(value) => {
            let schema = to_json(&value);
            if schema.get("type").and_then(|t| t.as_str()) != Some("object") {
                return Err(cx.fail(format!("actions[{i}].body must be a JSON Schema with type = \"object\"")));
            }
            Some(schema)
        }
    };
    Ok((path_params, query, body))
}

fn action_param(cx: &Ctx, at: &str, name: &str, file: ParamFile, required: bool) -> Result<ActionParam, CatalogError> {
    if !is_identifier(name) {
        return Err(cx.fail(format!("{at}: `{name}` must be letters, digits and `_`")));
    }
    let mut schema = serde_json::Map::new();
    for (key, value) in file.schema {
        schema.insert(key, to_json(&value));
    }
    schema.entry("type").or_insert_with(|| serde_json::Value::String("string".into()));
    if let Some(description) = file.description.as_ref().filter(|d| !d.trim().is_empty()) {
        schema.insert("description".into(), serde_json::Value::String(description.clone()));
    }
    Ok(ActionParam { name: name.to_string(), description: file.description, required, schema: schema.into() })
}

/// A TOML value as JSON (TOML has no null; dates become strings).
fn to_json(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(n) => serde_json::Value::from(*n),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map(serde_json::Value::Number).unwrap_or_default(),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(table) => table.iter().map(|(k, v)| (k.clone(), to_json(v))).collect(),
    }
}

/// An action path starts with `/`, holds no `..` or query, and its parameters are whole segments.
fn check_action_path(cx: &Ctx, i: usize, path: &str) -> Result<(), CatalogError> {
    if !path.starts_with('/') || path.contains("..") || path.contains('?') {
        return Err(cx.fail(format!("actions[{i}].path `{path}` must start with `/` and hold no `..` or query")));
    }
    // Passthrough matches `{param}` against exactly one path segment, so a parameter sharing
    // a segment with text (`/tickets/{id}.json`) could never match a request.
    let bad_segment = path.split('/').find(|seg| {
        let param = seg.strip_prefix('{').and_then(|p| p.strip_suffix('}'));
        match param {
            Some(name) => !is_identifier(name),
            None => seg.contains(['{', '}']),
        }
    });
    if let Some(seg) = bad_segment {
        return Err(
            cx.fail(format!("actions[{i}].path segment `{seg}`: a parameter must be a whole segment, `{{name}}`"))
        );
    }
    Ok(())
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
