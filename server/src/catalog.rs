//! The catalog as the API serves it: what is enabled where (hidden by default, as in Pica), what a
//! token may offer, `GET /v1/integrations` and `GET /v1/available-actions/{platform}`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use portico_catalog::Platform;
use portico_wire::{ErrorBody, IntegrationCard, PlatformSummary};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::keys::SecretKeyAuth;
use crate::store::tokens::TokenRow;
use crate::store::StoreError;
use crate::tenancy::Scope;
use crate::AppState;
use portico_wire::ErrorCode;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_integrations)).routes(routes!(available_actions))
}

pub fn card(platform: &Platform) -> IntegrationCard {
    IntegrationCard {
        platform: platform.slug.clone(),
        name: platform.name.clone(),
        categories: platform.categories.clone(),
        logo_url: format!("/logos/{}", platform.logo),
        auth_kind: platform.auth_kind,
        docs_url: platform.docs_url.clone(),
        fields: platform.fields.clone(),
    }
}

fn token_allows(token: &TokenRow, slug: &str) -> bool {
    token.allowed_integrations.as_ref().is_none_or(|allowed| allowed.iter().any(|a| a == slug))
}

/// The integrations a token's modal shows: enabled in its environment, narrowed by the token's
/// `allowedIntegrations`, present in the catalog.
pub async fn offered_integrations(state: &AppState, token: &TokenRow) -> ApiResult<Vec<IntegrationCard>> {
    let enabled = state.store.enabled_integrations(&token.scope).await?;
    // An OAuth platform needs the workspace's own OAuth app: without one it cannot be offered.
    let with_app = state.store.oauth_app_platforms(&token.scope).await?;
    Ok(state
        .catalog
        .iter()
        .filter(|p| enabled.contains(&p.slug) && token_allows(token, &p.slug))
        .filter(|p| p.auth_kind != portico_wire::AuthKind::Oauth2 || with_app.contains(&p.slug))
        .map(|p| card(p))
        .collect())
}

/// The integrations `scope` has turned on, cached like keys and connections (a change made through
/// this process is seen at once, another replica's within the cache's TTL).
pub async fn enabled_platforms(state: &AppState, scope: &Scope) -> Result<Arc<BTreeSet<String>>, StoreError> {
    if let Some(found) = state.enabled_cache.get(scope) {
        return Ok(found);
    }
    let enabled = Arc::new(state.store.enabled_integrations(scope).await?);
    state.enabled_cache.put(scope.clone(), enabled.clone());
    Ok(enabled)
}

/// Forgets `scope`'s cached integrations after this process changed them.
pub fn forget_enabled(state: &AppState, scope: &Scope) {
    state.enabled_cache.remove(scope);
}

/// Turned off: its connections are kept (turning it on again restores them) but cannot be used,
/// through passthrough or as agent tools.
pub async fn check_enabled(state: &AppState, scope: &Scope, platform: &Platform) -> ApiResult<()> {
    if enabled_platforms(state, scope).await?.contains(&platform.slug) {
        return Ok(());
    }
    Err(ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        ErrorCode::IntegrationDisabled,
        format!(
            "{} is turned off for this workspace. Its connections are kept, but cannot be used until an operator turns it on again.",
            platform.name
        ),
    ))
}

/// One platform a token may connect, or 404 (never revealing whether it exists elsewhere).
pub async fn offered_platform(state: &AppState, token: &TokenRow, slug: &str) -> ApiResult<Arc<Platform>> {
    let not_found = || {
        ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            ErrorCode::IntegrationNotFound,
            "This integration is not available here.",
        )
    };
    let platform = state.catalog.get(slug).cloned().ok_or_else(not_found)?;
    if !token_allows(token, slug) || !state.store.integration_enabled(&token.scope, slug).await? {
        return Err(not_found());
    }
    Ok(platform)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct IntegrationRow {
    #[serde(flatten)]
    summary: PlatformSummary,
    enabled: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct IntegrationList {
    #[serde(rename = "type")]
    kind: &'static str,
    rows: Vec<IntegrationRow>,
    total: usize,
}

/// The catalog, with this environment's enabled flags.
#[utoipa::path(get, path = "/v1/integrations", tag = "Catalog",
    operation_id = "list_integrations",
    security(("secret_key" = [])),
    responses((status = 200, body = IntegrationList), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id))]
async fn list_integrations(State(state): State<AppState>, auth: SecretKeyAuth) -> ApiResult<Json<IntegrationList>> {
    let enabled = state.store.enabled_integrations(&auth.scope).await?;
    let rows: Vec<IntegrationRow> = state
        .catalog
        .iter()
        .map(|p| IntegrationRow { summary: p.summary(), enabled: enabled.contains(&p.slug) })
        .collect();
    Ok(Json(IntegrationList { kind: "Integrations", total: rows.len(), rows }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ActionRow {
    title: String,
    key: String,
    method: String,
    path: String,
    platform: String,
    #[serde(rename = "docsUrl", skip_serializing_if = "Option::is_none")]
    docs_url: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ActionList {
    #[serde(rename = "type")]
    kind: &'static str,
    rows: Vec<ActionRow>,
    total: usize,
    skip: usize,
    limit: usize,
}

/// A platform's documented actions (for `x-portico-action-id`).
#[utoipa::path(get, path = "/v1/available-actions/{platform}", tag = "Catalog",
    operation_id = "list_available_actions",
    security(("secret_key" = [])),
    params(
        ("platform" = String, Path, description = "A catalog platform slug"),
        ("title" = Option<String>, Query, description = "Case-insensitive substring of the title"),
        ("method" = Option<String>, Query),
        ("limit" = Option<usize>, Query, description = "At most 1000, default 100"),
        ("skip" = Option<usize>, Query),
    ),
    responses((status = 200, body = ActionList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn available_actions(
    State(state): State<AppState>,
    _auth: SecretKeyAuth,
    Path(platform): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<ActionList>> {
    let platform = state.catalog.get(&platform).ok_or_else(|| ApiError::not_found("Platform"))?;
    let number = |name: &str, default: usize, max: usize| -> ApiResult<usize> {
        match query.get(name) {
            None => Ok(default),
            Some(v) => v.parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| {
                ApiError::unprocessable(
                    ErrorCode::InvalidQuery,
                    format!("`{name}` must be a whole number up to {max}."),
                )
            }),
        }
    };
    let limit = number("limit", 100, 1000)?;
    let skip = number("skip", 0, 1_000_000)?;
    let title = query.get("title").map(|t| t.to_lowercase());
    let method = query.get("method").map(|m| m.to_uppercase());
    let matching: Vec<_> = platform
        .actions
        .iter()
        .filter(|a| title.as_ref().is_none_or(|t| a.title.to_lowercase().contains(t)))
        .filter(|a| method.as_ref().is_none_or(|m| &a.method == m))
        .collect();
    let rows = matching
        .iter()
        .skip(skip)
        .take(limit)
        .map(|a| ActionRow {
            title: a.title.clone(),
            key: a.id.clone(),
            method: a.method.clone(),
            path: a.path.clone(),
            platform: platform.slug.clone(),
            docs_url: a.docs_url.clone(),
        })
        .collect();
    Ok(Json(ActionList { kind: "Available Actions", rows, total: matching.len(), skip, limit }))
}
