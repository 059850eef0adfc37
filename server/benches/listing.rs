//! `GET /v1/vault/connections` at a million connections, over real HTTP against a real server.
//!
//!   cargo bench -p portico --bench listing            (PORTICO_BENCH_ROWS to change the size)
//!
//! One workspace + environment holds every row (the worst case for a scope), spread over
//! 100 000 identities (10 connections each) and 10 platforms. The loader writes rows directly
//! through the store in large transactions; every row carries a real vault envelope bound to it.

use std::time::{Duration, Instant};

use portico::clock::{Clock, OsEntropy, SystemClock};
use portico::config::{Config, DatabaseUrl};
use portico::store::connections::ConnectionRow;
use portico::tenancy::{Environment, Scope, WorkspaceId};
use sqlx::Connection;

const PLATFORMS: [&str; 10] = ["github", "slack", "gmail", "notion", "hubspot", "stripe", "linear", "jira", "zoom", "asana"];

async fn load(store: &portico::store::Store, vault: &portico::vault::Vault, scope: &Scope, rows: usize) {
    let started = Instant::now();
    let batch = 5000;
    let now = SystemClock.now_ms();
    for start in (0..rows).step_by(batch) {
        let mut tx = store.pool().begin().await.unwrap();
        for i in start..(start + batch).min(rows) {
            let id = format!("conn_{i:032x}");
            let identity = format!("user-{}", i / 10);
            let platform = PLATFORMS[i % PLATFORMS.len()];
            let sealed = vault
                .seal(portico::connections::credentials_binding(scope, &id), br#"{"apiKey":"bench"}"#)
                .unwrap();
            let row = ConnectionRow {
                connection_key: format!("test::{platform}::default::{i:032x}|{identity}"),
                id,
                platform: platform.into(),
                config_key: "default".into(),
                identity: Some(identity),
                identity_type: Some("user".into()),
                name: platform.into(),
                tags: if i % 100 == 0 { vec!["vip".into()] } else { vec![] },
                status: "active".into(),
                active: true,
                credentials: sealed,
                vault_key_id: vault.active_key_id().into(),
                created_at: now - (rows - i) as i64,
                updated_at: now,
            };
            store.insert_connection_in(&mut tx, scope, &row).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    println!("  loaded {rows} connections in {:.1} s", started.elapsed().as_secs_f64());
}

async fn measure(client: &reqwest::Client, url: &str, key: &str, label: &str, path: &str, n: usize) {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n + 20 {
        let path = path.replace("{i}", &((i * 7919) % 100_000).to_string());
        let t = Instant::now();
        let response = client.get(format!("{url}{path}")).header("x-portico-secret", key).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body = response.bytes().await.unwrap();
        std::hint::black_box(body);
        if i >= 20 {
            samples.push(t.elapsed()); // the first 20 warm the caches
        }
    }
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("  {label:<46} p50 {:>7.2} ms   p99 {:>7.2} ms", ms(pct(0.5)), ms(pct(0.99)));
}

async fn bench(label: &str, database_url: DatabaseUrl, rows: usize) {
    println!("{label}:");
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_dir(dir.path(), [6u8; 32]);
    config.database_url = database_url;
    let app = portico::Application::build(config).await.expect("server starts");
    let url = format!("http://{}", app.local_addr());
    let store = app.state().store.clone();
    let vault = app.state().vault.clone();
    tokio::spawn(app.run_until_stopped());
    let created = portico::workspaces::create_workspace(&store, &OsEntropy, SystemClock.now_ms(), "Bench", &[])
        .await
        .unwrap();
    let scope = Scope { workspace_id: WorkspaceId::parse(&created.workspace_id).unwrap(), environment: Environment::Test };
    load(&store, &vault, &scope, rows).await;
    let client = reqwest::Client::new();
    let key = created.test_secret_key;
    let n = 300;
    measure(&client, &url, &key, "first page (20), no filter", "/v1/vault/connections", n).await;
    measure(&client, &url, &key, "one identity's connections", "/v1/vault/connections?identity=user-{i}&identityType=user", n).await;
    measure(&client, &url, &key, "one platform, first page of 100", "/v1/vault/connections?platform=github&limit=100", n).await;
    measure(&client, &url, &key, "page 200 of 50, no filter", "/v1/vault/connections?limit=50&page=200", n).await;
    measure(&client, &url, &key, "tag filter (1% of rows)", "/v1/vault/connections?tags=vip", n / 3).await;
}

async fn fresh_postgres() -> Option<DatabaseUrl> {
    let base = std::env::var("PORTICO_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut admin = sqlx::PgConnection::connect(&base).await.ok()?;
    let name = format!("portico_bench_{}", portico::clock::random_hex(&OsEntropy, 6));
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.ok()?;
    let (prefix, _) = base.rsplit_once('/')?;
    Some(DatabaseUrl::new(format!("{prefix}/{name}")))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows: usize = std::env::var("PORTICO_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = DatabaseUrl::new(format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()));
        bench(&format!("SQLite, {rows} connections"), sqlite, rows).await;
        match fresh_postgres().await {
            Some(url) => bench(&format!("PostgreSQL, {rows} connections"), url, rows).await,
            None => println!("PostgreSQL: skipped, not reachable"),
        }
    });
}
