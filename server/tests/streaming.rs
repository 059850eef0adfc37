//! Passthrough streams bodies both ways: a 1 GiB download and a 1 GiB upload pass through with
//! flat memory. A test binary of its own, so the process's memory is this test's alone.

// The streaming tests use only part of the shared helpers.
#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use futures::StreamExt;
use helpers::{Backend, TestApp};

const GIB: u64 = 1024 * 1024 * 1024;
/// Generous for a debug build with its buffers; a buffered 1 GiB body would blow far past it.
const MAX_GROWTH_BYTES: u64 = 96 * 1024 * 1024;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Samples the resident set every few milliseconds until stopped; returns the peak.
fn watch_memory() -> (Arc<AtomicBool>, std::thread::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut peak = 0;
        while !flag.load(Ordering::SeqCst) {
            peak = peak.max(rss_bytes());
            std::thread::park_timeout(std::time::Duration::from_millis(5));
        }
        peak
    });
    (stop, handle)
}

async fn setup() -> (TestApp, String) {
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite always runs");
    let key = app.connect_mock(&app.workspace.test_key, "u1").await.key;
    (app, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_download_streams_with_flat_memory() {
    let (app, key) = setup().await;
    let baseline = rss_bytes();
    let (stop, watcher) = watch_memory();
    let response = app
        .get(&format!("/v1/passthrough/stream/{GIB}"))
        .header("x-portico-secret", &app.workspace.test_key)
        .header("x-portico-connection-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-length"], GIB.to_string().as_str());
    let mut received = 0u64;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        received += chunk.unwrap().len() as u64;
    }
    stop.store(true, Ordering::SeqCst);
    let peak = watcher.join().unwrap();
    assert_eq!(received, GIB);
    let growth = peak.saturating_sub(baseline);
    eprintln!("download: 1 GiB through passthrough, peak RSS growth {} MiB", growth / (1024 * 1024));
    assert!(growth < MAX_GROWTH_BYTES, "memory grew by {growth} bytes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_upload_streams_with_flat_memory() {
    let (app, key) = setup().await;
    let baseline = rss_bytes();
    let (stop, watcher) = watch_memory();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let chunk = bytes::Bytes::from(vec![b'y'; 64 * 1024]);
    let chunks = (GIB / chunk.len() as u64) as usize;
    let body = futures::stream::iter(0..chunks).map(move |_| {
        counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Ok::<_, std::io::Error>(chunk.clone())
    });
    let response = app
        .request(reqwest::Method::PUT, "/v1/passthrough/upload")
        .header("x-portico-secret", &app.workspace.test_key)
        .header("x-portico-connection-key", &key)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await.unwrap();
    stop.store(true, Ordering::SeqCst);
    let peak = watcher.join().unwrap();
    assert_eq!(sent.load(Ordering::SeqCst), GIB);
    assert_eq!(answer["bytes"], GIB, "the upstream received every byte");
    let growth = peak.saturating_sub(baseline);
    eprintln!("upload: 1 GiB through passthrough, peak RSS growth {} MiB", growth / (1024 * 1024));
    assert!(growth < MAX_GROWTH_BYTES, "memory grew by {growth} bytes");
}
