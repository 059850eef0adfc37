//! Security-core throughput: vault seal+open per second, and AuthKit tokens minted per second over
//! real HTTP against a real server (SQLite, and PostgreSQL when reachable).
//!
//!   cargo bench -p portico --bench security
//!
//! Figures go to stdout; docs/BENCHMARKS.md records them with the machine they came from.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portico::clock::{Clock, OsEntropy, SystemClock};
use portico::config::{Config, DatabaseUrl};
use portico::tenancy::{Environment, Scope, WorkspaceId};
use portico::vault::{Binding, Vault};
use sqlx::Connection;

const CREDENTIAL: &[u8] = br#"{"apiKey":"sk_live_0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCD"}"#;

fn bench_vault() {
    let vault = Vault::new(&[3u8; 32], &[], Arc::new(OsEntropy));
    let scope = Scope {
        workspace_id: WorkspaceId::parse("ws_0123456789abcdef0123456789abcdef").unwrap(),
        environment: Environment::Live,
    };
    let binding = Binding { scope: &scope, table: "connections", record_id: "conn_1", field: "credentials" };
    // Warm up, then measure for about two seconds.
    for _ in 0..10_000 {
        let sealed = vault.seal(binding, CREDENTIAL).unwrap();
        std::hint::black_box(vault.open(binding, &sealed).unwrap());
    }
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(2) {
        for _ in 0..1000 {
            let sealed = vault.seal(binding, CREDENTIAL).unwrap();
            std::hint::black_box(vault.open(binding, &sealed).unwrap());
        }
        n += 1000;
    }
    let per_sec = n as f64 / started.elapsed().as_secs_f64();
    println!(
        "vault: {per_sec:.0} seal+open pairs/s on one core ({:.2} µs per pair, {}-byte credential)",
        1e6 / per_sec,
        CREDENTIAL.len()
    );
}

async fn bench_minting(label: &str, database_url: DatabaseUrl, concurrency: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_dir(dir.path(), [5u8; 32]);
    config.database_url = database_url;
    // Measure the server, not its limiter.
    config.rate_limits = portico::config::RateLimits::OFF;
    let app = portico::Application::build(config).await.expect("server starts");
    let url = format!("http://{}", app.local_addr());
    let store = app.state().store.clone();
    tokio::spawn(app.run_until_stopped());
    let created =
        portico::workspaces::create_workspace(&store, &OsEntropy, SystemClock.now_ms(), "Bench", &[]).await.unwrap();
    let key = Arc::new(created.test_secret_key);
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let run_for = Duration::from_secs(5);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0u64;
            while started.elapsed() < run_for {
                let t = Instant::now();
                let response = client
                    .post(format!("{url}/v1/authkit/token"))
                    .header("x-portico-secret", key.as_str())
                    .json(&serde_json::json!({"identity": format!("user-{worker}-{i}"), "identityType": "user"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 201);
                latencies.push(t.elapsed());
                i += 1;
            }
            latencies
        }));
    }
    let mut latencies: Vec<Duration> = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "token minting ({label}, {concurrency} concurrent clients): {:.0} tokens/s, p50 {:.2} ms, p99 {:.2} ms ({} tokens)",
        latencies.len() as f64 / elapsed,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.len()
    );
}

async fn fresh_postgres() -> Option<DatabaseUrl> {
    let base =
        std::env::var("PORTICO_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut admin = sqlx::PgConnection::connect(&base).await.ok()?;
    let name = format!("portico_bench_{}", portico::clock::random_hex(&OsEntropy, 6));
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.ok()?;
    let (prefix, _) = base.rsplit_once('/')?;
    Some(DatabaseUrl::new(format!("{prefix}/{name}")))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probes with --list
    }
    bench_vault();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = DatabaseUrl::new(format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display()));
        bench_minting("SQLite", sqlite, 16).await;
        match fresh_postgres().await {
            Some(url) => bench_minting("PostgreSQL", url, 16).await,
            None => println!("token minting (PostgreSQL): skipped, PostgreSQL not reachable"),
        }
    });
}
