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
use portico::tenancy::{Environment, Scope, WorkspaceId};
use sqlx::Connection;

const PLATFORMS: [&str; 10] =
    ["github", "slack", "gmail", "notion", "hubspot", "stripe", "linear", "jira", "zoom", "asana"];

/// Bulk-loads `rows` connections with multi-row inserts, then derives `connection_counts` the way
/// the store keeps it: the same end state as `rows` calls to `insert_connection`, much faster.
/// One connection row's bound values: id, platform, connection key, identity, tags, sealed credentials, time.
type RowArgs = (String, String, String, String, String, Vec<u8>, i64);

async fn load(store: &portico::store::Store, vault: &portico::vault::Vault, scope: &Scope, rows: usize) {
    let started = Instant::now();
    let batch = 500;
    let now = SystemClock.now_ms();
    for start in (0..rows).step_by(batch) {
        let end = (start + batch).min(rows);
        let mut tx = store.pool().begin().await.unwrap();
        let mut values = Vec::new();
        let mut tag_values = Vec::new();
        let mut args: Vec<RowArgs> = Vec::new();
        for (n, i) in (start..end).enumerate() {
            let id = format!("conn_{i:032x}");
            let identity = format!("user-{}", i / 10);
            let platform = PLATFORMS[i % PLATFORMS.len()].to_string();
            let sealed =
                vault.seal(portico::lifecycle::credentials_binding(scope, &id), br#"{"apiKey":"bench"}"#).unwrap();
            let tags = if i % 100 == 0 { r#"["vip"]"# } else { "[]" };
            let created_at = now - (rows - i) as i64;
            let b = n * 7;
            values.push(format!(
                "(${}, $1, $2, ${}, 'default', ${}, ${}, 'user', ${}, ${}, 'active', 1, ${}, $3, ${}, ${})",
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 5,
                b + 8,
                b + 9,
                b + 10,
                b + 10
            ));
            if i % 100 == 0 {
                tag_values.push((id.clone(), created_at));
            }
            args.push((
                id,
                platform.clone(),
                format!("test::{platform}::default::{i:032x}|{identity}"),
                identity,
                tags.to_string(),
                sealed,
                created_at,
            ));
        }
        let sql = format!(
            "INSERT INTO connections (id, workspace_id, environment, platform, config_key, connection_key, identity, \
             identity_type, name, tags, status, active, credentials, vault_key_id, created_at, updated_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(scope.workspace_id.as_str())
            .bind(scope.environment.as_str())
            .bind(vault.active_key_id());
        for (id, platform, key, identity, tags, sealed, created_at) in &args {
            q = q
                .bind(id.as_str())
                .bind(platform.as_str())
                .bind(key.as_str())
                .bind(identity.as_str())
                .bind(tags.as_str())
                .bind(sealed.as_slice())
                .bind(*created_at);
        }
        q.execute(&mut *tx).await.unwrap();
        for (id, created_at) in tag_values {
            sqlx::query("INSERT INTO connection_tags (workspace_id, environment, tag, connection_id, created_at) VALUES ($1, $2, 'vip', $3, $4)")
                .bind(scope.workspace_id.as_str())
                .bind(scope.environment.as_str())
                .bind(id)
                .bind(created_at)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    sqlx::query(
        "INSERT INTO connection_counts (workspace_id, environment, platform, n) \
         SELECT workspace_id, environment, platform, COUNT(*) FROM connections GROUP BY workspace_id, environment, platform",
    )
    .execute(store.pool())
    .await
    .unwrap();
    // Statistics and (PostgreSQL) a visibility map, as a long-running database would have.
    let maintenance = match store.backend() {
        portico::store::Backend::Postgres => "VACUUM ANALYZE",
        portico::store::Backend::Sqlite => "ANALYZE",
    };
    sqlx::query(maintenance).execute(store.pool()).await.unwrap();
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
    let created =
        portico::workspaces::create_workspace(&store, &OsEntropy, SystemClock.now_ms(), "Bench", &[]).await.unwrap();
    let scope =
        Scope { workspace_id: WorkspaceId::parse(&created.workspace_id).unwrap(), environment: Environment::Test };
    load(&store, &vault, &scope, rows).await;
    let client = reqwest::Client::new();
    let key = created.test_secret_key;
    let n = 300;
    measure(&client, &url, &key, "first page (20), no filter", "/v1/vault/connections", n).await;
    measure(
        &client,
        &url,
        &key,
        "one identity's connections",
        "/v1/vault/connections?identity=user-{i}&identityType=user",
        n,
    )
    .await;
    measure(
        &client,
        &url,
        &key,
        "one platform, first page of 100",
        "/v1/vault/connections?platform=github&limit=100",
        n,
    )
    .await;
    measure(&client, &url, &key, "page 200 of 50, no filter", "/v1/vault/connections?limit=50&page=200", n).await;
    measure(&client, &url, &key, "tag filter (1% of rows)", "/v1/vault/connections?tags=vip", n / 3).await;
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
