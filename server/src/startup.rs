//! Start-up: [`Application::build`] reads the vault key ring, opens and migrates the database,
//! loads the catalog and builds the shared state; `run_until` serves on the caller's runtime.
//! Serving on several threads is in [`crate::workers`], the routes in [`crate::routes`].

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use leptos::config::LeptosOptions;
use portico_catalog::{Catalog, LoadVars};
use tokio::net::TcpListener;

use crate::clock::{self, Clock, Entropy, OsEntropy, SystemClock};
use crate::config::{self, Config, VaultKeys};
use crate::routes::build_router;
use crate::state::{AppState, AppStateInner};
use crate::store::{self, Store};
use crate::upstream::{self, PrivateAllowList};
use crate::vault::{self, Vault};
use crate::{cache, calls, oauth, ratelimit};

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
pub(crate) async fn flush_call_log(state: &AppState) {
    if tokio::time::timeout(std::time::Duration::from_secs(10), state.call_log.flush()).await.is_err() {
        tracing::warn!("the passthrough call log did not finish writing within 10 s of shutdown");
    }
}

pub struct Application {
    pub(crate) listener: TcpListener,
    pub(crate) state: AppState,
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
        let private_allow = Arc::new(PrivateAllowList::new(&config.passthrough.allow_private));
        let http = upstream::build_client(&config, private_allow.clone())
            .map_err(|e| StartupError::Tls(format!("the outbound HTTP client: {e}")))?;
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
        let enabled_cache = Arc::new(cache::TtlCache::new(ttl_ms, clock.clone()));
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
            enabled_cache,
            refresher: Arc::new(oauth::refresh::Refresher::new(format!(
                "{}-{}",
                std::process::id(),
                clock::random_hex(&OsEntropy, 8)
            ))),
            leptos,
        });
        let state = AppState { store: shared.store.clone(), shared, passthrough };
        oauth::refresh::spawn_sweep(state.clone());
        crate::housekeeping::spawn(state.clone());
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
        let limits = self.state.config.connections;
        let served = crate::serve::serve(self.listener, build_router(self.state.clone()), limits, shutdown).await;
        flush_call_log(&self.state).await;
        served
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }
}

pub(crate) fn passthrough_client(
    config: &Config,
    allow: &Arc<PrivateAllowList>,
) -> Result<upstream::PassthroughClient, StartupError> {
    upstream::PassthroughClient::new(config, allow.clone()).map_err(|e| StartupError::Tls(e.to_string()))
}

/// Binds the HTTP listener. With several workers each binds a socket of its own to the same
/// address (`SO_REUSEPORT`): one shared socket would let whichever thread wakes first accept a
/// whole burst of connections and leave the other cores idle.
pub(crate) fn bind_listener(addr: SocketAddr, shared_port: bool) -> std::io::Result<TcpListener> {
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
