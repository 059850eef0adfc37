//! Forgetting what has expired: AuthKit tokens and their connect links, agent tokens, OAuth
//! attempts, dashboard sessions and sign-in lock-out windows, a day after they stopped mattering
//! (so a late request still gets a worded "expired" rather than "unknown"). Rate-limit windows are
//! pruned by the rate limiter itself.

use super::{Store, StoreError};

/// How long an expired row is kept.
pub const GRACE_MS: i64 = 24 * 3600 * 1000;

/// Rows deleted by one pass, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub authkit_tokens: u64,
    pub agent_tokens: u64,
    pub oauth_attempts: u64,
    pub dashboard_sessions: u64,
    pub sign_in_windows: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.authkit_tokens + self.agent_tokens + self.oauth_attempts + self.dashboard_sessions + self.sign_in_windows
    }
}

impl Store {
    /// One pass over every table with expiring rows; `idle_ms` is the dashboard's idle expiry.
    pub async fn prune_expired(&self, now: i64, idle_ms: i64) -> Result<Pruned, StoreError> {
        let before = now - GRACE_MS;
        let delete = |sql: &'static str| async move {
            Ok::<_, StoreError>(sqlx::query(sql).bind(before).execute(self.pool()).await?.rows_affected())
        };
        Ok(Pruned {
            authkit_tokens: self.delete_tokens_expired_before(before).await?,
            agent_tokens: delete("DELETE FROM agent_tokens WHERE expires_at < $1").await?,
            oauth_attempts: self.purge_attempts(before).await?,
            dashboard_sessions: sqlx::query(
                "DELETE FROM dashboard_sessions WHERE expires_at < $1 OR revoked_at < $1 OR last_seen_at < $2",
            )
            .bind(before)
            .bind(before - idle_ms)
            .execute(self.pool())
            .await?
            .rows_affected(),
            sign_in_windows: delete(
                "DELETE FROM sign_in_attempts WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $1)",
            )
            .await?,
        })
    }
}
