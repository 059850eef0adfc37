//! What the dashboard asks of the server: the types both sides share, the typed error, and the
//! server functions (`/dashboard/api/{endpoint}`, JSON in and out).
//!
//! Every server function but `whoami` takes the session's CSRF token as `csrf`; the server
//! checks it (and the `Origin`) before the function runs, and answers 403 without it. Every
//! function about a workspace takes its id and resolves it, on the server, to a checked handle:
//! a workspace the operator is not a member of is `NotFound`.

mod connections;
mod events;
mod keys;
mod origins;

pub use connections::*;
pub use events::*;
pub use keys::*;
pub use origins::*;

use leptos::prelude::*;
use leptos::server_fn::codec::{Json, JsonEncoding};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use portico_wire::PlatformSummary;
use serde::{Deserialize, Serialize};

/// Test or live: each workspace has both, with their own settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Test,
    Live,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Live => "live",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(Environment::Test),
            "live" => Some(Environment::Live),
            _ => None,
        }
    }
}

/// Errors of the dashboard's server functions, typed so the page words them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DashboardError {
    #[error("your session has ended; sign in again")]
    NotSignedIn,
    #[error("this request was refused (the page may be stale); reload it and try again")]
    Forbidden,
    #[error("this does not exist, or you are not a member of its workspace")]
    NotFound,
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("the server could not do this just now; try again in a moment")]
    Unavailable,
    #[error("the catalog is not available on this server")]
    CatalogUnavailable,
    #[error("the server could not be reached: {0}")]
    Transport(String),
}

impl FromServerFnError for DashboardError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        DashboardError::Transport(value.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    /// `owner` or `member`.
    pub role: String,
}

/// Who is signed in, the CSRF token of their session and their workspaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub email: String,
    pub csrf: String,
    pub workspaces: Vec<WorkspaceSummary>,
}

/// An OAuth app as the dashboard may see it: never its secret, only the secret's last four.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthAppSummary {
    pub platform: String,
    pub client_id: String,
    /// The secret's last four characters.
    pub secret_hint: String,
}

/// A workspace environment's integration settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationState {
    pub workspace_name: String,
    pub enabled: Vec<String>,
    pub oauth_apps: Vec<OAuthAppSummary>,
}

/// One platform's OAuth app, for its configuration panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthAppDetail {
    pub platform: String,
    pub platform_name: String,
    pub client_id: Option<String>,
    pub secret_hint: Option<String>,
    pub scopes: Vec<String>,
    pub default_scopes: Vec<String>,
    pub redirect_uri: String,
    pub console_url: Option<String>,
}

/// What an operator asks to save; an empty `client_secret` keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthAppInput {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
}

/// One line of the "recent changes" list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub at_ms: i64,
    pub operator: String,
    /// `integration.enabled`, `integration.disabled`, `oauth_app.updated`.
    pub name: String,
    pub platform: String,
}

/// The server's side of the dashboard, implemented by `portico` for the signed-in operator of
/// the request being served.
#[cfg(feature = "ssr")]
pub trait DashboardBackend: Send + Sync + 'static {
    fn session_info(&self) -> BoxFuture<'_, SessionInfo>;
    fn integration_state(&self, workspace: String, environment: Environment) -> BoxFuture<'_, IntegrationState>;
    fn set_enabled(
        &self,
        workspace: String,
        environment: Environment,
        platforms: Vec<String>,
        enabled: bool,
    ) -> BoxFuture<'_, IntegrationState>;
    fn oauth_app(&self, workspace: String, environment: Environment, platform: String)
        -> BoxFuture<'_, OAuthAppDetail>;
    fn put_oauth_app(
        &self,
        workspace: String,
        environment: Environment,
        platform: String,
        input: OAuthAppInput,
    ) -> BoxFuture<'_, OAuthAppDetail>;
    fn recent_changes(&self, workspace: String, environment: Environment) -> BoxFuture<'_, Vec<Change>>;
    fn list_keys(&self, workspace: String, environment: Environment, page: i64) -> BoxFuture<'_, KeyPage>;
    fn create_key(&self, workspace: String, environment: Environment, label: String) -> BoxFuture<'_, CreatedKey>;
    fn revoke_key(&self, workspace: String, environment: Environment, id: String) -> BoxFuture<'_, ()>;
    fn list_origins(&self, workspace: String) -> BoxFuture<'_, OriginList>;
    fn add_origin(&self, workspace: String, origin: String) -> BoxFuture<'_, OriginList>;
    fn remove_origin(&self, workspace: String, origin: String) -> BoxFuture<'_, OriginList>;
    fn list_events(&self, workspace: String, environment: Environment, query: EventQuery) -> BoxFuture<'_, EventRows>;
    fn list_connections(
        &self,
        workspace: String,
        environment: Environment,
        query: ConnectionQuery,
    ) -> BoxFuture<'_, ConnectionRows>;
    fn connection_detail(
        &self,
        workspace: String,
        environment: Environment,
        id: String,
    ) -> BoxFuture<'_, ConnectionDetail>;
    fn delete_connection(&self, workspace: String, environment: Environment, id: String) -> BoxFuture<'_, ()>;
}

#[cfg(feature = "ssr")]
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, DashboardError>> + Send + 'a>>;

/// What the server provides to the dashboard's pages and server functions.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct DashboardContext {
    pub platforms: std::sync::Arc<Vec<PlatformSummary>>,
    /// Builds the backend for the request being served (it reads the signed-in operator from it).
    pub backend: std::sync::Arc<dyn Fn() -> std::sync::Arc<dyn DashboardBackend> + Send + Sync>,
}

#[cfg(feature = "ssr")]
fn context() -> Result<DashboardContext, DashboardError> {
    use_context::<DashboardContext>().ok_or(DashboardError::Unavailable)
}

#[cfg(feature = "ssr")]
fn backend() -> Result<std::sync::Arc<dyn DashboardBackend>, DashboardError> {
    Ok((context()?.backend)())
}

#[server(prefix = "/dashboard/api", endpoint = "list_platforms", input = Json)]
pub async fn list_platforms(csrf: String) -> Result<Vec<PlatformSummary>, DashboardError> {
    let _ = csrf; // checked before the function runs
    Ok((*context()?.platforms).clone())
}

#[server(prefix = "/dashboard/api", endpoint = "whoami", input = Json)]
pub async fn whoami() -> Result<SessionInfo, DashboardError> {
    backend()?.session_info().await
}

#[server(prefix = "/dashboard/api", endpoint = "get_integrations", input = Json)]
pub async fn get_integrations(
    csrf: String,
    workspace: String,
    environment: Environment,
) -> Result<IntegrationState, DashboardError> {
    let _ = csrf;
    backend()?.integration_state(workspace, environment).await
}

#[server(prefix = "/dashboard/api", endpoint = "set_enabled", input = Json)]
pub async fn set_enabled(
    csrf: String,
    workspace: String,
    environment: Environment,
    platforms: Vec<String>,
    enabled: bool,
) -> Result<IntegrationState, DashboardError> {
    let _ = csrf;
    backend()?.set_enabled(workspace, environment, platforms, enabled).await
}

#[server(prefix = "/dashboard/api", endpoint = "oauth_app", input = Json)]
pub async fn oauth_app(
    csrf: String,
    workspace: String,
    environment: Environment,
    platform: String,
) -> Result<OAuthAppDetail, DashboardError> {
    let _ = csrf;
    backend()?.oauth_app(workspace, environment, platform).await
}

#[server(prefix = "/dashboard/api", endpoint = "put_oauth_app", input = Json)]
pub async fn put_oauth_app(
    csrf: String,
    workspace: String,
    environment: Environment,
    platform: String,
    input: OAuthAppInput,
) -> Result<OAuthAppDetail, DashboardError> {
    let _ = csrf;
    backend()?.put_oauth_app(workspace, environment, platform, input).await
}

#[server(prefix = "/dashboard/api", endpoint = "recent_changes", input = Json)]
pub async fn recent_changes(
    csrf: String,
    workspace: String,
    environment: Environment,
) -> Result<Vec<Change>, DashboardError> {
    let _ = csrf;
    backend()?.recent_changes(workspace, environment).await
}

/// The endpoints that need no CSRF token: they change nothing and answer only the session's own
/// holder (the cookie is SameSite=Lax and the Origin is checked).
pub const CSRF_EXEMPT: &[&str] = &["whoami"];

/// Every server function's endpoint, for the tests that walk them all.
pub const ENDPOINTS: &[&str] = &[
    "whoami",
    "list_platforms",
    "get_integrations",
    "set_enabled",
    "oauth_app",
    "put_oauth_app",
    "recent_changes",
    "list_keys",
    "create_key",
    "revoke_key",
    "list_origins",
    "add_origin",
    "remove_origin",
    "list_events",
    "list_connections",
    "get_connection",
    "delete_connection",
];
