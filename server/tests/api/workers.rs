//! Serving on several threads (`PORTICO_WORKERS`), as `portico serve` does on a multi-core
//! machine: every worker takes its share of connections, calls are answered and logged, and a
//! shutdown stops every worker and leaves the database usable.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp};

const WORKERS: usize = 3;
const CALLS: usize = 240;

/// CPU time so far (ns) of this process's threads named `portico-w…`, by thread id.
fn worker_cpu_ns() -> HashMap<String, u64> {
    let mut threads = HashMap::new();
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task").flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.starts_with("portico-w") {
            continue;
        }
        // schedstat: time on the CPU (ns), time waiting, time slices.
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        let ns = schedstat.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
        threads.insert(task.file_name().to_string_lossy().into_owned(), ns);
    }
    threads
}

async fn every_worker_serves_and_all_stop(backend: Backend) {
    let Some(mut app) = TestApp::spawn_with(backend, |c| c.workers = WORKERS).await else { return };
    let secret = app.workspace.test_key.clone();
    let mut keys = Vec::new();
    for identity in ["u1", "u2", "u3"] {
        keys.push(app.connect_mock(&secret, identity).await.key);
    }
    let before = worker_cpu_ns();
    assert_eq!(before.len(), WORKERS, "one thread per worker: {before:?}");

    // Many connections at once: the kernel spreads them over the workers' sockets.
    let calls = (0..CALLS).map(|i| {
        // A client per call: a connection per call, so every worker gets a share.
        let client = reqwest::Client::new();
        let url = format!("{}/v1/passthrough/me", app.url);
        let (secret, key) = (secret.clone(), keys[i % keys.len()].clone());
        tokio::spawn(async move {
            let response = client
                .get(url)
                .header("x-portico-secret", secret)
                .header("x-portico-connection-key", key)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status, body)
        })
    });
    for call in futures::future::join_all(calls).await {
        let (status, body) = call.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["id"], "mock-account-1");
    }
    let after = worker_cpu_ns();
    for (thread, ns) in &before {
        let worked = after.get(thread).copied().unwrap_or(0).saturating_sub(*ns);
        assert!(
            worked > 1_000_000,
            "worker thread {thread} did (almost) no work under load: before {before:?}, after {after:?}"
        );
    }

    app.stop().await.expect("the workers stop cleanly");
    assert!(worker_cpu_ns().is_empty(), "worker threads outlive the server: {:?}", worker_cpu_ns());
    let port = app.url.rsplit(':').next().unwrap().to_string();
    assert!(
        std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err(),
        "something still listens on the server's port after it stopped"
    );

    // Every call was logged by the time the server stopped (a graceful stop flushes the call
    // log), and the database (whose pool may hold connections the workers opened) still answers.
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    let logged = app.store.list_calls(&scope, None, None, 200).await.expect("the store answers after shutdown");
    assert_eq!(logged.len(), 200, "the call log has the calls (a page of 200) when the server has stopped");
    assert!(!app.store.list_workspaces().await.expect("the store answers").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_the_load_and_stop_together() {
    // One backend after the other: the check reads every `portico-w…` thread of this process.
    every_worker_serves_and_all_stop(Backend::Sqlite).await;
    every_worker_serves_and_all_stop(Backend::Postgres).await;
}
