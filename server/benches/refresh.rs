//! The OAuth refresh engine against the project's mock OAuth provider (real HTTP on loopback):
//! refreshes per second, and what the background sweep costs with 100 000 OAuth connections.
//!
//!   cargo bench -p portico --bench refresh
//!
//! Settings: `PORTICO_BENCH_ROWS` (connections not due, default 100 000), `PORTICO_BENCH_GRANTS`
//! (real grants refreshed, default 500), `PORTICO_BENCH_BACKENDS` (`sqlite,postgres`, default
//! both; PostgreSQL is skipped when 127.0.0.1:5432 does not answer). The mock runs in the same
//! process and shares its two cores, so the figures include the provider's own work.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use futures::StreamExt;
use portico::clock::{Clock, OsEntropy, SystemClock};
use portico::config::{Config, DatabaseUrl};
use portico::tenancy::{Environment, Scope, WorkspaceId};
use portico::upstream::Credentials;
use sha2::Digest;
use sqlx::Connection;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One grant at the mock, obtained the way a browser and Portico would: consent, then the code
/// exchange with PKCE. Returns the refresh token.
async fn grant(client: &reqwest::Client, mock: &str) -> String {
    let verifier = portico::clock::random_base62(&OsEntropy, 64);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let redirect = "http://127.0.0.1:9/oauth/callback";
    let response = client
        .post(format!("{mock}/oauth/authorize"))
        .form(&[
            ("response_type", "code"),
            ("client_id", portico_mock::DEMO_CLIENT_ID),
            ("redirect_uri", redirect),
            ("state", "bench"),
            ("scope", "profile"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let code = url::Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let tokens: serde_json::Value = client
        .post(format!("{mock}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("code_verifier", verifier.as_str()),
            ("client_id", portico_mock::DEMO_CLIENT_ID),
            ("client_secret", portico_mock::DEMO_CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    tokens["refresh_token"].as_str().unwrap().to_string()
}

/// `rows` OAuth connections whose tokens expire in a day (not due), in multi-row inserts.
async fn load_not_due(state: &portico::AppState, scope: &Scope, rows: usize) {
    let now = SystemClock.now_ms();
    let batch = 400;
    for start in (0..rows).step_by(batch) {
        let end = (start + batch).min(rows);
        let mut values = Vec::new();
        let mut args = Vec::new();
        for (n, i) in (start..end).enumerate() {
            let id = format!("conn_{i:032x}");
            let mut creds = Credentials::default();
            creds.set("accessToken", "mat_not_due");
            creds.set("refreshToken", "mrt_not_due");
            creds.set("expiresAt", (now + 86_400_000).to_string());
            creds.set("obtainedAt", now.to_string());
            let sealed = state.vault.seal_json(portico::lifecycle::credentials_binding(scope, &id), &creds).unwrap();
            let b = n * 4;
            values.push(format!(
                "(${}, $1, $2, 'mock-oauth', 'default', ${}, ${}, 'user', 'Mock OAuth Provider', '[]', 'active', 1, ${}, $3, $4, $4, $5)",
                b + 6, b + 7, b + 8, b + 9
            ));
            args.push((id, format!("test::mock-oauth::default::{i:032x}|user-{i}"), format!("user-{i}"), sealed));
        }
        let sql = format!(
            "INSERT INTO connections (id, workspace_id, environment, platform, config_key, connection_key, identity, \
             identity_type, name, tags, status, active, credentials, vault_key_id, created_at, updated_at, expires_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(scope.workspace_id.as_str())
            .bind(scope.environment.as_str())
            .bind(state.vault.active_key_id())
            .bind(now)
            .bind(now + 86_400_000);
        for (id, key, identity, sealed) in &args {
            q = q.bind(id.as_str()).bind(key.as_str()).bind(identity.as_str()).bind(sealed.as_slice());
        }
        q.execute(state.store.pool()).await.unwrap();
    }
}

/// `refresh_tokens.len()` connections whose tokens expired a second ago.
async fn load_due(state: &portico::AppState, scope: &Scope, refresh_tokens: &[String], first: usize) -> Vec<String> {
    let now = SystemClock.now_ms();
    let mut ids = Vec::new();
    for (i, refresh) in refresh_tokens.iter().enumerate() {
        let i = first + i;
        let id = format!("conn_due_{i:028x}");
        let mut creds = Credentials::default();
        creds.set("accessToken", "mat_expired");
        creds.set("refreshToken", refresh.as_str());
        creds.set("expiresAt", (now - 1_000).to_string());
        creds.set("obtainedAt", (now - 3_601_000).to_string());
        let sealed = state.vault.seal_json(portico::lifecycle::credentials_binding(scope, &id), &creds).unwrap();
        let row = portico::store::connections::ConnectionRow {
            id: id.clone(),
            platform: "mock-oauth".into(),
            config_key: "default".into(),
            connection_key: format!("test::mock-oauth::default::{i:032x}|due-{i}"),
            identity: Some(format!("due-{i}")),
            identity_type: Some("user".into()),
            name: "Mock OAuth Provider".into(),
            tags: vec![],
            status: portico_wire::ConnectionStatus::Active,
            active: true,
            credentials: sealed,
            vault_key_id: state.vault.active_key_id().to_string(),
            expires_at: Some(now - 1_000),
            created_at: now,
            updated_at: now,
        };
        state.store.insert_connection(scope, &row).await.unwrap();
        ids.push(id);
    }
    ids
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(backend: &str, database_url: Option<String>) {
    let rows = setting("PORTICO_BENCH_ROWS", 100_000);
    let grants = setting("PORTICO_BENCH_GRANTS", 500);
    let dir = tempfile::tempdir().unwrap();
    let mock = portico_mock::MockProvider::spawn(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        portico_mock::MockConfig::default(),
    )
    .unwrap();
    let mut config = Config::for_dir(dir.path(), [7u8; 32]);
    if let Some(url) = database_url {
        config.database_url = DatabaseUrl::new(url);
    }
    config.mock_provider_url = mock.url();
    config.passthrough.allow_private = vec![mock.url()];
    config.refresh.sweep_interval = Duration::ZERO;
    let app = portico::Application::build_with(config, Arc::new(SystemClock), Arc::new(OsEntropy)).await.unwrap();
    let state = app.state().clone();
    let now = SystemClock.now_ms();
    let created = portico::workspaces::create_workspace(&state.store, &OsEntropy, now, "Bench", &[]).await.unwrap();
    let scope =
        Scope { workspace_id: WorkspaceId::parse(&created.workspace_id).unwrap(), environment: Environment::Test };
    state.store.enable_integration(&scope, "mock-oauth", now).await.unwrap();
    portico::oauth::apps::put(
        portico::oauth::apps::AppStore { store: &state.store, vault: &state.vault, catalog: &state.catalog },
        &scope,
        portico::oauth::apps::NewApp {
            platform: "mock-oauth",
            client_id: portico_mock::DEMO_CLIENT_ID,
            client_secret: portico_mock::DEMO_CLIENT_SECRET,
            scopes: None,
            new_id: "oap_bench".into(),
        },
        now,
    )
    .await
    .unwrap();

    let started = Instant::now();
    load_not_due(&state, &scope, rows).await;
    let loaded = started.elapsed();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mock_url = mock.url();
    let tokens: Vec<String> =
        futures::stream::iter(0..grants).map(|_| grant(&client, &mock_url)).buffer_unordered(16).collect().await;

    // The idle sweep: nothing due among `rows` connections.
    let mut idle = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let report = portico::oauth::refresh::sweep(&state, 500).await.unwrap();
        assert_eq!(report.due, 0);
        idle.push(t.elapsed());
    }
    idle.sort();

    // The engine called directly, 16 at a time (what concurrent passthrough calls do).
    let half = grants / 2;
    let ids = load_due(&state, &scope, &tokens[..half], 0).await;
    let before = mock.stats.refresh_grants.load(std::sync::atomic::Ordering::SeqCst);
    let t = Instant::now();
    let results: Vec<_> = futures::stream::iter(ids.iter())
        .map(|id| portico::oauth::refresh::refresh(&state, &scope, id, None))
        .buffer_unordered(16)
        .collect()
        .await;
    let direct = t.elapsed();
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(mock.stats.refresh_grants.load(std::sync::atomic::Ordering::SeqCst) - before, half as u64);

    // The sweep finding the other half among `rows` connections.
    let _ = load_due(&state, &scope, &tokens[half..], half).await;
    let t = Instant::now();
    let report = portico::oauth::refresh::sweep(&state, 10_000).await.unwrap();
    let swept = t.elapsed();
    assert_eq!(report.refreshed, grants - half);

    println!(
        "\n## {backend}: {rows} OAuth connections not due (+{grants} due), loaded in {:.1} s",
        loaded.as_secs_f64()
    );
    println!(
        "engine, 16 concurrent:  {half} refreshes in {:.2} s = {:.0} refreshes/s",
        direct.as_secs_f64(),
        half as f64 / direct.as_secs_f64()
    );
    println!(
        "sweep, 4 concurrent:    {} refreshes in {:.2} s = {:.0} refreshes/s",
        report.refreshed,
        swept.as_secs_f64(),
        report.refreshed as f64 / swept.as_secs_f64()
    );
    println!(
        "idle sweep over {rows} connections (nothing due): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&idle, 0.5).as_secs_f64() * 1e3,
        percentile(&idle, 0.99).as_secs_f64() * 1e3
    );
}

async fn fresh_postgres() -> Option<String> {
    let base = "postgres://postgres@127.0.0.1:5432/test";
    let mut admin = sqlx::PgConnection::connect(base).await.ok()?;
    let name = format!("portico_bench_{}", portico::clock::random_hex(&OsEntropy, 6));
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.ok()?;
    Some(format!("postgres://postgres@127.0.0.1:5432/{name}"))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let backends = std::env::var("PORTICO_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        for backend in backends.split(',') {
            match backend.trim() {
                "sqlite" => run("SQLite", None).await,
                "postgres" => match fresh_postgres().await {
                    Some(url) => run("PostgreSQL", Some(url)).await,
                    None => println!("PostgreSQL not reachable at 127.0.0.1:5432: skipped"),
                },
                other => panic!("unknown backend {other}"),
            }
        }
    });
}
