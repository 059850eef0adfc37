//! The HTTP/1.1 server loop, in place of `axum::serve`, which sets no timer (so hyper's header
//! timeout never fires) and accepts without bound (review finding #3):
//!
//! - a client has [`ConnectionLimits::header_timeout`] to send a request's headers, and the same
//!   time to send the next one on a kept-alive connection; then the connection is closed (a
//!   slowloris client holds a socket for seconds, not forever);
//! - at most [`ConnectionLimits::max_connections`] connections are open at once; the next client
//!   waits in the kernel's backlog until one closes;
//! - on shutdown the listener closes, connections finish their request in flight and close, and
//!   `serve` returns when the last one has.
//!
//! Each request carries the peer's `ConnectInfo<SocketAddr>`, as `axum::serve` with connect info
//! gives it. With several workers each serves its share of `max_connections`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

use crate::config::ConnectionLimits;

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router.clone().map_request(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.map(Body::new)
        });
        let stopping = stopping.clone();
        tokio::spawn(async move {
            serve_connection(stream, TowerToHyperService::new(service), limits.header_timeout, stopping).await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it has closed.
    let _ = slots.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

async fn serve_connection<S>(
    stream: tokio::net::TcpStream,
    service: TowerToHyperService<S>,
    header_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
) where
    S: tower::Service<hyper::Request<Incoming>, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "client connection ended with an error");
            }
        }
        // The value only ever turns true; a closed channel means stopping too.
        _ = stopping.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// As `axum::serve` does: a dropped handshake is nothing; running out of file descriptors (or
/// another resource) is logged and retried after a pause instead of spinning.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
