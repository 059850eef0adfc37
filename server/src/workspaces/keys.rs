//! A workspace's secret keys as operators manage them — from the dashboard, the CLI or the demo:
//! created (the text shown once) and revoked, each change with its `key.created` / `key.revoked`
//! event naming who made it, in the same transaction. The key's format, hash and check are
//! [`crate::keys`]'.

use crate::clock::{random_hex, Entropy};
use crate::events::{Actor, Event, KeyChange};
use crate::keys::CreatedSecretKey;
use crate::store::secret_keys::{self as rows, NewSecretKey};
use crate::store::{Store, StoreError};
use crate::tenancy::Scope;
use crate::AppState;

/// Longest label a key may have.
pub const MAX_LABEL: usize = 64;

/// Checks a key's label: optional, at most [`MAX_LABEL`] characters, no control characters.
/// An empty or blank label is no label.
pub fn parse_label(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(label) = raw.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    if label.chars().count() > MAX_LABEL {
        return Err(format!("A key's label must be at most {MAX_LABEL} characters."));
    }
    if label.chars().any(char::is_control) {
        return Err("A key's label may not contain control characters.".into());
    }
    Ok(Some(label.to_string()))
}

fn event_id(entropy: &dyn Entropy) -> String {
    format!("evt_{}", random_hex(entropy, 16))
}

/// Creates a key in `scope` (label already checked) and records `key.created` with `by`.
pub async fn create(
    store: &Store,
    entropy: &dyn Entropy,
    now: i64,
    scope: &Scope,
    label: Option<&str>,
    by: Actor,
) -> Result<CreatedSecretKey, StoreError> {
    let minted = crate::keys::mint(entropy, scope.environment);
    let created = minted.created;
    let new = NewSecretKey {
        id: &created.id,
        key_hash: &minted.hash,
        display_prefix: &created.display_prefix,
        label,
        created_at: now,
    };
    let change = KeyChange {
        key_id: created.id.clone(),
        display_prefix: created.display_prefix.clone(),
        label: label.map(str::to_string),
        by,
    };
    let mut tx = store.begin().await?;
    rows::insert(&mut tx, scope, &new).await?;
    crate::events::record(&mut tx, scope, &Event::KeyCreated(change), &event_id(entropy), now).await?;
    tx.commit().await?;
    Ok(created)
}

/// Revokes the active key `id` of `scope` and records `key.revoked` with `by`; `false` when the
/// scope has no such active key. A serving process must also [`crate::keys::forget`] it: see
/// [`revoke_now`].
pub async fn revoke(
    store: &Store,
    entropy: &dyn Entropy,
    now: i64,
    scope: &Scope,
    id: &str,
    by: Actor,
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    let Some(row) = rows::revoke(&mut tx, scope, id, now).await? else {
        return Ok(false);
    };
    let change = KeyChange { key_id: row.id, display_prefix: row.display_prefix, label: row.label, by };
    crate::events::record(&mut tx, scope, &Event::KeyRevoked(change), &event_id(entropy), now).await?;
    tx.commit().await?;
    Ok(true)
}

/// [`revoke`] from a serving process: the key is also forgotten by its cache, so its next
/// request here gets 401.
pub async fn revoke_now(state: &AppState, scope: &Scope, id: &str, by: Actor) -> Result<bool, StoreError> {
    let revoked = revoke(&state.store, state.entropy.as_ref(), state.clock.now_ms(), scope, id, by).await?;
    crate::keys::forget(state, id);
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_optional_short_and_printable() {
        assert_eq!(parse_label(None), Ok(None));
        assert_eq!(parse_label(Some("  ")), Ok(None));
        assert_eq!(parse_label(Some(" ci deploys ")), Ok(Some("ci deploys".into())));
        assert!(parse_label(Some(&"x".repeat(MAX_LABEL + 1))).unwrap_err().contains("at most 64"));
        assert!(parse_label(Some("a\u{7}b")).is_err());
    }
}
