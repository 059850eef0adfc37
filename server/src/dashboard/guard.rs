//! The dashboard's door: who is signed in (from the session cookie), and the two CSRF defences
//! every state-changing request passes — its `Origin` must be Portico's own, and server-function
//! calls must carry the session's CSRF token in their JSON body.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_app::api::{DashboardError, CSRF_EXEMPT};

use crate::operators::sessions;
use crate::store::operators::OperatorRow;
use crate::AppState;

/// The signed-in operator of a request, put in its extensions by [`super::authenticate`].
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub operator: OperatorRow,
    /// The session's token, from its cookie: the CSRF token derives from it.
    pub token: String,
}

impl SignedIn {
    pub fn csrf(&self) -> String {
        sessions::csrf_token(&self.token)
    }
}

/// Largest server-function body read to find its CSRF token.
const MAX_BODY: usize = 256 * 1024;

/// Whether cookies must be `Secure` (and so may be `__Host-`): Portico is served over https.
pub fn secure_cookies(state: &AppState) -> bool {
    state.config.public_url.starts_with("https://")
}

/// The session cookie's operator, when the session is live.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<Option<SignedIn>, crate::store::StoreError> {
    let Some(token) = sessions::token_from(headers, secure_cookies(state)) else {
        return Ok(None);
    };
    let now = state.clock.now_ms();
    let Some(session) = sessions::resume(&state.store, &token, now).await? else {
        return Ok(None);
    };
    Ok(state.store.find_operator(&session.operator_id).await?.map(|operator| SignedIn { operator, token }))
}

/// Whether the request's `Origin` is Portico's own: the configured public URL's, or the one the
/// request was addressed to (`Host`, with the public URL's scheme). A missing `Origin` fails:
/// browsers send it on every POST.
pub fn origin_is_own(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let public = url::Url::parse(&state.config.public_url).ok();
    let own = public.as_ref().map(|u| u.origin().ascii_serialization());
    let scheme = public.as_ref().map_or("http", |u| u.scheme());
    let addressed = headers.get("host").and_then(|v| v.to_str().ok()).map(|host| format!("{scheme}://{host}"));
    own.as_deref() == Some(origin) || addressed.as_deref() == Some(origin)
}

/// A server function's answer for a request refused before it ran, in its error encoding.
pub fn refuse(status: StatusCode, error: DashboardError) -> Response {
    let body = serde_json::to_string(&error).unwrap_or_default();
    (status, [("content-type", "application/json"), ("serverfnerror", "1")], body).into_response()
}

/// Checks a server-function call: signed in, from Portico's origin, and carrying the session's
/// CSRF token in its JSON body (except the read-only [`CSRF_EXEMPT`] ones). Gives the request
/// back (its body re-assembled) when it passes.
pub async fn check_server_fn(state: &AppState, request: Request) -> Result<Request, Response> {
    let Some(signed_in) = request.extensions().get::<SignedIn>().cloned() else {
        return Err(refuse(StatusCode::UNAUTHORIZED, DashboardError::NotSignedIn));
    };
    if !origin_is_own(state, request.headers()) {
        return Err(refuse(StatusCode::FORBIDDEN, DashboardError::Forbidden));
    }
    let endpoint = request.uri().path().rsplit('/').next().unwrap_or_default().to_string();
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE, DashboardError::Forbidden))?;
    if !CSRF_EXEMPT.contains(&endpoint.as_str()) {
        let presented = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("csrf").and_then(|c| c.as_str()).map(str::to_string))
            .unwrap_or_default();
        if !sessions::csrf_matches(&signed_in.token, &presented) {
            return Err(refuse(StatusCode::FORBIDDEN, DashboardError::Forbidden));
        }
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}
