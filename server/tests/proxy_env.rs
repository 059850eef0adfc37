//! Outbound requests never go through a proxy named in the environment (`HTTP_PROXY`,
//! `HTTPS_PROXY`, `ALL_PROXY`): a proxy resolves names itself, so the guarded resolver (private
//! addresses only when allow-listed) would be bypassed. A test binary of its own, because it sets
//! the process's environment, which every other test's HTTP clients would read too.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use portico::config::Config;
use portico::upstream::{build_client, PrivateAllowList};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A listener that answers every request with `body` and counts the connections it accepted.
async fn answering(body: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let answer =
                    format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, accepted)
}

#[tokio::test]
async fn proxies_from_the_environment_are_never_used() {
    let (proxy, through_proxy) = answering("proxied").await;
    let (provider, direct) = answering("direct").await;
    for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        std::env::set_var(name, &proxy);
    }
    for name in ["NO_PROXY", "no_proxy"] {
        std::env::remove_var(name);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_dir(dir.path(), [7u8; 32]);
    config.passthrough.allow_private = vec![provider.clone()];
    let client = build_client(&config, Arc::new(PrivateAllowList::new(&config.passthrough.allow_private)))
        .expect("the client builds");

    // A verification request to an allow-listed provider goes straight to it.
    let answer = client.get(format!("{provider}/api/me")).send().await.unwrap().text().await.unwrap();
    assert_eq!(answer, "direct");
    assert_eq!(direct.load(Ordering::SeqCst), 1);
    // A name the guarded resolver cannot resolve fails here; a proxy would have fetched it.
    assert!(client.get("http://portico-test.invalid/api/me").send().await.is_err());
    assert_eq!(through_proxy.load(Ordering::SeqCst), 0, "a request went through the environment's proxy");
}
