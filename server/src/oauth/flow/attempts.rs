//! `POST /v1/authkit/oauth/attempts` (begin a sign-in) and `GET …/{attempt}` (where it stands).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use portico_catalog::Platform;
use portico_wire::{
    AttemptStatus, AuthKind, AuthWindow, ErrorBody, ErrorCode, ErrorDetail, OAuthAttemptStarted, OAuthAttemptView,
    StartOAuthRequest,
};
use zeroize::Zeroizing;

use super::*;
use crate::clock::{random_base62, random_hex};
use crate::error::{ApiError, ApiResult, AppJson};
use crate::lifecycle;
use crate::session::{check_parent_origin, spend_connect_budget, SessionAuth};
use crate::store::oauth::AttemptRow;
use crate::store::tokens::TokenRow;
use crate::tenancy::Scope;
use crate::AppState;

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
pub(super) async fn create_attempt(
    State(state): State<AppState>,
    SessionAuth(token): SessionAuth,
    headers: HeaderMap,
    AppJson(body): AppJson<StartOAuthRequest>,
) -> ApiResult<(StatusCode, Json<OAuthAttemptStarted>)> {
    check_parent_origin(&state, &headers, &token).await?;
    spend_connect_budget(&state, &token).await?;
    let platform = signable_platform(&state, &token, &body.platform).await?;
    if let Some(id) = &body.connection_id {
        check_reconnect_target(&state, &token, &platform.slug, id).await?;
    }
    let mode = body.mode.unwrap_or_default();
    let return_to = return_address(&state, &token.scope, mode, body.return_to.as_deref()).await?;
    let (attempt, start_secret) = new_attempt(&state, &token, &platform.slug, body.connection_id, mode, return_to)?;
    let id = attempt.id.clone();
    state.store.insert_attempt(&attempt).await?;
    tracing::info!(attempt = %id, "oauth attempt created");
    Ok((
        StatusCode::CREATED,
        Json(OAuthAttemptStarted {
            start_url: format!("{}/oauth/start", state.config.public_url),
            start_secret: start_secret.to_string(),
            attempt_id: id,
            expires_at: attempt.expires_at,
        }),
    ))
}

/// The platform, if this token may offer it and it can be signed in to: OAuth, with an app.
async fn signable_platform(state: &AppState, token: &TokenRow, slug: &str) -> ApiResult<Arc<Platform>> {
    let platform = crate::catalog::offered_platform(state, token, slug).await?;
    if platform.auth_kind != AuthKind::Oauth2 {
        return Err(ApiError::unprocessable(
            ErrorCode::NotOauth,
            format!("{} connects with a form, not a sign-in page.", platform.name),
        ));
    }
    if state.store.find_oauth_app(&token.scope, &platform.slug).await?.is_none() {
        return Err(ApiError::unprocessable(
            ErrorCode::OauthAppMissing,
            format!(
                "{} is not set up for sign-in yet: this app's administrator has to add its OAuth app to Portico.",
                platform.name
            ),
        ));
    }
    Ok(platform)
}

/// A reconnect must name one of this identity's connections to the same platform.
async fn check_reconnect_target(state: &AppState, token: &TokenRow, platform: &str, id: &str) -> ApiResult<()> {
    let row = state.store.find_connection(&token.scope, id).await?;
    let mine = row.is_some_and(|r| {
        r.platform == platform
            && r.identity.as_deref() == Some(token.identity.as_str())
            && r.identity_type.as_deref() == Some(token.identity_type.as_str())
    });
    if mine {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::ConnectionNotFound,
            "That connection was not found for you.",
        ))
    }
}

/// Where a same-window sign-in comes back to (none for a pop-up).
async fn return_address(
    state: &AppState,
    scope: &Scope,
    mode: AuthWindow,
    return_to: Option<&str>,
) -> ApiResult<Option<String>> {
    match (mode, return_to) {
        (AuthWindow::Popup, _) => Ok(None),
        (AuthWindow::Redirect, None) => Err(ApiError::unprocessable(
            ErrorCode::InvalidReturnTo,
            "Redirect mode needs `returnTo`, the page to come back to.",
        )),
        (AuthWindow::Redirect, Some(url)) => Ok(Some(check_return_to(state, scope, url).await?)),
        (AuthWindow::Unknown, _) => {
            Err(ApiError::unprocessable(ErrorCode::InvalidMode, "`mode` must be popup or redirect."))
        }
    }
}

/// A pending attempt with a fresh PKCE verifier, sealed in the vault, and its start secret (of
/// which only the hash is kept).
fn new_attempt(
    state: &AppState,
    token: &TokenRow,
    platform: &str,
    connection_id: Option<String>,
    mode: AuthWindow,
    return_to: Option<String>,
) -> ApiResult<(AttemptRow, Zeroizing<String>)> {
    let now = state.clock.now_ms();
    let id = format!("att_{}", random_hex(state.entropy.as_ref(), 16));
    let verifier = Zeroizing::new(random_base62(state.entropy.as_ref(), 64));
    let sealed = state.vault.seal(verifier_binding(&token.scope, &id), verifier.as_bytes())?;
    let start_secret = Zeroizing::new(random_base62(state.entropy.as_ref(), 43));
    let attempt = AttemptRow {
        id,
        scope: token.scope.clone(),
        token_id: token.id.clone(),
        identity: token.identity.as_str().to_string(),
        identity_type: token.identity_type.as_str().to_string(),
        tags: token.tags.clone(),
        platform: platform.to_string(),
        connection_id,
        mode,
        return_to,
        pkce_verifier: sealed,
        vault_key_id: state.vault.active_key_id().to_string(),
        start_secret_hash: Some(start_secret_hash(&start_secret).to_vec()),
        status: "pending".into(),
        error_code: None,
        error_message: None,
        result_connection_id: None,
        created_at: now,
        expires_at: now + ATTEMPT_TTL_MS,
    };
    Ok((attempt, start_secret))
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
pub(super) async fn get_attempt(
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
