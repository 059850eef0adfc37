//! Portico's server: the HTTP API, the modal's pages, the vault, the store and passthrough.
//!
//! `Application::build(Config)` wires everything; `main.rs` is a shim over [`cli`]. Tests start an
//! `Application` on port 0 with a fresh database. ARCHITECTURE.md maps these modules to the flow.
#![forbid(unsafe_code)]

pub mod authkit;
pub mod cache;
pub mod calls;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod credentials;
pub mod demo;
pub mod digest;
pub mod error;
pub mod events;
pub mod form;
pub mod keys;
pub mod lifecycle;
pub mod oauth;
pub mod passthrough;
pub mod ratelimit;
pub mod session;
pub mod store;
pub mod telemetry;
pub mod tenancy;
pub mod upstream;
pub mod vault;
pub mod web;
pub mod workspaces;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::FromRef;
use axum::Router;
use base64::Engine;
use leptos::config::LeptosOptions;
use leptos_axum::LeptosRoutes;
use portico_catalog::{Catalog, LoadVars};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::clock::{Clock, Entropy, OsEntropy, SystemClock};
use crate::config::{Config, VaultKeys};
use crate::error::ApiError;
use crate::store::Store;
use crate::upstream::PrivateAllowList;
use crate::vault::Vault;
use portico_wire::ErrorCode;

/// Everything a handler may use. Time and randomness come from here so tests control them.
/// Cloned per request by axum, so it is two `Arc`s: a clone is two atomic increments.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<AppStateInner>,
    /// For passthrough. Each serving thread has its own (see [`Application::run_on_workers`]),
    /// so a call and its pooled upstream connection stay on one core.
    pub passthrough: Arc<upstream::PassthroughClient>,
    /// The database, for handlers. A serving thread may have a pool of its own (see
    /// [`Store::for_worker`]); background tasks use the main one, `AppStateInner::store`.
    pub store: Store,
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.shared
    }
}

impl AppState {
    /// A serving thread's state: a passthrough client (so an upstream connection pool) of its own
    /// and, where the backend needs it, a database pool of its own, which is also returned so the
    /// thread can close it when it ends. Called on the thread's runtime.
    fn for_worker(&self) -> Result<(AppState, Option<Store>), StartupError> {
        let workers = u32::try_from(self.config.workers).unwrap_or(u32::MAX).max(1);
        let own_store = self.shared.store.for_worker((store::POSTGRES_CONNECTIONS / workers).max(2));
        let state = AppState {
            shared: self.shared.clone(),
            passthrough: Arc::new(passthrough_client(&self.config, &self.private_allow)?),
            store: own_store.clone().unwrap_or_else(|| self.shared.store.clone()),
        };
        Ok((state, own_store))
    }
}

fn passthrough_client(
    config: &Config,
    allow: &Arc<PrivateAllowList>,
) -> Result<upstream::PassthroughClient, StartupError> {
    upstream::PassthroughClient::new(config, allow.clone()).map_err(|e| StartupError::Tls(e.to_string()))
}

/// Secret-key rows (with the stored hash) by the presented key's hash.
pub type KeyCache = cache::TtlCache<[u8; 32], Arc<(store::secret_keys::SecretKeyRow, Vec<u8>)>>;

pub struct AppStateInner {
    pub config: Arc<Config>,
    pub store: Store,
    pub vault: Vault,
    pub catalog: Arc<Catalog>,
    /// For verification requests and token exchanges.
    pub http: reqwest::Client,
    pub private_allow: Arc<PrivateAllowList>,
    /// The catalog's API bases that need no connection settings, parsed once.
    pub api_bases: upstream::FixedBases,
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<dyn Entropy>,
    pub rate_limiter: Arc<ratelimit::RateLimiter>,
    pub call_log: calls::CallLog,
    /// Secret-key rows by key hash, with the stored hash.
    pub key_cache: Arc<KeyCache>,
    /// When this process last recorded each key's use (`last_used_at` is written once a minute).
    pub key_touches: Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>,
    /// Connection rows by scope and connection key (passthrough's lookups).
    pub connection_cache: Arc<cache::TtlCache<(tenancy::Scope, String), Arc<store::connections::ConnectionRow>>>,
    /// Single-flight OAuth token refreshes.
    pub refresher: Arc<oauth::refresh::Refresher>,
    pub leptos: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("catalog: {0}")]
    Catalog(#[from] portico_catalog::CatalogError),
    #[error("vault: {0}")]
    Vault(String),
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

/// Loads the vault key ring; in demo mode without a configured key, generates one once into the
/// data directory and says so loudly.
pub fn load_vault(config: &Config, entropy: Arc<dyn Entropy>) -> Result<Vault, StartupError> {
    match &config.vault_keys {
        VaultKeys::Configured { active, retired } => {
            let retired: Vec<&[u8; 32]> = retired.iter().map(|k| &*k.0).collect();
            Ok(Vault::new(&active.0, &retired, entropy))
        }
        VaultKeys::DemoFile(path) => {
            let key = if path.exists() {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| StartupError::Vault(format!("cannot read {}: {e}", path.display())))?;
                config::VaultKeyMaterial::parse_base64(&path.display().to_string(), &text)?
            } else {
                let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
                entropy.fill(&mut *bytes);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| StartupError::Vault(format!("cannot create {}: {e}", dir.display())))?;
                }
                let text = base64::engine::general_purpose::STANDARD.encode(*bytes);
                write_private_file(path, text.as_bytes())
                    .map_err(|e| StartupError::Vault(format!("cannot write {}: {e}", path.display())))?;
                config::VaultKeyMaterial(bytes)
            };
            tracing::warn!(
                file = %path.display(),
                "DEMO MODE: the vault key is a generated file next to the database. Anyone with both \
                 can read every stored credential. Set PORTICO_VAULT_KEY for real use."
            );
            Ok(Vault::new(&key.0, &[], entropy))
        }
        VaultKeys::Missing => Err(StartupError::Vault(
            "PORTICO_VAULT_KEY is not set. Generate a key with `portico vault generate-key` and set \
             PORTICO_VAULT_KEY to it (base64, 32 bytes), or run `portico demo` to try Portico."
                .into(),
        )),
    }
}

/// Writes a file only its owner can read.
pub fn write_private_file(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        file.write_all(contents)
    }
    #[cfg(not(unix))]
    {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
        file.write_all(contents)
    }
}

/// Refuses to start when stored credentials are sealed under a key the ring lacks: better a clear
/// start-up error than every passthrough call failing later.
async fn check_vault_covers_store(vault: &Vault, store: &Store) -> Result<(), StartupError> {
    let status = vault::rotation::status(store, vault).await?;
    if let Some(key) = status.keys.iter().find(|k| k.state == "unknown" && k.records > 0) {
        return Err(StartupError::Vault(format!(
            "the database holds {} secret(s) sealed with vault key {}, which is not configured. Add \
             that key to PORTICO_VAULT_RETIRED_KEYS (or restore PORTICO_VAULT_KEY).",
            key.records, key.key_id
        )));
    }
    Ok(())
}

/// Waits (at most 10 s) for the call log to write the calls served so far.
async fn flush_call_log(state: &AppState) {
    if tokio::time::timeout(std::time::Duration::from_secs(10), state.call_log.flush()).await.is_err() {
        tracing::warn!("the passthrough call log did not finish writing within 10 s of shutdown");
    }
}

/// Binds the HTTP listener. With several workers each binds a socket of its own to the same
/// address (`SO_REUSEPORT`): one shared socket would let whichever thread wakes first accept a
/// whole burst of connections and leave the other cores idle.
fn bind_listener(addr: SocketAddr, shared_port: bool) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    #[cfg(unix)]
    {
        // As `TcpListener::bind` does: a restarted server can bind while old connections linger.
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(shared_port)?;
    }
    #[cfg(not(unix))]
    let _ = shared_port;
    socket.bind(addr)?;
    socket.listen(1024)
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Self::build_with(config, Arc::new(SystemClock), Arc::new(OsEntropy)).await
    }

    /// Builds with the given clock and entropy (tests pass a manual clock).
    pub async fn build_with(
        mut config: Config,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
    ) -> Result<Self, StartupError> {
        let listener = bind_listener(config.listen, config.workers > 1)
            .map_err(|source| StartupError::Listen { addr: config.listen, source })?;
        let local = listener.local_addr().map_err(|source| StartupError::Listen { addr: config.listen, source })?;
        if config.listen.port() == 0 {
            // Bound to a free port (tests): the public URL follows the real port.
            config.public_url = format!("http://{local}");
        }
        let vault = load_vault(&config, entropy.clone())?;
        let store = Store::connect(&config.database_url).await?;
        check_vault_covers_store(&vault, &store).await?;
        let catalog = Catalog::load(
            &LoadVars { mock_provider_url: Some(config.mock_provider_url.clone()) },
            config.catalog_dir.as_deref(),
        )?;
        tracing::info!(platforms = catalog.len(), "catalog loaded");
        let private_allow = Arc::new(PrivateAllowList::new(&config.passthrough_allow_private));
        let http = upstream::build_client(&config, private_allow.clone());
        let passthrough = Arc::new(passthrough_client(&config, &private_allow)?);
        let leptos = LeptosOptions::builder()
            .output_name("portico")
            .site_root(config.site_dir.display().to_string())
            .site_pkg_dir("pkg")
            .build();
        let rate_limiter = ratelimit::RateLimiter::new(store.clone(), clock.clone());
        ratelimit::RateLimiter::spawn_sync(rate_limiter.clone());
        let call_log = calls::CallLog::spawn(store.clone());
        let ttl_ms = config.cache_ttl.as_millis() as i64;
        let key_cache = Arc::new(cache::TtlCache::new(ttl_ms, clock.clone()));
        let connection_cache = Arc::new(cache::TtlCache::new(ttl_ms, clock.clone()));
        let api_bases = upstream::FixedBases::new(catalog.iter().map(|p| p.as_ref()));
        let shared = Arc::new(AppStateInner {
            config: Arc::new(config),
            store,
            vault,
            catalog: Arc::new(catalog),
            http,
            private_allow,
            api_bases,
            clock,
            entropy,
            rate_limiter,
            call_log,
            key_cache,
            key_touches: Default::default(),
            connection_cache,
            refresher: Arc::new(oauth::refresh::Refresher::new(format!(
                "{}-{}",
                std::process::id(),
                clock::random_hex(&OsEntropy, 8)
            ))),
            leptos,
        });
        let state = AppState { store: shared.store.clone(), shared, passthrough };
        oauth::refresh::spawn_sweep(state.clone());
        Ok(Application { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until the future `shutdown` resolves, then lets the calls in flight finish and the
    /// call log write what it holds.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let served =
            axum::serve(self.listener, build_router(self.state.clone())).with_graceful_shutdown(shutdown).await;
        flush_call_log(&self.state).await;
        served
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves on `config.workers` threads until `shutdown` resolves, the way nginx's workers do:
    /// each thread runs a single-threaded runtime with a listening socket of its own on the same
    /// port (`SO_REUSEPORT`: the kernel spreads new connections evenly across them) and a
    /// passthrough client of its own, and serves its connections to the end. A passthrough call,
    /// its pooled upstream connection and the answer then stay on one core; on a work-stealing
    /// runtime they hop between cores, which costs more CPU per call than the call's own work.
    ///
    /// On PostgreSQL each thread also has a database pool of its own ([`Store::for_worker`]),
    /// closed when the thread ends: a connection's socket belongs to the runtime that opened it.
    /// Background work (the call log's writer, the refresh sweep, rate-limit syncing) stays on the
    /// runtime that built the application, with the main pool; that runtime must outlive this
    /// call. With one worker (or off Unix) this is [`Application::run_until`] on the caller's
    /// runtime.
    pub async fn run_on_workers(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let addr = self.local_addr();
        let listen_error = move |source| StartupError::Listen { addr, source };
        let workers = self.state.config.workers;
        if workers <= 1 || cfg!(not(unix)) {
            return self.run_until(shutdown).await.map_err(listen_error);
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        // A worker that fails stops the others, as the shutdown signal does.
        let (failed, mut failure) = tokio::sync::mpsc::unbounded_channel::<StartupError>();
        let mut first_listener = Some(self.listener.into_std().map_err(listen_error)?);
        let mut threads = Vec::with_capacity(workers);
        for index in 0..workers {
            let listener = first_listener.take();
            let state = self.state.clone();
            let mut stopped = stopped.clone();
            let failed = failed.clone();
            let thread = std::thread::Builder::new()
                .name(format!("portico-w{index}"))
                .spawn(move || {
                    let serve = async move {
                        let (state, own_store) = state.for_worker()?;
                        let listener = match listener {
                            Some(listener) => TcpListener::from_std(listener),
                            None => bind_listener(addr, true),
                        }
                        .map_err(listen_error)?;
                        let served = axum::serve(listener, build_router(state))
                            .with_graceful_shutdown(async move {
                                let _ = stopped.wait_for(|stop| *stop).await;
                            })
                            .await
                            .map_err(listen_error);
                        if let Some(store) = own_store {
                            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), store.close()).await;
                        }
                        served
                    };
                    let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(listen_error)
                            .and_then(|runtime| runtime.block_on(serve))
                    }))
                    .unwrap_or_else(|_| {
                        Err(listen_error(std::io::Error::other(format!("serving thread {index} panicked"))))
                    });
                    if let Err(e) = served {
                        let _ = failed.send(e);
                    }
                })
                .map_err(listen_error)?;
            threads.push(thread);
        }
        drop(failed);
        let result = tokio::select! {
            () = shutdown => Ok(()),
            Some(e) = failure.recv() => Err(e),
        };
        let _ = stop.send(true);
        // Panics were caught in the threads and reported above: joining only waits for them.
        let _ = tokio::task::spawn_blocking(move || threads.into_iter().for_each(|t| drop(t.join()))).await;
        flush_call_log(&self.state).await;
        result
    }
}

/// The OpenAPI document's fixed parts; the paths come from the routers themselves.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Portico API",
        description = "Self-hosted integration auth: AuthKit tokens for the connect modal, the connections vault, and passthrough to the connected platforms' APIs. Errors are `{\"error\":{\"code\",\"message\"}}`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "AuthKit", description = "Tokens the host's backend mints for the modal"),
        (name = "Connections", description = "The vault's connections (secret key)"),
        (name = "Passthrough", description = "Calls to a connection's platform API"),
        (name = "Catalog", description = "Integrations and their actions"),
        (name = "Events", description = "What happened to connections"),
        (name = "Modal", description = "Used by Portico's own modal with its AuthKit token"),
        (name = "Health", description = "Probes"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "secret_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-portico-secret",
                "A secret key (sk_test_… / sk_live_…). Also accepted as `Authorization: Bearer` or Pica's `x-pica-secret`.",
            ))),
        );
        components.add_security_scheme(
            "authkit_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An AuthKit token (akt_…), as the modal holds it."))
                    .build(),
            ),
        );
    }
}

/// The JSON API's router and its OpenAPI document, built together: a route cannot exist without
/// its documentation, and the document is the table of routes the isolation tests walk.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi;
    utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(authkit::router())
        .merge(connections::router())
        .merge(catalog::router())
        .merge(passthrough::router())
        .merge(calls::router())
        .merge(oauth::flow::api_router())
        .merge(events::api::router())
        .merge(web::probes())
        .split_for_parts()
}

fn build_router(state: AppState) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let summaries: Vec<portico_wire::PlatformSummary> = state.catalog.iter().map(|p| p.summary()).collect();
    let dashboard_context = portico_app::DashboardContext { platforms: Arc::new(summaries) };
    let routes = leptos_axum::generate_route_list(portico_app::App);
    let leptos_options = state.leptos.clone();
    let server_fn_context = dashboard_context.clone();
    let router = Router::new()
        .merge(api)
        .route("/openapi.json", axum::routing::get(move || async move { axum::Json(openapi.as_ref().clone()) }))
        .merge(web::router(&state))
        .merge(oauth::flow::pages())
        .route(
            "/dashboard/api/{*fn_name}",
            axum::routing::post(move |request: axum::extract::Request| {
                let context = server_fn_context.clone();
                leptos_axum::handle_server_fns_with_context(
                    move || leptos::context::provide_context(context.clone()),
                    request,
                )
            }),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || leptos::context::provide_context(dashboard_context.clone()),
            move || portico_app::shell(leptos_options.clone()),
        )
        .fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!("No route for {method} {}", uri.path()),
            )
        });
    web::security_headers(router)
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .with_state(state)
}
