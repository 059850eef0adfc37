//! The one connection lifecycle. Whatever the path — a connect form, an OAuth callback, a
//! client-credentials grant, a refresh, the API's delete — a connection is created, re-authorised,
//! refreshed, marked `needs_reauth`, re-tagged and deleted here and nowhere else, and each change
//! that hosts hear about records its [`Event`] in the same database transaction: the event exists
//! exactly when the change does.
//!
//! Also here, because every path needs them: the connection key ([`key`]), where credentials
//! live in the vault ([`credentials_binding`]), the public view of a connection ([`view`]), and
//! the passthrough cache's invalidation ([`forget_cached`]).

pub mod key;

use portico_catalog::Platform;
use portico_wire::{ConnectionStatus, ConnectionView, ErrorCode};

use crate::clock::random_hex;
use crate::credentials::Credentials;
use crate::error::ApiError;
use crate::events::{Actor, ConnectionRef, Event};
use crate::store::connections::{self as rows, ConnectionRow};
use crate::store::StoreError;
use crate::tenancy::Scope;
use crate::vault::{Binding, VaultError};
use crate::AppState;
pub use key::ConnectionKey;

/// Every connection Portico creates has this configuration key (the key's third part).
pub const DEFAULT_CONFIG_KEY: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl From<sqlx::Error> for LifecycleError {
    fn from(e: sqlx::Error) -> Self {
        LifecycleError::Store(e.into())
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        ApiError::internal(e)
    }
}

/// Where a connection's credentials live in the vault.
pub fn credentials_binding<'a>(scope: &'a Scope, connection_id: &'a str) -> Binding<'a> {
    Binding { scope, table: "connections", record_id: connection_id, field: "credentials" }
}

/// A connection as hosts and the modal see it: never its credentials.
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
        status: row.status,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// Drops a connection from this process's passthrough cache after it changed.
pub fn forget_cached(state: &AppState, connection_id: &str) {
    state.connection_cache.remove_where(|row| row.id == connection_id);
}

/// Who a new connection belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub identity: &'a str,
    pub identity_type: &'a str,
    pub tags: &'a [String],
}

fn new_event_id(state: &AppState) -> String {
    format!("evt_{}", random_hex(state.entropy.as_ref(), 16))
}

fn seal(state: &AppState, scope: &Scope, id: &str, creds: &Credentials) -> Result<Vec<u8>, VaultError> {
    state.vault.seal_json(credentials_binding(scope, id), creds)
}

/// Creates a connection holding `creds` (already checked with the provider) and records
/// `connection.created`.
pub async fn create(
    state: &AppState,
    scope: &Scope,
    platform: &Platform,
    owner: Owner<'_>,
    creds: &Credentials,
) -> Result<ConnectionRow, LifecycleError> {
    let now = state.clock.now_ms();
    let id = format!("conn_{}", random_hex(state.entropy.as_ref(), 16));
    let key = ConnectionKey {
        environment: scope.environment,
        platform: platform.slug.clone(),
        config_key: DEFAULT_CONFIG_KEY.into(),
        id_hex: random_hex(state.entropy.as_ref(), 16),
        identity: Some(owner.identity.to_string()),
    };
    let row = ConnectionRow {
        credentials: seal(state, scope, &id, creds)?,
        id,
        platform: platform.slug.clone(),
        config_key: key.config_key.clone(),
        connection_key: key.to_string(),
        identity: Some(owner.identity.to_string()),
        identity_type: Some(owner.identity_type.to_string()),
        name: platform.name.clone(),
        tags: owner.tags.to_vec(),
        status: ConnectionStatus::Active,
        active: true,
        vault_key_id: state.vault.active_key_id().to_string(),
        expires_at: creds.expires_at(),
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.store.begin().await?;
    rows::insert(&mut tx, scope, &row).await?;
    record(state, &mut tx, scope, &Event::ConnectionCreated(ConnectionRef::of(&row)), now).await?;
    tx.commit().await?;
    tracing::info!(workspace = %scope.workspace_id, platform = %row.platform, connection = %row.id, "connection created");
    Ok(row)
}

/// Gives `row` a fresh grant from its user (a reconnect), under the same id and key; it is
/// active again. Records `connection.reauthorized`.
pub async fn reauthorize(
    state: &AppState,
    scope: &Scope,
    row: &ConnectionRow,
    creds: &Credentials,
) -> Result<ConnectionRow, LifecycleError> {
    let now = state.clock.now_ms();
    let renewed = store_credentials(state, scope, row, creds, now).await?;
    let mut tx = state.store.begin().await?;
    if !rows::store_tokens(
        &mut tx,
        scope,
        &row.id,
        &renewed.credentials,
        &renewed.vault_key_id,
        renewed.expires_at,
        now,
    )
    .await?
    {
        return Err(StoreError::Corrupt(format!("connection {} vanished while reconnecting", row.id)).into());
    }
    record(state, &mut tx, scope, &Event::ConnectionReauthorized(ConnectionRef::of(&renewed)), now).await?;
    tx.commit().await?;
    forget_cached(state, &row.id);
    tracing::info!(connection = %row.id, platform = %row.platform, "connection reauthorized");
    Ok(renewed)
}

/// Stores credentials a refresh obtained (no event: nothing changed for the host).
pub async fn store_refreshed(
    state: &AppState,
    scope: &Scope,
    row: &ConnectionRow,
    creds: &Credentials,
) -> Result<(), LifecycleError> {
    let now = state.clock.now_ms();
    let renewed = store_credentials(state, scope, row, creds, now).await?;
    let mut tx = state.store.begin().await?;
    rows::store_tokens(&mut tx, scope, &row.id, &renewed.credentials, &renewed.vault_key_id, renewed.expires_at, now)
        .await?;
    tx.commit().await?;
    forget_cached(state, &row.id);
    Ok(())
}

/// The row as it will be once `creds` are stored: sealed, active, failures cleared.
async fn store_credentials(
    state: &AppState,
    scope: &Scope,
    row: &ConnectionRow,
    creds: &Credentials,
    now: i64,
) -> Result<ConnectionRow, LifecycleError> {
    Ok(ConnectionRow {
        credentials: seal(state, scope, &row.id, creds)?,
        vault_key_id: state.vault.active_key_id().to_string(),
        expires_at: creds.expires_at(),
        status: ConnectionStatus::Active,
        active: true,
        updated_at: now,
        ..row.clone()
    })
}

/// A refresh that failed.
#[derive(Debug, Clone, Copy)]
pub struct RefreshFailure {
    pub reason: ErrorCode,
    /// Retrying cannot help (`invalid_grant`): the connection needs its user at once.
    pub fatal: bool,
    /// Failures in a row after which the connection needs its user anyway.
    pub max_failures: i64,
    /// When the next refresh may be tried.
    pub retry_at: i64,
}

/// Counts a failed refresh; a fatal one, or the `max_failures`-th in a row, marks the connection
/// `needs_reauth`. Records `connection.refresh_failed`. Returns the failure count and whether the
/// connection now needs its user.
pub async fn record_refresh_failure(
    state: &AppState,
    scope: &Scope,
    row: &ConnectionRow,
    failure: RefreshFailure,
) -> Result<(i64, bool), LifecycleError> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (failures, needs_reauth) = rows::record_refresh_failure(
        &mut tx,
        scope,
        &row.id,
        failure.fatal,
        failure.max_failures,
        failure.retry_at,
        now,
    )
    .await?;
    let event = Event::ConnectionRefreshFailed {
        connection: ConnectionRef::of(row),
        reason: failure.reason,
        failures,
        needs_reauth,
    };
    record(state, &mut tx, scope, &event, now).await?;
    tx.commit().await?;
    forget_cached(state, &row.id);
    Ok((failures, needs_reauth))
}

/// Replaces a connection's tags; `false` when there is no such connection in `scope`.
pub async fn update_tags(state: &AppState, scope: &Scope, id: &str, tags: &[String]) -> Result<bool, LifecycleError> {
    let mut tx = state.store.begin().await?;
    if !rows::update_tags(&mut tx, scope, id, tags, state.clock.now_ms()).await? {
        return Ok(false);
    }
    tx.commit().await?;
    forget_cached(state, id);
    Ok(true)
}

/// Deletes a connection and its credentials and records `connection.deleted` with who did it;
/// `false` when it was already gone. `revoked_at_provider`: whether the provider confirmed
/// revoking the grant.
pub async fn delete(
    state: &AppState,
    scope: &Scope,
    row: &ConnectionRow,
    revoked_at_provider: bool,
    by: Actor,
) -> Result<bool, LifecycleError> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if !rows::delete(&mut tx, scope, &row.id).await? {
        return Ok(false);
    }
    let event = Event::ConnectionDeleted { connection: ConnectionRef::of(row), revoked_at_provider, by: Some(by) };
    record(state, &mut tx, scope, &event, now).await?;
    tx.commit().await?;
    forget_cached(state, &row.id);
    tracing::info!(platform = %row.platform, connection = %row.id, revoked_at_provider, "connection deleted");
    Ok(true)
}

async fn record(
    state: &AppState,
    tx: &mut sqlx::AnyConnection,
    scope: &Scope,
    event: &Event,
    now: i64,
) -> Result<(), StoreError> {
    crate::events::record(tx, scope, event, &new_event_id(state), now).await
}
