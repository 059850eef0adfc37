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

mod parse;
pub mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{include_dir, Dir};
use portico_wire::{AuthKind, FormField, PlatformSummary};
use regex::Regex;

pub use parse::parse_platform;
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

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Stable across releases: `<platform>.<name>`.
    pub id: String,
    pub title: String,
    /// What the endpoint does, for a person or an agent choosing it.
    pub description: Option<String>,
    pub method: String,
    /// `/repos/{owner}/{repo}/issues`: `{…}` segments match one path segment.
    pub path: String,
    pub docs_url: Option<String>,
    /// What each `{param}` of the path is (every one appears here, described or not).
    pub path_params: Vec<ActionParam>,
    /// Query parameters the endpoint documents.
    pub query: Vec<ActionParam>,
    /// A JSON Schema (an object schema) of the JSON body, where the endpoint takes one.
    pub body: Option<serde_json::Value>,
    /// How a body built from `body`'s schema goes on the wire.
    pub body_encoding: BodyEncoding,
}

/// How an action's body is sent: JSON, or `application/x-www-form-urlencoded` for APIs that take
/// forms (Stripe), with nested values as `metadata[key]=v` and `items[0][price]=p`. Set with
/// `body_encoding = "form"` on the platform (every action) or on one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    #[default]
    Json,
    Form,
}

/// One parameter of an action: a path segment or a query parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionParam {
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
    /// The JSON Schema of the value (`{"type": "string"}` unless the file says otherwise).
    pub schema: serde_json::Value,
}

impl Action {
    /// The names of the path's `{params}`, in order.
    pub fn path_param_names(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }
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
            if field.name.starts_with("connectionConfig.") && is_only_dots(value) {
                // `.` and `..` are path segments: in a templated API base they would move it.
                errors.push(FieldError {
                    field: field.name.clone(),
                    message: format!("{} cannot be made only of dots", field.label),
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

/// Whether `s` is a slug: 1 to 64 characters, each an ASCII lowercase letter, an ASCII digit or
/// `-`, the first one a letter or a digit (`google-drive`, `1password`; not `-x`, `Acme`, `a_b`).
/// Platform slugs and catalog categories follow this rule.
///
/// ```
/// use portico_catalog::is_slug;
/// assert!(is_slug("google-drive") && is_slug("1password") && is_slug(&"a".repeat(64)));
/// assert!(!is_slug("") && !is_slug("-x") && !is_slug("Acme") && !is_slug("a_b") && !is_slug(&"a".repeat(65)));
/// ```
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests;

/// Whether `value` is `.`, `..` or any other run of dots only: a dot segment wherever it lands in
/// a URL path. Connection settings never may be one, whatever a catalog file's pattern allows.
pub fn is_only_dots(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b == b'.')
}
