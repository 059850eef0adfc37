//! The mock provider's OAuth 2.0 authorization server (RFC 6749 code, refresh and client
//! credentials grants; PKCE S256 per RFC 7636; revocation per RFC 7009; `iss` per RFC 9207).
//!
//! It is real enough that Portico's OAuth flow runs against it end to end: codes are single-use and
//! bound to client, redirect URI and PKCE challenge; tokens expire by the clock and die with their
//! grant. Because tests often drive a mock running in another process, its behaviour (token
//! lifetime, refresh rotation, PKCE, injected failures) is switched at run time through the
//! unauthenticated `/_control/oauth` endpoints — it is a test double, never a real provider.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use url::form_urlencoded;
use url::Url;

use crate::{MockConfig, MockState, MockStats};

/// The OAuth client the demo is configured with; tests use it too.
pub const DEMO_CLIENT_ID: &str = "mock_client_demo";
pub const DEMO_CLIENT_SECRET: &str = "mock_secret_demo_2026";

/// The single resource owner: every grant is for this account.
pub(crate) const OAUTH_ACCOUNT_ID: &str = "mock-oauth-account-1";

const ACCESS_TOKEN_PREFIX: &str = "mat_";
const REFRESH_TOKEN_PREFIX: &str = "mrt_";
/// 256 bits for codes and tokens alike.
const SECRET_BYTES: usize = 32;
const CODE_LIFETIME: Duration = Duration::from_secs(600);
const DEFAULT_SLOW_MS: u64 = 5_000;
const MAX_SLOW_MS: u64 = 60_000;

/// A registered confidential client. The mock accepts any absolute http(s) redirect URI for it.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
}

impl OAuthClient {
    pub fn demo() -> Self {
        OAuthClient { client_id: DEMO_CLIENT_ID.to_string(), client_secret: DEMO_CLIENT_SECRET.to_string() }
    }
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient").field("client_id", &self.client_id).field("client_secret", &"<redacted>").finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Run-time settings
// ---------------------------------------------------------------------------------------------

/// A failure `/oauth/token` is told to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TokenFailure {
    InvalidGrant,
    ServerError,
    Slow,
    InvalidClient,
    /// A valid token answer padded to 4 MiB: a client must cap what it reads.
    HugeAnswer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    access_token_ttl_secs: u64,
    rotate_refresh_tokens: bool,
    require_pkce: bool,
    token_failure: Option<TokenFailure>,
    slow_ms: u64,
    /// How many more token requests the failure applies to; `None` means until reset.
    failures_left: Option<u32>,
}

impl Settings {
    fn from_config(config: &MockConfig) -> Self {
        Settings {
            access_token_ttl_secs: config.access_token_ttl_secs,
            rotate_refresh_tokens: config.rotate_refresh_tokens,
            require_pkce: config.require_pkce,
            token_failure: None,
            slow_ms: DEFAULT_SLOW_MS,
            failures_left: None,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "accessTokenTtlSecs": self.access_token_ttl_secs,
            "rotateRefreshTokens": self.rotate_refresh_tokens,
            "requirePkce": self.require_pkce,
            "tokenFailure": self.token_failure,
            "slowMs": self.slow_ms,
            "failNext": self.failures_left.unwrap_or(0),
        })
    }

    fn apply(&mut self, update: ControlUpdate) {
        if let Some(ttl) = update.access_token_ttl_secs {
            self.access_token_ttl_secs = ttl;
        }
        if let Some(rotate) = update.rotate_refresh_tokens {
            self.rotate_refresh_tokens = rotate;
        }
        if let Some(require) = update.require_pkce {
            self.require_pkce = require;
        }
        if let Some(ms) = update.slow_ms {
            self.slow_ms = ms.min(MAX_SLOW_MS);
        }
        if let Some(failure) = update.token_failure {
            // A newly set failure lasts until reset unless `failNext` bounds it below.
            self.token_failure = failure;
            self.failures_left = None;
        }
        if let Some(n) = update.fail_next {
            self.failures_left = (n > 0).then_some(n);
        }
        if self.token_failure.is_none() {
            self.failures_left = None;
        }
    }

    /// What the current token request suffers, counted against `failNext`.
    fn take_injected(&mut self) -> Injected {
        let Some(failure) = self.token_failure else {
            return Injected::None;
        };
        if let Some(left) = self.failures_left.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.token_failure = None;
                self.failures_left = None;
            }
        }
        let error = match failure {
            TokenFailure::Slow => return Injected::Slow(Duration::from_millis(self.slow_ms)),
            TokenFailure::HugeAnswer => return Injected::Huge,
            TokenFailure::InvalidGrant => OAuthError::invalid_grant("Injected failure: the grant is not valid."),
            TokenFailure::InvalidClient => {
                OAuthError::invalid_client("Injected failure: client authentication failed.")
            }
            TokenFailure::ServerError => OAuthError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Injected failure: the provider had an internal error.",
            ),
        };
        Injected::Fail(error)
    }
}

enum Injected {
    None,
    Huge,
    Slow(Duration),
    Fail(OAuthError),
}

/// `POST /_control/oauth`: every field optional; `tokenFailure: null` clears the failure.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ControlUpdate {
    access_token_ttl_secs: Option<u64>,
    rotate_refresh_tokens: Option<bool>,
    require_pkce: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    token_failure: Option<Option<TokenFailure>>,
    slow_ms: Option<u64>,
    fail_next: Option<u32>,
}

/// Tells a field sent as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

// ---------------------------------------------------------------------------------------------
// Grants, codes and tokens
// ---------------------------------------------------------------------------------------------

type GrantId = u64;

/// What the user (or a client credentials request) authorized; every token belongs to one, and
/// revoking it kills them all.
struct Grant {
    client_id: String,
    revoked: bool,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    scope: String,
    code_challenge: Option<String>,
    expires_at: Instant,
    /// Set by the first redemption attempt, successful or not: a code is never tried twice, so a
    /// PKCE verifier cannot be guessed.
    spent: bool,
    /// The grant the code was exchanged for, revoked if the code is replayed.
    grant: Option<GrantId>,
}

struct AccessToken {
    grant: GrantId,
    expires_at: Instant,
}

struct RefreshToken {
    grant: GrantId,
    client_id: String,
    scope: String,
    /// False once rotation replaced it.
    current: bool,
}

struct Issued {
    access_token: String,
    refresh_token: Option<String>,
    scope: String,
    expires_in: u64,
}

#[derive(Default)]
struct GrantStore {
    next_grant: GrantId,
    grants: HashMap<GrantId, Grant>,
    codes: HashMap<String, PendingCode>,
    access_tokens: HashMap<String, AccessToken>,
    refresh_tokens: HashMap<String, RefreshToken>,
}

impl GrantStore {
    fn new_grant(&mut self, client_id: &str) -> GrantId {
        self.next_grant += 1;
        self.grants.insert(self.next_grant, Grant { client_id: client_id.to_string(), revoked: false });
        self.next_grant
    }

    fn grant_is_live(&self, grant: GrantId) -> bool {
        self.grants.get(&grant).is_some_and(|g| !g.revoked)
    }

    fn revoke_grant(&mut self, grant: GrantId) {
        if let Some(g) = self.grants.get_mut(&grant) {
            g.revoked = true;
        }
    }

    fn issue_code(&mut self, request: &AuthorizeRequest) -> String {
        let now = Instant::now();
        self.codes.retain(|_, c| c.expires_at > now);
        let code = random_hex();
        self.codes.insert(
            code.clone(),
            PendingCode {
                client_id: request.client_id.clone(),
                redirect_uri: request.redirect_uri.clone(),
                scope: request.scope.clone(),
                code_challenge: request.code_challenge.clone(),
                expires_at: now + CODE_LIFETIME,
                spent: false,
                grant: None,
            },
        );
        code
    }

    fn issue(&mut self, grant: GrantId, client_id: &str, scope: &str, ttl_secs: u64, with_refresh: bool) -> Issued {
        let now = Instant::now();
        // Expired tokens are forgotten; an unknown `mat_` token is refused as invalid all the same.
        self.access_tokens.retain(|_, t| t.expires_at > now);
        let access_token = format!("{ACCESS_TOKEN_PREFIX}{}", random_hex());
        let expires_at = now + Duration::from_secs(ttl_secs);
        self.access_tokens.insert(access_token.clone(), AccessToken { grant, expires_at });
        let refresh_token = with_refresh.then(|| self.issue_refresh(grant, client_id, scope));
        Issued { access_token, refresh_token, scope: scope.to_string(), expires_in: ttl_secs }
    }

    fn issue_refresh(&mut self, grant: GrantId, client_id: &str, scope: &str) -> String {
        let token = format!("{REFRESH_TOKEN_PREFIX}{}", random_hex());
        let record = RefreshToken { grant, client_id: client_id.to_string(), scope: scope.to_string(), current: true };
        self.refresh_tokens.insert(token.clone(), record);
        token
    }

    fn redeem_code(&mut self, client_id: &str, params: &Params, settings: &Settings) -> Result<Issued, OAuthError> {
        let code = params.get("code").ok_or_else(|| OAuthError::invalid_request("Send the code parameter."))?;
        let Some(pending) = self.codes.get_mut(code) else {
            return Err(OAuthError::invalid_grant("The authorization code is not valid."));
        };
        if pending.spent {
            // RFC 6749 §4.1.2: a replayed code means it leaked; what it bought is withdrawn.
            if let Some(grant) = pending.grant {
                self.revoke_grant(grant);
            }
            return Err(OAuthError::invalid_grant(
                "The authorization code was already used; the tokens issued for it are revoked.",
            ));
        }
        pending.spent = true;
        if Instant::now() >= pending.expires_at {
            return Err(OAuthError::invalid_grant("The authorization code expired."));
        }
        if pending.client_id != client_id {
            return Err(OAuthError::invalid_grant("The authorization code was issued to another client."));
        }
        match params.get("redirect_uri") {
            None => {
                return Err(OAuthError::invalid_request("Send the redirect_uri used in the authorization request."))
            }
            Some(uri) if uri != pending.redirect_uri => {
                return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request's."));
            }
            Some(_) => {}
        }
        match (&pending.code_challenge, params.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                if !is_pkce_verifier(verifier) || s256(verifier) != *challenge {
                    return Err(OAuthError::invalid_grant("The code_verifier does not match the code_challenge."));
                }
            }
            (Some(_), None) => return Err(OAuthError::invalid_grant("Send the code_verifier (PKCE).")),
            // A verifier for a code requested without a challenge would hide a PKCE downgrade.
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant("code_verifier sent, but the code was requested without PKCE."));
            }
            (None, None) => {}
        }
        let scope = pending.scope.clone();
        let grant = self.new_grant(client_id);
        if let Some(pending) = self.codes.get_mut(code) {
            pending.grant = Some(grant);
        }
        Ok(self.issue(grant, client_id, &scope, settings.access_token_ttl_secs, true))
    }

    fn refresh(&mut self, client_id: &str, params: &Params, settings: &Settings) -> Result<Issued, OAuthError> {
        let token = params
            .get("refresh_token")
            .ok_or_else(|| OAuthError::invalid_request("Send the refresh_token parameter."))?;
        let Some(record) = self.refresh_tokens.get(token) else {
            return Err(OAuthError::invalid_grant("The refresh token is not valid."));
        };
        if record.client_id != client_id {
            return Err(OAuthError::invalid_grant("The refresh token was issued to another client."));
        }
        if !record.current {
            return Err(OAuthError::invalid_grant("The refresh token was replaced by a newer one."));
        }
        let grant = record.grant;
        let granted = record.scope.clone();
        if !self.grant_is_live(grant) {
            return Err(OAuthError::invalid_grant("The grant was revoked."));
        }
        let scope = match params.get("scope") {
            None => granted.clone(),
            Some(requested) => {
                let requested = normalize_scope(requested);
                if !requested.split(' ').all(|s| granted.split(' ').any(|g| g == s)) {
                    return Err(OAuthError::new(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        "The requested scope exceeds the grant.",
                    ));
                }
                requested
            }
        };
        let mut issued = self.issue(grant, client_id, &scope, settings.access_token_ttl_secs, false);
        if settings.rotate_refresh_tokens {
            if let Some(old) = self.refresh_tokens.get_mut(token) {
                old.current = false;
            }
            issued.refresh_token = Some(self.issue_refresh(grant, client_id, &granted));
        }
        Ok(issued)
    }

    /// The grant `token` (access or refresh) belongs to, if it was issued to `client_id`.
    fn grant_of(&self, client_id: &str, token: &str) -> Option<GrantId> {
        let grant = match (self.access_tokens.get(token), self.refresh_tokens.get(token)) {
            (Some(access), _) => access.grant,
            (None, Some(refresh)) => refresh.grant,
            (None, None) => return None,
        };
        self.grants.get(&grant).filter(|g| g.client_id == client_id).map(|_| grant)
    }
}

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
pub(crate) struct OAuthState {
    inner: Arc<OAuthInner>,
}

struct OAuthInner {
    clients: Vec<OAuthClient>,
    initial: Settings,
    settings: Mutex<Settings>,
    store: Mutex<GrantStore>,
}

/// What a bearer credential presented to the API is, as far as OAuth goes.
pub(crate) enum BearerCheck {
    /// A live access token.
    Valid,
    /// An access token that expired, was revoked or never existed.
    Invalid,
    /// Not an access token at all (maybe an API key).
    NotOAuth,
}

impl OAuthState {
    pub(crate) fn new(config: &MockConfig) -> Self {
        let initial = Settings::from_config(config);
        OAuthState {
            inner: Arc::new(OAuthInner {
                clients: config.oauth_clients.clone(),
                settings: Mutex::new(initial.clone()),
                initial,
                store: Mutex::new(GrantStore::default()),
            }),
        }
    }

    fn settings(&self) -> MutexGuard<'_, Settings> {
        lock(&self.inner.settings)
    }

    fn store(&self) -> MutexGuard<'_, GrantStore> {
        lock(&self.inner.store)
    }

    fn is_client(&self, client_id: &str) -> bool {
        self.inner.clients.iter().any(|c| c.client_id == client_id)
    }

    pub(crate) fn check_bearer(&self, token: &str) -> BearerCheck {
        let store = self.store();
        match store.access_tokens.get(token) {
            Some(t) if Instant::now() < t.expires_at && store.grant_is_live(t.grant) => BearerCheck::Valid,
            Some(_) => BearerCheck::Invalid,
            None if token.starts_with(ACCESS_TOKEN_PREFIX) => BearerCheck::Invalid,
            None => BearerCheck::NotOAuth,
        }
    }

    /// The client authenticated by HTTP Basic or by `client_id` + `client_secret` in the body
    /// (RFC 6749 §2.3.1), never both.
    fn authenticate_client(&self, headers: &HeaderMap, params: &Params) -> Result<String, OAuthError> {
        let basic = match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
            Some(value) if value.len() > 6 && value[..6].eq_ignore_ascii_case("basic ") => Some(
                parse_basic(&value[6..]).ok_or_else(|| OAuthError::invalid_client("Malformed Basic credentials."))?,
            ),
            _ => None,
        };
        let (client_id, secret) = match (basic, params.get("client_secret")) {
            (Some(_), Some(_)) => {
                return Err(OAuthError::invalid_request("Authenticate the client one way: Basic or body, not both."));
            }
            (Some((id, secret)), None) => {
                if params.get("client_id").is_some_and(|body_id| body_id != id) {
                    return Err(OAuthError::invalid_client("client_id differs from the Basic credentials."));
                }
                (id, secret)
            }
            (None, Some(secret)) => match params.get("client_id") {
                Some(id) => (id.to_string(), secret.to_string()),
                None => return Err(OAuthError::invalid_client("Send client_id with client_secret.")),
            },
            (None, None) => return Err(OAuthError::invalid_client("Client authentication is required.")),
        };
        let known = self.inner.clients.iter().any(|c| c.client_id == client_id && c.client_secret == secret);
        if known {
            Ok(client_id)
        } else {
            Err(OAuthError::invalid_client("Unknown client or wrong client secret."))
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent, so a panic elsewhere need not wedge the mock.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn random_hex() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn is_pkce_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// An S256 challenge is an unpadded base64url SHA-256: 43 characters.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

fn normalize_scope(scope: &str) -> String {
    scope.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// `base64(urlencode(id) ":" urlencode(secret))` → (id, secret).
fn parse_basic(encoded: &str) -> Option<(String, String)> {
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape =
        |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().ok().map(|s| s.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}

/// Form or query parameters. A parameter sent empty counts as absent (RFC 6749 §3.1); one sent
/// twice makes the request invalid.
struct Params {
    values: HashMap<String, String>,
    repeated: Option<String>,
}

impl Params {
    fn parse(input: &[u8]) -> Self {
        let mut values = HashMap::new();
        let mut repeated = None;
        for (name, value) in form_urlencoded::parse(input) {
            if values.insert(name.to_string(), value.into_owned()).is_some() && repeated.is_none() {
                repeated = Some(name.into_owned());
            }
        }
        Params { values, repeated }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

pub(crate) fn router() -> Router<MockState> {
    Router::new()
        .route("/oauth/authorize", get(authorize_page).post(authorize_decision))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/_control/oauth", get(control_settings).post(control_update))
        .route("/_control/oauth/revoke-all", post(control_revoke_all))
        .route("/_control/oauth/reset", post(control_reset))
        .route("/_control/oauth/stats", get(control_stats))
}

/// An error of the token and revocation endpoints (RFC 6749 §5.2).
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        OAuthError { status, code, description: description.into() }
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_grant", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.code, "error_description": self.description}));
        let mut response = (self.status, no_store(), body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"mock-provider\""));
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")]
}

/// The mock's own base URL, as the client reached it: the `iss` of its authorization responses.
fn issuer(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)))
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn require_form(headers: &HeaderMap) -> Result<(), OAuthError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if form {
        Ok(())
    } else {
        Err(OAuthError::invalid_request("Send the parameters as application/x-www-form-urlencoded."))
    }
}

// --- authorization endpoint --------------------------------------------------------------------

/// A validated authorization request: the client is known and the redirect URI is usable, so every
/// later answer goes back to the client by redirect.
struct AuthorizeRequest {
    client_id: String,
    redirect_uri: String,
    redirect: Url,
    state: Option<String>,
    scope: String,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    issuer: String,
}

impl AuthorizeRequest {
    /// 302 to the redirect URI with `pairs`, then `state` and `iss`, after any query it had.
    fn redirect_with(&self, pairs: &[(&str, &str)]) -> Response {
        let mut url = self.redirect.clone();
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in pairs {
                query.append_pair(name, value);
            }
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.issuer);
        }
        match HeaderValue::from_str(url.as_str()) {
            Ok(location) => (StatusCode::FOUND, no_store(), [(header::LOCATION, location)]).into_response(),
            Err(_) => error_page(StatusCode::INTERNAL_SERVER_ERROR, "The redirect could not be built."),
        }
    }

    fn reject(&self, code: &str, description: &str) -> Response {
        self.redirect_with(&[("error", code), ("error_description", description)])
    }
}

fn parse_redirect_uri(raw: &str) -> Result<Url, &'static str> {
    let url = Url::parse(raw).map_err(|_| "redirect_uri is not an absolute URL.")?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("redirect_uri must be an http or https URL.");
    }
    if url.fragment().is_some() {
        return Err("redirect_uri must not contain a fragment.");
    }
    Ok(url)
}

/// Validates an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3). A bad client or redirect
/// URI gets an error page — redirecting would make the mock an open redirector; anything else is
/// reported to the client by redirect.
fn validate_authorize(
    state: &MockState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<AuthorizeRequest, Box<Response>> {
    let page = |message: &str| Err(Box::new(error_page(StatusCode::BAD_REQUEST, message)));
    if let Some(name @ ("client_id" | "redirect_uri")) = params.repeated.as_deref() {
        return page(&format!("The {name} parameter was sent more than once."));
    }
    let Some(client_id) = params.get("client_id") else {
        return page("The request has no client_id.");
    };
    if !state.oauth.is_client(client_id) {
        return page("The client_id is not registered with this provider.");
    }
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return page("The request has no redirect_uri.");
    };
    let redirect = match parse_redirect_uri(redirect_uri) {
        Ok(url) => url,
        Err(message) => return page(message),
    };
    let request = AuthorizeRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        redirect,
        state: params.get("state").map(str::to_string),
        scope: normalize_scope(params.get("scope").unwrap_or_default()),
        code_challenge: params.get("code_challenge").map(str::to_string),
        code_challenge_method: params.get("code_challenge_method").map(str::to_string),
        issuer: issuer(headers),
    };
    let invalid = |description: &str| Err(Box::new(request.reject("invalid_request", description)));
    if let Some(name) = &params.repeated {
        return invalid(&format!("The {name} parameter was sent more than once."));
    }
    match params.get("response_type") {
        Some("code") => {}
        Some(_) => return invalid("Only response_type=code is supported."),
        None => return invalid("The request has no response_type."),
    }
    let require_pkce = state.oauth.settings().require_pkce;
    match (request.code_challenge.as_deref(), request.code_challenge_method.as_deref()) {
        (None, None) if require_pkce => {
            return invalid("PKCE is required: send code_challenge and code_challenge_method=S256.");
        }
        (None, None) => {}
        (None, Some(_)) => return invalid("code_challenge_method was sent without code_challenge."),
        (Some(challenge), Some("S256")) => {
            if !is_s256_challenge(challenge) {
                return invalid("code_challenge must be 43 base64url characters (S256).");
            }
        }
        // An absent method means `plain` (RFC 7636 §4.3), which this provider refuses.
        (Some(_), _) => return invalid("code_challenge_method must be S256."),
    }
    Ok(request)
}

async fn authorize_page(State(state): State<MockState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    let request = match validate_authorize(&state, &headers, &params) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    state.stats.authorize_pages.fetch_add(1, Ordering::Relaxed);
    consent_page(&request)
}

async fn authorize_decision(State(state): State<MockState>, headers: HeaderMap, body: Bytes) -> Response {
    let params = Params::parse(&body);
    let request = match validate_authorize(&state, &headers, &params) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    match params.get("decision") {
        Some("approve") => {
            let code = state.oauth.store().issue_code(&request);
            request.redirect_with(&[("code", &code)])
        }
        Some("deny") => request.reject("access_denied", "The user denied access"),
        _ => request.reject("invalid_request", "decision must be approve or deny."),
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}\
    main{max-width:28rem;margin:4rem auto;background:#fff;border-radius:8px;padding:2rem;\
    box-shadow:0 1px 4px rgba(0,0,0,.15)}h1{font-size:1.3rem}code{background:#eef;padding:0 .2em}\
    .actions{display:flex;gap:.75rem;margin-top:1.5rem}button{font-size:1rem;padding:.5rem 1.25rem;\
    border-radius:6px;border:1px solid #888;cursor:pointer}#approve{background:#1d6ef2;color:#fff;\
    border-color:#1d6ef2}.muted{color:#666;font-size:.9rem}";

fn html_page(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{PAGE_STYLE}</style></head><body><main>{body}</main></body></html>",
        title = escape_html(title),
    );
    let headers = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // No form-action: browsers apply it to the redirect after the POST, which leaves the origin.
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    (status, headers, Html(page)).into_response()
}

fn error_page(status: StatusCode, message: &str) -> Response {
    html_page(
        status,
        "Mock Provider — Authorization error",
        &format!(
            "<h1>Authorization error</h1><p id=\"error\">{}</p>\
             <p class=\"muted\">The application that sent you here is misconfigured; \
             you were not sent back to it.</p>",
            escape_html(message)
        ),
    )
}

fn consent_page(request: &AuthorizeRequest) -> Response {
    let hidden = [
        ("response_type", Some("code")),
        ("client_id", Some(request.client_id.as_str())),
        ("redirect_uri", Some(request.redirect_uri.as_str())),
        ("state", request.state.as_deref()),
        ("scope", Some(request.scope.as_str()).filter(|s| !s.is_empty())),
        ("code_challenge", request.code_challenge.as_deref()),
        ("code_challenge_method", request.code_challenge_method.as_deref()),
    ];
    let inputs: String = hidden
        .iter()
        .filter_map(|(name, value)| {
            value.map(|v| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape_html(v)))
        })
        .collect();
    let scopes = if request.scope.is_empty() {
        "<p id=\"scopes\">It requests no specific scopes (basic access).</p>".to_string()
    } else {
        let items: String =
            request.scope.split(' ').map(|s| format!("<li><code>{}</code></li>", escape_html(s))).collect();
        format!("<p>It requests these scopes:</p><ul id=\"scopes\">{items}</ul>")
    };
    let back_to = request.redirect.host_str().unwrap_or_default();
    let body = format!(
        "<h1>Mock Provider — Authorize</h1>\
         <p><strong id=\"client\">{client}</strong> wants to access your Mock Provider account \
         (Mock OAuth Account, oauth@mock.invalid).</p>{scopes}\
         <form method=\"post\" action=\"/oauth/authorize\">{inputs}\
         <div class=\"actions\">\
         <button name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>\
         <button name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></div></form>\
         <p class=\"muted\">Either way you will return to <code>{back_to}</code>.</p>",
        client = escape_html(&request.client_id),
        back_to = escape_html(back_to),
    );
    html_page(StatusCode::OK, "Mock Provider — Authorize", &body)
}

// --- token endpoint ----------------------------------------------------------------------------

async fn token(State(state): State<MockState>, headers: HeaderMap, body: Bytes) -> Response {
    state.stats.token_requests.fetch_add(1, Ordering::Relaxed);
    let injected = state.oauth.settings().take_injected();
    let huge = matches!(injected, Injected::Huge);
    let result = match injected {
        Injected::None | Injected::Huge => exchange(&state, &headers, &body),
        Injected::Slow(delay) => {
            tokio::time::sleep(delay).await;
            exchange(&state, &headers, &body)
        }
        Injected::Fail(error) => Err(error),
    };
    match result {
        Ok(issued) => {
            let mut body = json!({
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "scope": issued.scope,
            });
            if let Some(refresh_token) = issued.refresh_token {
                body["refresh_token"] = json!(refresh_token);
            }
            if huge {
                body["padding"] = json!("x".repeat(4 * 1024 * 1024));
            }
            (no_store(), Json(body)).into_response()
        }
        Err(error) => {
            state.stats.failed_token_requests.fetch_add(1, Ordering::Relaxed);
            error.into_response()
        }
    }
}

fn exchange(state: &MockState, headers: &HeaderMap, body: &[u8]) -> Result<Issued, OAuthError> {
    require_form(headers)?;
    let params = Params::parse(body);
    if let Some(name) = &params.repeated {
        return Err(OAuthError::invalid_request(format!("The {name} parameter was sent more than once.")));
    }
    let client_id = state.oauth.authenticate_client(headers, &params)?;
    let settings = state.oauth.settings().clone();
    let stats = &state.stats;
    match params.get("grant_type") {
        Some("authorization_code") => {
            let issued = state.oauth.store().redeem_code(&client_id, &params, &settings)?;
            stats.authorization_code_grants.fetch_add(1, Ordering::Relaxed);
            Ok(issued)
        }
        Some("refresh_token") => {
            let issued = state.oauth.store().refresh(&client_id, &params, &settings)?;
            stats.refresh_grants.fetch_add(1, Ordering::Relaxed);
            Ok(issued)
        }
        Some("client_credentials") => {
            let scope = normalize_scope(params.get("scope").unwrap_or_default());
            let mut store = state.oauth.store();
            let grant = store.new_grant(&client_id);
            let issued = store.issue(grant, &client_id, &scope, settings.access_token_ttl_secs, false);
            stats.client_credentials_grants.fetch_add(1, Ordering::Relaxed);
            Ok(issued)
        }
        Some(_) => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Supported: authorization_code, refresh_token, client_credentials.",
        )),
        None => Err(OAuthError::invalid_request("Send the grant_type parameter.")),
    }
}

// --- revocation endpoint -----------------------------------------------------------------------

/// RFC 7009: revokes the whole grant the token belongs to. Unknown tokens, and tokens of other
/// clients, are answered 200 all the same so the endpoint reveals nothing.
async fn revoke(State(state): State<MockState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| {
        require_form(&headers)?;
        let params = Params::parse(&body);
        let client_id = state.oauth.authenticate_client(&headers, &params)?;
        let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("Send the token parameter."))?;
        // token_type_hint is only a hint: both kinds are looked up regardless.
        let mut store = state.oauth.store();
        if let Some(grant) = store.grant_of(&client_id, token) {
            store.revoke_grant(grant);
        }
        Ok::<_, OAuthError>(())
    })();
    match result {
        Ok(()) => {
            state.stats.revocations.fetch_add(1, Ordering::Relaxed);
            (StatusCode::OK, no_store()).into_response()
        }
        Err(error) => error.into_response(),
    }
}

// --- control API -------------------------------------------------------------------------------

async fn control_settings(State(state): State<MockState>) -> Json<Value> {
    Json(state.oauth.settings().to_json())
}

async fn control_update(State(state): State<MockState>, body: Bytes) -> Response {
    let update = if body.iter().all(u8::is_ascii_whitespace) {
        ControlUpdate::default()
    } else {
        match serde_json::from_slice::<ControlUpdate>(&body) {
            Ok(update) => update,
            Err(e) => {
                let body = json!({"error": "invalid_request", "error_description": e.to_string()});
                return (StatusCode::BAD_REQUEST, Json(body)).into_response();
            }
        }
    };
    let mut settings = state.oauth.settings();
    settings.apply(update);
    tracing::info!(settings = ?*settings, "mock OAuth settings changed");
    Json(settings.to_json()).into_response()
}

async fn control_revoke_all(State(state): State<MockState>) -> Json<Value> {
    let mut store = state.oauth.store();
    let mut revoked = 0u64;
    for grant in store.grants.values_mut().filter(|g| !g.revoked) {
        grant.revoked = true;
        revoked += 1;
    }
    // Codes not yet exchanged die too: the user withdrew consent.
    store.codes.clear();
    Json(json!({"revokedGrants": revoked}))
}

async fn control_reset(State(state): State<MockState>) -> Json<Value> {
    let settings = {
        let mut settings = state.oauth.settings();
        *settings = state.oauth.inner.initial.clone();
        settings.to_json()
    };
    for counter in oauth_counters(&state.stats) {
        counter.store(0, Ordering::Relaxed);
    }
    Json(settings)
}

async fn control_stats(State(state): State<MockState>) -> Json<Value> {
    let s = &state.stats;
    let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
    Json(json!({
        "tokenRequests": read(&s.token_requests),
        "authorizationCodeGrants": read(&s.authorization_code_grants),
        "refreshGrants": read(&s.refresh_grants),
        "clientCredentialsGrants": read(&s.client_credentials_grants),
        "failedTokenRequests": read(&s.failed_token_requests),
        "revocations": read(&s.revocations),
        "authorizePages": read(&s.authorize_pages),
    }))
}

fn oauth_counters(stats: &MockStats) -> [&AtomicU64; 7] {
    [
        &stats.token_requests,
        &stats.authorization_code_grants,
        &stats.refresh_grants,
        &stats.client_credentials_grants,
        &stats.failed_token_requests,
        &stats.revocations,
        &stats.authorize_pages,
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::{json, Value};
    use tokio::net::TcpListener;

    use super::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
    use crate::{MockConfig, MockProvider, OAuthClient};

    /// RFC 7636 Appendix B: a verifier and its S256 challenge.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    /// Never contacted: the client does not follow redirects.
    const REDIRECT_URI: &str = "http://127.0.0.1:9/callback?tenant=a";

    struct Harness {
        mock: MockProvider,
        http: reqwest::Client,
    }

    impl Harness {
        async fn start() -> Self {
            Self::with(MockConfig::default()).await
        }

        async fn with(config: MockConfig) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mock = MockProvider::spawn(listener, config).unwrap();
            let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            Harness { mock, http }
        }

        fn url(&self, path: &str) -> String {
            format!("{}{path}", self.mock.url())
        }

        async fn control(&self, path: &str, body: Value) -> Value {
            let response = self.http.post(self.url(path)).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 200, "control {path}");
            response.json().await.unwrap()
        }

        async fn stats(&self) -> Value {
            self.http.get(self.url("/_control/oauth/stats")).send().await.unwrap().json().await.unwrap()
        }

        fn authorize_params(&self, state: &str) -> Vec<(&'static str, String)> {
            vec![
                ("response_type", "code".into()),
                ("client_id", DEMO_CLIENT_ID.into()),
                ("redirect_uri", REDIRECT_URI.into()),
                ("state", state.into()),
                ("scope", "items:read items:write".into()),
                ("code_challenge", CHALLENGE.into()),
                ("code_challenge_method", "S256".into()),
            ]
        }

        /// Submits the consent form with `decision`; answers the redirect's query.
        async fn decide(&self, params: &[(&str, String)], decision: &str) -> HashMap<String, String> {
            let mut form = params.to_vec();
            form.push(("decision", decision.into()));
            let response = self.http.post(self.url("/oauth/authorize")).form(&form).send().await.unwrap();
            assert_eq!(response.status(), 302);
            redirect_query(&response)
        }

        async fn approved_code(&self) -> String {
            let query = self.decide(&self.authorize_params("st"), "approve").await;
            query["code"].clone()
        }

        async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
            self.http
                .post(self.url("/oauth/token"))
                .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
                .form(form)
                .send()
                .await
                .unwrap()
        }

        async fn exchange(&self, code: &str, verifier: &str) -> reqwest::Response {
            self.token(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ])
            .await
        }

        /// The whole code flow; answers the token response.
        async fn tokens(&self) -> Value {
            let code = self.approved_code().await;
            let response = self.exchange(&code, VERIFIER).await;
            assert_eq!(response.status(), 200);
            response.json().await.unwrap()
        }

        async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
            self.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
        }

        async fn me(&self, access_token: &str) -> reqwest::Response {
            self.http.get(self.url("/api/me")).bearer_auth(access_token).send().await.unwrap()
        }
    }

    fn redirect_query(response: &reqwest::Response) -> HashMap<String, String> {
        let location = response.headers()["location"].to_str().unwrap();
        let url = url::Url::parse(location).unwrap();
        assert_eq!(url.as_str().split('?').next(), Some("http://127.0.0.1:9/callback"));
        url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    /// The hidden inputs of the consent form, unescaped: what a browser would submit.
    fn hidden_inputs(page: &str) -> Vec<(&'static str, String)> {
        let unescape = |v: &str| {
            v.replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        };
        let names =
            ["response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method"];
        names
            .into_iter()
            .filter_map(|name| {
                let marker = format!("<input type=\"hidden\" name=\"{name}\" value=\"");
                let start = page.find(&marker)? + marker.len();
                let end = start + page[start..].find('"')?;
                Some((name, unescape(&page[start..end])))
            })
            .collect()
    }

    async fn body(response: reqwest::Response) -> Value {
        response.json().await.unwrap()
    }

    #[tokio::test]
    async fn code_flow_with_pkce_issues_a_working_token() {
        let h = Harness::start().await;

        let page = h.http.get(h.url("/oauth/authorize")).query(&h.authorize_params("xyz")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("<title>Mock Provider — Authorize</title>"));
        assert!(page.contains(DEMO_CLIENT_ID));
        assert!(page.contains("<code>items:read</code>") && page.contains("<code>items:write</code>"));
        assert_eq!(page.matches("<form").count(), 1);
        assert!(page.contains("<form method=\"post\" action=\"/oauth/authorize\">"));
        assert!(page.contains("<button name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>"));
        assert!(page.contains("<button name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>"));

        let form = hidden_inputs(&page);
        assert_eq!(form.len(), 7, "every parameter travels in the form: {form:?}");
        let query = h.decide(&form, "approve").await;
        assert_eq!(query["tenant"], "a", "the redirect URI's own query is kept");
        assert_eq!(query["state"], "xyz");
        assert_eq!(query["iss"], h.mock.url());
        assert!(query["code"].len() >= 32);

        let response = h.exchange(&query["code"], VERIFIER).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let tokens = body(response).await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 3600);
        assert_eq!(tokens["scope"], "items:read items:write");
        let access = tokens["access_token"].as_str().unwrap();
        let refresh = tokens["refresh_token"].as_str().unwrap();
        assert!(access.starts_with("mat_") && access.len() >= 4 + 32);
        assert!(refresh.starts_with("mrt_") && refresh.len() >= 4 + 32);

        let me = h.me(access).await;
        assert_eq!(me.status(), 200);
        let me = body(me).await;
        assert_eq!(me["id"], "mock-oauth-account-1");
        assert!(me.get("keyHint").is_none());

        let stats = h.stats().await;
        assert_eq!(stats["authorizePages"], 1);
        assert_eq!(stats["tokenRequests"], 1);
        assert_eq!(stats["authorizationCodeGrants"], 1);
        assert_eq!(h.mock.stats.authorization_code_grants.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn oauth_token_reaches_the_rest_of_the_api() {
        let h = Harness::start().await;
        let tokens = h.tokens().await;
        let access = tokens["access_token"].as_str().unwrap();
        let created = h
            .http
            .post(h.url("/api/items"))
            .bearer_auth(access)
            .json(&json!({"title": "via oauth"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let list = body(h.http.get(h.url("/api/items")).bearer_auth(access).send().await.unwrap()).await;
        assert_eq!(list["items"][0]["title"], "via oauth");
        let echo = h.http.get(h.url("/api/echo/x")).bearer_auth(access).send().await.unwrap();
        assert_eq!(echo.status(), 200);
    }

    #[tokio::test]
    async fn rejects_a_wrong_code_verifier() {
        let h = Harness::start().await;
        let code = h.approved_code().await;
        let wrong = "wrong-verifier-wrong-verifier-wrong-verifier-000";
        let response = h.exchange(&code, wrong).await;
        assert_eq!(response.status(), 400);
        assert_eq!(body(response).await["error"], "invalid_grant");
        let missing =
            h.token(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI)]).await;
        assert_eq!(body(missing).await["error"], "invalid_grant");
        assert_eq!(h.stats().await["failedTokenRequests"], 2);
    }

    #[tokio::test]
    async fn rejects_a_different_redirect_uri() {
        let h = Harness::start().await;
        let code = h.approved_code().await;
        let response = h
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
                ("code_verifier", VERIFIER),
            ])
            .await;
        assert_eq!(response.status(), 400);
        assert_eq!(body(response).await["error"], "invalid_grant");
    }

    #[tokio::test]
    async fn reused_code_is_refused_and_revokes_its_grant() {
        let h = Harness::start().await;
        let code = h.approved_code().await;
        let first = body(h.exchange(&code, VERIFIER).await).await;
        let access = first["access_token"].as_str().unwrap();
        assert_eq!(h.me(access).await.status(), 200);

        let replay = h.exchange(&code, VERIFIER).await;
        assert_eq!(replay.status(), 400);
        assert_eq!(body(replay).await["error"], "invalid_grant");

        let me = h.me(access).await;
        assert_eq!(me.status(), 401);
        assert_eq!(me.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
        assert_eq!(body(me).await["error"], "invalid_token");
        let refresh = h.refresh(first["refresh_token"].as_str().unwrap()).await;
        assert_eq!(body(refresh).await["error"], "invalid_grant");
    }

    #[tokio::test]
    async fn wrong_client_secret_is_invalid_client() {
        let h = Harness::start().await;
        let code = h.approved_code().await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ];
        let basic = h
            .http
            .post(h.url("/oauth/token"))
            .basic_auth(DEMO_CLIENT_ID, Some("not-the-secret"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(basic.status(), 401);
        assert!(basic.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
        assert_eq!(body(basic).await["error"], "invalid_client");

        let mut in_body = form.to_vec();
        in_body.extend([("client_id", DEMO_CLIENT_ID), ("client_secret", "not-the-secret")]);
        let response = h.http.post(h.url("/oauth/token")).form(&in_body).send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(body(response).await["error"], "invalid_client");

        let anonymous = h.http.post(h.url("/oauth/token")).form(&form).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
    }

    #[tokio::test]
    async fn accepts_client_secret_in_the_body_and_urlencoded_basic_credentials() {
        let odd = OAuthClient { client_id: "odd client".into(), client_secret: "s3cr:t+%&".into() };
        let config = MockConfig { oauth_clients: vec![OAuthClient::demo(), odd], ..MockConfig::default() };
        let h = Harness::with(config).await;
        // RFC 6749 §2.3.1: each part is form-urlencoded before base64.
        let response = h
            .http
            .post(h.url("/oauth/token"))
            .basic_auth("odd+client", Some("s3cr%3At%2B%25%26"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let response = h
            .http
            .post(h.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", DEMO_CLIENT_ID),
                ("client_secret", DEMO_CLIENT_SECRET),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    #[tokio::test]
    async fn deny_redirects_with_access_denied() {
        let h = Harness::start().await;
        let response = h
            .http
            .post(h.url("/oauth/authorize"))
            .form(&[h.authorize_params("s1"), vec![("decision", "deny".into())]].concat())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap();
        assert!(location.contains("error=access_denied&error_description=The+user+denied+access&state=s1&iss="));
        let query = redirect_query(&response);
        assert_eq!(query["error"], "access_denied");
        assert!(!query.contains_key("code"));
    }

    #[tokio::test]
    async fn refresh_without_rotation_keeps_the_old_refresh_token() {
        let h = Harness::start().await;
        let tokens = h.tokens().await;
        let refresh = tokens["refresh_token"].as_str().unwrap();
        for _ in 0..2 {
            let response = h.refresh(refresh).await;
            assert_eq!(response.status(), 200);
            let renewed = body(response).await;
            assert!(renewed.get("refresh_token").is_none(), "no rotation: {renewed}");
            assert_ne!(renewed["access_token"], tokens["access_token"]);
            assert_eq!(h.me(renewed["access_token"].as_str().unwrap()).await.status(), 200);
        }
        assert_eq!(h.stats().await["refreshGrants"], 2);
    }

    #[tokio::test]
    async fn refresh_with_rotation_refuses_the_old_refresh_token() {
        let h = Harness::start().await;
        let settings = h.control("/_control/oauth", json!({"rotateRefreshTokens": true})).await;
        assert_eq!(settings["rotateRefreshTokens"], true);
        let tokens = h.tokens().await;
        let old = tokens["refresh_token"].as_str().unwrap();

        let renewed = body(h.refresh(old).await).await;
        let new = renewed["refresh_token"].as_str().unwrap();
        assert!(new.starts_with("mrt_") && new != old);

        let reused = h.refresh(old).await;
        assert_eq!(reused.status(), 400);
        assert_eq!(body(reused).await["error"], "invalid_grant");
        assert_eq!(h.refresh(new).await.status(), 200);
    }

    #[tokio::test]
    async fn client_credentials_issue_an_access_token_only() {
        let h = Harness::start().await;
        let response = h.token(&[("grant_type", "client_credentials"), ("scope", "items:read")]).await;
        assert_eq!(response.status(), 200);
        let tokens = body(response).await;
        assert!(tokens.get("refresh_token").is_none());
        assert_eq!(tokens["scope"], "items:read");
        assert_eq!(h.me(tokens["access_token"].as_str().unwrap()).await.status(), 200);
        assert_eq!(h.stats().await["clientCredentialsGrants"], 1);

        let unknown = h.token(&[("grant_type", "password")]).await;
        assert_eq!(unknown.status(), 400);
        assert_eq!(body(unknown).await["error"], "unsupported_grant_type");
    }

    #[tokio::test]
    async fn expired_access_token_is_invalid_token() {
        let h = Harness::start().await;
        h.control("/_control/oauth", json!({"accessTokenTtlSecs": 1})).await;
        let tokens = h.tokens().await;
        assert_eq!(tokens["expires_in"], 1);
        let access = tokens["access_token"].as_str().unwrap();
        assert_eq!(h.me(access).await.status(), 200);

        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let rejected_before = h.mock.stats.rejected_requests.load(std::sync::atomic::Ordering::Relaxed);
        let me = h.me(access).await;
        assert_eq!(me.status(), 401);
        assert_eq!(me.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
        assert_eq!(body(me).await["error"], "invalid_token");
        let rejected_after = h.mock.stats.rejected_requests.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(rejected_after, rejected_before + 1);
        // The refresh token outlives the access token.
        assert_eq!(h.refresh(tokens["refresh_token"].as_str().unwrap()).await.status(), 200);
    }

    #[tokio::test]
    async fn revoke_all_makes_refresh_fail() {
        let h = Harness::start().await;
        let tokens = h.tokens().await;
        let revoked = h.control("/_control/oauth/revoke-all", json!({})).await;
        assert_eq!(revoked["revokedGrants"], 1);
        let refresh = h.refresh(tokens["refresh_token"].as_str().unwrap()).await;
        assert_eq!(refresh.status(), 400);
        assert_eq!(body(refresh).await["error"], "invalid_grant");
        assert_eq!(h.me(tokens["access_token"].as_str().unwrap()).await.status(), 401);
    }

    #[tokio::test]
    async fn revocation_endpoint_revokes_the_whole_grant() {
        let h = Harness::start().await;
        let tokens = h.tokens().await;
        let revoke = |token: String| {
            h.http
                .post(h.url("/oauth/revoke"))
                .basic_auth(DEMO_CLIENT_ID, Some(DEMO_CLIENT_SECRET))
                .form(&[("token", token), ("token_type_hint", "refresh_token".into())])
                .send()
        };
        let response = revoke(tokens["refresh_token"].as_str().unwrap().to_string()).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(h.me(tokens["access_token"].as_str().unwrap()).await.status(), 401);
        assert_eq!(body(h.refresh(tokens["refresh_token"].as_str().unwrap()).await).await["error"], "invalid_grant");

        let unknown = revoke("mrt_unknown".into()).await.unwrap();
        assert_eq!(unknown.status(), 200);
        assert_eq!(h.stats().await["revocations"], 2);
        let unauthenticated =
            h.http.post(h.url("/oauth/revoke")).form(&[("token", "mrt_unknown")]).send().await.unwrap();
        assert_eq!(unauthenticated.status(), 401);
    }

    #[tokio::test]
    async fn injected_server_error_fails_only_the_next_request() {
        let h = Harness::start().await;
        let tokens = h.tokens().await;
        let refresh = tokens["refresh_token"].as_str().unwrap();
        let settings = h.control("/_control/oauth", json!({"tokenFailure": "server_error", "failNext": 1})).await;
        assert_eq!(settings["tokenFailure"], "server_error");
        assert_eq!(settings["failNext"], 1);

        let failed = h.refresh(refresh).await;
        assert_eq!(failed.status(), 500);
        assert_eq!(body(failed).await["error"], "server_error");
        assert_eq!(h.refresh(refresh).await.status(), 200);

        let stats = h.stats().await;
        assert_eq!(stats["tokenRequests"], 3);
        assert_eq!(stats["failedTokenRequests"], 1);
        assert_eq!(stats["refreshGrants"], 1);
    }

    #[tokio::test]
    async fn injected_failures_last_until_reset() {
        let h = Harness::start().await;
        let tokens = h.tokens().await;
        let refresh = tokens["refresh_token"].as_str().unwrap();
        h.control("/_control/oauth", json!({"tokenFailure": "invalid_client"})).await;
        for _ in 0..2 {
            let response = h.refresh(refresh).await;
            assert_eq!(response.status(), 401);
            assert_eq!(body(response).await["error"], "invalid_client");
        }
        h.control("/_control/oauth", json!({"tokenFailure": "invalid_grant", "accessTokenTtlSecs": 5})).await;
        assert_eq!(body(h.refresh(refresh).await).await["error"], "invalid_grant");

        let reset = h.control("/_control/oauth/reset", json!({})).await;
        assert_eq!(reset["tokenFailure"], Value::Null);
        assert_eq!(reset["accessTokenTtlSecs"], 3600);
        assert_eq!(h.stats().await["tokenRequests"], 0);
        assert_eq!(h.refresh(refresh).await.status(), 200, "grants survive a reset");
    }

    #[tokio::test]
    async fn slow_failure_delays_then_answers() {
        let h = Harness::start().await;
        let tokens = h.tokens().await;
        h.control("/_control/oauth", json!({"tokenFailure": "slow", "slowMs": 300, "failNext": 1})).await;
        let started = std::time::Instant::now();
        let response = h.refresh(tokens["refresh_token"].as_str().unwrap()).await;
        assert!(started.elapsed() >= std::time::Duration::from_millis(300));
        assert_eq!(response.status(), 200);
    }

    #[tokio::test]
    async fn control_rejects_unknown_settings() {
        let h = Harness::start().await;
        let response =
            h.http.post(h.url("/_control/oauth")).json(&json!({"tokenFailure": "teapot"})).send().await.unwrap();
        assert_eq!(response.status(), 400);
    }

    #[tokio::test]
    async fn counts_concurrent_token_requests_exactly() {
        let h = Harness::start().await;
        let tokens = h.tokens().await;
        h.control("/_control/oauth/reset", json!({})).await;
        let refresh = tokens["refresh_token"].as_str().unwrap();
        let requests = (0..50).map(|_| h.refresh(refresh));
        let responses = futures_util::future::join_all(requests).await;
        assert!(responses.iter().all(|r| r.status() == 200));
        let stats = h.stats().await;
        assert_eq!(stats["tokenRequests"], 50);
        assert_eq!(stats["refreshGrants"], 50);
        assert_eq!(h.mock.stats.token_requests.load(std::sync::atomic::Ordering::Relaxed), 50);
    }

    #[tokio::test]
    async fn unknown_client_gets_an_error_page_not_a_redirect() {
        let h = Harness::start().await;
        let mut params = h.authorize_params("s");
        params[1].1 = "someone_else".into();
        let response = h.http.get(h.url("/oauth/authorize")).query(&params).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap().contains("not registered"));

        let mut params = h.authorize_params("s");
        params[2].1 = "javascript:alert(1)".into();
        let response = h.http.get(h.url("/oauth/authorize")).query(&params).send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
        assert_eq!(h.stats().await["authorizePages"], 0);
    }

    #[tokio::test]
    async fn other_authorize_errors_go_back_by_redirect() {
        let h = Harness::start().await;
        let without_pkce: Vec<_> = h.authorize_params("s2").into_iter().take(5).collect();
        let response = h.http.get(h.url("/oauth/authorize")).query(&without_pkce).send().await.unwrap();
        assert_eq!(response.status(), 302);
        let query = redirect_query(&response);
        assert_eq!(query["error"], "invalid_request");
        assert_eq!(query["state"], "s2");

        let mut plain = h.authorize_params("s3");
        plain[6].1 = "plain".into();
        let query = redirect_query(&h.http.get(h.url("/oauth/authorize")).query(&plain).send().await.unwrap());
        assert_eq!(query["error"], "invalid_request");

        let mut token_type = h.authorize_params("s4");
        token_type[0].1 = "token".into();
        let query = redirect_query(&h.http.get(h.url("/oauth/authorize")).query(&token_type).send().await.unwrap());
        assert_eq!(query["error"], "invalid_request");

        // With PKCE optional, a plain code flow (no verifier) works.
        h.control("/_control/oauth", json!({"requirePkce": false})).await;
        let response = h.http.get(h.url("/oauth/authorize")).query(&without_pkce).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let code = h.decide(&without_pkce, "approve").await["code"].clone();
        let response =
            h.token(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI)]).await;
        assert_eq!(response.status(), 200);
    }

    #[tokio::test]
    async fn consent_page_escapes_echoed_values() {
        let h = Harness::start().await;
        let mut params = h.authorize_params("\"><script>alert(1)</script>");
        params[4].1 = "<b>bold</b>".into();
        let page = h.http.get(h.url("/oauth/authorize")).query(&params).send().await.unwrap().text().await.unwrap();
        assert!(!page.contains("<script>") && !page.contains("<b>"));
        assert!(page.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;b&gt;bold&lt;/b&gt;"));
        let form = hidden_inputs(&page);
        let query = h.decide(&form, "approve").await;
        assert_eq!(query["state"], "\"><script>alert(1)</script>", "the state survives the round trip intact");
    }
}
