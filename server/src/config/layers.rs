//! Reading the layers: each setting is the environment variable when set (and not blank), else the
//! file's value, else the default — written once, in the types of [`super`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use super::*;

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
    rate_limit_address_per_minute: Option<u64>,
    cache_ttl_ms: Option<u64>,
    refresh_margin_secs: Option<u64>,
    refresh_sweep_secs: Option<u64>,
    refresh_max_failures: Option<u32>,
    log_format: Option<LogFormat>,
    workers: Option<usize>,
    header_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
}

/// The environment, for settings named by their variable.
struct Env<'a>(&'a BTreeMap<String, String>);

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }

    /// A number from the environment, else the file, else `default`.
    fn number<T: FromStr>(&self, name: &str, file: Option<T>, default: T, problem: &str) -> Result<T, ConfigError> {
        match self.get(name) {
            Some(v) => v.trim().parse::<T>().map_err(|_| ConfigError::invalid(name, problem)),
            None => Ok(file.unwrap_or(default)),
        }
    }

    /// A duration in milliseconds that must not be zero.
    fn millis(&self, name: &str, file: Option<u64>, default: Duration) -> Result<Duration, ConfigError> {
        let ms = self.number(name, file, default.as_millis() as u64, "must be a number of milliseconds")?;
        if ms == 0 {
            return Err(ConfigError::invalid(name, "must be greater than zero"));
        }
        Ok(Duration::from_millis(ms))
    }

    /// A duration in whole seconds, at most `max`.
    fn seconds(&self, name: &str, file: Option<u64>, default: Duration, max: u64) -> Result<Duration, ConfigError> {
        let value = self.number(name, file, default.as_secs(), "must be a whole number of seconds")?;
        if value > max {
            return Err(ConfigError::invalid(name, &format!("must be at most {max} seconds")));
        }
        Ok(Duration::from_secs(value))
    }

    /// A comma-separated list from the environment, else the file's list.
    fn list(&self, name: &str, file: Option<Vec<String>>) -> Vec<String> {
        match self.get(name) {
            Some(list) => list.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
            None => file.unwrap_or_default(),
        }
    }
}

pub(super) fn read(vars: &BTreeMap<String, String>, demo: bool) -> Result<Config, ConfigError> {
    let file = read_file(vars)?;
    let env = Env(vars);
    let (listen, public_url) = address(&env, &file)?;
    let data_dir =
        PathBuf::from(env.get("PORTICO_DATA_DIR").or(file.data_dir.clone()).unwrap_or(DEFAULT_DATA_DIR.into()));
    let (database_url, site_dir, catalog_dir) = storage(&env, &file, &data_dir)?;
    let vault_keys = vault_keys(&env, &file, &data_dir, demo)?;
    let token_ttl_secs = env.number(
        "PORTICO_TOKEN_TTL_SECS",
        file.token_ttl_secs,
        DEFAULT_TOKEN_TTL.as_secs(),
        "must be a number of seconds",
    )?;
    if !(30..=24 * 3600).contains(&token_ttl_secs) {
        return Err(ConfigError::invalid("PORTICO_TOKEN_TTL_SECS", "must be between 30 seconds and 24 hours"));
    }
    let token_ttl = Duration::from_secs(token_ttl_secs);
    let mock_provider_url = parse_origin(
        "PORTICO_MOCK_PROVIDER_URL",
        &env.get("PORTICO_MOCK_PROVIDER_URL")
            .or(file.mock_provider_url.clone())
            .unwrap_or(DEFAULT_MOCK_PROVIDER_URL.into()),
    )?;
    let passthrough = passthrough(&env, &file, demo.then_some(&mock_provider_url))?;
    let cache_ttl = Duration::from_millis(env.number(
        "PORTICO_CACHE_TTL_MS",
        file.cache_ttl_ms,
        DEFAULT_CACHE_TTL.as_millis() as u64,
        "must be a number of milliseconds (0 = no cache)",
    )?);
    if cache_ttl > Duration::from_secs(60) {
        return Err(ConfigError::invalid(
            "PORTICO_CACHE_TTL_MS",
            "must be at most 60000: revocations must not take longer than a minute to reach every replica",
        ));
    }
    Ok(Config {
        listen,
        public_url,
        database_url,
        data_dir,
        site_dir,
        catalog_dir,
        vault_keys,
        token_ttl,
        mock_provider_url,
        passthrough,
        rate_limits: rate_limits(&env, &file)?,
        connections: connections(&env, &file)?,
        cache_ttl,
        refresh: refresh(&env, &file)?,
        demo,
        log_format: log_format(&env, &file)?,
        workers: workers(&env, &file)?,
    })
}

fn read_file(vars: &BTreeMap<String, String>) -> Result<FileSettings, ConfigError> {
    let Some(path) = vars.get("PORTICO_CONFIG") else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::invalid("PORTICO_CONFIG", &format!("cannot read {path}: {e}")))?;
    toml::from_str(&text).map_err(|e| ConfigError::invalid("PORTICO_CONFIG", &format!("{path}: {}", e.message())))
}

/// Where Portico listens, and the public origin (by default the listening address's).
fn address(env: &Env, file: &FileSettings) -> Result<(SocketAddr, String), ConfigError> {
    let listen_text = env.get("PORTICO_LISTEN").or(file.listen.clone()).unwrap_or(DEFAULT_LISTEN.into());
    let listen: SocketAddr = listen_text
        .parse()
        .map_err(|_| ConfigError::invalid("PORTICO_LISTEN", "must be an address such as 127.0.0.1:8080"))?;
    let public_url = match env.get("PORTICO_PUBLIC_URL").or(file.public_url.clone()) {
        Some(url) => parse_origin("PORTICO_PUBLIC_URL", &url)?,
        None => {
            let host = if listen.ip().is_unspecified() { "localhost".to_string() } else { listen.ip().to_string() };
            format!("http://{host}:{}", listen.port())
        }
    };
    Ok((listen, public_url))
}

/// The database, the built browser assets and the operator's catalog directory.
fn storage(
    env: &Env,
    file: &FileSettings,
    data_dir: &std::path::Path,
) -> Result<(DatabaseUrl, PathBuf, Option<PathBuf>), ConfigError> {
    let database_url = match env.get("DATABASE_URL").or(file.database_url.clone()) {
        Some(url) if url.starts_with("sqlite:") || url.starts_with("postgres") => DatabaseUrl::new(url),
        Some(_) => return Err(ConfigError::invalid("DATABASE_URL", "must start with sqlite: or postgres://")),
        None => DatabaseUrl::new(format!("sqlite://{}?mode=rwc", data_dir.join("portico.db").display())),
    };
    let site_dir = PathBuf::from(
        env.get("PORTICO_SITE_DIR")
            .or(env.get("LEPTOS_SITE_ROOT"))
            .or(file.site_dir.clone())
            .unwrap_or(DEFAULT_SITE_DIR.into()),
    );
    let catalog_dir = env.get("PORTICO_CATALOG_DIR").or(file.catalog_dir.clone()).map(PathBuf::from);
    if let Some(dir) = catalog_dir.as_ref().filter(|d| !d.is_dir()) {
        return Err(ConfigError::invalid("PORTICO_CATALOG_DIR", &format!("{} is not a directory", dir.display())));
    }
    Ok((database_url, site_dir, catalog_dir))
}

fn vault_keys(
    env: &Env,
    file: &FileSettings,
    data_dir: &std::path::Path,
    demo: bool,
) -> Result<VaultKeys, ConfigError> {
    let Some(active) = env.get("PORTICO_VAULT_KEY").or(file.vault_key.clone()) else {
        return Ok(if demo { VaultKeys::DemoFile(data_dir.join("vault.key")) } else { VaultKeys::Missing });
    };
    let active = VaultKeyMaterial::parse_base64("PORTICO_VAULT_KEY", &active)?;
    let retired = env
        .list("PORTICO_VAULT_RETIRED_KEYS", file.vault_retired_keys.clone())
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| VaultKeyMaterial::parse_base64("PORTICO_VAULT_RETIRED_KEYS", s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VaultKeys::Configured { active, retired })
}

/// Passthrough's settings; in demo mode the mock provider is reachable on loopback.
fn passthrough(env: &Env, file: &FileSettings, demo_mock: Option<&String>) -> Result<PassthroughSettings, ConfigError> {
    let defaults = PassthroughSettings::default();
    let setting = if env.get("PORTICO_PASSTHROUGH_ALLOW_PRIVATE").is_some() {
        "PORTICO_PASSTHROUGH_ALLOW_PRIVATE"
    } else {
        "passthrough_allow_private"
    };
    let mut allow_private = env
        .list("PORTICO_PASSTHROUGH_ALLOW_PRIVATE", file.passthrough_allow_private.clone())
        .iter()
        .map(|s| parse_origin(setting, s))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(mock) = demo_mock.filter(|m| !allow_private.contains(m)) {
        allow_private.push(mock.clone());
    }
    Ok(PassthroughSettings {
        allow_private,
        connect_timeout: env.millis(
            "PORTICO_PASSTHROUGH_CONNECT_TIMEOUT_MS",
            file.passthrough_connect_timeout_ms,
            defaults.connect_timeout,
        )?,
        timeout: env.millis("PORTICO_PASSTHROUGH_TIMEOUT_MS", file.passthrough_timeout_ms, defaults.timeout)?,
        max_retry_wait: env.millis(
            "PORTICO_PASSTHROUGH_MAX_RETRY_WAIT_MS",
            file.passthrough_max_retry_wait_ms,
            defaults.max_retry_wait,
        )?,
    })
}

fn rate_limits(env: &Env, file: &FileSettings) -> Result<RateLimits, ConfigError> {
    let defaults = RateLimits::default();
    let problem = "must be a number of requests per minute (0 = no limit)";
    let per_minute = |name: &str, file_value: Option<u64>, default: u64| env.number(name, file_value, default, problem);
    Ok(RateLimits {
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
        address_per_minute: per_minute(
            "PORTICO_RATE_LIMIT_ADDRESS_PER_MINUTE",
            file.rate_limit_address_per_minute,
            defaults.address_per_minute,
        )?,
    })
}

fn refresh(env: &Env, file: &FileSettings) -> Result<RefreshSettings, ConfigError> {
    let defaults = RefreshSettings::default();
    let max_failures = env
        .number("PORTICO_REFRESH_MAX_FAILURES", file.refresh_max_failures, defaults.max_failures, "")
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| ConfigError::invalid("PORTICO_REFRESH_MAX_FAILURES", "must be a whole number from 1 to 100"))?;
    Ok(RefreshSettings {
        margin: env.seconds("PORTICO_REFRESH_MARGIN_SECS", file.refresh_margin_secs, defaults.margin, 86_400)?,
        sweep_interval: env.seconds(
            "PORTICO_REFRESH_SWEEP_SECS",
            file.refresh_sweep_secs,
            defaults.sweep_interval,
            86_400,
        )?,
        max_failures,
    })
}

fn log_format(env: &Env, file: &FileSettings) -> Result<LogFormat, ConfigError> {
    match env.get("PORTICO_LOG_FORMAT").as_deref() {
        Some("json") => Ok(LogFormat::Json),
        Some("pretty") => Ok(LogFormat::Pretty),
        Some(_) => Err(ConfigError::invalid("PORTICO_LOG_FORMAT", "must be json or pretty")),
        None => Ok(file.log_format.unwrap_or(LogFormat::Pretty)),
    }
}

fn connections(env: &Env, file: &FileSettings) -> Result<ConnectionLimits, ConfigError> {
    let defaults = ConnectionLimits::default();
    let header_timeout =
        env.seconds("PORTICO_HEADER_TIMEOUT_SECS", file.header_timeout_secs, defaults.header_timeout, 3600)?;
    if header_timeout.is_zero() {
        return Err(ConfigError::invalid("PORTICO_HEADER_TIMEOUT_SECS", "must be at least 1 second"));
    }
    let max_connections = env
        .number("PORTICO_MAX_CONNECTIONS", file.max_connections, defaults.max_connections, "")
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| ConfigError::invalid("PORTICO_MAX_CONNECTIONS", "must be a whole number from 1 to 1000000"))?;
    Ok(ConnectionLimits { header_timeout, max_connections })
}

fn workers(env: &Env, file: &FileSettings) -> Result<usize, ConfigError> {
    env.number("PORTICO_WORKERS", file.workers, default_workers(), "")
        .ok()
        .filter(|n| (1..=MAX_WORKERS).contains(n))
        .ok_or_else(|| {
            ConfigError::invalid("PORTICO_WORKERS", &format!("must be a whole number from 1 to {MAX_WORKERS}"))
        })
}
