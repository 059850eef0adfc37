//! Bring-your-own OAuth apps: one per workspace, environment and platform. A self-hosted Portico
//! has no shared app, so an OAuth platform without one is not offered in the modal. The client
//! secret is vault data, bound to its row; it is never printed or listed.

use portico_catalog::Catalog;
use portico_wire::AuthKind;
use serde::Serialize;
use zeroize::Zeroizing;

use super::ClientAuth;
use crate::error::{ApiError, ApiResult};
use crate::store::oauth::OAuthAppRow;
use crate::store::Store;
use crate::tenancy::Scope;
use crate::vault::{Binding, Vault};
use crate::AppState;

pub fn secret_binding<'a>(scope: &'a Scope, app_id: &'a str) -> Binding<'a> {
    Binding { scope, table: "oauth_apps", record_id: app_id, field: "client_secret" }
}

/// The one redirect URI Portico uses, from configuration only: operators register it with each
/// provider.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{}/oauth/callback", public_url.trim_end_matches('/'))
}

/// An OAuth app as the CLI and the dashboard show it (no secret).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    pub platform: String,
    pub client_id: String,
    /// `null`: the catalog's default scopes.
    pub scopes: Option<Vec<String>>,
    pub default_scopes: Vec<String>,
    /// Register exactly this with the provider.
    pub redirect_uri: String,
    pub updated_at: i64,
}

pub fn view(catalog: &Catalog, app: &OAuthAppRow, public_url: &str) -> AppView {
    AppView {
        platform: app.platform.clone(),
        client_id: app.client_id.clone(),
        scopes: app.scopes.clone(),
        default_scopes: catalog
            .get(&app.platform)
            .and_then(|p| p.oauth.as_ref().map(|o| o.scopes.clone()))
            .unwrap_or_default(),
        redirect_uri: redirect_uri(public_url),
        updated_at: app.updated_at,
    }
}

/// Why an app could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("`{0}` is not in the catalog")]
    UnknownPlatform(String),
    #[error("{0} does not use an OAuth app of the workspace (its auth kind is {1})")]
    NotOAuth(String, String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
}

/// Where OAuth apps are kept: the store, the vault that seals their secrets, and the catalog that
/// says which platforms take one.
#[derive(Clone, Copy)]
pub struct AppStore<'a> {
    pub store: &'a Store,
    pub vault: &'a Vault,
    pub catalog: &'a Catalog,
}

/// An OAuth app as an operator sets it.
pub struct NewApp<'a> {
    pub platform: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    /// Scopes to request instead of the catalog's defaults.
    pub scopes: Option<Vec<String>>,
    /// The id if the platform has no app yet (`oap_…`).
    pub new_id: String,
}

/// Creates or replaces the OAuth app of `app.platform` in `scope`.
pub async fn put(apps: AppStore<'_>, scope: &Scope, app: NewApp<'_>, now: i64) -> Result<OAuthAppRow, AppError> {
    let AppStore { store, vault, catalog } = apps;
    let NewApp { platform, client_id, client_secret, scopes, new_id: app_id } = app;
    let entry = catalog.get(platform).ok_or_else(|| AppError::UnknownPlatform(platform.to_string()))?;
    if entry.auth_kind != AuthKind::Oauth2 {
        return Err(AppError::NotOAuth(entry.name.clone(), format!("{:?}", entry.auth_kind)));
    }
    let client_id = client_id.trim();
    if client_id.is_empty() || client_id.len() > 512 || client_id.chars().any(char::is_control) {
        return Err(AppError::Invalid("the client id must be 1 to 512 printable characters".into()));
    }
    let client_secret = client_secret.trim();
    if client_secret.is_empty() || client_secret.len() > 4096 {
        return Err(AppError::Invalid("the client secret must be 1 to 4096 characters".into()));
    }
    if let Some(scopes) = &scopes {
        if scopes
            .iter()
            .any(|s| s.is_empty() || s.len() > 512 || s.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(AppError::Invalid("each scope must be 1 to 512 characters without spaces".into()));
        }
    }
    let existing = store.find_oauth_app(scope, platform).await?;
    let id = existing.as_ref().map(|a| a.id.clone()).unwrap_or(app_id);
    let sealed = vault.seal(secret_binding(scope, &id), client_secret.as_bytes())?;
    let row = OAuthAppRow {
        id,
        platform: platform.to_string(),
        client_id: client_id.to_string(),
        client_secret: sealed,
        vault_key_id: vault.active_key_id().to_string(),
        scopes,
        created_at: existing.as_ref().map(|a| a.created_at).unwrap_or(now),
        updated_at: now,
    };
    store.put_oauth_app(scope, &row).await?;
    Ok(row)
}

/// The client id and (opened) secret of the workspace's app for `platform`, if it has one.
pub async fn client_auth(state: &AppState, scope: &Scope, platform: &str) -> ApiResult<Option<ClientAuth>> {
    let Some(app) = state.store.find_oauth_app(scope, platform).await? else {
        return Ok(None);
    };
    let secret = state.vault.open(secret_binding(scope, &app.id), &app.client_secret).map_err(ApiError::internal)?;
    let secret = String::from_utf8(secret.to_vec()).map_err(ApiError::internal)?;
    Ok(Some(ClientAuth { client_id: app.client_id, client_secret: Zeroizing::new(secret) }))
}
