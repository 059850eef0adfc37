//! Passthrough's HTTP/1.1 client: hyper's connection API with a pool of kept-alive connections
//! per upstream origin, and nothing else on the way.
//!
//! hyper-util's general-purpose client costs a task spawned per call (to learn when a connection
//! is free again), a pool key and a `Host` header formatted per call, and an absolute URI parsed
//! and rewritten per call. Here the upstream URL is already parsed and checked (see
//! [`super::join`]): the request line and `Host` are slices of it, and a connection goes back to
//! its pool when the answer's body has been read to the end, from the body itself. A connection
//! taken from the pool is used only once it says it is ready; one the upstream closed meanwhile
//! is dropped, and a request it could not send is sent again on a new connection (it never
//! left, so this is safe for any method).
//!
//! Each serving thread has its own client (see [`crate::Application::run_on_workers`]), so the
//! locks here are never contended and a connection's task runs on the thread that uses it.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::SendRequest;
use url::{Position, Url};

use super::{refused_private, GuardedHyperResolver, PrivateAllowList};
use crate::config::Config;

type Connector = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector<GuardedHyperResolver>>;

/// Idle connections kept per origin; more are closed when they come back.
const MAX_IDLE_PER_ORIGIN: usize = 64;
/// An idle connection older than this is closed rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often every origin's idle list is swept (each origin's list is also swept when used).
const SWEEP_EVERY: Duration = Duration::from_secs(30);

pub struct PassthroughClient {
    connector: Connector,
    pools: Mutex<Pools>,
    headers_timeout: Duration,
}

struct Pools {
    /// By origin as the URL writes it (`https://api.example.com`, `http://127.0.0.1:4010`).
    by_origin: HashMap<Box<str>, Arc<OriginPool>>,
    swept_at: Instant,
}

#[derive(Default)]
struct OriginPool {
    idle: Mutex<Vec<IdleConnection>>,
}

struct IdleConnection {
    sender: SendRequest<Body>,
    since: Instant,
}

impl IdleConnection {
    /// Still open, and idle for less than [`IDLE_TIMEOUT`].
    fn usable(&self, now: Instant) -> bool {
        !self.sender.is_closed() && now.duration_since(self.since) < IDLE_TIMEOUT
    }
}

impl OriginPool {
    /// The most recently returned open connection, if any.
    fn take(&self, now: Instant) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(connection) = idle.pop() {
            if connection.usable(now) {
                return Some(connection.sender);
            }
        }
        None
    }

    fn give_back(&self, sender: SendRequest<Body>) {
        if sender.is_closed() {
            return;
        }
        let now = Instant::now();
        if let Ok(mut idle) = self.idle.lock() {
            idle.retain(|c| c.usable(now));
            if idle.len() < MAX_IDLE_PER_ORIGIN {
                idle.push(IdleConnection { sender, since: now });
            }
        }
    }

    /// Drops closed and expired connections; says whether any are left.
    fn sweep(&self, now: Instant) -> bool {
        match self.idle.lock() {
            Ok(mut idle) => {
                idle.retain(|c| c.usable(now));
                !idle.is_empty()
            }
            Err(_) => false,
        }
    }
}

/// Why an upstream call failed.
#[derive(Debug)]
pub enum SendError {
    Timeout,
    PrivateAddress,
    Unreachable(String),
}

fn unreachable(e: &(dyn std::error::Error + 'static)) -> SendError {
    if refused_private(e) {
        SendError::PrivateAddress
    } else {
        SendError::Unreachable(e.to_string())
    }
}

impl PassthroughClient {
    pub fn new(config: &Config, allow: Arc<PrivateAllowList>) -> Result<Self, rustls::Error> {
        let mut http =
            hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(GuardedHyperResolver { allow });
        http.enforce_http(false);
        http.set_connect_timeout(Some(config.passthrough.connect_timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(PassthroughClient {
            connector,
            pools: Mutex::new(Pools { by_origin: HashMap::new(), swept_at: Instant::now() }),
            headers_timeout: config.passthrough.timeout,
        })
    }

    /// Sends `method url` with exactly `headers` (plus `Host`) and `body`, and waits at most the
    /// configured timeout for the answer's headers; the body then streams for as long as it takes.
    /// `url` must be an `http(s)` URL without credentials or fragment, as [`super::join`] makes.
    pub async fn send(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Body,
    ) -> Result<http::Response<UpstreamBody>, SendError> {
        let target = &url[Position::BeforePath..Position::AfterQuery];
        let mut request = http::Request::new(body);
        *request.method_mut() = method;
        *request.uri_mut() =
            http::Uri::try_from(target).map_err(|e| SendError::Unreachable(format!("bad request target: {e}")))?;
        *request.headers_mut() = headers;
        let host = HeaderValue::from_str(&url[Position::BeforeHost..Position::AfterPort])
            .map_err(|e| SendError::Unreachable(format!("bad host: {e}")))?;
        request.headers_mut().insert(http::header::HOST, host);
        let pool = self.pool(&url[..Position::AfterPort]);
        match tokio::time::timeout(self.headers_timeout, self.send_pooled(&pool, url, request)).await {
            Err(_) => Err(SendError::Timeout),
            Ok(Err(e)) => Err(e),
            Ok(Ok((response, sender))) => {
                let (parts, incoming) = response.into_parts();
                let body = UpstreamBody { incoming, ended: false, give_back: Some((sender, pool)) };
                Ok(http::Response::from_parts(parts, body))
            }
        }
    }

    async fn send_pooled(
        &self,
        pool: &OriginPool,
        url: &Url,
        mut request: http::Request<Body>,
    ) -> Result<(http::Response<Incoming>, SendRequest<Body>), SendError> {
        loop {
            let (mut sender, fresh) = match pool.take(Instant::now()) {
                Some(sender) => (sender, false),
                // Boxed: connecting is rare and its future large.
                None => (Box::pin(self.connect(url)).await?, true),
            };
            if let Err(e) = sender.ready().await {
                if fresh {
                    return Err(unreachable(&e));
                }
                continue; // closed while idle: try the next one
            }
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, sender)),
                Err(mut e) => match e.take_message() {
                    // Not sent: the pooled connection was closing. Send it on another.
                    Some(unsent) if !fresh => request = unsent,
                    _ => return Err(unreachable(&e.into_error())),
                },
            }
        }
    }

    async fn connect(&self, url: &Url) -> Result<SendRequest<Body>, SendError> {
        use tower::ServiceExt;
        let origin = http::Uri::try_from(&url[..Position::AfterPort])
            .map_err(|e| SendError::Unreachable(format!("bad origin: {e}")))?;
        let io = self.connector.clone().oneshot(origin).await.map_err(|e| unreachable(e.as_ref()))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(io).await.map_err(|e| unreachable(&e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "upstream connection ended with an error");
            }
        });
        Ok(sender)
    }

    fn pool(&self, origin: &str) -> Arc<OriginPool> {
        let Ok(mut pools) = self.pools.lock() else { return Arc::default() };
        let now = Instant::now();
        if now.duration_since(pools.swept_at) >= SWEEP_EVERY {
            pools.swept_at = now;
            pools.by_origin.retain(|_, pool| Arc::strong_count(pool) > 1 || pool.sweep(now));
        }
        if let Some(pool) = pools.by_origin.get(origin) {
            return pool.clone();
        }
        let pool = Arc::<OriginPool>::default();
        pools.by_origin.insert(origin.into(), pool.clone());
        pool
    }

    /// Idle connections held, over all origins (for tests and diagnostics).
    pub fn idle_connections(&self) -> usize {
        let Ok(pools) = self.pools.lock() else { return 0 };
        pools.by_origin.values().map(|p| p.idle.lock().map(|idle| idle.len()).unwrap_or(0)).sum()
    }
}

/// An upstream answer's body. Read to the end, it gives its connection back to the pool when
/// dropped; dropped early (the caller went away), the connection closes with it.
pub struct UpstreamBody {
    incoming: Incoming,
    ended: bool,
    give_back: Option<(SendRequest<Body>, Arc<OriginPool>)>,
}

impl hyper::body::Body for UpstreamBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.incoming).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) {
            this.ended = true;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

impl Drop for UpstreamBody {
    fn drop(&mut self) {
        if self.ended || self.incoming.is_end_stream() {
            if let Some((sender, pool)) = self.give_back.take() {
                pool.give_back(sender);
            }
        }
    }
}
