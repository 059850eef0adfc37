//! Columns that hold vault envelopes, for the key-rotation tooling and the start-up check. Each
//! sealed column sits beside the id of the key that sealed it, in a table with `id`,
//! `workspace_id` and `environment` (the envelope's binding).

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::Scope;

#[derive(Debug)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    pub key_column: &'static str,
    /// The `field` of the envelope's binding.
    pub field: &'static str,
}

/// Every sealed column. A new one must be listed here, or rotation would miss it (a test checks
/// that rotation leaves nothing under an old key).
pub const SEALED_COLUMNS: &[SealedColumn] = &[
    SealedColumn { table: "connections", column: "credentials", key_column: "vault_key_id", field: "credentials" },
    SealedColumn { table: "oauth_apps", column: "client_secret", key_column: "vault_key_id", field: "client_secret" },
    SealedColumn {
        table: "oauth_attempts",
        column: "pkce_verifier",
        key_column: "vault_key_id",
        field: "pkce_verifier",
    },
];

#[derive(Debug)]
pub struct SealedRow {
    pub id: String,
    pub scope: Scope,
    pub sealed: Vec<u8>,
}

impl Store {
    pub async fn sealed_key_usage(&self, c: &SealedColumn) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {key} AS key_id, COUNT(*) AS n FROM {table} GROUP BY {key} ORDER BY {key}",
            key = c.key_column,
            table = c.table
        ))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("key_id")?, r.try_get("n")?))).collect()
    }

    pub async fn sealed_rows_not_under(
        &self,
        c: &SealedColumn,
        key_id: &str,
        limit: i64,
    ) -> Result<Vec<SealedRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT id, workspace_id, environment, {col} AS sealed FROM {table} WHERE {key} <> $1 ORDER BY id LIMIT $2",
            col = c.column,
            table = c.table,
            key = c.key_column
        ))
        .bind(key_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(SealedRow { id: r.try_get("id")?, scope: super::scope_of(r)?, sealed: r.try_get("sealed")? }))
            .collect()
    }

    /// Replaces a sealed value only if it still holds `old` (compare-and-set); false when a
    /// concurrent writer got there first.
    pub async fn swap_sealed(
        &self,
        c: &SealedColumn,
        id: &str,
        old: &[u8],
        new: &[u8],
        new_key_id: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "UPDATE {table} SET {col} = $1, {key} = $2 WHERE id = $3 AND {col} = $4",
            table = c.table,
            col = c.column,
            key = c.key_column
        ))
        .bind(new)
        .bind(new_key_id)
        .bind(id)
        .bind(old)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
