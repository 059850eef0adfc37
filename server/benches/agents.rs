//! What a tool call costs over the passthrough call it makes: the same request (the mock
//! provider's `GET /me`) sent N times through `/v1/passthrough/me` and N times as MCP
//! `tools/call mock__get_me`, alternating in rounds, on a real server (SQLite) and a real mock.
//!
//!   cargo bench -p portico --bench agents
//!
//! Figures go to stdout; docs/BENCHMARKS.md records them with the machine they came from.

use std::time::{Duration, Instant};

use portico::clock::{Clock, OsEntropy, SystemClock};
use portico::config::Config;
use portico::tenancy::{Environment, Scope, WorkspaceId};
use serde_json::json;

const ROUNDS: usize = 5;
const CALLS_PER_ROUND: usize = 400;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time<F, Fut>(calls: usize, mut one: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    for _ in 0..calls {
        one().await;
    }
    started.elapsed() / calls as u32
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` probes with --list
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mock = portico_mock::MockProvider::spawn(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            portico_mock::MockConfig::default(),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_dir(dir.path(), [9u8; 32]);
        config.mock_provider_url = mock.url();
        config.passthrough.allow_private = vec![mock.url()];
        config.rate_limits = portico::config::RateLimits::OFF;
        let app = portico::Application::build(config).await.expect("server starts");
        let url = format!("http://{}", app.local_addr());
        let store = app.state().store.clone();
        tokio::spawn(app.run_until_stopped());
        let now = SystemClock.now_ms();
        let created = portico::workspaces::create_workspace(&store, &OsEntropy, now, "Bench", &[]).await.unwrap();
        let scope = Scope { workspace_id: WorkspaceId::parse(&created.workspace_id).unwrap(), environment: Environment::Test };
        store.enable_integration(&scope, "mock", now).await.unwrap();
        let key = created.test_secret_key;
        let client = reqwest::Client::new();
        let token: serde_json::Value = client
            .post(format!("{url}/v1/authkit/token"))
            .header("x-portico-secret", &key)
            .json(&json!({"identity": "bench", "identityType": "user"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let connection: serde_json::Value = client
            .post(format!("{url}/v1/authkit/connections"))
            .bearer_auth(token["token"].as_str().unwrap())
            .json(&json!({"platform": "mock", "fields": {"apiKey": portico_mock::DEMO_API_KEY}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let connection_key = connection["key"].as_str().unwrap().to_string();

        let passthrough = || {
            let request = client
                .get(format!("{url}/v1/passthrough/me"))
                .header("x-portico-secret", &key)
                .header("x-portico-connection-key", &connection_key);
            async move {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200);
                response.bytes().await.unwrap();
            }
        };
        let tool_call = || {
            let request = client
                .post(format!("{url}/mcp"))
                .header("x-portico-secret", &key)
                .header("x-portico-identity", "bench")
                .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                              "params": {"name": "mock__get_me", "arguments": {}}}));
            async move {
                let answer: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
                assert_eq!(answer["result"]["structuredContent"]["status"], 200, "{answer}");
            }
        };
        // Warm up both paths (pools, caches), then alternate.
        time(100, passthrough).await;
        time(100, tool_call).await;
        let (mut direct, mut tools) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            direct.push(time(CALLS_PER_ROUND, passthrough).await);
            tools.push(time(CALLS_PER_ROUND, tool_call).await);
        }
        let (direct, tools) = (median(direct), median(tools));
        println!(
            "one client, sequential, {ROUNDS} rounds of {CALLS_PER_ROUND}: passthrough {:.0} µs/call, MCP tools/call {:.0} µs/call, overhead {:.0} µs ({:.1}x)",
            direct.as_secs_f64() * 1e6,
            tools.as_secs_f64() * 1e6,
            (tools.as_secs_f64() - direct.as_secs_f64()) * 1e6,
            tools.as_secs_f64() / direct.as_secs_f64()
        );
    });
}
