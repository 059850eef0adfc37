//! Review finding #3: slow clients cannot hold the server. A client that sends its headers too
//! slowly, or keeps a connection idle, is cut off after the header timeout; past the connection cap
//! new clients wait instead of exhausting the process; 500 slowloris sockets do not stop a normal
//! client from being served. Transport-level, so SQLite only.

use std::time::{Duration, Instant};

use portico::config::ConnectionLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp};

async fn app(limits: ConnectionLimits) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, move |c| c.connections = limits).await.expect("SQLite always runs")
}

fn addr(app: &TestApp) -> String {
    app.url.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection; returns what it sent and how long that took.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open past {limit:?}");
    (received, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_sent_too_slowly_or_an_idle_connection_are_cut_off() {
    let app = app(ConnectionLimits { header_timeout: Duration::from_secs(1), max_connections: 100 }).await;
    // Half a request line, then nothing more.
    let mut slow = TcpStream::connect(addr(&app)).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let (_, waited) = until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(waited >= Duration::from_millis(800), "cut off after the timeout, not before: {waited:?}");

    // A complete request is answered; the kept-alive connection then idles and is closed.
    let mut idle = TcpStream::connect(addr(&app)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let (answer, _) = until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"), "answered before the idle cut-off");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_connection_cap_new_clients_wait_for_a_free_slot() {
    let app = app(ConnectionLimits { header_timeout: Duration::from_secs(2), max_connections: 3 }).await;
    let mut hogs = Vec::new();
    for _ in 0..3 {
        hogs.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let client = reqwest::Client::builder().timeout(Duration::from_millis(800)).build().unwrap();
    let url = format!("{}/healthz", app.url);
    assert!(client.get(&url).send().await.is_err(), "a fourth connection is not served while three are open");
    // The hogs are cut off by the header timeout; the next client is then served.
    let patient = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    assert_eq!(patient.get(&url).send().await.unwrap().status(), reqwest::StatusCode::OK);
    drop(hogs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_slowloris_sockets_do_not_stop_a_normal_client() {
    let app = app(ConnectionLimits { header_timeout: Duration::from_secs(3), max_connections: 10_000 }).await;
    let target = addr(&app);
    let mut sockets = Vec::new();
    for _ in 0..500 {
        let mut s = TcpStream::connect(&target).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        sockets.push(s);
    }
    // Every slowloris socket dribbles a header byte now and then; normal clients meanwhile.
    let dribble = tokio::spawn(async move {
        for _ in 0..4 {
            for s in sockets.iter_mut() {
                let _ = s.write_all(b"X").await;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        sockets
    });
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    for _ in 0..20 {
        let answer = client.get(format!("{}/healthz", app.url)).send().await.expect("a normal client is served");
        assert_eq!(answer.status(), reqwest::StatusCode::OK);
    }
    let mut sockets = dribble.await.unwrap();
    // And the server let go of the slow ones.
    for s in sockets.iter_mut().take(20) {
        until_closed(s, Duration::from_secs(10)).await;
    }
}
