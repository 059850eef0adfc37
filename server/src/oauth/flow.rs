//! The OAuth sign-in, as DESIGN.md "The flow" fixes it:
//!
//! 1. The modal (holding an AuthKit session) creates an *attempt*: `POST /v1/authkit/oauth/attempts`.
//!    The PKCE verifier is made here and sealed in the vault; the answer names `startUrl`.
//! 2. The popup (or, in redirect mode, the host's whole page) opens `GET /oauth/start?attempt=…`,
//!    which issues the single-use `state` (256 bits, stored hashed, bound to the attempt and so to
//!    the session and platform) and redirects to the provider with the S256 challenge.
//! 3. The provider returns to `GET /oauth/callback`. The state is claimed once; the platform is
//!    the state row's (mix-up defence), `iss` is checked when sent; the code is exchanged with a
//!    client that follows no redirects; the credentials go to the vault and the connection is
//!    created, or re-authorised in place when the attempt reconnects one.
//! 4. The outcome is recorded on the attempt, so the modal learns it by polling
//!    `GET /v1/authkit/oauth/attempts/{id}` even when the popup's `postMessage` is lost (COOP,
//!    a closed popup, storage partitioning). The callback page also posts it to its opener with
//!    the exact Portico origin, or in redirect mode sends the browser back to the host page.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use portico_catalog::Platform;
use portico_wire::message::FromSignIn;
use portico_wire::{
    AttemptStatus, AuthKind, AuthWindow, ErrorBody, ErrorCode, ErrorDetail, OAuthAttemptStarted, OAuthAttemptView,
    StartOAuthRequest,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zeroize::Zeroizing;

use super::{apps, credentials_from, token_request, GrantError};
use crate::clock::{random_base62, random_hex};
use crate::digest::{hash_secret, SecretKind};
use crate::error::{ApiError, ApiResult, AppJson};
use crate::lifecycle::{self, Owner};
use crate::session::{check_parent_origin, spend_connect_budget, SessionAuth};
use crate::store::connections::ConnectionRow;
use crate::store::oauth::AttemptRow;
use crate::tenancy::Scope;
use crate::upstream::Credentials;
use crate::vault::Binding;
use crate::AppState;

/// How long a sign-in may take from the modal's click to the provider's return.
pub const ATTEMPT_TTL_MS: i64 = 10 * 60 * 1000;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_attempt)).routes(routes!(get_attempt))
}

/// The browser-facing pages (not part of the JSON API).
pub fn pages() -> Router<AppState> {
    Router::new().route("/oauth/start", get(start)).route("/oauth/callback", get(callback))
}

fn verifier_binding<'a>(scope: &'a Scope, attempt_id: &'a str) -> Binding<'a> {
    Binding { scope, table: "oauth_attempts", record_id: attempt_id, field: "pkce_verifier" }
}

fn state_hash(state: &str) -> [u8; 32] {
    hash_secret(SecretKind::OauthState, state)
}

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Begin an OAuth sign-in for one platform (the modal calls this, then opens `startUrl`).
#[utoipa::path(post, path = "/v1/authkit/oauth/attempts", tag = "Modal",
    operation_id = "create_oauth_attempt",
    security(("authkit_token" = [])),
    request_body = StartOAuthRequest,
    responses(
        (status = 201, body = OAuthAttemptStarted),
        (status = 401, body = ErrorBody),
        (status = 404, description = "The integration is not offered to this token, or the connection to reconnect is not this identity's", body = ErrorBody),
        (status = 422, description = "Not an OAuth platform, no OAuth app configured, or a returnTo the workspace does not allow", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(workspace = %token.scope.workspace_id, platform = %body.platform))]
async fn create_attempt(
    State(state): State<AppState>,
    SessionAuth(token): SessionAuth,
    headers: HeaderMap,
    AppJson(body): AppJson<StartOAuthRequest>,
) -> ApiResult<(StatusCode, Json<OAuthAttemptStarted>)> {
    check_parent_origin(&state, &headers, &token).await?;
    spend_connect_budget(&state, &token).await?;
    let scope = &token.scope;
    let platform = crate::catalog::offered_platform(&state, &token, &body.platform).await?;
    if platform.auth_kind != AuthKind::Oauth2 {
        return Err(ApiError::unprocessable(
            ErrorCode::NotOauth,
            format!("{} connects with a form, not a sign-in page.", platform.name),
        ));
    }
    if state.store.find_oauth_app(scope, &platform.slug).await?.is_none() {
        return Err(ApiError::unprocessable(
            ErrorCode::OauthAppMissing,
            format!(
                "{} is not set up for sign-in yet: this app's administrator has to add its OAuth app to Portico.",
                platform.name
            ),
        ));
    }
    if let Some(id) = &body.connection_id {
        let row = state.store.find_connection(scope, id).await?;
        let mine = row.is_some_and(|r| {
            r.platform == platform.slug
                && r.identity.as_deref() == Some(token.identity.as_str())
                && r.identity_type.as_deref() == Some(token.identity_type.as_str())
        });
        if !mine {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::ConnectionNotFound,
                "That connection was not found for you.",
            ));
        }
    }
    let mode = body.mode.unwrap_or_default();
    let return_to = match (mode, &body.return_to) {
        (AuthWindow::Popup, _) => None,
        (AuthWindow::Redirect, None) => {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidReturnTo,
                "Redirect mode needs `returnTo`, the page to come back to.",
            ))
        }
        (AuthWindow::Redirect, Some(url)) => Some(check_return_to(&state, scope, url).await?),
        (AuthWindow::Unknown, _) => {
            return Err(ApiError::unprocessable(ErrorCode::InvalidMode, "`mode` must be popup or redirect."))
        }
    };

    let now = state.clock.now_ms();
    let id = format!("att_{}", random_hex(state.entropy.as_ref(), 16));
    let verifier = Zeroizing::new(random_base62(state.entropy.as_ref(), 64));
    let sealed = state.vault.seal(verifier_binding(scope, &id), verifier.as_bytes())?;
    let attempt = AttemptRow {
        id: id.clone(),
        scope: scope.clone(),
        token_id: token.id.clone(),
        identity: token.identity.as_str().to_string(),
        identity_type: token.identity_type.as_str().to_string(),
        tags: token.tags.clone(),
        platform: platform.slug.clone(),
        connection_id: body.connection_id.clone(),
        mode,
        return_to,
        pkce_verifier: sealed,
        vault_key_id: state.vault.active_key_id().to_string(),
        status: "pending".into(),
        error_code: None,
        error_message: None,
        result_connection_id: None,
        created_at: now,
        expires_at: now + ATTEMPT_TTL_MS,
    };
    state.store.insert_attempt(&attempt).await?;
    tracing::info!(attempt = %id, "oauth attempt created");
    Ok((
        StatusCode::CREATED,
        Json(OAuthAttemptStarted {
            start_url: format!("{}/oauth/start?attempt={id}", state.config.public_url),
            attempt_id: id,
            expires_at: attempt.expires_at,
        }),
    ))
}

/// A redirect-mode return address: absolute http(s), no credentials, on an origin the workspace
/// allows (so Portico is never an open redirector).
async fn check_return_to(state: &AppState, scope: &Scope, raw: &str) -> ApiResult<String> {
    let bad = || {
        ApiError::unprocessable(
            ErrorCode::InvalidReturnTo,
            "`returnTo` must be a page on one of this workspace's allowed origins.",
        )
    };
    let url = url::Url::parse(raw).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
        || raw.len() > 2048
    {
        return Err(bad());
    }
    let origin = url.origin().ascii_serialization();
    let allowed = state.store.allowed_origins(&scope.workspace_id).await?;
    if !allowed.contains(&origin) {
        return Err(bad());
    }
    Ok(url.to_string())
}

/// Where an OAuth sign-in stands (the modal polls this while the popup is open).
#[utoipa::path(get, path = "/v1/authkit/oauth/attempts/{attempt}", tag = "Modal",
    operation_id = "get_oauth_attempt",
    security(("authkit_token" = [])),
    params(("attempt" = String, Path, description = "The attempt's id")),
    responses(
        (status = 200, body = OAuthAttemptView),
        (status = 401, body = ErrorBody),
        (status = 404, description = "No such attempt for this session's identity", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(workspace = %token.scope.workspace_id))]
async fn get_attempt(
    State(state): State<AppState>,
    SessionAuth(token): SessionAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<OAuthAttemptView>> {
    let attempt = state
        .store
        .find_attempt(&id)
        .await?
        .filter(|a| {
            a.scope == token.scope
                && a.identity == token.identity.as_str()
                && a.identity_type == token.identity_type.as_str()
        })
        .ok_or_else(|| ApiError::not_found("Sign-in attempt"))?;
    Ok(Json(attempt_view(&state, &attempt).await?))
}

async fn attempt_view(state: &AppState, a: &AttemptRow) -> ApiResult<OAuthAttemptView> {
    let now = state.clock.now_ms();
    let name = platform_name(state, &a.platform);
    let (status, error) = match a.status.as_str() {
        "succeeded" => (AttemptStatus::Succeeded, None),
        "failed" => (
            AttemptStatus::Failed,
            Some(ErrorDetail {
                code: a.error_code.as_deref().map(ErrorCode::parse).unwrap_or(ErrorCode::OauthFailed),
                message: a.error_message.clone().unwrap_or_else(|| format!("Connecting {name} failed.")),
            }),
        ),
        _ if a.expires_at <= now => {
            let (code, message) = failure(Failure::StateExpired, &name);
            (AttemptStatus::Failed, Some(ErrorDetail { code, message }))
        }
        "pending" => (AttemptStatus::Pending, None),
        _ => (AttemptStatus::Started, None),
    };
    let connection = match (&a.result_connection_id, status) {
        (Some(id), AttemptStatus::Succeeded) => {
            state.store.find_connection(&a.scope, id).await?.map(|r| lifecycle::view(&a.scope, &r))
        }
        _ => None,
    };
    Ok(OAuthAttemptView { attempt_id: a.id.clone(), platform: a.platform.clone(), status, connection, error })
}

fn platform_name(state: &AppState, slug: &str) -> String {
    state.catalog.get(slug).map(|p| p.name.clone()).unwrap_or_else(|| slug.to_string())
}

/// Every way a sign-in can fail, with its code and the sentence the user reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    AccessDenied,
    ProviderError,
    InvalidClient,
    CodeRefused,
    Unreachable,
    StateExpired,
    StateUsed,
    StateInvalid,
    IssuerMismatch,
    Unsupported,
    Internal,
}

fn failure(f: Failure, name: &str) -> (ErrorCode, String) {
    match f {
        Failure::AccessDenied => (ErrorCode::AccessDenied, format!("You declined to give access on {name}'s page, so nothing was connected.")),
        Failure::ProviderError => (ErrorCode::ProviderError, format!("{name} reported an error during sign-in. Try again in a moment.")),
        Failure::InvalidClient => (ErrorCode::InvalidClient,
            format!("{name} refused this app's OAuth credentials (client id or secret). The app's administrator has to correct them; nothing was connected."),
        ),
        Failure::CodeRefused => (ErrorCode::TokenExchangeFailed, format!("{name} did not accept the sign-in code. Start again.")),
        Failure::Unreachable => (ErrorCode::ProviderUnreachable, format!("We could not reach {name} to finish signing in. Try again in a moment.")),
        Failure::StateExpired => (ErrorCode::StateExpired, "This sign-in took too long and expired. Start again from the app.".into()),
        Failure::StateUsed => (ErrorCode::StateUsed, "This sign-in was already used. Start again from the app.".into()),
        Failure::StateInvalid => (ErrorCode::StateInvalid, "This sign-in could not be matched to a request from the app. Start again from the app.".into()),
        Failure::IssuerMismatch => (ErrorCode::IssuerMismatch, format!("The sign-in answer did not come from {name}. Nothing was connected.")),
        Failure::Unsupported => (ErrorCode::Unsupported, format!("{name} needs connection settings before sign-in, which Portico does not collect yet.")),
        Failure::Internal => (ErrorCode::InternalError, "Something went wrong on our side; it has been logged. Try again.".into()),
    }
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    attempt: Option<String>,
}

/// The popup's first page: issues the state and sends the browser to the provider.
async fn start(State(state): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    let Some(attempt) = (match q.attempt.as_deref().filter(|a| a.starts_with("att_") && a.len() <= 64) {
        Some(id) => match state.store.find_attempt(id).await {
            Ok(a) => a,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    }) else {
        let (code, message) = failure(Failure::StateInvalid, "");
        return outcome_page(&state, None, None, AttemptStatus::Failed, None, Some((code, &message)));
    };
    let name = platform_name(&state, &attempt.platform);
    let fail = |state: &AppState, f: Failure| {
        let (code, message) = failure(f, &name);
        outcome_page(state, Some(&attempt), Some(&name), AttemptStatus::Failed, None, Some((code, &message)))
    };
    let now = state.clock.now_ms();
    if attempt.status != "pending" {
        return fail(&state, Failure::StateUsed);
    }
    if attempt.expires_at <= now {
        let (code, message) = failure(Failure::StateExpired, &name);
        let _ = state.store.finish_attempt(&attempt.id, Err((code.as_str(), &message)), now).await;
        return fail(&state, Failure::StateExpired);
    }
    // The authorization URL needs the app's client id and scopes, not its secret.
    let app = match state.store.find_oauth_app(&attempt.scope, &attempt.platform).await {
        Ok(app) => app,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (Some(platform), Some(app)) = (state.catalog.get(&attempt.platform).cloned(), app) else {
        return finish_failed(&state, &attempt, &name, Failure::InvalidClient).await;
    };
    let Some(url) = authorization_url(&state, &platform, &app.client_id, app.scopes) else {
        return finish_failed(&state, &attempt, &name, Failure::Unsupported).await;
    };
    let verifier = match state.vault.open(verifier_binding(&attempt.scope, &attempt.id), &attempt.pkce_verifier) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "cannot open a PKCE verifier");
            return finish_failed(&state, &attempt, &name, Failure::Internal).await;
        }
    };
    let state_value = random_base62(state.entropy.as_ref(), 43);
    match state.store.start_attempt(&attempt.id, &state_hash(&state_value), now).await {
        Ok(true) => {}
        Ok(false) => return fail(&state, Failure::StateUsed),
        Err(e) => return ApiError::from(e).into_response(),
    }
    let mut url = url;
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("state", &state_value);
        if platform.oauth.as_ref().is_some_and(|o| o.pkce) {
            pairs.append_pair("code_challenge", &challenge(std::str::from_utf8(&verifier).unwrap_or_default()));
            pairs.append_pair("code_challenge_method", "S256");
        }
    }
    tracing::info!(attempt = %attempt.id, platform = %attempt.platform, "oauth sign-in started");
    let mut response = Redirect::to(url.as_str()).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The provider's authorization URL with everything but `state` and the PKCE challenge.
fn authorization_url(
    state: &AppState,
    platform: &Platform,
    client_id: &str,
    scopes: Option<Vec<String>>,
) -> Option<url::Url> {
    let oauth = platform.oauth.as_ref()?;
    let base = oauth.authorization_url.as_ref()?.render(|_| None).ok()?;
    let mut url = url::Url::parse(&base).ok()?;
    let scopes = scopes.unwrap_or_else(|| oauth.scopes.clone());
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("response_type", "code");
        pairs.append_pair("client_id", client_id);
        pairs.append_pair("redirect_uri", &apps::redirect_uri(&state.config.public_url));
        if !scopes.is_empty() {
            pairs.append_pair("scope", &scopes.join(&oauth.scope_separator));
        }
        for (name, value) in &oauth.authorization_params {
            pairs.append_pair(name, value);
        }
    }
    Some(url)
}

async fn finish_failed(state: &AppState, attempt: &AttemptRow, name: &str, f: Failure) -> Response {
    let (code, message) = failure(f, name);
    if let Err(e) = state.store.finish_attempt(&attempt.id, Err((code.as_str(), &message)), state.clock.now_ms()).await
    {
        tracing::error!(error = %e, "could not record an OAuth attempt's failure");
    }
    tracing::info!(attempt = %attempt.id, platform = %attempt.platform, code = code.as_str(), "oauth sign-in failed");
    outcome_page(state, Some(attempt), Some(name), AttemptStatus::Failed, None, Some((code, &message)))
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// The provider's return.
async fn callback(State(state): State<AppState>, Query(q): Query<CallbackQuery>) -> Response {
    let found = match q.state.as_deref().filter(|s| !s.is_empty() && s.len() <= 128) {
        Some(s) => match state.store.find_attempt_by_state(&state_hash(s)).await {
            Ok(found) => found,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    let Some(attempt) = found else {
        tracing::info!("oauth callback with an unknown state");
        let (code, message) = failure(Failure::StateInvalid, "");
        return outcome_page(&state, None, None, AttemptStatus::Failed, None, Some((code, &message)));
    };
    let name = platform_name(&state, &attempt.platform);
    match state.store.claim_attempt(&attempt.id).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(attempt = %attempt.id, "oauth state replayed");
            // A replay must not disturb the recorded outcome of the first use.
            let (code, message) = failure(Failure::StateUsed, &name);
            return outcome_page(&state, None, Some(&name), AttemptStatus::Failed, None, Some((code, &message)));
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    if attempt.expires_at <= state.clock.now_ms() {
        return finish_failed(&state, &attempt, &name, Failure::StateExpired).await;
    }
    let Some(platform) = state.catalog.get(&attempt.platform).cloned() else {
        return finish_failed(&state, &attempt, &name, Failure::Internal).await;
    };
    if let Some(iss) = &q.iss {
        if !issuer_matches(&platform, iss) {
            return finish_failed(&state, &attempt, &name, Failure::IssuerMismatch).await;
        }
    }
    if let Some(error) = &q.error {
        let f = if error == "access_denied" { Failure::AccessDenied } else { Failure::ProviderError };
        return finish_failed(&state, &attempt, &name, f).await;
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return finish_failed(&state, &attempt, &name, Failure::ProviderError).await;
    };
    match exchange_and_store(&state, &attempt, &platform, code).await {
        Ok(row) => {
            let view = lifecycle::view(&attempt.scope, &row);
            outcome_page(&state, Some(&attempt), Some(&name), AttemptStatus::Succeeded, Some(&view), None)
        }
        Err(f) => finish_failed(&state, &attempt, &name, f).await,
    }
}

/// RFC 9207: the `iss` a provider sends must be the authorization server we sent the user to.
fn issuer_matches(platform: &Platform, iss: &str) -> bool {
    let Some(oauth) = platform.oauth.as_ref() else { return false };
    let Ok(iss) = url::Url::parse(iss) else { return false };
    let origin_of = |t: &portico_catalog::Template| {
        t.render(|_| None).ok().and_then(|u| url::Url::parse(&u).ok()).map(|u| u.origin())
    };
    [oauth.authorization_url.as_ref().and_then(origin_of), origin_of(&oauth.token_url)]
        .into_iter()
        .flatten()
        .any(|o| o == iss.origin())
}

async fn exchange_and_store(
    state: &AppState,
    attempt: &AttemptRow,
    platform: &Platform,
    code: &str,
) -> Result<ConnectionRow, Failure> {
    let scope = &attempt.scope;
    let client = match apps::client_auth(state, scope, &platform.slug).await {
        Ok(Some(c)) => c,
        _ => return Err(Failure::InvalidClient),
    };
    let verifier = state.vault.open(verifier_binding(scope, &attempt.id), &attempt.pkce_verifier).map_err(|e| {
        tracing::error!(error = %e, "cannot open a PKCE verifier");
        Failure::Internal
    })?;
    let verifier = std::str::from_utf8(&verifier).map_err(|_| Failure::Internal)?;
    let redirect = apps::redirect_uri(&state.config.public_url);
    let mut params = vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect.as_str())];
    if platform.oauth.as_ref().is_some_and(|o| o.pkce) {
        params.push(("code_verifier", verifier));
    }
    let tokens = token_request(state, platform, &client, &params).await.map_err(|e| {
        tracing::warn!(attempt = %attempt.id, platform = %platform.slug, error = %e, "code exchange failed");
        match e {
            GrantError::InvalidClient(_) => Failure::InvalidClient,
            GrantError::InvalidGrant(_) => Failure::CodeRefused,
            GrantError::Timeout | GrantError::Unreachable => Failure::Unreachable,
            GrantError::Provider { .. } | GrantError::BadResponse => Failure::ProviderError,
        }
    })?;
    let creds: Credentials = credentials_from(&tokens, None, state.clock.now_ms());
    let internal = |e: lifecycle::LifecycleError| {
        tracing::error!(error = %e, "storing an OAuth connection failed");
        Failure::Internal
    };
    let row = match &attempt.connection_id {
        // Reconnect in place: same id, same connection key, fresh grant.
        Some(id) => {
            let existing = state.store.find_connection(scope, id).await.map_err(|e| internal(e.into()))?;
            let Some(existing) = existing
                .filter(|r| r.platform == platform.slug && r.identity.as_deref() == Some(attempt.identity.as_str()))
            else {
                return Err(Failure::StateInvalid);
            };
            lifecycle::reauthorize(state, scope, &existing, &creds).await.map_err(internal)?
        }
        None => {
            let owner =
                Owner { identity: &attempt.identity, identity_type: &attempt.identity_type, tags: &attempt.tags };
            lifecycle::create(state, scope, platform, owner, &creds).await.map_err(internal)?
        }
    };
    finish_succeeded(state, attempt, &row).await;
    Ok(row)
}

async fn finish_succeeded(state: &AppState, attempt: &AttemptRow, row: &ConnectionRow) {
    if let Err(e) = state.store.finish_attempt(&attempt.id, Ok(&row.id), state.clock.now_ms()).await {
        tracing::error!(error = %e, "could not record an OAuth attempt's success");
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The page the popup ends on: it tells its opener (exact Portico origin) and closes; in redirect
/// mode the browser goes back to the host page instead. The page also says what happened in words,
/// for when it cannot close itself.
fn outcome_page(
    state: &AppState,
    attempt: Option<&AttemptRow>,
    name: Option<&str>,
    status: AttemptStatus,
    connection: Option<&portico_wire::ConnectionView>,
    error: Option<(ErrorCode, &str)>,
) -> Response {
    if let Some(a) = attempt.filter(|a| a.mode == AuthWindow::Redirect) {
        if let Some(return_to) = a.return_to.as_deref().and_then(|u| url::Url::parse(u).ok()) {
            let mut back = return_to;
            back.query_pairs_mut().append_pair("portico_attempt", &a.id);
            let mut response = Redirect::to(back.as_str()).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return response;
        }
    }
    let origin = url::Url::parse(&state.config.public_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| state.config.public_url.clone());
    let message = FromSignIn::OAuthResult {
        attempt_id: attempt.map(|a| a.id.clone()),
        status,
        connection: connection.cloned(),
        error: error.map(|(code, message)| ErrorDetail { code, message: message.to_string() }),
    };
    // `<` escaped so the JSON cannot close the script element.
    let data = serde_json::to_string(&message).unwrap_or_default().replace('<', "\\u003c");
    let nonce = random_hex(state.entropy.as_ref(), 16);
    let (title, text) = match (status, error) {
        (AttemptStatus::Succeeded, _) => (
            format!("Connected to {}", name.unwrap_or("the integration")),
            "You can close this window and return to the app.".to_string(),
        ),
        (_, Some((_, message))) => ("Could not connect".to_string(), message.to_string()),
        _ => ("Could not connect".to_string(), "Close this window and try again.".to_string()),
    };
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;background:#f6f7f9;color:#1a1d21}}main{{max-width:28rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08)}}h1{{font-size:1.25rem;margin:0 0 .5rem}}</style>
</head><body><main role="status" data-testid="oauth-outcome" data-status="{status}"><h1>{title}</h1><p>{text}</p></main>
<script type="application/json" id="portico-result">{data}</script>
<script nonce="{nonce}">
(function () {{
  var result = JSON.parse(document.getElementById("portico-result").textContent);
  try {{ if (window.opener) window.opener.postMessage(result, {origin_json}); }} catch (e) {{}}
  setTimeout(function () {{ window.close(); }}, 150);
}})();
</script></body></html>"#,
        title = html_escape(&title),
        text = html_escape(&text),
        status = html_escape(status.as_str()),
        origin_json = serde_json::Value::String(origin).to_string().replace('<', "\\u003c"),
    );
    let mut response =
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
            .into_response();
    let csp = format!("default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn escapes_html() {
        assert_eq!(html_escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
