//! `TestApp`: one running Portico (plus its mock provider) with a fresh database, and a client
//! that speaks its API.

use std::path::PathBuf;
use std::sync::{Arc, Once};

use portico::clock::{ManualClock, OsEntropy};
use portico::config::{Config, DatabaseUrl};
use portico::store::Store;
use portico::tenancy::{Environment, Scope, WorkspaceId};
use portico::workspaces::CreatedWorkspace;
use portico::Application;
use portico_mock::{MockConfig, MockProvider, DEMO_API_KEY};
use portico_wire::{ConnectionList, ConnectionView, ErrorBody, ErrorCode, TokenResponse};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

pub const API_KEY: &str = DEMO_API_KEY;
pub const WRONG_API_KEY: &str = "mock_wrong_key_0000";
pub const HOST_ORIGIN: &str = "http://host.example:4000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestApp)` once per backend, as `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

pub struct Workspace {
    pub id: WorkspaceId,
    pub test_key: String,
    pub live_key: String,
}

impl Workspace {
    pub fn scope(&self, environment: Environment) -> Scope {
        Scope { workspace_id: self.id.clone(), environment }
    }
}

pub struct TestApp {
    pub url: String,
    pub backend: Backend,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub store: Store,
    pub mock: MockProvider,
    pub dir: tempfile::TempDir,
    /// A workspace with `mock` enabled in both environments and HOST_ORIGIN allowed.
    pub workspace: Workspace,
    /// The configuration this server started with (for replicas on the same database).
    pub config: Config,
    /// The running server's state (its vault, catalog, refresh engine…).
    pub state: portico::AppState,
    server: tokio::task::JoinHandle<Result<(), portico::StartupError>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub struct Replica {
    pub url: String,
    pub state: portico::AppState,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.server.abort();
    }
}

static POSTGRES_NOTICE: Once = Once::new();

/// The PostgreSQL server for tests: `PORTICO_TEST_POSTGRES_URL`, or the machine's default. When
/// the variable is set (as `cargo xtask test` does when the server answers), PostgreSQL is
/// required; `off`, or an unreachable default, skips with a notice.
fn postgres_base() -> Option<(String, bool)> {
    match std::env::var("PORTICO_TEST_POSTGRES_URL") {
        Ok(v) if v == "off" => None,
        Ok(v) if !v.is_empty() => Some((v, true)),
        _ => Some(("postgres://postgres@127.0.0.1:5432/test".to_string(), false)),
    }
}

fn skip_postgres(why: &str) {
    POSTGRES_NOTICE.call_once(|| eprintln!("NOTICE: PostgreSQL tests skipped: {why}"));
}

async fn fresh_postgres_database() -> Option<String> {
    let Some((base, required)) = postgres_base() else {
        skip_postgres("PORTICO_TEST_POSTGRES_URL=off");
        return None;
    };
    let mut admin = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) if !required => {
            skip_postgres(&format!("{base} is not reachable ({e})"));
            return None;
        }
        Err(e) => panic!("PostgreSQL at {base} is required but unreachable: {e}"),
    };
    let name = format!("portico_test_{}", portico::clock::random_hex(&OsEntropy, 8));
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create test database");
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    Some(format!("{prefix}/{name}"))
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Spawns with a chance to adjust the configuration first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mock_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
        let mock = MockProvider::spawn(mock_listener, MockConfig::default()).expect("mock provider");
        let mut config = Config::for_dir(dir.path(), [42u8; 32]);
        if backend == Backend::Postgres {
            config.database_url = DatabaseUrl::new(fresh_postgres_database().await?);
        }
        config.mock_provider_url = mock.url();
        config.passthrough.allow_private = vec![mock.url()];
        config.site_dir = PathBuf::from(dir.path()).join("site");
        adjust(&mut config);
        let base_config = config.clone();
        let clock = ManualClock::starting_now();
        let app =
            Application::build_with(config, clock.clone(), Arc::new(OsEntropy)).await.expect("application builds");
        let url = format!("http://{}", app.local_addr());
        let store = app.state().store.clone();
        let state = app.state().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // As `portico serve` runs it: on `config.workers` threads when there are several.
        let server = tokio::spawn(app.run_on_workers(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let workspace = create_workspace(&store, "Acme", clock.as_ref()).await;
        Some(TestApp {
            url,
            backend,
            client,
            clock,
            store,
            mock,
            dir,
            workspace,
            config: base_config,
            state,
            server,
            stop: Some(stop),
        })
    }

    /// Stops the server as a shutdown signal does and waits until it has (at most 10 s).
    pub async fn stop(&mut self) -> Result<(), portico::StartupError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(std::time::Duration::from_secs(10), &mut self.server)
            .await
            .expect("the server stops within 10 s")
            .expect("the server task ends without panicking")
    }

    /// Another Portico on the same database, mock provider and clock (a replica, or the same
    /// deployment restarted), with `adjust` applied to its configuration.
    pub async fn spawn_replica(&self, adjust: impl FnOnce(&mut Config)) -> Result<Replica, portico::StartupError> {
        let mut config = self.config.clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        adjust(&mut config);
        let app = Application::build_with(config, self.clock.clone(), Arc::new(OsEntropy)).await?;
        let url = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let server = tokio::spawn(async move {
            let _ = app.run_until_stopped().await;
        });
        Ok(Replica { url, state, server })
    }

    pub async fn new_workspace(&self, name: &str) -> Workspace {
        create_workspace(&self.store, name, self.clock.as_ref()).await
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.url))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.url))
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.url))
    }

    /// Mints an AuthKit token for `identity` (type user) with `secret`.
    pub async fn mint_token(&self, secret: &str, identity: &str) -> String {
        self.mint_token_response(secret, identity).await.token
    }

    /// Mints an AuthKit token for `identity` (type user) with `secret`; returns the whole answer.
    pub async fn mint_token_response(&self, secret: &str, identity: &str) -> TokenResponse {
        let response = self
            .post("/v1/authkit/token")
            .header("x-portico-secret", secret)
            .json(&json!({"identity": identity, "identityType": "user"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// Submits the mock provider's connect form under `token`.
    pub async fn submit_mock_form(&self, token: &str, api_key: &str) -> reqwest::Response {
        self.post("/v1/authkit/connections")
            .bearer_auth(token)
            .json(&json!({"platform": "mock", "fields": {"apiKey": api_key}}))
            .send()
            .await
            .unwrap()
    }

    /// Connects the mock provider for `identity` with the right key; returns the connection.
    pub async fn connect_mock(&self, secret: &str, identity: &str) -> ConnectionView {
        let token = self.mint_token(secret, identity).await;
        let response = self.submit_mock_form(&token, API_KEY).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn list_connections(&self, secret: &str, query: &str) -> ConnectionList {
        let response =
            self.get(&format!("/v1/vault/connections{query}")).header("x-portico-secret", secret).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

async fn create_workspace(store: &Store, name: &str, clock: &ManualClock) -> Workspace {
    use portico::clock::Clock;
    let now = clock.now_ms();
    let created: CreatedWorkspace =
        portico::workspaces::create_workspace(store, &OsEntropy, now, name, &[HOST_ORIGIN.to_string()])
            .await
            .expect("workspace");
    let id = WorkspaceId::parse(&created.workspace_id).unwrap();
    for environment in Environment::ALL {
        store.enable_integration(&Scope { workspace_id: id.clone(), environment }, "mock", now).await.unwrap();
    }
    Workspace { id, test_key: created.test_secret_key, live_key: created.live_secret_key }
}

/// Asserts the body is `{"error":{"code": code, "message": non-empty}}`.
pub async fn assert_error(response: reqwest::Response, status: StatusCode, code: ErrorCode) -> ErrorBody {
    assert_eq!(response.status(), status);
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(content_type.starts_with("application/json"), "content type {content_type}");
    let text = response.text().await.unwrap();
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not an error body ({e}): {text}"));
    assert_eq!(body.error.code, code, "{text}");
    assert!(!body.error.message.is_empty(), "{text}");
    body
}

/// Sends one HTTP/1.1 request exactly as written (no client-side URL normalisation, which would
/// resolve `%2e%2e` before it left) and returns the status and body.
pub async fn raw_request(app: &TestApp, method: &str, target: &str, headers: &[(&str, &str)]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}
