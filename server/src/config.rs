//! Typed configuration, layered: defaults → an optional TOML file (`PORTICO_CONFIG`) → `PORTICO_…`
//! environment variables. Validated once at start-up, failing with a message that says what to set.
//! Secrets (vault keys, the database URL's password) are redacted in `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Connect-form submissions per AuthKit token (each may call the provider).
    pub forms_per_minute: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits { connection_per_minute: 600, key_per_minute: 6000, tokens_per_minute: 600, forms_per_minute: 10 }
    }
}

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
    /// Origins passthrough may reach even though they resolve to loopback or private addresses.
    pub passthrough_allow_private: Vec<String>,
    pub passthrough_connect_timeout: Duration,
    pub passthrough_timeout: Duration,
    /// The longest `Retry-After` a retried passthrough call waits for.
    pub passthrough_max_retry_wait: Duration,
    pub rate_limits: RateLimits,
    /// How long secret-key lookups and connection rows are cached (0 = not at all).
    pub cache_ttl: Duration,
    /// Refresh an access token this long before it expires (at most half its lifetime).
    pub refresh_margin: Duration,
    /// How often the background sweep looks for tokens close to expiry (0 = never).
    pub refresh_sweep_interval: Duration,
    /// Consecutive failed refreshes after which a connection needs its user again.
    pub refresh_max_failures: u32,
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
    fn invalid(setting: &str, problem: &str) -> Self {
        ConfigError { setting: setting.to_string(), problem: problem.to_string() }
    }
}

/// The file layer: every setting optional, same names as the environment variables without the
/// `PORTICO_` prefix, in lower case (`listen`, `public_url`, `vault_key`…).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    listen: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    data_dir: Option<String>,
    site_dir: Option<String>,
    catalog_dir: Option<String>,
    vault_key: Option<String>,
    vault_retired_keys: Option<Vec<String>>,
    token_ttl_secs: Option<u64>,
    mock_provider_url: Option<String>,
    passthrough_allow_private: Option<Vec<String>>,
    passthrough_connect_timeout_ms: Option<u64>,
    passthrough_timeout_ms: Option<u64>,
    passthrough_max_retry_wait_ms: Option<u64>,
    rate_limit_connection_per_minute: Option<u64>,
    rate_limit_key_per_minute: Option<u64>,
    rate_limit_tokens_per_minute: Option<u64>,
    rate_limit_forms_per_minute: Option<u64>,
    cache_ttl_ms: Option<u64>,
    refresh_margin_secs: Option<u64>,
    refresh_sweep_secs: Option<u64>,
    refresh_max_failures: Option<u32>,
    log_format: Option<LogFormat>,
    workers: Option<usize>,
}

impl Config {
    /// Reads the process environment (and the file it names).
    pub fn from_env(demo: bool) -> Result<Self, ConfigError> {
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars, demo)
    }

    /// Builds a configuration from a variable map: testable without touching the process
    /// environment.
    pub fn from_vars(vars: &BTreeMap<String, String>, demo: bool) -> Result<Self, ConfigError> {
        let file: FileSettings = match vars.get("PORTICO_CONFIG") {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::invalid("PORTICO_CONFIG", &format!("cannot read {path}: {e}")))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::invalid("PORTICO_CONFIG", &format!("{path}: {}", e.message())))?
            }
            None => FileSettings::default(),
        };
        let env = |name: &str| vars.get(name).filter(|v| !v.trim().is_empty()).cloned();

        let listen_text = env("PORTICO_LISTEN").or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".to_string());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| ConfigError::invalid("PORTICO_LISTEN", "must be an address such as 127.0.0.1:8080"))?;

        let public_url = match env("PORTICO_PUBLIC_URL").or(file.public_url) {
            Some(url) => parse_origin("PORTICO_PUBLIC_URL", &url)?,
            None => {
                let host = if listen.ip().is_unspecified() { "localhost".to_string() } else { listen.ip().to_string() };
                format!("http://{host}:{}", listen.port())
            }
        };

        let data_dir = PathBuf::from(env("PORTICO_DATA_DIR").or(file.data_dir).unwrap_or_else(|| "data".to_string()));
        let database_url = match env("DATABASE_URL").or(file.database_url) {
            Some(url) => {
                if !(url.starts_with("sqlite:") || url.starts_with("postgres")) {
                    return Err(ConfigError::invalid("DATABASE_URL", "must start with sqlite: or postgres://"));
                }
                DatabaseUrl::new(url)
            }
            None => DatabaseUrl::new(format!("sqlite://{}?mode=rwc", data_dir.join("portico.db").display())),
        };
        let site_dir = PathBuf::from(
            env("PORTICO_SITE_DIR")
                .or(env("LEPTOS_SITE_ROOT"))
                .or(file.site_dir)
                .unwrap_or_else(|| "target/site".to_string()),
        );
        let catalog_dir = env("PORTICO_CATALOG_DIR").or(file.catalog_dir).map(PathBuf::from);
        if let Some(dir) = &catalog_dir {
            if !dir.is_dir() {
                return Err(ConfigError::invalid(
                    "PORTICO_CATALOG_DIR",
                    &format!("{} is not a directory", dir.display()),
                ));
            }
        }

        let vault_keys = match env("PORTICO_VAULT_KEY").or(file.vault_key) {
            Some(active) => {
                let active = VaultKeyMaterial::parse_base64("PORTICO_VAULT_KEY", &active)?;
                let retired_texts: Vec<String> = match env("PORTICO_VAULT_RETIRED_KEYS") {
                    Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
                    None => file.vault_retired_keys.unwrap_or_default(),
                };
                let retired = retired_texts
                    .iter()
                    .filter(|s| !s.is_empty())
                    .map(|s| VaultKeyMaterial::parse_base64("PORTICO_VAULT_RETIRED_KEYS", s))
                    .collect::<Result<Vec<_>, _>>()?;
                VaultKeys::Configured { active, retired }
            }
            None if demo => VaultKeys::DemoFile(data_dir.join("vault.key")),
            None => VaultKeys::Missing,
        };

        let token_ttl_secs = match env("PORTICO_TOKEN_TTL_SECS") {
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| ConfigError::invalid("PORTICO_TOKEN_TTL_SECS", "must be a number of seconds"))?,
            None => file.token_ttl_secs.unwrap_or(15 * 60),
        };
        if !(30..=24 * 3600).contains(&token_ttl_secs) {
            return Err(ConfigError::invalid("PORTICO_TOKEN_TTL_SECS", "must be between 30 seconds and 24 hours"));
        }

        let mock_provider_url = parse_origin(
            "PORTICO_MOCK_PROVIDER_URL",
            &env("PORTICO_MOCK_PROVIDER_URL")
                .or(file.mock_provider_url)
                .unwrap_or_else(|| "http://127.0.0.1:4010".to_string()),
        )?;

        let mut passthrough_allow_private = match env("PORTICO_PASSTHROUGH_ALLOW_PRIVATE") {
            Some(list) => list
                .split(',')
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .map(|s| parse_origin("PORTICO_PASSTHROUGH_ALLOW_PRIVATE", s))
                .collect::<Result<Vec<_>, _>>()?,
            None => file
                .passthrough_allow_private
                .unwrap_or_default()
                .iter()
                .map(|s| parse_origin("passthrough_allow_private", s))
                .collect::<Result<Vec<_>, _>>()?,
        };
        if demo && !passthrough_allow_private.contains(&mock_provider_url) {
            passthrough_allow_private.push(mock_provider_url.clone());
        }

        let millis = |name: &str, file_value: Option<u64>, default: u64| -> Result<Duration, ConfigError> {
            let ms = match env(name) {
                Some(v) => {
                    v.parse::<u64>().map_err(|_| ConfigError::invalid(name, "must be a number of milliseconds"))?
                }
                None => file_value.unwrap_or(default),
            };
            if ms == 0 {
                return Err(ConfigError::invalid(name, "must be greater than zero"));
            }
            Ok(Duration::from_millis(ms))
        };
        let passthrough_connect_timeout =
            millis("PORTICO_PASSTHROUGH_CONNECT_TIMEOUT_MS", file.passthrough_connect_timeout_ms, 5_000)?;
        let passthrough_timeout = millis("PORTICO_PASSTHROUGH_TIMEOUT_MS", file.passthrough_timeout_ms, 60_000)?;
        let passthrough_max_retry_wait =
            millis("PORTICO_PASSTHROUGH_MAX_RETRY_WAIT_MS", file.passthrough_max_retry_wait_ms, 30_000)?;

        let per_minute = |name: &str, file_value: Option<u64>, default: u64| -> Result<u64, ConfigError> {
            match env(name) {
                Some(v) => v
                    .parse::<u64>()
                    .map_err(|_| ConfigError::invalid(name, "must be a number of requests per minute (0 = no limit)")),
                None => Ok(file_value.unwrap_or(default)),
            }
        };
        let defaults = RateLimits::default();
        let rate_limits = RateLimits {
            connection_per_minute: per_minute(
                "PORTICO_RATE_LIMIT_CONNECTION_PER_MINUTE",
                file.rate_limit_connection_per_minute,
                defaults.connection_per_minute,
            )?,
            key_per_minute: per_minute(
                "PORTICO_RATE_LIMIT_KEY_PER_MINUTE",
                file.rate_limit_key_per_minute,
                defaults.key_per_minute,
            )?,
            tokens_per_minute: per_minute(
                "PORTICO_RATE_LIMIT_TOKENS_PER_MINUTE",
                file.rate_limit_tokens_per_minute,
                defaults.tokens_per_minute,
            )?,
            forms_per_minute: per_minute(
                "PORTICO_RATE_LIMIT_FORMS_PER_MINUTE",
                file.rate_limit_forms_per_minute,
                defaults.forms_per_minute,
            )?,
        };

        let cache_ttl_ms = match env("PORTICO_CACHE_TTL_MS") {
            Some(v) => v.parse::<u64>().map_err(|_| {
                ConfigError::invalid("PORTICO_CACHE_TTL_MS", "must be a number of milliseconds (0 = no cache)")
            })?,
            None => file.cache_ttl_ms.unwrap_or(2_000),
        };
        if cache_ttl_ms > 60_000 {
            return Err(ConfigError::invalid(
                "PORTICO_CACHE_TTL_MS",
                "must be at most 60000: revocations must not take longer than a minute to reach every replica",
            ));
        }

        let seconds = |name: &str, file_value: Option<u64>, default: u64, max: u64| -> Result<Duration, ConfigError> {
            let value = match env(name) {
                Some(v) => {
                    v.parse::<u64>().map_err(|_| ConfigError::invalid(name, "must be a whole number of seconds"))?
                }
                None => file_value.unwrap_or(default),
            };
            if value > max {
                return Err(ConfigError::invalid(name, &format!("must be at most {max} seconds")));
            }
            Ok(Duration::from_secs(value))
        };
        let refresh_margin = seconds("PORTICO_REFRESH_MARGIN_SECS", file.refresh_margin_secs, 300, 86_400)?;
        let refresh_sweep_interval = seconds("PORTICO_REFRESH_SWEEP_SECS", file.refresh_sweep_secs, 60, 86_400)?;
        let refresh_max_failures = match env("PORTICO_REFRESH_MAX_FAILURES") {
            Some(v) => v.parse::<u32>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
                ConfigError::invalid("PORTICO_REFRESH_MAX_FAILURES", "must be a whole number from 1 to 100")
            })?,
            None => file.refresh_max_failures.unwrap_or(3),
        };

        let log_format = match env("PORTICO_LOG_FORMAT") {
            Some(v) if v == "json" => LogFormat::Json,
            Some(v) if v == "pretty" => LogFormat::Pretty,
            Some(_) => return Err(ConfigError::invalid("PORTICO_LOG_FORMAT", "must be json or pretty")),
            None => file.log_format.unwrap_or(LogFormat::Pretty),
        };

        let workers = match env("PORTICO_WORKERS") {
            Some(v) => v.parse::<usize>().ok(),
            None => Some(file.workers.unwrap_or_else(default_workers)),
        }
        .filter(|n| (1..=MAX_WORKERS).contains(n))
        .ok_or_else(|| {
            ConfigError::invalid("PORTICO_WORKERS", &format!("must be a whole number from 1 to {MAX_WORKERS}"))
        })?;

        Ok(Config {
            listen,
            public_url,
            database_url,
            data_dir,
            site_dir,
            catalog_dir,
            vault_keys,
            token_ttl: Duration::from_secs(token_ttl_secs),
            mock_provider_url,
            passthrough_allow_private,
            passthrough_connect_timeout,
            passthrough_timeout,
            passthrough_max_retry_wait,
            rate_limits,
            cache_ttl: Duration::from_millis(cache_ttl_ms),
            refresh_margin,
            refresh_sweep_interval,
            refresh_max_failures,
            demo,
            log_format,
            workers,
        })
    }

    /// A configuration for tests and the demo: everything under `data_dir`, bound to port 0.
    pub fn for_dir(data_dir: &Path, vault_key: [u8; 32]) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: "http://127.0.0.1:0".to_string(),
            database_url: DatabaseUrl::new(format!("sqlite://{}?mode=rwc", data_dir.join("portico.db").display())),
            data_dir: data_dir.to_path_buf(),
            site_dir: PathBuf::from("target/site"),
            catalog_dir: None,
            vault_keys: VaultKeys::Configured { active: VaultKeyMaterial(Zeroizing::new(vault_key)), retired: vec![] },
            token_ttl: Duration::from_secs(15 * 60),
            mock_provider_url: "http://127.0.0.1:4010".to_string(),
            passthrough_allow_private: vec![],
            passthrough_connect_timeout: Duration::from_secs(5),
            passthrough_timeout: Duration::from_secs(60),
            passthrough_max_retry_wait: Duration::from_secs(30),
            rate_limits: RateLimits::default(),
            cache_ttl: Duration::from_millis(2_000),
            refresh_margin: Duration::from_secs(300),
            refresh_sweep_interval: Duration::from_secs(60),
            refresh_max_failures: 3,
            demo: false,
            log_format: LogFormat::Pretty,
            workers: 1,
        }
    }
}

const MAX_WORKERS: usize = 1024;

/// One serving thread per core the process may use.
fn default_workers() -> usize {
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
        assert!(config.passthrough_allow_private.contains(&config.mock_provider_url));
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
