//! OAuth 2.0 connections: operators' own OAuth apps, the sign-in flow (popup or redirect, `state`
//! and PKCE S256), token requests to providers, and the refresh engine.
//!
//! - [`flow`]: `POST/GET /v1/authkit/oauth/attempts`, `GET /oauth/start`, `GET /oauth/callback`.
//! - [`refresh`]: refresh ahead of expiry, single-flight in-process and across replicas (a lease
//!   row), the background sweep, `needs_reauth` after `invalid_grant` or repeated failure.
//! - This module: the token endpoint client every grant goes through.

pub mod apps;
pub mod flow;
pub mod refresh;
pub mod revoke;

use std::time::Duration;

use portico_catalog::Platform;
use portico_wire::{AuthKind, ErrorCode};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::credentials::field;
use crate::upstream::Credentials;
use crate::AppState;

/// How long a token endpoint may take before the grant counts as failed (or less, when the
/// operator set a shorter upstream timeout).
const TOKEN_TIMEOUT: Duration = Duration::from_secs(15);

/// What a token endpoint returned.
pub struct TokenSet {
    pub access_token: Zeroizing<String>,
    pub refresh_token: Option<Zeroizing<String>>,
    pub token_type: Option<String>,
    pub scope: Option<String>,
    pub expires_in: Option<i64>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("refresh_token", &self.refresh_token.is_some())
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why a grant failed, in the terms a caller must act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The provider no longer honours the code or refresh token (`invalid_grant`): only the user
    /// can fix it.
    #[error("the provider refused the grant ({0})")]
    InvalidGrant(String),
    /// The provider refused the OAuth app's client id or secret.
    #[error("the provider refused the client credentials ({0})")]
    InvalidClient(String),
    /// Any other error answer.
    #[error("the provider answered HTTP {status} ({code})")]
    Provider { status: u16, code: String },
    #[error("the token endpoint did not answer in time")]
    Timeout,
    #[error("the token endpoint could not be reached")]
    Unreachable,
    #[error("the token endpoint's answer could not be read")]
    BadResponse,
    #[error("the token endpoint's answer was too large (over {} KiB)", MAX_TOKEN_ANSWER / 1024)]
    TooLarge,
}

/// The most of a token endpoint's answer that is read: real ones are well under 8 KiB.
pub const MAX_TOKEN_ANSWER: usize = 64 * 1024;

impl GrantError {
    /// Whether retrying later cannot help.
    pub fn is_fatal(&self) -> bool {
        matches!(self, GrantError::InvalidGrant(_) | GrantError::InvalidClient(_))
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            GrantError::InvalidGrant(_) => ErrorCode::InvalidGrant,
            GrantError::InvalidClient(_) => ErrorCode::InvalidClient,
            GrantError::Provider { .. } | GrantError::BadResponse | GrantError::TooLarge => ErrorCode::ProviderError,
            GrantError::Timeout | GrantError::Unreachable => ErrorCode::ProviderUnreachable,
        }
    }
}

#[derive(Deserialize)]
struct RawTokenAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    token_type: Option<String>,
    scope: Option<serde_json::Value>,
    expires_in: Option<serde_json::Value>,
    error: Option<String>,
}

/// The client id and secret a grant authenticates with.
pub struct ClientAuth {
    pub client_id: String,
    pub client_secret: Zeroizing<String>,
}

impl ClientAuth {
    /// The client a user entered for a client-credentials platform (`clientId`, `clientSecret`).
    pub fn from_credentials(creds: &Credentials) -> Self {
        ClientAuth {
            client_id: creds.get(field::CLIENT_ID).unwrap_or_default().to_string(),
            client_secret: Zeroizing::new(creds.get(field::CLIENT_SECRET).unwrap_or_default().to_string()),
        }
    }
}

/// A client-credentials grant with the client stored in `creds`, asking for the catalog's scopes.
pub async fn client_credentials_grant(
    state: &AppState,
    platform: &Platform,
    creds: &Credentials,
) -> Result<TokenSet, GrantError> {
    let client = ClientAuth::from_credentials(creds);
    let scopes = platform.oauth.as_ref().map(|o| o.scopes.join(&o.scope_separator)).unwrap_or_default();
    let mut params = vec![("grant_type", "client_credentials")];
    if !scopes.is_empty() {
        params.push(("scope", scopes.as_str()));
    }
    token_request(state, platform, &client, &params).await
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuth").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// The platform's token endpoint, rendered.
pub fn token_url(platform: &Platform) -> Result<url::Url, GrantError> {
    let oauth = platform.oauth.as_ref().ok_or(GrantError::BadResponse)?;
    let rendered = oauth.token_url.render(|_| None).map_err(|_| GrantError::BadResponse)?;
    url::Url::parse(&rendered).map_err(|_| GrantError::BadResponse)
}

/// Sends one grant to the platform's token endpoint: client id and secret in the body
/// (`client_secret_post`, which every catalogued provider accepts), no redirects followed, a
/// timeout, the answer read as JSON or, for older providers, as a form.
pub async fn token_request(
    state: &AppState,
    platform: &Platform,
    client: &ClientAuth,
    params: &[(&str, &str)],
) -> Result<TokenSet, GrantError> {
    let url = token_url(platform)?;
    state.private_allow.check_url(&url).map_err(|_| GrantError::Unreachable)?;
    let mut form: Vec<(&str, &str)> = params.to_vec();
    form.push(("client_id", client.client_id.as_str()));
    form.push(("client_secret", client.client_secret.as_str()));
    let response = state
        .http
        .post(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .timeout(TOKEN_TIMEOUT.min(state.config.passthrough.timeout))
        .send()
        .await
        .map_err(|e| if e.is_timeout() { GrantError::Timeout } else { GrantError::Unreachable })?;
    let status = response.status();
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let body = crate::upstream::read_capped(response, MAX_TOKEN_ANSWER).await.map_err(|e| match e {
        crate::upstream::CappedReadError::TooLarge => GrantError::TooLarge,
        crate::upstream::CappedReadError::Failed => GrantError::Unreachable,
    })?;
    parse_token_answer(status.as_u16(), is_json, &body)
}

/// A token endpoint's answer, read: JSON (or, for older providers, a form), an `error` classified
/// whatever the status, an access token required. Never panics on any input (fuzzed:
/// `fuzz/fuzz_targets/token_answer.rs`).
pub fn parse_token_answer(status: u16, is_json: bool, body: &[u8]) -> Result<TokenSet, GrantError> {
    let raw: Option<RawTokenAnswer> = if is_json || body.first() == Some(&b'{') {
        serde_json::from_slice(body).ok()
    } else {
        serde_urlencoded_answer(body)
    };
    let error_code = raw.as_ref().and_then(|r| r.error.clone());
    if let Some(code) = error_code {
        return Err(classify(status, &code));
    }
    if !(200..300).contains(&status) {
        return Err(classify(status, ""));
    }
    let raw = raw.ok_or(GrantError::BadResponse)?;
    let access_token = raw.access_token.filter(|t| !t.is_empty()).ok_or(GrantError::BadResponse)?;
    let expires_in = raw.expires_in.and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    });
    let scope = raw.scope.map(|s| match s {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    });
    Ok(TokenSet {
        access_token: Zeroizing::new(access_token),
        refresh_token: raw.refresh_token.filter(|t| !t.is_empty()).map(Zeroizing::new),
        token_type: raw.token_type,
        scope,
        expires_in: expires_in.filter(|s| *s > 0),
    })
}

fn serde_urlencoded_answer(body: &[u8]) -> Option<RawTokenAnswer> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    if pairs.is_empty() {
        return None;
    }
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Some(RawTokenAnswer {
        access_token: get("access_token"),
        refresh_token: get("refresh_token"),
        token_type: get("token_type"),
        scope: get("scope").map(serde_json::Value::String),
        expires_in: get("expires_in").map(serde_json::Value::String),
        error: get("error"),
    })
}

fn classify(status: u16, code: &str) -> GrantError {
    match code {
        // GitHub answers an unusable refresh token or code with these, HTTP 200.
        "invalid_grant" | "bad_refresh_token" | "bad_verification_code" => GrantError::InvalidGrant(code.to_string()),
        "invalid_client" | "unauthorized_client" | "incorrect_client_credentials" => {
            GrantError::InvalidClient(code.to_string())
        }
        _ if status == 401 => GrantError::InvalidClient("unauthorized".into()),
        "" => GrantError::Provider { status, code: "error".into() },
        other => GrantError::Provider { status, code: other.chars().take(64).collect() },
    }
}

/// Credentials as stored for an OAuth connection, from a token answer and what was stored
/// before (a provider that returns no new refresh token keeps the old one valid).
pub fn credentials_from(tokens: &TokenSet, previous: Option<&Credentials>, now: i64) -> Credentials {
    let mut creds = previous.cloned().unwrap_or_default();
    creds.set(field::ACCESS_TOKEN, tokens.access_token.as_str());
    if let Some(refresh) = &tokens.refresh_token {
        creds.set(field::REFRESH_TOKEN, refresh.as_str());
    }
    match &tokens.token_type {
        Some(t) => creds.set(field::TOKEN_TYPE, t.as_str()),
        None => creds.remove(field::TOKEN_TYPE),
    }
    if let Some(scope) = &tokens.scope {
        creds.set(field::SCOPE, scope.as_str());
    }
    match tokens.expires_in {
        Some(seconds) => creds.set(field::EXPIRES_AT, (now + seconds.saturating_mul(1000)).to_string()),
        None => creds.remove(field::EXPIRES_AT),
    }
    creds.set(field::OBTAINED_AT, now.to_string());
    creds
}

/// Whether connections of this platform hold tokens Portico obtains and refreshes.
pub fn has_tokens(platform: &Platform) -> bool {
    matches!(platform.auth_kind, AuthKind::Oauth2 | AuthKind::Oauth2ClientCredentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_token_errors() {
        assert!(classify(400, "invalid_grant").is_fatal());
        assert!(classify(200, "bad_refresh_token").is_fatal());
        assert!(classify(401, "").is_fatal());
        assert_eq!(classify(401, "invalid_client").code(), ErrorCode::InvalidClient);
        assert!(!classify(500, "").is_fatal());
        assert!(!classify(400, "temporarily_unavailable").is_fatal());
        assert_eq!(classify(503, "").code(), ErrorCode::ProviderError);
    }

    #[test]
    fn keeps_the_old_refresh_token_when_none_is_returned() {
        let mut before = Credentials::default();
        before.set(field::REFRESH_TOKEN, "rt-1");
        before.set(field::ACCESS_TOKEN, "at-1");
        let answer = TokenSet {
            access_token: Zeroizing::new("at-2".into()),
            refresh_token: None,
            token_type: Some("Bearer".into()),
            scope: None,
            expires_in: Some(60),
        };
        let after = credentials_from(&answer, Some(&before), 1_000);
        assert_eq!(after.get(field::ACCESS_TOKEN), Some("at-2"));
        assert_eq!(after.get(field::REFRESH_TOKEN), Some("rt-1"));
        assert_eq!(after.get_i64(field::EXPIRES_AT), Some(61_000));
        assert_eq!(after.get_i64(field::OBTAINED_AT), Some(1_000));
        let rotated = TokenSet { refresh_token: Some(Zeroizing::new("rt-2".into())), ..answer };
        assert_eq!(credentials_from(&rotated, Some(&before), 1_000).get(field::REFRESH_TOKEN), Some("rt-2"));
    }

    #[test]
    fn reads_form_encoded_answers() {
        let raw = serde_urlencoded_answer(b"access_token=abc&scope=repo&token_type=bearer").unwrap();
        assert_eq!(raw.access_token.as_deref(), Some("abc"));
        assert!(serde_urlencoded_answer(b"").is_none());
    }

    #[test]
    fn reads_token_answers_the_way_providers_send_them() {
        let json = br#"{"access_token":"at","refresh_token":"rt","expires_in":"3600","scope":["a","b"]}"#;
        let tokens = parse_token_answer(200, true, json).unwrap();
        assert_eq!((tokens.access_token.as_str(), tokens.expires_in), ("at", Some(3600)));
        assert_eq!(tokens.scope.as_deref(), Some(r#"["a","b"]"#));
        // GitHub's way: 200 with an error; no token, or an empty one; a form answer.
        assert!(parse_token_answer(200, true, br#"{"error":"bad_verification_code"}"#).unwrap_err().is_fatal());
        assert!(matches!(parse_token_answer(200, true, br#"{"access_token":""}"#), Err(GrantError::BadResponse)));
        assert!(parse_token_answer(200, false, b"access_token=x&expires_in=-5").unwrap().expires_in.is_none());
        assert!(parse_token_answer(500, true, br#"{"access_token":"at"}"#).is_err());
    }

    proptest::proptest! {
        /// The fuzz target's property, on every `cargo test`: any answer is read without a panic,
        /// and only a 2xx answer with a token and no `error` is accepted.
        #[test]
        fn any_token_answer_is_read_without_panicking(status in 0u16..1000, is_json: bool, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            if let Ok(tokens) = parse_token_answer(status, is_json, &body) {
                proptest::prop_assert!(!tokens.access_token.is_empty());
                proptest::prop_assert!((200..300).contains(&status));
                proptest::prop_assert!(tokens.expires_in.is_none_or(|s| s > 0));
            }
        }

        #[test]
        fn json_token_answers_round_trip(token in "[A-Za-z0-9._-]{1,64}", expires in 1i64..1_000_000) {
            let body = format!(r#"{{"access_token":"{token}","expires_in":{expires},"token_type":"bearer"}}"#);
            let tokens = parse_token_answer(200, true, body.as_bytes()).unwrap();
            proptest::prop_assert_eq!(tokens.access_token.as_str(), token.as_str());
            proptest::prop_assert_eq!(tokens.expires_in, Some(expires));
        }
    }
}
