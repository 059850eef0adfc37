//! The modal's calls to Portico (same origin), authenticated by the session token.

use gloo_net::http::{Request, RequestBuilder, Response};
use portico_wire::{
    ConnectionView, CreateConnectionRequest, ErrorCode, OAuthAttemptStarted, OAuthAttemptView, SessionView,
    StartOAuthRequest,
};
use wasm_bindgen::JsValue;

use crate::js;

/// A failed call: a code for `onError` and for the wording the user reads (translated, see
/// [`crate::i18n::failure_text`]), the server's own sentence (English; also for `onError`), and
/// the platform it was about when the modal knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
    pub platform: Option<String>,
}

impl Failure {
    pub fn new(code: ErrorCode, message: &str) -> Self {
        Failure { code, message: message.to_string(), platform: None }
    }

    /// One of the modal's own failures, with its English wording for `onError`.
    pub fn local(code: ErrorCode) -> Self {
        Failure::new(code, &crate::i18n::english_error(code))
    }

    /// The failure about `platform` (its name fills the wording's `{platform}`).
    pub fn about(mut self, platform: &str) -> Self {
        if self.platform.is_none() {
            self.message = crate::i18n::fill(self.message, &[("platform", platform)]);
            self.platform = Some(platform.to_string());
        }
        self
    }

    /// The session token is no longer usable: nothing on this screen can work any more.
    pub fn ends_session(&self) -> bool {
        self.code.ends_session()
    }

    /// Worth asking again in a moment (polling keeps going through these).
    pub fn is_transient(&self) -> bool {
        self.code.is_transient()
    }

    pub(crate) fn network() -> Self {
        Failure::local(ErrorCode::NetworkError)
    }
}

#[derive(Debug, Clone)]
pub struct Api {
    pub token: String,
    /// The host page's origin as the browser reported it (embedded mode only).
    pub parent_origin: Option<String>,
}

/// The answer's JSON read by `read` (one of [`js`]'s decoders), or the error it carries.
async fn decode<T>(response: Response, read: fn(&JsValue) -> Option<T>) -> Result<T, Failure> {
    let status = response.status();
    let body = response.text().await.ok().and_then(|t| js::parse(&t));
    if response.ok() {
        return body.as_ref().and_then(read).ok_or_else(|| Failure::local(ErrorCode::BadResponse));
    }
    match body.as_ref().and_then(js::error_body) {
        Some(error) => Err(Failure::new(error.code, &error.message)),
        // `onError` gets the status; the user reads the code's wording.
        None => Err(Failure::new(
            ErrorCode::ServerError,
            &format!("The server answered with an error (HTTP {status}). Try again in a moment."),
        )),
    }
}

/// A JSON body; building a request with a string body cannot fail in practice.
async fn send_json(request: RequestBuilder, body: String) -> Result<Response, Failure> {
    let request = request
        .header("content-type", "application/json")
        .body(body)
        .map_err(|_| Failure::local(ErrorCode::BadRequest))?;
    request.send().await.map_err(|_| Failure::network())
}

impl Api {
    fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        let request = request.header("authorization", &format!("Bearer {}", self.token));
        match &self.parent_origin {
            Some(origin) => request.header("x-portico-parent-origin", origin),
            None => request,
        }
    }

    pub async fn session(&self) -> Result<SessionView, Failure> {
        let response =
            self.authorize(Request::get("/v1/authkit/session")).send().await.map_err(|_| Failure::network())?;
        decode(response, js::session_view).await
    }

    pub async fn create_connection(&self, body: &CreateConnectionRequest) -> Result<ConnectionView, Failure> {
        let request = self.authorize(Request::post("/v1/authkit/connections"));
        decode(send_json(request, js::create_connection_body(body)).await?, js::connection_view).await
    }

    /// Begins an OAuth sign-in; the answer names the page the popup (or the host page) opens.
    pub async fn start_oauth(&self, body: &StartOAuthRequest) -> Result<OAuthAttemptStarted, Failure> {
        let request = self.authorize(Request::post("/v1/authkit/oauth/attempts"));
        decode(send_json(request, js::start_oauth_body(body)).await?, js::attempt_started).await
    }

    /// Where an OAuth sign-in stands, as the server recorded it.
    pub async fn oauth_attempt(&self, attempt_id: &str) -> Result<OAuthAttemptView, Failure> {
        let path = format!("/v1/authkit/oauth/attempts/{}", String::from(js_sys::encode_uri_component(attempt_id)));
        let response = self.authorize(Request::get(&path)).send().await.map_err(|_| Failure::network())?;
        decode(response, js::attempt_view).await
    }
}

/// Where the connect page keeps its session for reloads in the same tab: a link works once.
const LINK_SESSION_KEY: &str = "portico:connect-session";

fn tab_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The hosted connect page trades its link code for a session token, once; a reload of the same
/// tab reuses the token it got (kept in the tab's session storage, beside the link it came from).
pub async fn exchange_link(link: &str) -> Result<String, Failure> {
    let stored = tab_storage().and_then(|s| s.get_item(LINK_SESSION_KEY).ok().flatten());
    if let Some((stored_link, token)) = stored.as_deref().and_then(|s| s.split_once(' ')) {
        if stored_link == link {
            return Ok(token.to_string());
        }
    }
    let response = send_json(Request::post("/v1/authkit/link"), js::link_body(link)).await?;
    let token = decode(response, |v| js_sys::Reflect::get(v, &JsValue::from_str("token")).ok()?.as_string()).await?;
    if let Some(storage) = tab_storage() {
        let _ = storage.set_item(LINK_SESSION_KEY, &format!("{link} {token}"));
    }
    Ok(token)
}
