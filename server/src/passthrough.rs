//! `ANY /v1/passthrough/{path}`: the host's backend calls a provider's API through Portico with
//! its secret key and a connection key; Portico checks ownership, injects the connection's
//! credentials and streams the request and the answer through unchanged.
//!
//! The upstream URL is always the platform's API base plus the caller's path (see
//! [`crate::upstream::join`]); the host's own `Authorization`, cookies, control and hop-by-hop
//! headers never reach the provider.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::Response;
use axum::routing::any;
use portico_catalog::{Action, Platform};

use crate::error::{ApiError, ApiResult};
use crate::keys::SecretKeyAuth;
use crate::lifecycle::{credentials_binding, ConnectionKey};
use crate::ratelimit::Limit;
use crate::store::calls::CallRecord;
use crate::store::connections::ConnectionRow;
use crate::upstream::{self, Credentials, UpstreamError};
use crate::AppState;
use portico_wire::ErrorCode;
use portico_wire::{ConnectionStatus, ErrorBody};
use utoipa_axum::router::OpenApiRouter;

pub(crate) const PREFIX: &str = "/v1/passthrough/";

/// The route is a wildcard, which OpenAPI cannot express: it is registered by hand and documented
/// by [`PassthroughDoc`] as `/v1/passthrough/{path}`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(<PassthroughDoc as utoipa::OpenApi>::openapi())
        .route("/v1/passthrough/{*path}", any(passthrough))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(passthrough))]
pub struct PassthroughDoc;

/// Headers that describe one hop of a connection, not the message (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The methods passthrough forwards (those documented for it). Others, TRACE above all (which
/// would echo the injected credential back), never reach a provider.
const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";

fn check_method(method: &http::Method) -> ApiResult<()> {
    use http::Method;
    match *method {
        Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::HEAD | Method::OPTIONS => {
            Ok(())
        }
        _ => Err(ApiError::method_not_allowed(method.as_str(), ALLOWED_METHODS)),
    }
}

/// Request headers the host sends Portico that must not reach the provider.
fn is_stripped_request_header(name: &HeaderName) -> bool {
    let n = name.as_str();
    HOP_BY_HOP.contains(&n)
        || matches!(n, "host" | "authorization" | "cookie" | "forwarded" | "x-real-ip")
        || n.starts_with("x-portico-")
        || n.starts_with("x-pica-")
        || n.starts_with("x-forwarded-")
}

fn header<'a>(headers: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok())).map(str::trim)
}

/// Whether `raw_path` (relative to the API base) fits an action's `/a/{param}/b` template.
fn path_fits(template: &str, raw_path: &str) -> bool {
    let want: Vec<&str> = template.trim_matches('/').split('/').collect();
    let have: Vec<&str> = raw_path.trim_matches('/').split('/').collect();
    want.len() == have.len()
        && want.iter().zip(&have).all(|(w, h)| (w.starts_with('{') && w.ends_with('}') && !h.is_empty()) || w == h)
}

fn check_action(platform: &Platform, action_id: &str, method: &str, raw_path: &str) -> ApiResult<Action> {
    let action = platform.action(action_id).ok_or_else(|| {
        ApiError::bad_request(ErrorCode::UnknownAction, format!("{} has no action `{action_id}`.", platform.name))
    })?;
    if action.method != method {
        return Err(ApiError::bad_request(
            ErrorCode::ActionMismatch,
            format!("Action `{action_id}` is {} {}, but this request is {method}.", action.method, action.path),
        ));
    }
    if !path_fits(&action.path, raw_path) {
        return Err(ApiError::bad_request(
            ErrorCode::ActionMismatch,
            format!(
                "Action `{action_id}` is {} {}, but this request's path is /{raw_path}.",
                action.method, action.path
            ),
        ));
    }
    Ok(action.clone())
}

fn upstream_error(e: UpstreamError) -> ApiError {
    match e {
        UpstreamError::BadPath(why) => ApiError::bad_request(ErrorCode::InvalidPath, format!("The passthrough path is not allowed: {why}.")),
        UpstreamError::PrivateAddress(_) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamForbidden,
            "The provider's address is private and not allow-listed for passthrough (PORTICO_PASSTHROUGH_ALLOW_PRIVATE).",
        ),
        other => ApiError::internal(other),
    }
}

/// Call the connection's platform API: the path (which may contain `/`) and query are appended to
/// the platform's API base, the connection's credentials injected, and the upstream status,
/// headers and body returned as sent.
#[utoipa::path(method(get, post, put, patch, delete, head, options), path = "/v1/passthrough/{path}", tag = "Passthrough",
    operation_id = "passthrough",
    security(("secret_key" = [])),
    params(
        ("path" = String, Path, description = "The API path relative to the platform's base; may contain `/`"),
        ("x-portico-connection-key" = String, Header, description = "The connection key (or x-pica-connection-key)"),
        ("x-portico-action-id" = Option<String>, Header, description = "An action id; the request must match its method and path"),
    ),
    responses(
        (status = 200, description = "Whatever the upstream answered, as sent"),
        (status = 400, description = "Missing or malformed connection key, a path leaving the API base, or an action mismatch", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such connection for this key", body = ErrorBody),
        (status = 405, description = "A method passthrough does not forward (TRACE, CONNECT…); `Allow` lists the others", body = ErrorBody),
        (status = 409, description = "The connection needs reauthorisation", body = ErrorBody),
        (status = 502, description = "The upstream could not be reached", body = ErrorBody),
        (status = 504, description = "The upstream timed out", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id, platform, connection, action, status))]
async fn passthrough(State(state): State<AppState>, auth: SecretKeyAuth, request: Request) -> ApiResult<Response> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    check_method(&parts.method)?;
    let key_text = header(&parts.headers, &["x-portico-connection-key", "x-pica-connection-key"]).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::MissingConnectionKey,
            "Send the connection key in the x-portico-connection-key header.",
        )
    })?;
    let key = ConnectionKey::parse(key_text)
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidConnectionKey, format!("{e}.")))?;
    let not_found = || ApiError::not_found("Connection");
    if key.environment != auth.scope.environment {
        return Err(not_found());
    }
    let cache_key = (auth.scope.clone(), key_text.to_string());
    let row = match state.connection_cache.get(&cache_key) {
        Some(row) => row,
        None => {
            let row = std::sync::Arc::new(
                Box::pin(state.store.find_connection_by_key(&auth.scope, key_text)).await?.ok_or_else(not_found)?,
            );
            state.connection_cache.put(cache_key, row.clone());
            row
        }
    };
    let span = tracing::Span::current();
    span.record("platform", row.platform.as_str());
    span.record("connection", row.id.as_str());

    let action_id = header(&parts.headers, &["x-portico-action-id", "x-pica-action-id"]).map(str::to_string);
    execute(&state, &auth, &row, action_id, parts, body, started).await
}

/// Sends one call through a connection and records it in the call log, whatever happens: the
/// host's passthrough request, or an agent's tool call. `parts.uri` is `/v1/passthrough/{path}`.
pub(crate) async fn execute(
    state: &AppState,
    auth: &SecretKeyAuth,
    row: &ConnectionRow,
    action_id: Option<String>,
    parts: http::request::Parts,
    body: Body,
    started: Instant,
) -> ApiResult<Response> {
    // The path as the call log shows it: relative to the API base, with its leading `/`.
    let path = parts.uri.path().get(PREFIX.len() - 1..).unwrap_or("/").to_string();
    let method = parts.method.to_string();
    let outcome = forward(state, auth, row, action_id.as_deref(), parts, body, started).await;
    let (status, error_code, attempts) = match &outcome {
        Ok((response, attempts)) => (response.status().as_u16(), None, *attempts),
        Err(e) => (e.status.as_u16(), Some(e.code.to_string()), 1),
    };
    tracing::Span::current().record("status", status);
    let latency_ms = started.elapsed().as_millis() as i64;
    tracing::info!(latency_us = started.elapsed().as_micros() as u64, attempts, "passthrough");
    state.call_log.record(CallRecord {
        id: 0,
        scope: auth.scope.clone(),
        connection_id: row.id.clone(),
        platform: row.platform.clone(),
        action_id,
        method,
        path,
        status: i64::from(status),
        error_code,
        attempts: i64::from(attempts),
        latency_ms,
        created_at: state.clock.now_ms(),
    });
    outcome.map(|(response, _)| response)
}

/// Checks the limits and the connection, builds the upstream request and sends it (with retries
/// when asked); returns the streamed answer and the number of attempts.
async fn forward(
    state: &AppState,
    auth: &SecretKeyAuth,
    row: &ConnectionRow,
    action_id: Option<&str>,
    parts: http::request::Parts,
    body: Body,
    started: Instant,
) -> ApiResult<(Response, u32)> {
    let platform = admit(state, auth, row).await?;
    let creds: Credentials = state.vault.open_json(credentials_binding(&auth.scope, &row.id), &row.credentials)?;
    let mut creds = crate::oauth::refresh::usable_credentials(state, &auth.scope, row, &platform, creds, None).await?;

    let raw_path = parts.uri.path().strip_prefix(PREFIX).unwrap_or_default();
    if let Some(action_id) = action_id {
        let action = check_action(&platform, action_id, parts.method.as_str(), raw_path)?;
        tracing::Span::current().record("action", action.id.as_str());
    }
    let mut forwarded = forwarded_headers(&parts.headers);
    let retries = requested_retries(&parts.headers)?;
    let has_tokens = crate::oauth::has_tokens(&platform);
    // Whether the request may be sent more than once (retries, or a refresh after a 401): only
    // then are the headers kept for another attempt rather than handed over.
    let may_resend = retries > 0 || has_tokens;
    let first = if may_resend { forwarded.clone() } else { std::mem::take(&mut forwarded) };
    let (mut url, mut headers) = prepare(state, &platform, &creds, raw_path, parts.uri.query(), first)?;
    let mut body = Outbound::of(body, &parts.headers, retries > 0, has_tokens).await?;

    let mut attempt: u32 = 0;
    let mut refreshed_after_401 = false;
    let upstream = loop {
        attempt += 1;
        let attempt_headers = if may_resend { headers.clone() } else { std::mem::take(&mut headers) };
        let response = state
            .passthrough
            .send(parts.method.clone(), &url, attempt_headers, body.next())
            .await
            .map_err(|e| send_error(e, &platform, started))?;
        // The provider refused the access token: refresh once (unless another call already did)
        // and send once more.
        if response.status() == StatusCode::UNAUTHORIZED
            && has_tokens
            && !refreshed_after_401
            && !matches!(body, Outbound::Streamed(_))
        {
            refreshed_after_401 = true;
            let rejected = creds.access_token().map(str::to_string);
            tracing::info!("upstream refused the access token; refreshing once");
            drop(response);
            let usable = crate::oauth::refresh::usable_credentials;
            creds = Box::pin(usable(state, &auth.scope, row, &platform, creds, rejected.as_deref())).await?;
            (url, headers) = prepare(state, &platform, &creds, raw_path, parts.uri.query(), forwarded.clone())?;
            continue;
        }
        match (attempt <= retries && is_retryable(response.status()))
            .then(|| {
                retry_wait(response.headers(), attempt, state.config.passthrough.max_retry_wait, state.clock.now_ms())
            })
            .flatten()
        {
            Some(wait) => {
                let status = response.status().as_u16();
                tracing::info!(status, attempt, wait_ms = wait.as_millis() as u64, "retrying upstream");
                drop(response);
                tokio::time::sleep(wait).await;
            }
            None => break response,
        }
    };
    Ok((downstream(upstream, (retries > 0).then_some(attempt)), attempt))
}

/// Whether the call may go ahead: within the rate limits, on a usable connection of a platform
/// still in the catalog and turned on for the workspace.
async fn admit(state: &AppState, auth: &SecretKeyAuth, row: &ConnectionRow) -> ApiResult<Arc<Platform>> {
    let limits = &state.config.rate_limits;
    if limits.key_per_minute > 0 || limits.connection_per_minute > 0 {
        state
            .rate_limiter
            .check(
                &state.store,
                &[
                    Limit { bucket: format!("key:{}", auth.key_id), per_minute: limits.key_per_minute },
                    Limit { bucket: format!("conn:{}", row.id), per_minute: limits.connection_per_minute },
                ],
            )
            .await
            .map_err(|e| ApiError::rate_limited("passthrough calls for this connection or key", e.retry_after_secs))?;
    }
    if row.status == ConnectionStatus::NeedsReauth {
        return Err(crate::oauth::refresh::needs_reauth_error());
    }
    if row.status != ConnectionStatus::Active || !row.active {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::ConnectionInactive,
            "This connection needs to be reconnected by its user before it can be used.",
        ));
    }
    let platform = state.catalog.get(&row.platform).cloned().ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::PlatformUnavailable,
            format!("Platform `{}` is no longer in the catalog.", row.platform),
        )
    })?;
    crate::catalog::check_enabled(state, &auth.scope, &platform).await?;
    Ok(platform)
}

/// The header names a message's `Connection` header lists: they concern that one hop, and a
/// proxy removes them (RFC 9110 §7.6.1).
fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Whether `name` is among the `listed` (lower-case) names.
fn is_listed(listed: &[String], name: &HeaderName) -> bool {
    listed.iter().any(|l| l == name.as_str())
}

/// The host's headers that may reach the provider.
fn forwarded_headers(headers: &HeaderMap) -> HeaderMap {
    let listed = connection_listed(headers);
    let mut forwarded = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !is_stripped_request_header(name) && !is_listed(&listed, name) {
            forwarded.append(name.clone(), value.clone());
        }
    }
    forwarded
}

/// Why an upstream request failed, in the API's words.
fn send_error(e: upstream::SendError, platform: &Platform, started: Instant) -> ApiError {
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match e {
        upstream::SendError::Timeout => {
            tracing::warn!(elapsed_ms, "upstream did not answer in time");
            ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                ErrorCode::UpstreamTimeout,
                format!("{} did not answer in time.", platform.name),
            )
        }
        upstream::SendError::PrivateAddress => upstream_error(UpstreamError::PrivateAddress(platform.slug.clone())),
        upstream::SendError::Unreachable(why) => {
            tracing::warn!(error = %why, elapsed_ms, "upstream request failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamUnreachable,
                format!("{} could not be reached.", platform.name),
            )
        }
    }
}

/// The provider's answer as the host receives it: status, headers but the hop-by-hop ones, the
/// body streamed; `attempts` (when the host asked for retries) in `x-portico-attempts`.
fn downstream(upstream: http::Response<upstream::UpstreamBody>, attempts: Option<u32>) -> Response {
    let (upstream_parts, upstream_body) = upstream.into_parts();
    let mut response = Response::new(Body::new(upstream_body));
    *response.status_mut() = upstream_parts.status;
    *response.headers_mut() = answer_headers(&upstream_parts.headers);
    let out = response.headers_mut();
    if let Some(attempts) = attempts {
        out.insert("x-portico-attempts", http::HeaderValue::from(attempts));
    }
    response
}

/// The provider's headers that reach the host.
fn answer_headers(upstream: &HeaderMap) -> HeaderMap {
    let listed = connection_listed(upstream);
    let mut out = HeaderMap::with_capacity(upstream.len());
    for (name, value) in upstream {
        if !HOP_BY_HOP.contains(&name.as_str()) && !is_listed(&listed, name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The upstream URL and headers (the forwarded ones plus the credentials) for a call with these
/// credentials.
fn prepare(
    state: &AppState,
    platform: &Platform,
    creds: &Credentials,
    raw_path: &str,
    query: Option<&str>,
    mut headers: HeaderMap,
) -> ApiResult<(url::Url, HeaderMap)> {
    let base = state.api_bases.base_for(platform, creds).map_err(upstream_error)?;
    let mut url = upstream::join(&base, raw_path, query).map_err(upstream_error)?;
    upstream::inject(platform, creds, &mut headers, &mut url).map_err(upstream_error)?;
    state.private_allow.check_url(&url).map_err(upstream_error)?;
    Ok((url, headers))
}

/// The largest body kept in memory so a request can be retried.
const MAX_RETRY_BODY: usize = 1024 * 1024;
/// At most this many retries may be asked for.
const MAX_RETRIES: u32 = 3;

/// The request body as it goes upstream.
enum Outbound {
    Empty,
    /// Kept, so the request can be sent again.
    Buffered(bytes::Bytes),
    /// Sent once, as it arrives.
    Streamed(Option<Body>),
}

impl Outbound {
    /// A body that may be sent twice is kept: for retries, and for OAuth platforms (a 401 means
    /// refresh and send again) when it is small and its length is known.
    async fn of(body: Body, headers: &HeaderMap, retries: bool, has_tokens: bool) -> ApiResult<Self> {
        if body.is_end_stream() {
            return Ok(Outbound::Empty);
        }
        let small_known_length = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n <= MAX_RETRY_BODY);
        if !(retries || (has_tokens && small_known_length)) {
            return Ok(Outbound::Streamed(Some(body)));
        }
        let bytes = Box::pin(axum::body::to_bytes(body, MAX_RETRY_BODY)).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::RetryBodyTooLarge,
                "Retries need a request body of at most 1 MiB; send larger bodies without x-portico-retries.",
            )
        })?;
        Ok(Outbound::Buffered(bytes))
    }

    /// The body for the next attempt.
    fn next(&mut self) -> Body {
        match self {
            Outbound::Empty => Body::empty(),
            Outbound::Buffered(bytes) => Body::from(bytes.clone()),
            Outbound::Streamed(stream) => stream.take().unwrap_or_else(Body::empty),
        }
    }
}

/// `x-portico-retries: N` (0–3): retry a 429 or 5xx answer up to N times.
fn requested_retries(headers: &HeaderMap) -> ApiResult<u32> {
    match header(headers, &["x-portico-retries"]) {
        None => Ok(0),
        Some(v) => v.parse::<u32>().ok().filter(|n| *n <= MAX_RETRIES).ok_or_else(|| {
            ApiError::bad_request(
                ErrorCode::InvalidRetries,
                format!("x-portico-retries must be a whole number from 0 to {MAX_RETRIES}."),
            )
        }),
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// How long to wait before the next attempt: the upstream's `Retry-After` (seconds or an HTTP
/// date) when it sent one, else exponential backoff from 250 ms. `None` when the upstream asks
/// for longer than `max`: the caller then gets the upstream's answer as it is.
fn retry_wait(
    headers: &http::HeaderMap,
    attempt: u32,
    max: std::time::Duration,
    now_ms: i64,
) -> Option<std::time::Duration> {
    let asked = headers.get(http::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| {
        let v = v.trim();
        match v.parse::<u64>() {
            Ok(seconds) => Some(std::time::Duration::from_secs(seconds)),
            Err(_) => httpdate::parse_http_date(v).ok().map(|at| {
                let at_ms = at.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
                std::time::Duration::from_millis((at_ms - now_ms).max(0) as u64)
            }),
        }
    });
    let wait = asked.unwrap_or_else(|| std::time::Duration::from_millis(250 << (attempt - 1).min(4)));
    (wait <= max).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_templates_match_whole_segments() {
        assert!(path_fits("/items/{id}", "items/item-1"));
        assert!(path_fits("/me", "me"));
        assert!(!path_fits("/items/{id}", "items"));
        assert!(!path_fits("/items/{id}", "items/a/b"));
        assert!(!path_fits("/items/{id}", "other/a"));
        assert!(!path_fits("/items/{id}", "items/"));
    }

    #[test]
    fn retry_waits_follow_retry_after_and_back_off_otherwise() {
        let max = std::time::Duration::from_secs(30);
        let mut headers = http::HeaderMap::new();
        assert_eq!(retry_wait(&headers, 1, max, 0), Some(std::time::Duration::from_millis(250)));
        assert_eq!(retry_wait(&headers, 3, max, 0), Some(std::time::Duration::from_millis(1000)));
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("2"));
        assert_eq!(retry_wait(&headers, 1, max, 0), Some(std::time::Duration::from_secs(2)));
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("120"));
        assert_eq!(retry_wait(&headers, 1, max, 0), None, "longer than the cap: give the answer back");
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:05 GMT"));
        let date_ms = 1_445_412_485_000;
        assert_eq!(retry_wait(&headers, 1, max, date_ms - 3000), Some(std::time::Duration::from_secs(3)));
        assert_eq!(
            retry_wait(&headers, 1, max, date_ms + 5000),
            Some(std::time::Duration::ZERO),
            "a past date means now"
        );
    }

    #[test]
    fn only_429_and_5xx_are_retried() {
        for status in [429, 500, 502, 503, 504] {
            assert!(is_retryable(StatusCode::from_u16(status).unwrap()));
        }
        for status in [200, 201, 400, 401, 404, 409] {
            assert!(!is_retryable(StatusCode::from_u16(status).unwrap()));
        }
    }

    #[test]
    fn headers_named_in_connection_are_dropped_both_ways() {
        let mut headers = HeaderMap::new();
        headers.append("connection", http::HeaderValue::from_static("keep-alive, X-Hop"));
        headers.append("connection", http::HeaderValue::from_static("x-other"));
        headers.insert("x-hop", http::HeaderValue::from_static("one hop only"));
        headers.insert("x-other", http::HeaderValue::from_static("one hop only"));
        headers.insert("x-kept", http::HeaderValue::from_static("kept"));
        for (direction, out) in
            [("to the provider", forwarded_headers(&headers)), ("to the host", answer_headers(&headers))]
        {
            assert!(!out.contains_key("x-hop") && !out.contains_key("x-other"), "{direction}: {out:?}");
            assert!(!out.contains_key("connection"), "{direction}");
            assert_eq!(out["x-kept"], "kept", "{direction}");
        }
    }

    #[test]
    fn control_headers_are_stripped() {
        for name in [
            "authorization",
            "cookie",
            "host",
            "x-portico-secret",
            "x-pica-connection-key",
            "connection",
            "x-forwarded-for",
            "te",
        ] {
            assert!(is_stripped_request_header(&HeaderName::from_static(name)), "{name}");
        }
        for name in ["accept", "content-type", "x-custom", "content-length"] {
            assert!(!is_stripped_request_header(&HeaderName::from_static(name)), "{name}");
        }
    }
}
