//! The mock provider: a small third-party API that speaks real HTTP, so the demo and every test
//! run without the internet. It demands an API key (`Authorization: Bearer <key>`) from the set
//! it was started with, keeps items per key in memory, and has an echo endpoint that shows
//! exactly what reached it (the tests use it to prove which headers Portico forwards).
//!
//! It is also an OAuth 2.0 authorization server (`oauth`): the API accepts the access tokens it
//! issues as well as the API keys.
#![forbid(unsafe_code)]

mod faults;
mod oauth;

pub use oauth::{OAuthClient, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// The key the demo tells its users to paste; tests use it too.
pub const DEMO_API_KEY: &str = "mock_demo_key_2026";

#[derive(Debug, Clone)]
pub struct MockConfig {
    /// API keys the mock accepts.
    pub api_keys: Vec<String>,
    /// OAuth clients the authorization server knows.
    pub oauth_clients: Vec<OAuthClient>,
    /// Lifetime of issued access tokens; changeable at run time through `/_control/oauth`, like
    /// the two settings below.
    pub access_token_ttl_secs: u64,
    /// Whether a refresh issues a new refresh token and retires the old one.
    pub rotate_refresh_tokens: bool,
    /// Whether authorization requests must carry a PKCE S256 challenge.
    pub require_pkce: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            api_keys: vec![DEMO_API_KEY.to_string()],
            oauth_clients: vec![OAuthClient::demo()],
            access_token_ttl_secs: 3600,
            rotate_refresh_tokens: false,
            require_pkce: true,
        }
    }
}

/// Counters a test can read to see what reached the provider.
#[derive(Debug, Default)]
pub struct MockStats {
    pub api_requests: AtomicU64,
    pub rejected_requests: AtomicU64,
    /// Every request to `/oauth/token`, whatever its outcome.
    pub token_requests: AtomicU64,
    pub authorization_code_grants: AtomicU64,
    pub refresh_grants: AtomicU64,
    pub client_credentials_grants: AtomicU64,
    /// Token requests answered with an error (injected or not).
    pub failed_token_requests: AtomicU64,
    /// Successful requests to `/oauth/revoke`.
    pub revocations: AtomicU64,
    /// Consent pages shown by `GET /oauth/authorize`.
    pub authorize_pages: AtomicU64,
}

#[derive(Clone)]
pub(crate) struct MockState {
    config: Arc<MockConfig>,
    stats: Arc<MockStats>,
    items: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    /// Call counters of the `/api/flaky/{name}` endpoints.
    flaky: Arc<Mutex<HashMap<String, Arc<std::sync::atomic::AtomicU64>>>>,
    oauth: oauth::OAuthState,
}

/// A running mock provider.
pub struct MockProvider {
    pub addr: SocketAddr,
    pub stats: Arc<MockStats>,
    task: tokio::task::JoinHandle<()>,
}

impl MockProvider {
    /// Serves on `listener` until dropped.
    pub fn spawn(listener: TcpListener, config: MockConfig) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let stats = Arc::new(MockStats::default());
        let app = router(config, stats.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await {
                tracing::error!(error = %e, "mock provider stopped");
            }
        });
        Ok(MockProvider { addr, stats, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn router(config: MockConfig, stats: Arc<MockStats>) -> Router {
    let state = MockState {
        oauth: oauth::OAuthState::new(&config),
        config: Arc::new(config),
        stats,
        items: Default::default(),
        flaky: Default::default(),
    };
    Router::new()
        .merge(faults::router())
        .merge(oauth::router())
        .route("/", get(index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/me", get(me))
        .route("/api/items", get(list_items).post(create_item))
        .route("/api/items/{id}", get(get_item))
        .route("/api/echo", any(echo))
        .route("/api/echo/{*rest}", any(echo))
        .with_state(state)
}

async fn index() -> Html<&'static str> {
    Html(
        "<!doctype html><title>Portico mock provider</title><h1>Portico mock provider</h1>\
         <p>A stand-in third-party API for Portico's demo and tests. API: <code>GET /api/me</code>, \
         <code>GET|POST /api/items</code>, <code>ANY /api/echo</code>, <code>GET /api/connection</code>, each with \
         <code>Authorization: Bearer &lt;API key or OAuth access token&gt;</code>.</p>\
         <h2>OAuth 2.0</h2><p>Authorization code grant with PKCE (S256), refresh tokens and client \
         credentials. Client: <code>mock_client_demo</code> / <code>mock_secret_demo_2026</code>.</p>\
         <ul><li><code>GET|POST /oauth/authorize</code> — consent page and decision</li>\
         <li><code>POST /oauth/token</code> — authorization_code, refresh_token, client_credentials</li>\
         <li><code>POST /oauth/revoke</code> — RFC 7009 revocation</li></ul>\
         <h2>Test control (no auth)</h2><ul>\
         <li><code>GET|POST /_control/oauth</code> — token lifetime, refresh rotation, PKCE, \
         injected token failures</li>\
         <li><code>POST /_control/oauth/revoke-all</code> — the user revokes every grant</li>\
         <li><code>POST /_control/oauth/reset</code> — start-up settings, counters zeroed</li>\
         <li><code>GET /_control/oauth/stats</code> — token endpoint counters</li></ul>",
    )
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": code, "message": message}))).into_response()
}

/// Who called the API.
pub(crate) enum Caller {
    ApiKey(String),
    /// The holder of a live OAuth access token: always the mock's one OAuth account.
    OAuth,
}

impl Caller {
    /// Whose items the caller sees.
    fn items_key(&self) -> String {
        match self {
            Caller::ApiKey(key) => key.clone(),
            Caller::OAuth => format!("oauth:{}", oauth::OAUTH_ACCOUNT_ID),
        }
    }
}

/// Why the API refused a request: the 401 a real provider would send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unauthorized {
    MissingCredentials,
    InvalidAuthorization,
    InvalidApiKey,
    /// An OAuth access token that expired or whose grant was revoked (RFC 6750 §3.1).
    InvalidToken,
}

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let (code, message) = match self {
            Unauthorized::MissingCredentials => ("missing_credentials", "Send Authorization: Bearer <api key>."),
            Unauthorized::InvalidAuthorization => ("invalid_authorization", "Use the Bearer scheme."),
            Unauthorized::InvalidApiKey => ("invalid_api_key", "This API key is not valid."),
            Unauthorized::InvalidToken => ("invalid_token", "The access token expired or was revoked."),
        };
        let mut response = error(StatusCode::UNAUTHORIZED, code, message);
        if self == Unauthorized::InvalidToken {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
        }
        response
    }
}

/// The caller: an API key or a live OAuth access token.
pub(crate) fn authenticate(state: &MockState, headers: &HeaderMap) -> Result<Caller, Unauthorized> {
    state.stats.api_requests.fetch_add(1, Ordering::Relaxed);
    let reject = |why: Unauthorized| {
        state.stats.rejected_requests.fetch_add(1, Ordering::Relaxed);
        Err(why)
    };
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return reject(Unauthorized::MissingCredentials);
    };
    let Some(key) = value.strip_prefix("Bearer ") else {
        return reject(Unauthorized::InvalidAuthorization);
    };
    if state.config.api_keys.iter().any(|k| k == key) {
        return Ok(Caller::ApiKey(key.to_string()));
    }
    match state.oauth.check_bearer(key) {
        oauth::BearerCheck::Valid => Ok(Caller::OAuth),
        oauth::BearerCheck::Invalid => reject(Unauthorized::InvalidToken),
        oauth::BearerCheck::NotOAuth => reject(Unauthorized::InvalidApiKey),
    }
}

async fn me(State(state): State<MockState>, headers: HeaderMap) -> Response {
    match authenticate(&state, &headers) {
        Ok(Caller::ApiKey(key)) => Json(json!({
            "id": "mock-account-1",
            "name": "Mock Account",
            "email": "account@mock.invalid",
            "plan": "demo",
            "keyHint": format!("…{}", &key[key.len().saturating_sub(4)..]),
        }))
        .into_response(),
        Ok(Caller::OAuth) => Json(json!({
            "id": oauth::OAUTH_ACCOUNT_ID,
            "name": "Mock OAuth Account",
            "email": "oauth@mock.invalid",
            "plan": "demo",
        }))
        .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

async fn list_items(State(state): State<MockState>, headers: HeaderMap) -> Response {
    match authenticate(&state, &headers) {
        Ok(caller) => {
            let items = state.items.lock().map(|m| m.get(&caller.items_key()).cloned().unwrap_or_default());
            match items {
                Ok(items) => Json(json!({"items": items})).into_response(),
                Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "lock poisoned"),
            }
        }
        Err(rejection) => rejection.into_response(),
    }
}

async fn create_item(State(state): State<MockState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let key = match authenticate(&state, &headers) {
        Ok(caller) => caller.items_key(),
        Err(rejection) => return rejection.into_response(),
    };
    let Ok(Value::Object(mut item)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_body", "Send a JSON object.");
    };
    let Ok(mut items) = state.items.lock() else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "lock poisoned");
    };
    let list = items.entry(key).or_default();
    item.insert("id".into(), json!(format!("item-{}", list.len() + 1)));
    let item = Value::Object(item);
    list.push(item.clone());
    (StatusCode::CREATED, Json(item)).into_response()
}

async fn get_item(State(state): State<MockState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let key = match authenticate(&state, &headers) {
        Ok(caller) => caller.items_key(),
        Err(rejection) => return rejection.into_response(),
    };
    let found = state
        .items
        .lock()
        .ok()
        .and_then(|items| items.get(&key).and_then(|l| l.iter().find(|i| i["id"] == id.as_str()).cloned()));
    match found {
        Some(item) => Json(item).into_response(),
        None => error(StatusCode::NOT_FOUND, "not_found", "No such item."),
    }
}

/// Answers with what arrived: method, path, query, headers and body size. Authenticated like the
/// rest of the API, so a test sees the injected credential arrive and nothing else.
async fn echo(State(state): State<MockState>, request: Request) -> Response {
    if let Err(rejection) = authenticate(&state, request.headers()) {
        return rejection.into_response();
    }
    let (parts, body) = request.into_parts();
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), json!(String::from_utf8_lossy(v.as_bytes()))))
        .collect();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    Json(json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers,
        "bodyBytes": body.len(),
        "body": String::from_utf8_lossy(&body),
    }))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn start() -> MockProvider {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        MockProvider::spawn(listener, MockConfig::default()).unwrap()
    }

    #[tokio::test]
    async fn demands_a_known_api_key() {
        let mock = start().await;
        let client = reqwest::Client::new();
        let url = format!("{}/api/me", mock.url());
        let none = client.get(&url).send().await.unwrap();
        assert_eq!(none.status(), 401);
        let wrong = client.get(&url).bearer_auth("mock_wrong_key_000").send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        let body: Value = wrong.json().await.unwrap();
        assert_eq!(body["error"], "invalid_api_key");
        let right = client.get(&url).bearer_auth(DEMO_API_KEY).send().await.unwrap();
        assert_eq!(right.status(), 200);
        let body: Value = right.json().await.unwrap();
        assert_eq!(body["id"], "mock-account-1");
        assert_eq!(mock.stats.api_requests.load(Ordering::Relaxed), 3);
        assert_eq!(mock.stats.rejected_requests.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn keeps_items_per_key() {
        let mock = start().await;
        let client = reqwest::Client::new();
        let url = format!("{}/api/items", mock.url());
        let created =
            client.post(&url).bearer_auth(DEMO_API_KEY).json(&json!({"title": "first"})).send().await.unwrap();
        assert_eq!(created.status(), 201);
        let list: Value = client.get(&url).bearer_auth(DEMO_API_KEY).send().await.unwrap().json().await.unwrap();
        assert_eq!(list["items"][0]["title"], "first");
        let one = client.get(format!("{url}/item-1")).bearer_auth(DEMO_API_KEY).send().await.unwrap();
        assert_eq!(one.status(), 200);
    }

    #[tokio::test]
    async fn echo_reports_what_arrived() {
        let mock = start().await;
        let body: Value = reqwest::Client::new()
            .put(format!("{}/api/echo/a/b?x=1", mock.url()))
            .bearer_auth(DEMO_API_KEY)
            .header("x-custom", "yes")
            .body("hello")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["method"], "PUT");
        assert_eq!(body["path"], "/api/echo/a/b");
        assert_eq!(body["query"], "x=1");
        assert_eq!(body["headers"]["x-custom"], "yes");
        assert_eq!(body["bodyBytes"], 5);
    }
}
