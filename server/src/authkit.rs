//! AuthKit tokens and the modal's API.
//!
//! The host's backend mints a short-lived token for one identity (`POST /v1/authkit/token`, secret
//! key). The modal runs on that token alone: it reads its session (the integrations it may offer,
//! the identity's connections) and submits connect forms. Tokens are opaque, 256 bits, stored
//! hashed, scoped to workspace + environment + identity. A hosted connect link carries a separate
//! code that the connect page exchanges for the token, so the token itself never sits in a URL.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use portico_wire::{ConnectionView, CreateConnectionRequest, SessionView, TokenResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::clock::random_base62;
use crate::connections::parse_tags;
use crate::error::{ApiError, ApiResult, AppJson};
use crate::keys::SecretKeyAuth;
use crate::store::connections::ConnectionFilter;
use crate::store::tokens::TokenRow;
use crate::tenancy::{Environment, Identity, IdentityType};
use crate::AppState;
use portico_wire::ErrorBody;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const RANDOM_CHARS: usize = 43;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(mint_token))
        .routes(routes!(session))
        .routes(routes!(create_connection))
        .routes(routes!(exchange_link))
}

fn hash(kind: &str, text: &str) -> [u8; 32] {
    Sha256::new_with_prefix(format!("portico {kind}\0").as_bytes()).chain_update(text.as_bytes()).finalize().into()
}

/// A token as presented, syntactically valid: `akt_{env}_{43 base62}`.
pub fn parse_token(text: &str) -> Option<(Environment, [u8; 32])> {
    let rest = text.strip_prefix("akt_")?;
    let (env, random) = rest.split_once('_')?;
    let env = Environment::parse(env)?;
    (random.len() == RANDOM_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| (env, hash("authkit token", text)))
}

/// A connect-link code as presented: `lnk_{43 base62}`.
pub fn parse_link(text: &str) -> Option<[u8; 32]> {
    let random = text.strip_prefix("lnk_")?;
    (random.len() == RANDOM_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| hash("connect link", text))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct MintRequest {
    identity: Option<String>,
    identity_type: Option<String>,
    allowed_integrations: Option<Vec<String>>,
    tags: Option<Vec<String>>,
}

/// Mint an AuthKit token for one identity (called by the host's backend).
#[utoipa::path(post, path = "/v1/authkit/token", tag = "AuthKit",
    operation_id = "mint_authkit_token",
    security(("secret_key" = [])),
    request_body = MintRequest,
    responses(
        (status = 201, description = "A token for the modal", body = TokenResponse),
        (status = 401, description = "Missing, invalid or revoked secret key", body = ErrorBody),
        (status = 422, description = "Invalid identity, identityType, allowedIntegrations or tags", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id))]
async fn mint_token(
    State(state): State<AppState>,
    auth: SecretKeyAuth,
    AppJson(body): AppJson<MintRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let limit = state.config.rate_limits.tokens_per_minute;
    state
        .rate_limiter
        .check(&state.store, &[crate::ratelimit::Limit { bucket: format!("mint:{}", auth.key_id), per_minute: limit }])
        .await
        .map_err(|e| ApiError::rate_limited("tokens minted with this secret key", e.retry_after_secs))?;
    let identity = Identity::parse(body.identity.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::unprocessable("invalid_identity", format!("`identity`: {e}.")))?;
    let identity_type = match body.identity_type.as_deref() {
        None => {
            return Err(ApiError::unprocessable(
                "invalid_identity_type",
                format!("`identityType` is required: {}.", IdentityType::EXPECTED),
            ))
        }
        Some(t) => IdentityType::parse(t).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_identity_type",
                format!("`identityType` must be {}, not `{t}`.", IdentityType::EXPECTED),
            )
        })?,
    };
    if let Some(allowed) = &body.allowed_integrations {
        if let Some(unknown) = allowed.iter().find(|slug| state.catalog.get(slug).is_none()) {
            return Err(ApiError::unprocessable(
                "invalid_allowed_integrations",
                format!("`allowedIntegrations` names `{unknown}`, which is not in the catalog."),
            ));
        }
    }
    let tags = parse_tags(body.tags.as_deref().unwrap_or_default())?;

    let now = state.clock.now_ms();
    let expires_at = now + state.config.token_ttl.as_millis() as i64;
    let token = format!("akt_{}_{}", auth.scope.environment, random_base62(state.entropy.as_ref(), RANDOM_CHARS));
    let link = format!("lnk_{}", random_base62(state.entropy.as_ref(), RANDOM_CHARS));
    let row = TokenRow {
        id: format!("tok_{}", crate::clock::random_hex(state.entropy.as_ref(), 12)),
        scope: auth.scope.clone(),
        identity,
        identity_type,
        allowed_integrations: body.allowed_integrations,
        tags,
        created_at: now,
        expires_at,
        revoked_at: None,
    };
    state.store.insert_token(&row, &hash("authkit token", &token), &hash("connect link", &link)).await?;
    tracing::info!(token = %row.id, "authkit token minted");
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse { token, expires_at, connect_link: format!("{}/connect/{link}", state.config.public_url) }),
    ))
}

/// Why a token cannot be used, in the words the modal shows.
fn check_live(row: &TokenRow, now: i64) -> ApiResult<()> {
    if row.revoked_at.is_some() {
        return Err(ApiError::unauthorized(
            "token_revoked",
            "This session was ended — close this window and try again.",
        ));
    }
    if row.expires_at <= now {
        return Err(ApiError::unauthorized(
            "token_expired",
            "This session has expired — close this window and try again.",
        ));
    }
    Ok(())
}

/// The authenticated modal session of a request (`Authorization: Bearer akt_…`).
#[derive(Debug, Clone)]
pub struct SessionAuth(pub TokenRow);

impl FromRequestParts<AppState> for SessionAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let invalid =
            || ApiError::unauthorized("invalid_token", "This session is not valid — close this window and try again.");
        let text = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized("missing_token", "This request needs a session token."))?;
        let (env, token_hash) = parse_token(text.trim()).ok_or_else(invalid)?;
        let row = state.store.find_token_by_hash(&token_hash).await?.ok_or_else(invalid)?;
        if row.scope.environment != env {
            return Err(invalid());
        }
        check_live(&row, state.clock.now_ms())?;
        Ok(SessionAuth(row))
    }
}

/// The modal reports the host page's origin (as the browser told it in the token message); it
/// must be one the workspace allows. The hosted connect page has no host page and sends none.
pub(crate) async fn check_parent_origin(state: &AppState, headers: &HeaderMap, token: &TokenRow) -> ApiResult<()> {
    let Some(origin) = headers.get("x-portico-parent-origin").and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let allowed = state.store.allowed_origins(&token.scope.workspace_id).await?;
    if allowed.iter().any(|a| a == origin) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            format!("{origin} is not allowed to open this workspace's Portico modal."),
        ))
    }
}

/// The modal's session: the integrations this token may offer and its identity's connections.
#[utoipa::path(get, path = "/v1/authkit/session", tag = "Modal",
    operation_id = "get_session",
    security(("authkit_token" = [])),
    responses(
        (status = 200, body = SessionView),
        (status = 401, description = "Missing, unknown, expired or revoked token", body = ErrorBody),
        (status = 403, description = "The host page's origin is not allowed", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(workspace = %token.scope.workspace_id))]
async fn session(
    State(state): State<AppState>,
    SessionAuth(token): SessionAuth,
    headers: HeaderMap,
) -> ApiResult<Json<SessionView>> {
    check_parent_origin(&state, &headers, &token).await?;
    let workspace = state
        .store
        .find_workspace(&token.scope.workspace_id)
        .await?
        .ok_or_else(|| ApiError::internal("token of a deleted workspace"))?;
    let integrations = crate::catalog::offered_integrations(&state, &token).await?;
    let filter = ConnectionFilter {
        identity: Some(token.identity.as_str().to_string()),
        identity_type: Some(token.identity_type.as_str().to_string()),
        ..Default::default()
    };
    let (rows, _) = state.store.list_connections(&token.scope, &filter, 100, 0).await?;
    let connections: Vec<ConnectionView> = rows.iter().map(|r| crate::connections::view(&token.scope, r)).collect();
    Ok(Json(SessionView {
        workspace_name: workspace.name,
        environment: token.scope.environment.as_str().to_string(),
        identity: token.identity.as_str().to_string(),
        identity_type: token.identity_type.as_str().to_string(),
        expires_at: token.expires_at,
        integrations,
        connections,
    }))
}

/// Submit a connect form (API key, basic, custom fields); checked with the provider first.
#[utoipa::path(post, path = "/v1/authkit/connections", tag = "Modal",
    operation_id = "create_connection_from_form",
    security(("authkit_token" = [])),
    request_body = CreateConnectionRequest,
    responses(
        (status = 201, body = ConnectionView),
        (status = 401, body = ErrorBody),
        (status = 404, description = "The integration is not offered to this token", body = ErrorBody),
        (status = 422, description = "Invalid fields, or the provider refused the credentials", body = ErrorBody),
        (status = 502, description = "The provider could not check the credentials", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(workspace = %token.scope.workspace_id, platform = %body.platform))]
async fn create_connection(
    State(state): State<AppState>,
    SessionAuth(token): SessionAuth,
    headers: HeaderMap,
    AppJson(body): AppJson<CreateConnectionRequest>,
) -> ApiResult<(StatusCode, Json<ConnectionView>)> {
    check_parent_origin(&state, &headers, &token).await?;
    let limit = state.config.rate_limits.forms_per_minute;
    state
        .rate_limiter
        .check(&state.store, &[crate::ratelimit::Limit { bucket: format!("form:{}", token.id), per_minute: limit }])
        .await
        .map_err(|e| ApiError::rate_limited("attempts to connect in this session", e.retry_after_secs))?;
    let view = crate::connections::create_from_form(&state, &token, &body.platform, &body.fields).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct LinkRequest {
    link: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct LinkResponse {
    token: String,
    expires_at: i64,
}

/// The hosted connect page trades its link code for a fresh token bound to the same session
/// row's scope and identity. The original token stays with the host; this one lives only in the
/// page's memory.
#[utoipa::path(post, path = "/v1/authkit/link", tag = "Modal",
    operation_id = "exchange_connect_link",
    request_body = LinkRequest,
    responses((status = 200, body = LinkResponse), (status = 401, description = "Unknown or expired link", body = ErrorBody)))]
async fn exchange_link(
    State(state): State<AppState>,
    AppJson(body): AppJson<LinkRequest>,
) -> ApiResult<Json<LinkResponse>> {
    let invalid = || ApiError::unauthorized("invalid_link", "This connect link is not valid. Ask for a new one.");
    let link_hash = parse_link(body.link.trim()).ok_or_else(invalid)?;
    let row = state.store.find_token_by_link_hash(&link_hash).await?.ok_or_else(invalid)?;
    check_live(&row, state.clock.now_ms()).map_err(|e| {
        if e.code == "token_expired" {
            ApiError::unauthorized("token_expired", "This connect link has expired. Ask for a new one.")
        } else {
            e
        }
    })?;
    let token = format!("akt_{}_{}", row.scope.environment, random_base62(state.entropy.as_ref(), RANDOM_CHARS));
    let link = format!("lnk_{}", random_base62(state.entropy.as_ref(), RANDOM_CHARS));
    let fresh = TokenRow { id: format!("tok_{}", crate::clock::random_hex(state.entropy.as_ref(), 12)), ..row };
    state.store.insert_token(&fresh, &hash("authkit token", &token), &hash("connect link", &link)).await?;
    Ok(Json(LinkResponse { token, expires_at: fresh.expires_at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_and_links() {
        let token = format!("akt_test_{}", "A".repeat(43));
        assert_eq!(parse_token(&token).unwrap().0, Environment::Test);
        assert!(parse_token(&format!("akt_prod_{}", "A".repeat(43))).is_none());
        assert!(parse_token(&format!("akt_test_{}", "A".repeat(42))).is_none());
        assert!(parse_token("akt_test").is_none());
        assert!(parse_link(&format!("lnk_{}", "b".repeat(43))).is_some());
        assert!(parse_link(&format!("lnk_{}-", "b".repeat(42))).is_none());
        assert_ne!(parse_token(&token).unwrap().1, hash("connect link", &token), "hashes are domain-separated");
    }
}
