//! Secret keys: `sk_test_…` / `sk_live_…`, for the host's backend only.
//!
//! 43 base62 characters (256 bits) after the prefix. Shown once when created, stored as a SHA-256
//! hash, compared in constant time, revocable, several active per environment for rotation. The
//! [`SecretKeyAuth`] extractor is the only way a handler gets a [`Scope`] from a secret key.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::clock::random_base62;
use crate::error::ApiError;
use crate::tenancy::{Environment, Scope};
use crate::AppState;
use portico_wire::ErrorCode;

const RANDOM_CHARS: usize = 43;

/// A secret key as presented by a caller, syntactically valid.
pub struct PresentedSecretKey {
    pub environment: Environment,
    hash: [u8; 32],
}

impl PresentedSecretKey {
    pub fn parse(text: &str) -> Option<Self> {
        let (environment, random) = if let Some(rest) = text.strip_prefix("sk_test_") {
            (Environment::Test, rest)
        } else if let Some(rest) = text.strip_prefix("sk_live_") {
            (Environment::Live, rest)
        } else {
            return None;
        };
        if random.len() != RANDOM_CHARS || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        Some(PresentedSecretKey { environment, hash: hash_secret_key(text) })
    }
}

pub fn hash_secret_key(text: &str) -> [u8; 32] {
    crate::digest::hash_secret(crate::digest::SecretKind::SecretKey, text)
}

/// A freshly created key: the only moment its plain text exists.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedSecretKey {
    pub id: String,
    pub environment: Environment,
    pub secret_key: String,
    pub display_prefix: String,
}

/// A new key for `environment`: its text (shown once), id, display prefix and the hash that is
/// stored. Stored, with its `key.created` event, by `crate::workspaces::keys::create`.
pub struct MintedKey {
    pub created: CreatedSecretKey,
    pub hash: [u8; 32],
}

pub fn mint(entropy: &dyn crate::clock::Entropy, environment: Environment) -> MintedKey {
    let secret = format!("sk_{environment}_{}", random_base62(entropy, RANDOM_CHARS));
    let id = format!("key_{}", crate::clock::random_hex(entropy, 12));
    let display_prefix = format!("{}…", &secret[..12]);
    let hash = hash_secret_key(&secret);
    MintedKey { created: CreatedSecretKey { id, environment, secret_key: secret, display_prefix }, hash }
}

/// Forgets a revoked key in this process's cache at once (other replicas within the cache TTL),
/// so its next request here gets 401.
pub fn forget(state: &AppState, id: &str) {
    state.key_cache.remove_where(|found| found.0.id == id);
}

/// The authenticated tenant of a secret-key request.
#[derive(Debug, Clone)]
pub struct SecretKeyAuth {
    pub scope: Scope,
    pub key_id: String,
}

/// The header names a secret key may arrive in, most specific first.
fn presented_key(parts: &Parts) -> Option<&str> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    header("x-portico-secret")
        .or_else(|| header("x-pica-secret"))
        .or_else(|| header("authorization").and_then(|v| v.strip_prefix("Bearer ")))
        .map(str::trim)
}

impl FromRequestParts<AppState> for SecretKeyAuth {
    type Rejection = ApiError;

    /// A wrong key also counts against the client address's budget, so keys cannot be guessed at
    /// speed: once it is spent, wrong keys get 429 (right keys still work).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match authenticate(parts, state).await {
            Err(e) if e.code == ErrorCode::InvalidSecretKey => {
                let client = crate::address_budget::ClientAddress::of(parts);
                Box::pin(crate::address_budget::spend_address_budget(state, "secret-key", &client)).await?;
                Err(e)
            }
            other => other,
        }
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<SecretKeyAuth, ApiError> {
    let invalid =
        || ApiError::unauthorized(ErrorCode::InvalidSecretKey, "The secret key is not valid or has been revoked.");
    let Some(text) = presented_key(parts) else {
        return Err(ApiError::unauthorized(
            ErrorCode::MissingSecretKey,
            "Send your secret key in the x-portico-secret header (or Authorization: Bearer).",
        ));
    };
    let presented = PresentedSecretKey::parse(text).ok_or_else(invalid)?;
    let found = match state.key_cache.get(&presented.hash) {
        Some(found) => found,
        None => {
            // Boxed, as other rare paths on passthrough's way are: inline, their futures would
            // make every call's future (moved a few times per call) kilobytes larger.
            let found = Box::pin(state.store.find_secret_key_by_hash(&presented.hash)).await?.ok_or_else(invalid)?;
            let found = std::sync::Arc::new(found);
            state.key_cache.put(presented.hash, found.clone());
            found
        }
    };
    let (row, stored_hash) = &*found;
    // The lookup used the hash as an index; compare again in constant time so no timing of
    // ours depends on how much of a guess was right.
    let equal: bool = stored_hash.as_slice().ct_eq(presented.hash.as_slice()).into();
    if !equal || row.revoked_at.is_some() || row.scope.environment != presented.environment {
        return Err(invalid());
    }
    record_use(state, row).await?;
    tracing::Span::current().record("workspace", row.scope.workspace_id.as_str());
    Ok(SecretKeyAuth { scope: row.scope.clone(), key_id: row.id.clone() })
}

/// Writes `last_used_at` at most once a minute per key and process, so authenticating is not a
/// database write per request.
async fn record_use(state: &AppState, row: &crate::store::secret_keys::SecretKeyRow) -> Result<(), ApiError> {
    let now = state.clock.now_ms();
    let due = match state.key_touches.lock() {
        Ok(mut touches) => {
            let last = touches.get(&row.id).copied().unwrap_or(i64::MIN);
            let due = now.saturating_sub(last) >= 60_000;
            if due {
                touches.insert(row.id.clone(), now);
            }
            due
        }
        Err(_) => false,
    };
    if due {
        Box::pin(state.store.touch_secret_key(&row.scope, &row.id, now)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_well_formed_keys() {
        let good = format!("sk_test_{}", "a".repeat(43));
        assert_eq!(PresentedSecretKey::parse(&good).unwrap().environment, Environment::Test);
        let live = format!("sk_live_{}", "Z9".repeat(21) + "x");
        assert_eq!(PresentedSecretKey::parse(&live).unwrap().environment, Environment::Live);
        for bad in [
            String::new(),
            "sk_test_".to_string(),
            format!("sk_prod_{}", "a".repeat(43)),
            format!("sk_test_{}", "a".repeat(42)),
            format!("sk_test_{}!", "a".repeat(42)),
        ] {
            assert!(PresentedSecretKey::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hashing_is_stable_and_distinguishes_keys() {
        let a = format!("sk_test_{}", "a".repeat(43));
        let b = format!("sk_test_{}", "b".repeat(43));
        assert_eq!(hash_secret_key(&a), hash_secret_key(&a));
        assert_ne!(hash_secret_key(&a), hash_secret_key(&b));
    }
}
