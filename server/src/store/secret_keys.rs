//! Secret keys, stored as SHA-256 hashes (the keys carry 256 random bits, so a fast hash is as
//! strong as a slow one and keeps authentication off the hot path's budget).

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeyRow {
    pub id: String,
    pub scope: Scope,
    pub display_prefix: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str =
    "id, workspace_id, environment, key_hash, display_prefix, label, created_at, last_used_at, revoked_at";

fn key_from(row: &sqlx::any::AnyRow) -> Result<(SecretKeyRow, Vec<u8>), StoreError> {
    let scope = super::scope_of(row)?;
    Ok((
        SecretKeyRow {
            id: row.try_get("id")?,
            scope,
            display_prefix: row.try_get("display_prefix")?,
            label: row.try_get("label")?,
            created_at: row.try_get("created_at")?,
            last_used_at: row.try_get("last_used_at")?,
            revoked_at: row.try_get("revoked_at")?,
        },
        row.try_get("key_hash")?,
    ))
}

/// A key about to be stored: its hash and display prefix, never its text.
#[derive(Debug, Clone)]
pub struct NewSecretKey<'a> {
    pub id: &'a str,
    pub key_hash: &'a [u8; 32],
    pub display_prefix: &'a str,
    pub label: Option<&'a str>,
    pub created_at: i64,
}

/// Stores a key inside the caller's transaction (its event goes in the same one).
pub async fn insert(conn: &mut sqlx::AnyConnection, scope: &Scope, key: &NewSecretKey<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO secret_keys (id, workspace_id, environment, key_hash, display_prefix, label, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(key.id)
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .bind(key.key_hash.as_slice())
    .bind(key.display_prefix)
    .bind(key.label)
    .bind(key.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Revokes a key inside the caller's transaction; the row as it was, or `None` when the scope
/// has no such active key.
pub async fn revoke(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    id: &str,
    now: i64,
) -> Result<Option<SecretKeyRow>, StoreError> {
    let found = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM secret_keys WHERE id = $1 AND workspace_id = $2 AND environment = $3 \
         AND revoked_at IS NULL"
    ))
    .bind(id)
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(found) = found else { return Ok(None) };
    let (row, _) = key_from(&found)?;
    let done = sqlx::query(
        "UPDATE secret_keys SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 AND environment = $4 \
         AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .execute(&mut *conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(row))
}

impl Store {
    /// The entry point of secret-key authentication: the only query that finds a tenant from
    /// outside. Returns the row and its stored hash for a constant-time comparison.
    pub async fn find_secret_key_by_hash(
        &self,
        key_hash: &[u8; 32],
    ) -> Result<Option<(SecretKeyRow, Vec<u8>)>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM secret_keys WHERE key_hash = $1"))
            .bind(key_hash.as_slice())
            .fetch_optional(self.pool())
            .await?
            .map(|r| key_from(&r))
            .transpose()
    }

    /// Records use at most once a minute per key, so authentication is not a write per request.
    pub async fn touch_secret_key(&self, scope: &Scope, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE secret_keys SET last_used_at = $1 WHERE id = $2 AND workspace_id = $3 AND environment = $4 \
             AND (last_used_at IS NULL OR last_used_at < $5)",
        )
        .bind(now)
        .bind(id)
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(now - 60_000)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn list_secret_keys(&self, scope: &Scope) -> Result<Vec<SecretKeyRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM secret_keys WHERE workspace_id = $1 AND environment = $2 ORDER BY created_at, id"
        ))
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| key_from(r).map(|(row, _)| row))
        .collect()
    }

    /// One page of the scope's keys, newest first, and how many there are.
    pub async fn secret_keys_page(
        &self,
        scope: &Scope,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SecretKeyRow>, i64), StoreError> {
        let total: i64 =
            sqlx::query("SELECT COUNT(*) AS total FROM secret_keys WHERE workspace_id = $1 AND environment = $2")
                .bind(scope.workspace_id.as_str())
                .bind(scope.environment.as_str())
                .fetch_one(self.pool())
                .await?
                .try_get("total")?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM secret_keys WHERE workspace_id = $1 AND environment = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| key_from(r).map(|(row, _)| row))
        .collect::<Result<_, _>>()?;
        Ok((rows, total))
    }
}
