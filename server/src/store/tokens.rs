//! AuthKit tokens, stored as hashes with the scope, identity and options they were minted for.

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::{Identity, IdentityType, Scope};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub scope: Scope,
    pub identity: Identity,
    pub identity_type: IdentityType,
    /// `None`: every enabled integration; `Some`: only these.
    pub allowed_integrations: Option<Vec<String>>,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The session this token belongs to: its own id when minted, the minted token's when it was
    /// issued for a connect link. Budgets of connect attempts are per session.
    pub session_id: String,
}

const COLUMNS: &str = "id, workspace_id, environment, identity, identity_type, allowed_integrations, \
                       tags, created_at, expires_at, revoked_at, COALESCE(session_id, id) AS session_id";

fn token_from(row: &sqlx::any::AnyRow) -> Result<TokenRow, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("authkit_tokens.{what}"));
    let identity: String = row.try_get("identity")?;
    let identity_type: String = row.try_get("identity_type")?;
    let allowed: Option<String> = row.try_get("allowed_integrations")?;
    let tags: String = row.try_get("tags")?;
    Ok(TokenRow {
        id: row.try_get("id")?,
        scope: super::scope_of(row)?,
        identity: Identity::parse(&identity).map_err(|_| corrupt("identity"))?,
        identity_type: IdentityType::parse(&identity_type).ok_or_else(|| corrupt("identity_type"))?,
        allowed_integrations: allowed
            .map(|a| serde_json::from_str(&a).map_err(|_| corrupt("allowed_integrations")))
            .transpose()?,
        tags: serde_json::from_str(&tags).map_err(|_| corrupt("tags"))?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        session_id: row.try_get("session_id")?,
    })
}

impl Store {
    pub async fn insert_token(
        &self,
        token: &TokenRow,
        token_hash: &[u8; 32],
        link_hash: &[u8; 32],
    ) -> Result<(), StoreError> {
        let allowed =
            token.allowed_integrations.as_ref().map(|a| serde_json::to_string(a).unwrap_or_else(|_| "[]".into()));
        let tags = serde_json::to_string(&token.tags).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO authkit_tokens (id, token_hash, link_hash, workspace_id, environment, identity, \
             identity_type, allowed_integrations, tags, created_at, expires_at, session_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(token.id.as_str())
        .bind(token_hash.as_slice())
        .bind(link_hash.as_slice())
        .bind(token.scope.workspace_id.as_str())
        .bind(token.scope.environment.as_str())
        .bind(token.identity.as_str())
        .bind(token.identity_type.as_str())
        .bind(allowed)
        .bind(tags)
        .bind(token.created_at)
        .bind(token.expires_at)
        .bind((token.session_id != token.id).then_some(token.session_id.as_str()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The entry point of token authentication (the modal's API).
    pub async fn find_token_by_hash(&self, token_hash: &[u8; 32]) -> Result<Option<TokenRow>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM authkit_tokens WHERE token_hash = $1"))
            .bind(token_hash.as_slice())
            .fetch_optional(self.pool())
            .await?
            .map(|r| token_from(&r))
            .transpose()
    }

    /// The entry point of a hosted connect link.
    pub async fn find_token_by_link_hash(&self, link_hash: &[u8; 32]) -> Result<Option<TokenRow>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM authkit_tokens WHERE link_hash = $1"))
            .bind(link_hash.as_slice())
            .fetch_optional(self.pool())
            .await?
            .map(|r| token_from(&r))
            .transpose()
    }

    /// Marks a connect link used; `false` when it already was (or does not exist). Exactly one
    /// exchange of a link wins, however many race.
    pub async fn claim_link(&self, link_hash: &[u8; 32], now: i64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE authkit_tokens SET link_used_at = $1 WHERE link_hash = $2 AND link_used_at IS NULL")
                .bind(now)
                .bind(link_hash.as_slice())
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets tokens (and their connect links) that expired before `before`.
    pub async fn delete_tokens_expired_before(&self, before: i64) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM authkit_tokens WHERE expires_at < $1").bind(before).execute(self.pool()).await?;
        Ok(done.rows_affected())
    }
}
