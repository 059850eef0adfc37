//! The demo host app: "Acme Notes", a SaaS on its own origin. Its page loads Portico's script tag
//! like any third-party app; its backend holds the secret key, mints AuthKit tokens for the
//! signed-in user (sign-in-less here: a fixed "current user") and calls the user's connections
//! through Portico's passthrough, checking first that the connection is that user's.
#![forbid(unsafe_code)]

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct DemoHostConfig {
    /// Portico's public URL (the script tag and the API).
    pub portico_url: String,
    /// The host's test secret key; stays in this backend.
    pub secret_key: String,
    /// The users the page can switch between; the first is the default.
    pub users: Vec<String>,
}

impl fmt::Debug for DemoHostConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DemoHostConfig")
            .field("portico_url", &self.portico_url)
            .field("secret_key", &"<redacted>")
            .field("users", &self.users)
            .finish()
    }
}

#[derive(Clone)]
struct HostState {
    config: Arc<DemoHostConfig>,
    http: reqwest::Client,
}

pub struct DemoHost {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl DemoHost {
    pub fn spawn(listener: TcpListener, config: DemoHostConfig) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let app = router(config);
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "demo host stopped");
            }
        });
        Ok(DemoHost { addr, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn router(config: DemoHostConfig) -> Router {
    let state = HostState { config: Arc::new(config), http: reqwest::Client::new() };
    Router::new()
        .route("/", get(page))
        .route("/api/portico-token", post(token))
        .route("/api/connections", get(connections))
        .route("/api/call", post(call))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
struct UserQuery {
    user: Option<String>,
}

impl HostState {
    /// The "signed-in" user: `?user=` when it is one of the demo users, else the first.
    fn current_user(&self, requested: Option<&str>) -> String {
        requested
            .filter(|u| self.config.users.iter().any(|known| known == u))
            .map(str::to_string)
            .unwrap_or_else(|| self.config.users.first().cloned().unwrap_or_else(|| "demo-user-1".into()))
    }

    fn portico(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.config.portico_url))
            .header("x-portico-secret", &self.config.secret_key)
    }
}

async fn relay(response: Result<reqwest::Response, reqwest::Error>) -> Response {
    match response {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = r.bytes().await.unwrap_or_default();
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"error": {"code": "portico_unreachable", "message": format!("Portico could not be reached: {}", e.without_url())}})),
        )
            .into_response(),
    }
}

/// The token endpoint the loader calls from the page (same origin, so the host's session cookie
/// would go along in a real app).
async fn token(State(state): State<HostState>, Query(q): Query<UserQuery>) -> Response {
    let user = state.current_user(q.user.as_deref());
    let request = state
        .portico(reqwest::Method::POST, "/v1/authkit/token")
        .json(&json!({"identity": user, "identityType": "user"}));
    relay(request.send().await).await
}

async fn connections(State(state): State<HostState>, Query(q): Query<UserQuery>) -> Response {
    let user = state.current_user(q.user.as_deref());
    let request = state
        .portico(reqwest::Method::GET, "/v1/vault/connections")
        .query(&[("identity", user.as_str()), ("identityType", "user")]);
    relay(request.send().await).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallRequest {
    connection_key: String,
    #[serde(default = "default_path")]
    path: String,
}

fn default_path() -> String {
    "me".to_string()
}

/// Calls the provider through Portico's passthrough, after checking the connection belongs to
/// the current user: Portico scopes by workspace, the host scopes by its own users.
async fn call(State(state): State<HostState>, Query(q): Query<UserQuery>, Json(body): Json<CallRequest>) -> Response {
    let user = state.current_user(q.user.as_deref());
    if !body.connection_key.ends_with(&format!("|{user}")) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": {"code": "not_yours", "message": "That connection belongs to another user."}})),
        )
            .into_response();
    }
    let path = body.path.trim_start_matches('/');
    let response = state
        .portico(reqwest::Method::GET, &format!("/v1/passthrough/{path}"))
        .header("x-portico-connection-key", &body.connection_key)
        .send()
        .await;
    match response {
        Ok(r) => {
            let status = r.status().as_u16();
            let data: Value = r.json().await.unwrap_or(Value::Null);
            Json(json!({"status": status, "data": data})).into_response()
        }
        Err(e) => relay(Err(e)).await,
    }
}

async fn page(State(state): State<HostState>, Query(q): Query<UserQuery>) -> Html<String> {
    let user = state.current_user(q.user.as_deref());
    let users: String = state
        .config
        .users
        .iter()
        .map(|u| {
            let selected = if *u == user { " selected" } else { "" };
            format!("<option value=\"{u}\"{selected}>{u}</option>")
        })
        .collect();
    Html(PAGE.replace("{{PORTICO}}", &state.config.portico_url).replace("{{USER}}", &user).replace("{{USERS}}", &users))
}

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Notes — Portico demo host</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1f2330; background: #f5f6fa; }
  body { max-width: 760px; margin: 40px auto; padding: 0 20px; }
  header { display: flex; justify-content: space-between; align-items: center; }
  .card { background: white; border-radius: 12px; padding: 20px 24px; margin: 16px 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  button { font: inherit; padding: 8px 16px; border-radius: 8px; border: 1px solid #4f46e5; background: #4f46e5; color: white; cursor: pointer; }
  button.secondary { background: white; color: #4f46e5; }
  code, pre { background: #eef0f6; border-radius: 6px; padding: 2px 6px; font-size: 13px; }
  pre { padding: 12px; overflow: auto; }
  li { margin: 8px 0; }
  .muted { color: #6b7080; font-size: 14px; }
  .error { color: #b42318; }
</style>
</head>
<body>
<header>
  <h1>Acme Notes</h1>
  <label class="muted">Signed in as
    <select id="user" onchange="location.search='?user='+encodeURIComponent(this.value)">{{USERS}}</select>
  </label>
</header>
<p class="muted">A demo SaaS on its own origin. It embeds Portico with one script tag; its backend keeps
the secret key and never sees the credentials its users connect.</p>

<section class="card">
  <h2>Integrations</h2>
  <p>Connect the <b>Mock Provider</b> with the API key <code>mock_demo_key_2026</code>.</p>
  <button id="connect" data-testid="connect">Connect an integration</button>
  <p id="status" data-testid="status" class="muted" aria-live="polite"></p>
</section>

<section class="card">
  <h2>Your connections</h2>
  <ul id="connections" data-testid="connections"><li class="muted">Loading…</li></ul>
  <pre id="call-result" data-testid="call-result" hidden></pre>
</section>

<script src="{{PORTICO}}/embed.js"></script>
<script>
  const user = "{{USER}}";
  const q = "?user=" + encodeURIComponent(user);
  const status = document.getElementById("status");
  const list = document.getElementById("connections");
  const result = document.getElementById("call-result");

  async function loadConnections() {
    const res = await fetch("/api/connections" + q);
    const body = await res.json();
    if (!res.ok) { list.innerHTML = ""; const li = document.createElement("li"); li.className = "error"; li.textContent = body.error ? body.error.message : "Could not load connections"; list.append(li); return; }
    list.innerHTML = "";
    if (body.rows.length === 0) { const li = document.createElement("li"); li.className = "muted"; li.textContent = "No connections yet."; list.append(li); }
    for (const c of body.rows) {
      const li = document.createElement("li");
      li.dataset.key = c.key;
      const name = document.createElement("b"); name.textContent = c.name + " ";
      const key = document.createElement("code"); key.textContent = c.key;
      const btn = document.createElement("button"); btn.className = "secondary"; btn.textContent = "Call /me through Portico";
      btn.dataset.testid = "call"; btn.setAttribute("data-testid", "call");
      btn.onclick = async () => {
        const r = await fetch("/api/call" + q, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ connectionKey: c.key }) });
        result.hidden = false;
        result.textContent = JSON.stringify(await r.json(), null, 2);
      };
      li.append(name, key, document.createTextNode(" "), btn);
      list.append(li);
    }
  }

  // `?locale=fr` (or `?theme=dark`) on this page is passed to the modal, to try its languages.
  const pageParams = new URLSearchParams(location.search);
  const kit = Portico.create({
    tokenUrl: "/api/portico-token" + q,
    locale: pageParams.get("locale") || undefined,
    theme: pageParams.get("theme") || undefined,
    onSuccess(connection) {
      status.className = "";
      status.textContent = "Connected " + connection.platform + ": " + connection.key;
      status.dataset.connectionKey = connection.key;
      loadConnections();
    },
    onError(error) {
      status.className = "error";
      status.textContent = "Error (" + error.code + "): " + error.message;
    },
    onClose() {
      if (!status.dataset.connectionKey) { status.className = "muted"; status.textContent = "The window was closed."; }
    },
  });
  document.getElementById("connect").addEventListener("click", () => kit.open());
  loadConnections();
</script>
</body>
</html>
"##;
