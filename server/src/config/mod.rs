//! Typed configuration, layered: defaults → an optional TOML file (`PORTICO_CONFIG`) → `PORTICO_…`
//! environment variables. Validated once at start-up, failing with a message that says what to set.
//! Secrets (vault keys, the database URL's password) are redacted in `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod layers;

use base64::Engine;
use serde::Deserialize;
use zeroize::Zeroizing;

/// A 32-byte AES-256 key from configuration.
#[derive(Clone)]
pub struct VaultKeyMaterial(pub Zeroizing<[u8; 32]>);

impl fmt::Debug for VaultKeyMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKeyMaterial(<redacted>)")
    }
}

impl VaultKeyMaterial {
    pub fn parse_base64(what: &str, text: &str) -> Result<Self, ConfigError> {
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| ConfigError::invalid(what, "is not valid base64"))?,
        );
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            ConfigError::invalid(
                what,
                &format!(
                    "must decode to exactly 32 bytes, got {} (generate one with `portico vault generate-key`)",
                    bytes.len()
                ),
            )
        })?;
        Ok(VaultKeyMaterial(Zeroizing::new(key)))
    }
}

/// Requests per minute per bucket; 0 switches a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Passthrough calls per connection.
    pub connection_per_minute: u64,
    /// Passthrough calls per secret key.
    pub key_per_minute: u64,
    /// AuthKit tokens minted per secret key.
    pub tokens_per_minute: u64,
    /// Connect-form submissions per AuthKit session (each may call the provider).
    pub forms_per_minute: u64,
    /// Requests per client address to each route anyone can call without a credential (connect
    /// links, the OAuth pages, the modal page) and failed secret-key checks.
    pub address_per_minute: u64,
}

impl RateLimits {
    /// Every limit switched off (benchmarks, and tests that set one limit at a time).
    pub const OFF: RateLimits = RateLimits {
        connection_per_minute: 0,
        key_per_minute: 0,
        tokens_per_minute: 0,
        forms_per_minute: 0,
        address_per_minute: 0,
    };
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            connection_per_minute: 600,
            key_per_minute: 6000,
            tokens_per_minute: 600,
            forms_per_minute: 10,
            address_per_minute: 300,
        }
    }
}

/// How passthrough (and every other request to a provider) reaches upstreams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassthroughSettings {
    /// Origins reachable even though they resolve to loopback or private addresses.
    pub allow_private: Vec<String>,
    pub connect_timeout: Duration,
    /// The whole call's limit.
    pub timeout: Duration,
    /// The longest `Retry-After` a retried call waits for.
    pub max_retry_wait: Duration,
}

impl Default for PassthroughSettings {
    fn default() -> Self {
        PassthroughSettings {
            allow_private: vec![],
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(60),
            max_retry_wait: Duration::from_secs(30),
        }
    }
}

/// How the HTTP server treats its clients' connections (review finding #3: slow clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a client has to send a request's headers, and to stay idle between requests on a
    /// kept-alive connection, before the connection is closed.
    pub header_timeout: Duration,
    /// Open client connections per process; further clients wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits { header_timeout: Duration::from_secs(15), max_connections: 10_000 }
    }
}

/// When OAuth access tokens are refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshSettings {
    /// Refresh an access token this long before it expires (at most half its lifetime).
    pub margin: Duration,
    /// How often the background sweep looks for tokens close to expiry (0 = never).
    pub sweep_interval: Duration,
    /// Consecutive failed refreshes after which a connection needs its user again.
    pub max_failures: u32,
}

impl Default for RefreshSettings {
    fn default() -> Self {
        RefreshSettings { margin: Duration::from_secs(300), sweep_interval: Duration::from_secs(60), max_failures: 3 }
    }
}

/// The defaults of the settings that are not in a group.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "data";
pub const DEFAULT_SITE_DIR: &str = "target/site";
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_MOCK_PROVIDER_URL: &str = "http://127.0.0.1:4010";
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_millis(2_000);

/// Where the vault keys come from.
#[derive(Debug, Clone)]
pub enum VaultKeys {
    /// The active key first, then retired keys still able to decrypt.
    Configured {
        active: VaultKeyMaterial,
        retired: Vec<VaultKeyMaterial>,
    },
    /// Demo mode without a configured key: generated once into the data directory.
    DemoFile(PathBuf),
    Missing,
}

/// A database URL whose password never reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(url.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("redacted"));
                write!(f, "{url}")
            }
            _ => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server binds (`PORTICO_LISTEN`).
    pub listen: SocketAddr,
    /// The origin browsers and providers reach Portico at, no trailing slash (`PORTICO_PUBLIC_URL`).
    pub public_url: String,
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    /// Built browser assets: the dashboard's `pkg/`, the modal's `modal/`, `embed.js`, logos.
    pub site_dir: PathBuf,
    pub catalog_dir: Option<PathBuf>,
    pub vault_keys: VaultKeys,
    pub token_ttl: Duration,
    /// Where the mock provider listens; fills `${portico.mockProviderUrl}` in the catalog.
    pub mock_provider_url: String,
    pub passthrough: PassthroughSettings,
    pub rate_limits: RateLimits,
    pub connections: ConnectionLimits,
    /// How long secret-key lookups and connection rows are cached (0 = not at all).
    pub cache_ttl: Duration,
    pub refresh: RefreshSettings,
    /// Demo mode: a generated vault key is acceptable.
    pub demo: bool,
    /// `json` or `pretty` log lines.
    pub log_format: LogFormat,
    /// Threads serving HTTP, each with its own single-threaded runtime (`PORTICO_WORKERS`; by
    /// default one per core). See [`crate::Application::run_on_workers`].
    pub workers: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {setting} {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    pub(crate) fn invalid(setting: &str, problem: &str) -> Self {
        ConfigError { setting: setting.to_string(), problem: problem.to_string() }
    }
}

impl Config {
    /// Reads the process environment (and the file it names).
    pub fn from_env(demo: bool) -> Result<Self, ConfigError> {
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars, demo)
    }

    /// Builds a configuration from a variable map: testable without touching the process
    /// environment. See [`layers`] for how each setting is read.
    pub fn from_vars(vars: &BTreeMap<String, String>, demo: bool) -> Result<Self, ConfigError> {
        layers::read(vars, demo)
    }

    /// A configuration for tests and the demo: everything under `data_dir`, bound to port 0.
    pub fn for_dir(data_dir: &Path, vault_key: [u8; 32]) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: "http://127.0.0.1:0".to_string(),
            database_url: DatabaseUrl::new(format!("sqlite://{}?mode=rwc", data_dir.join("portico.db").display())),
            data_dir: data_dir.to_path_buf(),
            site_dir: PathBuf::from(DEFAULT_SITE_DIR),
            catalog_dir: None,
            vault_keys: VaultKeys::Configured { active: VaultKeyMaterial(Zeroizing::new(vault_key)), retired: vec![] },
            token_ttl: DEFAULT_TOKEN_TTL,
            mock_provider_url: DEFAULT_MOCK_PROVIDER_URL.to_string(),
            passthrough: PassthroughSettings::default(),
            rate_limits: RateLimits::default(),
            connections: ConnectionLimits::default(),
            cache_ttl: DEFAULT_CACHE_TTL,
            refresh: RefreshSettings::default(),
            demo: false,
            log_format: LogFormat::Pretty,
            workers: 1,
        }
    }
}

pub(crate) const MAX_WORKERS: usize = 1024;

/// One serving thread per core the process may use.
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(MAX_WORKERS)
}

/// `scheme://host[:port]` with no path, lower-cased, no trailing slash.
pub fn parse_origin(setting: &str, text: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(text.trim())
        .map_err(|_| ConfigError::invalid(setting, &format!("`{text}` is not an absolute URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::invalid(setting, &format!("`{text}` must be an http(s) URL")));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::invalid(
            setting,
            &format!("`{text}` must be an origin (scheme, host and port) without a path"),
        ));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn defaults_are_local_and_sqlite() {
        let config = Config::from_vars(&vars(&[]), false).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.public_url, "http://127.0.0.1:8080");
        assert!(config.database_url.expose().starts_with("sqlite://data/portico.db"));
        assert!(matches!(config.vault_keys, VaultKeys::Missing));
    }

    #[test]
    fn demo_mode_generates_a_key_file_when_none_is_set() {
        let config = Config::from_vars(&vars(&[]), true).unwrap();
        assert!(matches!(config.vault_keys, VaultKeys::DemoFile(ref p) if p.ends_with("vault.key")));
        assert!(config.passthrough.allow_private.contains(&config.mock_provider_url));
    }

    #[test]
    fn rejects_a_key_that_is_not_32_bytes() {
        let err = Config::from_vars(&vars(&[("PORTICO_VAULT_KEY", "AAEC")]), false).unwrap_err();
        assert_eq!(err.setting, "PORTICO_VAULT_KEY");
        assert!(err.problem.contains("32 bytes"), "{err}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portico.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\npublic_url = \"https://auth.example.com\"\n").unwrap();
        let config = Config::from_vars(
            &vars(&[("PORTICO_CONFIG", file.to_str().unwrap()), ("PORTICO_LISTEN", "127.0.0.1:9100")]),
            false,
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9100);
        assert_eq!(config.public_url, "https://auth.example.com");
    }

    #[test]
    fn unknown_file_settings_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("portico.toml");
        std::fs::write(&file, "listne = \"x\"\n").unwrap();
        let err = Config::from_vars(&vars(&[("PORTICO_CONFIG", file.to_str().unwrap())]), false).unwrap_err();
        assert!(err.problem.contains("listne"), "{err}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = Config::from_vars(
            &vars(&[("PORTICO_VAULT_KEY", KEY), ("DATABASE_URL", "postgres://portico:hunter2@db/portico")]),
            false,
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains(KEY), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn public_url_must_be_an_origin() {
        let err = Config::from_vars(&vars(&[("PORTICO_PUBLIC_URL", "https://x.example/app")]), false).unwrap_err();
        assert!(err.problem.contains("origin"));
        let ok = Config::from_vars(&vars(&[("PORTICO_PUBLIC_URL", "https://X.example/")]), false).unwrap();
        assert_eq!(ok.public_url, "https://x.example");
    }

    #[test]
    fn workers_default_to_one_per_core_and_must_be_sensible() {
        let config = Config::from_vars(&vars(&[]), false).unwrap();
        assert_eq!(config.workers, std::thread::available_parallelism().unwrap().get());
        assert_eq!(Config::from_vars(&vars(&[("PORTICO_WORKERS", "3")]), false).unwrap().workers, 3);
        for bad in ["0", "-1", "two", "1025"] {
            let err = Config::from_vars(&vars(&[("PORTICO_WORKERS", bad)]), false).unwrap_err();
            assert_eq!(err.setting, "PORTICO_WORKERS", "{bad:?}");
            assert!(err.problem.contains("from 1 to 1024"), "{err}");
        }
    }
}
