//! Agent tokens, stored as hashes with the scope, identity and limits they were minted for.

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::{Identity, IdentityType, Scope};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentTokenRow {
    pub id: String,
    pub scope: Scope,
    /// The secret key that minted it: its rate limits and call log entries apply.
    pub key_id: String,
    pub identity: Identity,
    pub identity_type: IdentityType,
    /// `None`: every platform; `Some`: only these.
    pub platforms: Option<Vec<String>>,
    /// `None`: every action; `Some`: only these action ids.
    pub actions: Option<Vec<String>>,
    pub created_at: i64,
    pub expires_at: i64,
}

const COLUMNS: &str =
    "id, workspace_id, environment, key_id, identity, identity_type, platforms, actions, created_at, expires_at";

fn list(value: &Option<Vec<String>>) -> Option<String> {
    value.as_ref().map(|v| serde_json::to_string(v).unwrap_or_else(|_| "[]".into()))
}

fn agent_token_from(row: &sqlx::any::AnyRow) -> Result<AgentTokenRow, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("agent_tokens.{what}"));
    let identity: String = row.try_get("identity")?;
    let identity_type: String = row.try_get("identity_type")?;
    let read_list = |column: &str| -> Result<Option<Vec<String>>, StoreError> {
        let text: Option<String> = row.try_get(column)?;
        text.map(|t| serde_json::from_str(&t).map_err(|_| corrupt(column))).transpose()
    };
    Ok(AgentTokenRow {
        id: row.try_get("id")?,
        scope: super::scope_of(row)?,
        key_id: row.try_get("key_id")?,
        identity: Identity::parse(&identity).map_err(|_| corrupt("identity"))?,
        identity_type: IdentityType::parse(&identity_type).ok_or_else(|| corrupt("identity_type"))?,
        platforms: read_list("platforms")?,
        actions: read_list("actions")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

impl Store {
    pub async fn insert_agent_token(&self, token: &AgentTokenRow, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO agent_tokens (id, token_hash, workspace_id, environment, key_id, identity, identity_type, \
             platforms, actions, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(token.id.as_str())
        .bind(token_hash.as_slice())
        .bind(token.scope.workspace_id.as_str())
        .bind(token.scope.environment.as_str())
        .bind(token.key_id.as_str())
        .bind(token.identity.as_str())
        .bind(token.identity_type.as_str())
        .bind(list(&token.platforms))
        .bind(list(&token.actions))
        .bind(token.created_at)
        .bind(token.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_agent_token_by_hash(&self, token_hash: &[u8; 32]) -> Result<Option<AgentTokenRow>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM agent_tokens WHERE token_hash = $1"))
            .bind(token_hash.as_slice())
            .fetch_optional(self.pool())
            .await?
            .map(|r| agent_token_from(&r))
            .transpose()
    }
}
