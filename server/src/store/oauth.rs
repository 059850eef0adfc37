//! OAuth persistence: operators' OAuth apps, sign-in attempts, token bookkeeping on connections,
//! the cross-replica refresh lease, and the event log.

use portico_wire::AuthWindow;
use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthAppRow {
    pub id: String,
    pub platform: String,
    pub client_id: String,
    /// Vault envelope of the client secret.
    pub client_secret: Vec<u8>,
    pub vault_key_id: String,
    /// `None`: the catalog's default scopes.
    pub scopes: Option<Vec<String>>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    pub id: String,
    pub scope: Scope,
    pub token_id: String,
    pub identity: String,
    pub identity_type: String,
    pub tags: Vec<String>,
    pub platform: String,
    /// Reconnect this connection in place.
    pub connection_id: Option<String>,
    pub mode: AuthWindow,
    pub return_to: Option<String>,
    /// Vault envelope of the PKCE verifier.
    pub pkce_verifier: Vec<u8>,
    pub vault_key_id: String,
    /// Hash of the one-time start secret (see [`crate::digest::SecretKind::OauthStart`]); `None`
    /// on attempts made before it existed, which can no longer be started.
    pub start_secret_hash: Option<Vec<u8>>,
    /// `pending`, `started`, `exchanging`, `succeeded`, `failed`.
    pub status: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub result_connection_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

const APP_COLUMNS: &str = "id, platform, client_id, client_secret, vault_key_id, scopes, created_at, updated_at";
const ATTEMPT_COLUMNS: &str = "id, workspace_id, environment, token_id, identity, identity_type, tags, platform, \
     connection_id, mode, return_to, pkce_verifier, vault_key_id, start_secret_hash, status, error_code, \
     error_message, result_connection_id, created_at, expires_at";

fn app_from(row: &sqlx::any::AnyRow) -> Result<OAuthAppRow, StoreError> {
    let scopes: Option<String> = row.try_get("scopes")?;
    Ok(OAuthAppRow {
        id: row.try_get("id")?,
        platform: row.try_get("platform")?,
        client_id: row.try_get("client_id")?,
        client_secret: row.try_get("client_secret")?,
        vault_key_id: row.try_get("vault_key_id")?,
        scopes: scopes
            .map(|s| serde_json::from_str(&s).map_err(|_| StoreError::Corrupt("oauth_apps.scopes".into())))
            .transpose()?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn attempt_from(row: &sqlx::any::AnyRow) -> Result<AttemptRow, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("oauth_attempts.{what}"));
    let tags: String = row.try_get("tags")?;
    Ok(AttemptRow {
        id: row.try_get("id")?,
        scope: super::scope_of(row)?,
        token_id: row.try_get("token_id")?,
        identity: row.try_get("identity")?,
        identity_type: row.try_get("identity_type")?,
        tags: serde_json::from_str(&tags).map_err(|_| corrupt("tags"))?,
        platform: row.try_get("platform")?,
        connection_id: row.try_get("connection_id")?,
        mode: AuthWindow::parse(&row.try_get::<String, _>("mode")?),
        return_to: row.try_get("return_to")?,
        pkce_verifier: row.try_get("pkce_verifier")?,
        vault_key_id: row.try_get("vault_key_id")?,
        start_secret_hash: row.try_get("start_secret_hash")?,
        status: row.try_get("status")?,
        error_code: row.try_get("error_code")?,
        error_message: row.try_get("error_message")?,
        result_connection_id: row.try_get("result_connection_id")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// A connection the refresh sweep should look at.
#[derive(Debug, Clone)]
pub struct DueConnection {
    pub scope: Scope,
    pub id: String,
}

impl Store {
    pub async fn find_oauth_app(&self, scope: &Scope, platform: &str) -> Result<Option<OAuthAppRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM oauth_apps WHERE workspace_id = $1 AND environment = $2 AND platform = $3"
        ))
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(platform)
        .fetch_optional(self.pool())
        .await?
        .map(|r| app_from(&r))
        .transpose()
    }

    pub async fn list_oauth_apps(&self, scope: &Scope) -> Result<Vec<OAuthAppRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {APP_COLUMNS} FROM oauth_apps WHERE workspace_id = $1 AND environment = $2 ORDER BY platform"
        ))
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(app_from).collect()
    }

    /// Platforms of this scope that have an OAuth app.
    pub async fn oauth_app_platforms(&self, scope: &Scope) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT platform FROM oauth_apps WHERE workspace_id = $1 AND environment = $2")
            .bind(scope.workspace_id.as_str())
            .bind(scope.environment.as_str())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| r.try_get("platform").map_err(StoreError::from)).collect()
    }

    /// Inserts the app, or replaces the one with the same id.
    pub async fn put_oauth_app(&self, scope: &Scope, app: &OAuthAppRow) -> Result<(), StoreError> {
        let scopes = app.scopes.as_ref().map(|s| serde_json::to_string(s).unwrap_or_else(|_| "[]".into()));
        sqlx::query(
            "INSERT INTO oauth_apps (id, workspace_id, environment, platform, client_id, client_secret, vault_key_id, scopes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, client_secret = excluded.client_secret, \
             vault_key_id = excluded.vault_key_id, scopes = excluded.scopes, updated_at = excluded.updated_at",
        )
        .bind(app.id.as_str())
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(app.platform.as_str())
        .bind(app.client_id.as_str())
        .bind(app.client_secret.as_slice())
        .bind(app.vault_key_id.as_str())
        .bind(scopes)
        .bind(app.created_at)
        .bind(app.updated_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn delete_oauth_app(&self, scope: &Scope, platform: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM oauth_apps WHERE workspace_id = $1 AND environment = $2 AND platform = $3")
            .bind(scope.workspace_id.as_str())
            .bind(scope.environment.as_str())
            .bind(platform)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn insert_attempt(&self, a: &AttemptRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_attempts (id, workspace_id, environment, token_id, identity, identity_type, tags, platform, \
             connection_id, mode, return_to, pkce_verifier, vault_key_id, start_secret_hash, status, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(a.id.as_str())
        .bind(a.scope.workspace_id.as_str())
        .bind(a.scope.environment.as_str())
        .bind(a.token_id.as_str())
        .bind(a.identity.as_str())
        .bind(a.identity_type.as_str())
        .bind(serde_json::to_string(&a.tags).unwrap_or_else(|_| "[]".into()))
        .bind(a.platform.as_str())
        .bind(a.connection_id.as_deref())
        .bind(a.mode.as_str())
        .bind(a.return_to.as_deref())
        .bind(a.pkce_verifier.as_slice())
        .bind(a.vault_key_id.as_str())
        .bind(a.start_secret_hash.as_deref())
        .bind(a.status.as_str())
        .bind(a.created_at)
        .bind(a.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// An attempt by its id alone: the id is the popup's capability to start it.
    pub async fn find_attempt(&self, id: &str) -> Result<Option<AttemptRow>, StoreError> {
        sqlx::query(&format!("SELECT {ATTEMPT_COLUMNS} FROM oauth_attempts WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(|r| attempt_from(&r))
            .transpose()
    }

    pub async fn find_attempt_by_state(&self, state_hash: &[u8; 32]) -> Result<Option<AttemptRow>, StoreError> {
        sqlx::query(&format!("SELECT {ATTEMPT_COLUMNS} FROM oauth_attempts WHERE state_hash = $1"))
            .bind(state_hash.as_slice())
            .fetch_optional(self.pool())
            .await?
            .map(|r| attempt_from(&r))
            .transpose()
    }

    /// `pending` → `started` with the state's hash, once, before it expires.
    pub async fn start_attempt(&self, id: &str, state_hash: &[u8; 32], now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE oauth_attempts SET status = 'started', state_hash = $1, started_at = $2 \
             WHERE id = $3 AND status = 'pending' AND expires_at > $2",
        )
        .bind(state_hash.as_slice())
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// `started` → `exchanging`: exactly one callback may use a state.
    pub async fn claim_attempt(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE oauth_attempts SET status = 'exchanging' WHERE id = $1 AND status = 'started'")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records how an attempt ended (only once: a finished attempt stays as it is).
    pub async fn finish_attempt(
        &self,
        id: &str,
        outcome: Result<&str, (&str, &str)>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let (status, connection, code, message) = match outcome {
            Ok(connection_id) => ("succeeded", Some(connection_id), None, None),
            Err((code, message)) => ("failed", None, Some(code), Some(message)),
        };
        let done = sqlx::query(
            "UPDATE oauth_attempts SET status = $1, result_connection_id = $2, error_code = $3, error_message = $4, finished_at = $5 \
             WHERE id = $6 AND status IN ('pending', 'started', 'exchanging')",
        )
        .bind(status)
        .bind(connection)
        .bind(code)
        .bind(message)
        .bind(now)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets attempts that ended (or expired) before `before`.
    pub async fn purge_attempts(&self, before: i64) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM oauth_attempts WHERE expires_at < $1").bind(before).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }

    /// The refresh bookkeeping of one connection: (failures, retry_refresh_at).
    pub async fn refresh_state(&self, scope: &Scope, id: &str) -> Result<Option<(i64, Option<i64>)>, StoreError> {
        let row = sqlx::query(
            "SELECT refresh_failures, retry_refresh_at FROM connections WHERE workspace_id = $1 AND environment = $2 AND id = $3",
        )
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| Ok((r.try_get("refresh_failures")?, r.try_get("retry_refresh_at")?))).transpose()
    }

    /// Active connections whose access token expires before `before`, soonest first, across every
    /// workspace (the background sweep).
    pub async fn connections_due(&self, before: i64, now: i64, limit: i64) -> Result<Vec<DueConnection>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, workspace_id, environment FROM connections \
             WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at < $1 \
             AND (retry_refresh_at IS NULL OR retry_refresh_at <= $2) ORDER BY expires_at LIMIT $3",
        )
        .bind(before)
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(DueConnection { scope: super::scope_of(r)?, id: r.try_get("id")? })).collect()
    }

    /// Takes the refresh lease of a connection unless another holder's lease is still running.
    pub async fn try_lease(
        &self,
        connection_id: &str,
        holder: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO refresh_leases (connection_id, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (connection_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE refresh_leases.expires_at <= $4",
        )
        .bind(connection_id)
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn release_lease(&self, connection_id: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM refresh_leases WHERE connection_id = $1 AND holder = $2")
            .bind(connection_id)
            .bind(holder)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
