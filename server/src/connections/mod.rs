//! The secret-key API over connections: list, read, tag and delete them
//! (`/v1/vault/connections`, Pica's shape). Changes go through [`crate::lifecycle`].

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use portico_wire::{ConnectionList, ConnectionView, ErrorBody};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use portico_wire::{ConnectionStatus, ErrorCode};

use crate::error::{ApiError, ApiResult, AppJson};
use crate::events::Actor;
use crate::keys::SecretKeyAuth;
use crate::lifecycle::{self, view};
use crate::query::{comma_list, whole_number};
use crate::store::connections::{ConnectionFilter, ConnectionRow};
use crate::tenancy::{Identity, IdentityType, Scope};
use crate::AppState;

pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_LEN: usize = 64;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_connections)).routes(routes!(
        get_connection,
        update_connection,
        delete_connection
    ))
}

/// Checks tags: at most 32, each 1–64 characters, no control characters, `"` or `\` (so they
/// stay exact in filters and safe in every display).
pub fn parse_tags(tags: &[String]) -> Result<Vec<String>, ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::unprocessable(ErrorCode::InvalidTags, format!("At most {MAX_TAGS} tags are allowed.")));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidTags,
                format!("Each tag must be 1 to {MAX_TAG_LEN} characters."),
            ));
        }
        if tag.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err(ApiError::unprocessable(
                ErrorCode::InvalidTags,
                "Tags may not contain control characters, quotes or backslashes.",
            ));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    Ok(out)
}

/// List connections (newest first), filtered and paginated.
#[utoipa::path(get, path = "/v1/vault/connections", tag = "Connections",
    operation_id = "list_connections",
    security(("secret_key" = [])),
    params(
        ("identity" = Option<String>, Query, description = "Only this identity's connections"),
        ("identityType" = Option<String>, Query, description = "user, team, organization or project"),
        ("platform" = Option<String>, Query, description = "A catalog platform slug"),
        ("key" = Option<String>, Query, description = "Comma-separated connection keys (any of them)"),
        ("tags" = Option<String>, Query, description = "Comma-separated tags (all must match)"),
        ("active" = Option<bool>, Query),
        ("status" = Option<String>, Query, description = "active or needs_reauth"),
        ("limit" = Option<i64>, Query, description = "1 to 100, default 20"),
        ("page" = Option<i64>, Query, description = "From 1, default 1"),
    ),
    responses((status = 200, body = ConnectionList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id))]
async fn list_connections(
    State(state): State<AppState>,
    auth: SecretKeyAuth,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<ConnectionList>> {
    let q = |name: &str| query.get(name).map(String::as_str);
    let limit = whole_number(&query, "limit", 1, 100)?.unwrap_or(20);
    let page = whole_number(&query, "page", 1, 1_000_000)?.unwrap_or(1);
    let identity = q("identity")
        .map(|i| Identity::parse(i).map(|i| i.as_str().to_string()))
        .transpose()
        .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidQuery, e))?;
    let identity_type = match q("identityType") {
        None => None,
        Some(t) => Some(
            IdentityType::parse(t)
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        ErrorCode::InvalidQuery,
                        format!("`identityType` must be {}.", IdentityType::EXPECTED),
                    )
                })?
                .as_str()
                .to_string(),
        ),
    };
    let active = match q("active") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => return Err(ApiError::unprocessable(ErrorCode::InvalidQuery, "`active` must be true or false.")),
    };
    let status = match q("status") {
        None => None,
        Some(s) if [ConnectionStatus::Active, ConnectionStatus::NeedsReauth].map(|v| v.as_str()).contains(&s) => {
            Some(ConnectionStatus::parse(s))
        }
        Some(_) => {
            return Err(ApiError::unprocessable(ErrorCode::InvalidQuery, "`status` must be active or needs_reauth."))
        }
    };
    let keys = comma_list(q("key"));
    if keys.len() > 100 {
        return Err(ApiError::unprocessable(ErrorCode::InvalidQuery, "At most 100 keys per request."));
    }
    let tags = parse_tags(&comma_list(q("tags")))?;
    let platform = q("platform").map(str::to_string);
    let filter = ConnectionFilter { identity, identity_type, platform, keys, tags, active, status };
    let (rows, total) = state.store.list_connections(&auth.scope, &filter, limit, (page - 1) * limit).await?;
    Ok(Json(ConnectionList {
        kind: "Vault Connections".into(),
        rows: rows.iter().map(|r| view(&auth.scope, r)).collect(),
        total,
        pages: (total + limit - 1) / limit,
        page,
    }))
}

async fn load(state: &AppState, scope: &Scope, id: &str) -> ApiResult<ConnectionRow> {
    state.store.find_connection(scope, id).await?.ok_or_else(|| ApiError::not_found("Connection"))
}

/// One connection.
#[utoipa::path(get, path = "/v1/vault/connections/{id}", tag = "Connections",
    operation_id = "get_connection",
    security(("secret_key" = [])),
    params(("id" = String, Path, description = "The connection's id")),
    responses((status = 200, body = ConnectionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id, connection = %id))]
async fn get_connection(
    State(state): State<AppState>,
    auth: SecretKeyAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConnectionView>> {
    let row = load(&state, &auth.scope, &id).await?;
    Ok(Json(view(&auth.scope, &row)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateConnection {
    tags: Vec<String>,
}

/// Replace a connection's tags (at most 32, each at most 64 characters).
#[utoipa::path(patch, path = "/v1/vault/connections/{id}", tag = "Connections",
    operation_id = "update_connection",
    security(("secret_key" = [])),
    params(("id" = String, Path, description = "The connection's id")),
    request_body = UpdateConnection,
    responses((status = 200, body = ConnectionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id, connection = %id))]
async fn update_connection(
    State(state): State<AppState>,
    auth: SecretKeyAuth,
    Path(id): Path<String>,
    AppJson(body): AppJson<UpdateConnection>,
) -> ApiResult<Json<ConnectionView>> {
    let tags = parse_tags(&body.tags)?;
    if !lifecycle::update_tags(&state, &auth.scope, &id, &tags).await? {
        return Err(ApiError::not_found("Connection"));
    }
    let row = load(&state, &auth.scope, &id).await?;
    Ok(Json(view(&auth.scope, &row)))
}

/// Delete a connection and destroy its credentials.
#[utoipa::path(delete, path = "/v1/vault/connections/{id}", tag = "Connections",
    operation_id = "delete_connection",
    security(("secret_key" = [])),
    params(("id" = String, Path, description = "The connection's id")),
    responses((status = 200, description = "The deleted connection", body = ConnectionView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id, connection = %id))]
async fn delete_connection(
    State(state): State<AppState>,
    auth: SecretKeyAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ConnectionView>> {
    let row = load(&state, &auth.scope, &id).await?;
    let by = Actor::SecretKey { key_id: auth.key_id.clone() };
    if !delete(&state, &auth.scope, &row, by).await? {
        return Err(ApiError::not_found("Connection"));
    }
    Ok(Json(view(&auth.scope, &row)))
}

/// Deletes a connection as the API and the dashboard both do: the grant is revoked at the
/// provider first (its credentials are needed for that), then the row and its event go together
/// through [`lifecycle::delete`]. `false` when it was already gone.
pub async fn delete(
    state: &AppState,
    scope: &Scope,
    row: &ConnectionRow,
    by: Actor,
) -> Result<bool, lifecycle::LifecycleError> {
    let revoked = crate::oauth::revoke::revoke_at_provider(state, scope, row).await;
    lifecycle::delete(state, scope, row, revoked, by).await
}
