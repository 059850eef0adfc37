//! AuthKit tokens and the modal's API.
//!
//! The host's backend mints a short-lived token for one identity (`POST /v1/authkit/token`, secret
//! key). The modal runs on that token alone: it reads its session (the integrations it may offer,
//! the identity's connections) and submits connect forms. Tokens are opaque, 256 bits, stored
//! hashed, scoped to workspace + environment + identity. A hosted connect link carries a separate
//! code that the connect page exchanges for the token, so the token itself never sits in a URL.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use portico_wire::{ConnectionView, CreateConnectionRequest, ErrorBody, ErrorCode, SessionView, TokenResponse};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::{random_base62, random_hex};
use crate::connections::parse_tags;
use crate::digest::{hash_secret, SecretKind};
use crate::error::{ApiError, ApiResult, AppJson};
use crate::keys::SecretKeyAuth;
use crate::lifecycle::view;
use crate::session::{check_live, check_parent_origin, parse_link, spend_connect_budget, SessionAuth, RANDOM_CHARS};
use crate::store::connections::ConnectionFilter;
use crate::store::tokens::TokenRow;
use crate::tenancy::{Identity, IdentityType};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(mint_token))
        .routes(routes!(session))
        .routes(routes!(create_connection))
        .routes(routes!(exchange_link))
}

/// Stores `row` under a new id with a fresh token and connect-link code, and returns both (the
/// only time they exist in clear) with the stored row. A row without a session starts its own.
async fn issue(state: &AppState, row: TokenRow) -> ApiResult<(String, String, TokenRow)> {
    let token = format!("akt_{}_{}", row.scope.environment, random_base62(state.entropy.as_ref(), RANDOM_CHARS));
    let link = format!("lnk_{}", random_base62(state.entropy.as_ref(), RANDOM_CHARS));
    let id = format!("tok_{}", random_hex(state.entropy.as_ref(), 12));
    let session_id = if row.session_id.is_empty() { id.clone() } else { row.session_id.clone() };
    let row = TokenRow { id, session_id, ..row };
    let (token_hash, link_hash) =
        (hash_secret(SecretKind::AuthkitToken, &token), hash_secret(SecretKind::ConnectLink, &link));
    state.store.insert_token(&row, &token_hash, &link_hash).await?;
    Ok((token, link, row))
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
    crate::session::spend_mint_budget(&state, &auth.key_id).await?;
    let identity = Identity::parse(body.identity.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidIdentity, format!("`identity`: {e}.")))?;
    let identity_type = match body.identity_type.as_deref() {
        None => {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidIdentityType,
                format!("`identityType` is required: {}.", IdentityType::EXPECTED),
            ))
        }
        Some(t) => IdentityType::parse(t).ok_or_else(|| {
            ApiError::unprocessable(
                ErrorCode::InvalidIdentityType,
                format!("`identityType` must be {}, not `{t}`.", IdentityType::EXPECTED),
            )
        })?,
    };
    if let Some(allowed) = &body.allowed_integrations {
        if let Some(unknown) = allowed.iter().find(|slug| state.catalog.get(slug).is_none()) {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidAllowedIntegrations,
                format!("`allowedIntegrations` names `{unknown}`, which is not in the catalog."),
            ));
        }
    }
    let tags = parse_tags(body.tags.as_deref().unwrap_or_default())?;

    let now = state.clock.now_ms();
    let expires_at = now + state.config.token_ttl.as_millis() as i64;
    let row = TokenRow {
        id: String::new(),
        scope: auth.scope.clone(),
        identity,
        identity_type,
        allowed_integrations: body.allowed_integrations,
        tags,
        created_at: now,
        expires_at,
        revoked_at: None,
        session_id: String::new(),
    };
    let (token, link, row) = issue(&state, row).await?;
    tracing::info!(token = %row.id, "authkit token minted");
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse { token, expires_at, connect_link: format!("{}/connect/{link}", state.config.public_url) }),
    ))
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
    let connections: Vec<ConnectionView> = rows.iter().map(|r| view(&token.scope, r)).collect();
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
    spend_connect_budget(&state, &token).await?;
    let view = crate::form::create_from_form(&state, &token, &body.platform, &body.fields).await?;
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

/// The hosted connect page trades its link code for a fresh token of the same session (scope,
/// identity, options and budget of connect attempts). A link works once (review finding #2): a
/// second exchange, by anyone, is refused; the page keeps its token for reloads in the tab.
/// Exchanges are counted per client address, since nothing else identifies the caller.
#[utoipa::path(post, path = "/v1/authkit/link", tag = "Modal",
    operation_id = "exchange_connect_link",
    request_body = LinkRequest,
    responses((status = 200, body = LinkResponse), (status = 401, description = "Unknown or expired link", body = ErrorBody)))]
async fn exchange_link(
    State(state): State<AppState>,
    client: crate::address_budget::ClientAddress,
    AppJson(body): AppJson<LinkRequest>,
) -> ApiResult<Json<LinkResponse>> {
    crate::address_budget::spend_address_budget(&state, "link", &client).await?;
    let invalid =
        || ApiError::unauthorized(ErrorCode::InvalidLink, "This connect link is not valid. Ask for a new one.");
    let link_hash = parse_link(body.link.trim()).ok_or_else(invalid)?;
    let row = state.store.find_token_by_link_hash(&link_hash).await?.ok_or_else(invalid)?;
    check_live(&row, state.clock.now_ms()).map_err(|e| {
        if e.code == ErrorCode::TokenExpired {
            ApiError::unauthorized(ErrorCode::TokenExpired, "This connect link has expired. Ask for a new one.")
        } else {
            e
        }
    })?;
    if !state.store.claim_link(&link_hash, state.clock.now_ms()).await? {
        return Err(ApiError::unauthorized(
            ErrorCode::LinkUsed,
            "This connect link was already opened. Links work once: ask for a new one.",
        ));
    }
    let (token, _link, fresh) = issue(&state, row).await?;
    Ok(Json(LinkResponse { token, expires_at: fresh.expires_at }))
}
