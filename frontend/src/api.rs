//! The modal's calls to Portico (same origin), authenticated by the session token.

use gloo_net::http::{Request, Response};
use portico_wire::{
    ConnectionView, CreateConnectionRequest, ErrorBody, ErrorCode, OAuthAttemptStarted, OAuthAttemptView, SessionView,
    StartOAuthRequest,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A failed call, with a code for `onError` and a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
}

impl Failure {
    pub fn new(code: ErrorCode, message: &str) -> Self {
        Failure { code, message: message.to_string() }
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
        Failure::new(
            ErrorCode::NetworkError,
            "We could not reach the server. Check your internet connection and try again.",
        )
    }
}

#[derive(Debug, Clone)]
pub struct Api {
    pub token: String,
    /// The host page's origin as the browser reported it (embedded mode only).
    pub parent_origin: Option<String>,
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, Failure> {
    if response.ok() {
        return response.json::<T>().await.map_err(|_| {
            Failure::new(ErrorCode::BadResponse, "The server sent an answer we could not read. Try again.")
        });
    }
    let status = response.status();
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(Failure { code: body.error.code, message: body.error.message }),
        Err(_) => Err(Failure {
            code: ErrorCode::ServerError,
            message: format!("The server answered with an error (HTTP {status}). Try again in a moment."),
        }),
    }
}

impl Api {
    fn authorize(&self, request: gloo_net::http::RequestBuilder) -> gloo_net::http::RequestBuilder {
        let request = request.header("authorization", &format!("Bearer {}", self.token));
        match &self.parent_origin {
            Some(origin) => request.header("x-portico-parent-origin", origin),
            None => request,
        }
    }

    pub async fn session(&self) -> Result<SessionView, Failure> {
        let response =
            self.authorize(Request::get("/v1/authkit/session")).send().await.map_err(|_| Failure::network())?;
        decode(response).await
    }

    pub async fn create_connection(&self, body: &CreateConnectionRequest) -> Result<ConnectionView, Failure> {
        let request = self
            .authorize(Request::post("/v1/authkit/connections"))
            .json(body)
            .map_err(|_| Failure::new(ErrorCode::BadRequest, "The form could not be sent."))?;
        let response = request.send().await.map_err(|_| Failure::network())?;
        decode(response).await
    }

    /// Begins an OAuth sign-in; the answer names the page the popup (or the host page) opens.
    pub async fn start_oauth(&self, body: &StartOAuthRequest) -> Result<OAuthAttemptStarted, Failure> {
        let request = self
            .authorize(Request::post("/v1/authkit/oauth/attempts"))
            .json(body)
            .map_err(|_| Failure::new(ErrorCode::BadRequest, "The sign-in could not be started."))?;
        let response = request.send().await.map_err(|_| Failure::network())?;
        decode(response).await
    }

    /// Where an OAuth sign-in stands, as the server recorded it.
    pub async fn oauth_attempt(&self, attempt_id: &str) -> Result<OAuthAttemptView, Failure> {
        let path = format!("/v1/authkit/oauth/attempts/{}", String::from(js_sys::encode_uri_component(attempt_id)));
        let response = self.authorize(Request::get(&path)).send().await.map_err(|_| Failure::network())?;
        decode(response).await
    }
}

#[derive(Deserialize)]
struct LinkAnswer {
    token: String,
}

/// The hosted connect page trades its link code for a session token.
pub async fn exchange_link(link: &str) -> Result<String, Failure> {
    let request = Request::post("/v1/authkit/link")
        .json(&serde_json::json!({ "link": link }))
        .map_err(|_| Failure::new(ErrorCode::BadRequest, "The link could not be sent."))?;
    let response = request.send().await.map_err(|_| Failure::network())?;
    decode::<LinkAnswer>(response).await.map(|a| a.token)
}
