//! Key rotation: re-encrypt every sealed value under the active key, online.
//!
//! Operators first restart every `portico` with the new key active and the old one retired (both
//! decrypt), then run `portico vault rotate`, then `portico vault status` until the old key
//! protects nothing, then drop it. Each row is swapped with a compare-and-set on its old
//! ciphertext, so a server writing the same row at the same moment (a token refresh) wins and the
//! rotation simply picks the row up again if it is still under an old key.

use serde::Serialize;

use super::{Binding, Vault, VaultError};
use crate::store::{SealedColumn, Store, StoreError, SEALED_COLUMNS};

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{table}.{column} row {id}: {source}")]
    Vault { table: &'static str, column: &'static str, id: String, source: VaultError },
}

/// How many sealed values each key protects.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyUsage {
    pub key_id: String,
    pub records: i64,
    /// `active`, `retired` (configured, can decrypt) or `unknown` (not configured: unreadable).
    pub state: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VaultStatus {
    pub active_key_id: String,
    pub keys: Vec<KeyUsage>,
}

pub async fn status(store: &Store, vault: &Vault) -> Result<VaultStatus, StoreError> {
    let mut totals: std::collections::BTreeMap<String, i64> = Default::default();
    for column in SEALED_COLUMNS {
        for (key_id, n) in store.sealed_key_usage(column).await? {
            *totals.entry(key_id).or_default() += n;
        }
    }
    for key_id in vault.key_ids() {
        totals.entry(key_id).or_default();
    }
    let keys = totals
        .into_iter()
        .map(|(key_id, records)| {
            let state = if key_id == vault.active_key_id() {
                "active"
            } else if vault.knows_key(&key_id) {
                "retired"
            } else {
                "unknown"
            };
            KeyUsage { key_id, records, state }
        })
        .collect();
    Ok(VaultStatus { active_key_id: vault.active_key_id().to_string(), keys })
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RotationReport {
    pub reencrypted: u64,
    /// Rows a concurrent writer changed first; they were re-read and handled in a later batch.
    pub raced: u64,
}

/// Re-encrypts everything not under the active key, `batch` rows at a time.
pub async fn rotate(store: &Store, vault: &Vault, batch: i64) -> Result<RotationReport, RotationError> {
    let mut report = RotationReport::default();
    for column in SEALED_COLUMNS {
        rotate_column(store, vault, column, batch, &mut report).await?;
    }
    Ok(report)
}

async fn rotate_column(
    store: &Store,
    vault: &Vault,
    column: &'static SealedColumn,
    batch: i64,
    report: &mut RotationReport,
) -> Result<(), RotationError> {
    let active = vault.active_key_id().to_string();
    loop {
        let rows = store.sealed_rows_not_under(column, &active, batch).await?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in rows {
            let binding = Binding { scope: &row.scope, table: column.table, record_id: &row.id, field: column.field };
            let fail = |source| RotationError::Vault {
                table: column.table,
                column: column.column,
                id: row.id.clone(),
                source,
            };
            let plaintext = vault.open(binding, &row.sealed).map_err(fail)?;
            let resealed = vault.seal(binding, &plaintext).map_err(fail)?;
            if store.swap_sealed(column, &row.id, &row.sealed, &resealed, &active).await? {
                report.reencrypted += 1;
            } else {
                report.raced += 1;
            }
        }
    }
}
