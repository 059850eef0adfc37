//! Endpoints that behave like a difficult provider, for passthrough's tests and benchmarks: large
//! streamed bodies both ways, slow answers, rate limiting with `Retry-After`, cookies, and the
//! caller's connection (to see keep-alive at work). All authenticated like the rest of the mock's
//! API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, put};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use crate::{authenticate, MockState};

pub(crate) fn router() -> Router<MockState> {
    Router::new()
        .route("/api/stream/{bytes}", get(stream_download))
        .route("/api/upload", put(count_upload).post(count_upload))
        .route("/api/slow", get(slow))
        .route("/api/flaky/{name}", any(flaky))
        .route("/api/cookie", get(cookie))
        .route("/api/connection", get(connection))
}

const CHUNK: usize = 64 * 1024;

/// `bytes` bytes of `x`, generated chunk by chunk: the mock never holds the whole body.
async fn stream_download(State(state): State<MockState>, headers: HeaderMap, Path(bytes): Path<u64>) -> Response {
    if let Err(rejection) = authenticate(&state, &headers) {
        return rejection.into_response();
    }
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    let full = bytes / CHUNK as u64;
    let rest = (bytes % CHUNK as u64) as usize;
    let stream = futures_util::stream::iter(0..full)
        .map(move |_| Ok::<_, std::io::Error>(chunk.clone()))
        .chain(futures_util::stream::iter((rest > 0).then(|| Ok(Bytes::from(vec![b'x'; rest])))));
    (
        [(header::CONTENT_TYPE, "application/octet-stream".to_string()), (header::CONTENT_LENGTH, bytes.to_string())],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Counts an uploaded body as it streams in; answers with its size.
async fn count_upload(State(state): State<MockState>, request: Request) -> Response {
    if let Err(rejection) = authenticate(&state, request.headers()) {
        return rejection.into_response();
    }
    let mut stream = request.into_body().into_data_stream();
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => total += bytes.len() as u64,
            Err(_) => return (StatusCode::BAD_REQUEST, Json(json!({"error": "body_interrupted"}))).into_response(),
        }
    }
    Json(json!({"bytes": total})).into_response()
}

#[derive(Deserialize)]
struct SlowQuery {
    ms: Option<u64>,
}

async fn slow(State(state): State<MockState>, headers: HeaderMap, Query(q): Query<SlowQuery>) -> Response {
    if let Err(rejection) = authenticate(&state, &headers) {
        return rejection.into_response();
    }
    let ms = q.ms.unwrap_or(1000).min(60_000);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Json(json!({"sleptMs": ms})).into_response()
}

#[derive(Deserialize)]
struct FlakyQuery {
    /// How many calls fail before one succeeds.
    fail: Option<u64>,
    /// The status of the failures (429, 500, 502, 503…).
    status: Option<u16>,
    /// The `Retry-After` the failures carry, in seconds (omitted when absent).
    retry_after: Option<u64>,
}

/// Fails the first `fail` calls (per name) with `status`, then succeeds and reports how many calls
/// it took: the retry tests read the count.
async fn flaky(
    State(state): State<MockState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<FlakyQuery>,
) -> Response {
    if let Err(rejection) = authenticate(&state, &headers) {
        return rejection.into_response();
    }
    let counter = {
        let Ok(mut counters) = state.flaky.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        counters.entry(name).or_insert_with(|| std::sync::Arc::new(AtomicU64::new(0))).clone()
    };
    let call = counter.fetch_add(1, Ordering::SeqCst) + 1;
    if call <= q.fail.unwrap_or(1) {
        let status = StatusCode::from_u16(q.status.unwrap_or(429)).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
        let mut response = (status, Json(json!({"error": "try_later", "call": call}))).into_response();
        if let Some(seconds) = q.retry_after {
            if let Ok(value) = seconds.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        return response;
    }
    Json(json!({"ok": true, "calls": call})).into_response()
}

async fn cookie(State(state): State<MockState>, headers: HeaderMap) -> Response {
    if let Err(rejection) = authenticate(&state, &headers) {
        return rejection.into_response();
    }
    ([(header::SET_COOKIE, "mock_session=abc123; Path=/; HttpOnly; SameSite=Lax")], Json(json!({"cookie": "set"})))
        .into_response()
}

#[derive(Deserialize)]
struct ConnectionQuery {
    /// Answer with `Connection: close`, so the caller's connection ends after this answer.
    close: Option<bool>,
}

/// The caller's address (its port tells one kept-alive connection from another).
async fn connection(
    State(state): State<MockState>,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Query(q): Query<ConnectionQuery>,
) -> Response {
    if let Err(rejection) = authenticate(&state, &headers) {
        return rejection.into_response();
    }
    let mut response = Json(json!({"peer": peer.to_string()})).into_response();
    if q.close.unwrap_or(false) {
        response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    }
    response
}
