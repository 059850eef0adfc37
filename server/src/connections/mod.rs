//! Connections: creating one from a connect form (checked against the provider before anything
//! is stored), and the secret-key API to list, read, tag and delete them
//! (`/v1/vault/connections`, Pica's shape).

pub mod key;

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use portico_catalog::Platform;
use portico_wire::{ConnectionList, ConnectionView, ErrorBody};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult, AppJson};
use crate::keys::SecretKeyAuth;
use crate::store::connections::{ConnectionFilter, ConnectionRow};
use crate::store::tokens::TokenRow;
use crate::tenancy::{Identity, IdentityType, Scope};
use crate::upstream::{self, Credentials};
use crate::vault::Binding;
use crate::AppState;
pub use key::ConnectionKey;

pub const MAX_TAGS: usize = 32;
pub const MAX_TAG_LEN: usize = 64;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_connections)).routes(routes!(
        get_connection,
        update_connection,
        delete_connection
    ))
}

/// Where a connection's credentials live in the vault.
pub fn credentials_binding<'a>(scope: &'a Scope, connection_id: &'a str) -> Binding<'a> {
    Binding { scope, table: "connections", record_id: connection_id, field: "credentials" }
}

pub fn view(scope: &Scope, row: &ConnectionRow) -> ConnectionView {
    ConnectionView {
        id: row.id.clone(),
        key: row.connection_key.clone(),
        platform: row.platform.clone(),
        environment: scope.environment.as_str().to_string(),
        identity: row.identity.clone(),
        identity_type: row.identity_type.clone(),
        name: row.name.clone(),
        tags: row.tags.clone(),
        active: row.active,
        status: row.status.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Checks tags: at most 32, each 1–64 characters, no control characters, `"` or `\` (so they
/// stay exact in filters and safe in every display).
pub fn parse_tags(tags: &[String]) -> Result<Vec<String>, ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::unprocessable("invalid_tags", format!("At most {MAX_TAGS} tags are allowed.")));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = tag.trim();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN {
            return Err(ApiError::unprocessable(
                "invalid_tags",
                format!("Each tag must be 1 to {MAX_TAG_LEN} characters."),
            ));
        }
        if tag.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
            return Err(ApiError::unprocessable(
                "invalid_tags",
                "Tags may not contain control characters, quotes or backslashes.",
            ));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_string());
        }
    }
    Ok(out)
}

/// Why a connect form was refused, in words for the modal.
pub fn form_error(platform: &Platform, errors: Vec<portico_catalog::FieldError>) -> ApiError {
    let details: Vec<String> = errors.into_iter().map(|e| e.message).collect();
    ApiError::unprocessable("invalid_fields", format!("Check the {} form: {}.", platform.name, details.join("; ")))
}

/// Runs the catalog's verification request with the submitted credentials.
async fn verify_credentials(state: &AppState, platform: &Platform, creds: &Credentials) -> ApiResult<()> {
    let Some(verify) = &platform.verify else {
        return Ok(());
    };
    let base = upstream::api_base(platform, creds)
        .map_err(|e| ApiError::unprocessable("invalid_fields", format!("Check the {} form: {e}.", platform.name)))?;
    let path = verify.path.render(|n| creds.get(n)).map_err(|e| ApiError::internal(format!("verify path: {e}")))?;
    let (raw_path, raw_query) = match path.trim_start_matches('/').split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (path.trim_start_matches('/').to_string(), None),
    };
    let mut url = upstream::join(&base, &raw_path, raw_query.as_deref())
        .map_err(|e| ApiError::internal(format!("verify url: {e}")))?;
    let mut headers = http::HeaderMap::new();
    for (name, template) in &verify.headers {
        let value = template.render(|n| creds.get(n)).map_err(|e| ApiError::internal(format!("verify header: {e}")))?;
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(&value))
        {
            headers.insert(name, value);
        }
    }
    upstream::inject(platform, creds, &mut headers, &mut url)
        .map_err(|e| ApiError::unprocessable("invalid_fields", format!("Check the {} form: {e}.", platform.name)))?;
    state.private_allow.check_literal(&url).map_err(|e| unreachable_provider(platform, &e.to_string()))?;
    let method = reqwest::Method::from_bytes(verify.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let response = state
        .http
        .request(method, url)
        .headers(headers)
        .timeout(std::time::Duration::from_secs(15))
        .send()
        .await
        .map_err(|e| {
            let why = if e.is_timeout() { "it did not answer in time" } else { "it could not be reached" };
            tracing::warn!(platform = %platform.slug, error = %e.without_url(), "verification request failed");
            unreachable_provider(platform, why)
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    tracing::info!(platform = %platform.slug, status = status.as_u16(), "credentials refused by the provider");
    if matches!(status.as_u16(), 400 | 401 | 403) {
        Err(ApiError::unprocessable(
            "invalid_credentials",
            format!(
                "{} did not accept these credentials (HTTP {}). Check them and try again.",
                platform.name,
                status.as_u16()
            ),
        ))
    } else {
        Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "provider_error",
            format!(
                "{} answered HTTP {} while we checked the credentials. Nothing was saved; try again later.",
                platform.name,
                status.as_u16()
            ),
        ))
    }
}

/// A client-credentials platform: the user's client id and secret must obtain a token before
/// anything is stored; the token (and its expiry) is stored beside them and renewed the same way.
async fn client_credentials_grant(state: &AppState, platform: &Platform, creds: Credentials) -> ApiResult<Credentials> {
    match crate::oauth::client_credentials_grant(state, platform, &creds).await {
        Ok(tokens) => Ok(crate::oauth::credentials_from(&tokens, Some(&creds), state.clock.now_ms())),
        Err(e) if e.is_fatal() => {
            tracing::info!(platform = %platform.slug, error = %e, "client credentials refused by the provider");
            Err(ApiError::unprocessable(
                "invalid_credentials",
                format!("{} did not accept this client id and secret. Check them and try again.", platform.name),
            ))
        }
        Err(crate::oauth::GrantError::Timeout) => Err(unreachable_provider(platform, "it did not answer in time")),
        Err(crate::oauth::GrantError::Unreachable) => Err(unreachable_provider(platform, "it could not be reached")),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "provider_error",
            format!(
                "{} answered with an error while we checked the client ({e}). Nothing was saved; try again later.",
                platform.name
            ),
        )),
    }
}

fn unreachable_provider(platform: &Platform, why: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "provider_unreachable",
        format!("We could not check these credentials with {}: {why}. Nothing was saved.", platform.name),
    )
}

/// Creates a connection from a connect form submitted under an AuthKit token: the platform must
/// be enabled and allowed for the token, the values must fit the form, and the provider must
/// accept them (when the catalog has a verification request). Only then is anything stored.
pub async fn create_from_form(
    state: &AppState,
    token: &TokenRow,
    platform_slug: &str,
    values: &BTreeMap<String, String>,
) -> ApiResult<ConnectionView> {
    let scope = &token.scope;
    let platform = crate::catalog::offered_platform(state, token, platform_slug).await?;
    if !platform.auth_kind.uses_form() {
        return Err(ApiError::unprocessable(
            "oauth_required",
            format!("{} connects through its own sign-in page, not a form.", platform.name),
        ));
    }
    let clean = platform.check_form(values).map_err(|errors| form_error(&platform, errors))?;
    let mut creds = Credentials::new(clean);
    if platform.auth_kind == portico_wire::AuthKind::Oauth2ClientCredentials {
        creds = client_credentials_grant(state, &platform, creds).await?;
    }
    verify_credentials(state, &platform, &creds).await?;

    let now = state.clock.now_ms();
    let id = format!("conn_{}", crate::clock::random_hex(state.entropy.as_ref(), 16));
    let key = ConnectionKey {
        environment: scope.environment,
        platform: platform.slug.clone(),
        config_key: "default".into(),
        id_hex: crate::clock::random_hex(state.entropy.as_ref(), 16),
        identity: Some(token.identity.as_str().to_string()),
    };
    let sealed = state.vault.seal_json(credentials_binding(scope, &id), &creds)?;
    let row = ConnectionRow {
        id,
        platform: platform.slug.clone(),
        config_key: key.config_key.clone(),
        connection_key: key.to_string(),
        identity: Some(token.identity.as_str().to_string()),
        identity_type: Some(token.identity_type.as_str().to_string()),
        name: platform.name.clone(),
        tags: token.tags.clone(),
        status: "active".into(),
        active: true,
        credentials: sealed,
        vault_key_id: state.vault.active_key_id().to_string(),
        expires_at: creds.get_i64("expiresAt"),
        created_at: now,
        updated_at: now,
    };
    state.store.insert_connection(scope, &row).await?;
    crate::oauth::emit(state, scope, "connection.created", Some(&row.id), crate::oauth::flow::event_data(&row)).await;
    tracing::info!(
        workspace = %scope.workspace_id,
        platform = %row.platform,
        connection = %row.id,
        "connection created"
    );
    Ok(view(scope, &row))
}

fn parse_number(name: &str, value: Option<&str>, default: i64, min: i64, max: i64) -> ApiResult<i64> {
    match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::unprocessable(
                "invalid_query",
                format!("`{name}` must be a whole number from {min} to {max}."),
            )),
        },
    }
}

fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
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
    let limit = parse_number("limit", q("limit"), 20, 1, 100)?;
    let page = parse_number("page", q("page"), 1, 1, 1_000_000)?;
    let identity = q("identity")
        .map(|i| Identity::parse(i).map(|i| i.as_str().to_string()))
        .transpose()
        .map_err(|e| ApiError::unprocessable("invalid_query", e))?;
    let identity_type = match q("identityType") {
        None => None,
        Some(t) => Some(
            IdentityType::parse(t)
                .ok_or_else(|| {
                    ApiError::unprocessable(
                        "invalid_query",
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
        Some(_) => return Err(ApiError::unprocessable("invalid_query", "`active` must be true or false.")),
    };
    let status = match q("status") {
        None => None,
        Some(s @ ("active" | "needs_reauth")) => Some(s.to_string()),
        Some(_) => return Err(ApiError::unprocessable("invalid_query", "`status` must be active or needs_reauth.")),
    };
    let keys = comma_list(q("key"));
    if keys.len() > 100 {
        return Err(ApiError::unprocessable("invalid_query", "At most 100 keys per request."));
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

/// Drops a connection from this process's passthrough cache after it changed.
pub fn forget_cached(state: &AppState, connection_id: &str) {
    state.connection_cache.remove_where(|row| row.id == connection_id);
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
    if !state.store.update_connection_tags(&auth.scope, &id, &tags, state.clock.now_ms()).await? {
        return Err(ApiError::not_found("Connection"));
    }
    forget_cached(&state, &id);
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
    if !state.store.delete_connection(&auth.scope, &id).await? {
        return Err(ApiError::not_found("Connection"));
    }
    forget_cached(&state, &id);
    let revoked = revoke_at_provider(&state, &auth.scope, &row).await;
    tracing::info!(platform = %row.platform, revoked, "connection deleted");
    let mut data = crate::oauth::flow::event_data(&row);
    data["revokedAtProvider"] = serde_json::Value::Bool(revoked);
    crate::oauth::emit(&state, &auth.scope, "connection.deleted", Some(&id), data).await;
    Ok(Json(view(&auth.scope, &row)))
}

/// Best effort, after the row is gone: tells the provider to revoke the grant (RFC 7009) where the
/// catalog names a revoke URL. The refresh token is revoked when there is one (that ends the whole
/// grant), else the access token. Returns whether the provider confirmed.
async fn revoke_at_provider(state: &AppState, scope: &Scope, row: &ConnectionRow) -> bool {
    let Some(platform) = state.catalog.get(&row.platform).cloned() else { return false };
    let Some(revoke) = platform.oauth.as_ref().and_then(|o| o.revoke_url.as_ref()) else { return false };
    let Ok(creds) = state.vault.open_json::<Credentials>(credentials_binding(scope, &row.id), &row.credentials) else {
        return false;
    };
    let (token, hint) = match (creds.get("refreshToken"), creds.get("accessToken")) {
        (Some(t), _) => (t.to_string(), "refresh_token"),
        (None, Some(t)) => (t.to_string(), "access_token"),
        _ => return false,
    };
    let client = match platform.auth_kind {
        portico_wire::AuthKind::Oauth2 => match crate::oauth::apps::client_auth(state, scope, &platform.slug).await {
            Ok(Some(c)) => c,
            _ => return false,
        },
        _ => crate::oauth::ClientAuth::from_credentials(&creds),
    };
    let Ok(url) = revoke.render(|_| None).map_err(|_| ()).and_then(|u| url::Url::parse(&u).map_err(|_| ())) else {
        return false;
    };
    if state.private_allow.check_literal(&url).is_err() {
        return false;
    }
    let token = zeroize::Zeroizing::new(token);
    let form = [
        ("token", token.as_str()),
        ("token_type_hint", hint),
        ("client_id", client.client_id.as_str()),
        ("client_secret", client.client_secret.as_str()),
    ];
    match state.http.post(url).form(&form).timeout(std::time::Duration::from_secs(10)).send().await {
        Ok(r) if r.status().is_success() => true,
        Ok(r) => {
            tracing::warn!(platform = %platform.slug, status = r.status().as_u16(), "the provider did not confirm the revocation");
            false
        }
        Err(e) => {
            tracing::warn!(platform = %platform.slug, error = %e.without_url(), "could not reach the revoke endpoint");
            false
        }
    }
}
