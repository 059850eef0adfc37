//! Which catalog platforms each environment of each workspace offers (hidden by default).

use std::collections::BTreeSet;

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::Scope;

impl Store {
    pub async fn enable_integration(&self, scope: &Scope, platform: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO enabled_integrations (workspace_id, environment, platform, enabled_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, environment, platform) DO NOTHING",
        )
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(platform)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn disable_integration(&self, scope: &Scope, platform: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM enabled_integrations WHERE workspace_id = $1 AND environment = $2 AND platform = $3",
        )
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(platform)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn enabled_integrations(&self, scope: &Scope) -> Result<BTreeSet<String>, StoreError> {
        let rows =
            sqlx::query("SELECT platform FROM enabled_integrations WHERE workspace_id = $1 AND environment = $2")
                .bind(scope.workspace_id.as_str())
                .bind(scope.environment.as_str())
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|r| r.try_get("platform").map_err(StoreError::from)).collect()
    }

    pub async fn integration_enabled(&self, scope: &Scope, platform: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS found FROM enabled_integrations WHERE workspace_id = $1 AND environment = $2 AND platform = $3",
        )
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(platform)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }
}

/// Offers `platform` in `scope`, inside the caller's transaction; whether it was not offered yet.
pub async fn enable_in(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    platform: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO enabled_integrations (workspace_id, environment, platform, enabled_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, environment, platform) DO NOTHING",
    )
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .bind(platform)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stops offering `platform` in `scope`, inside the caller's transaction; whether it was offered.
pub async fn disable_in(conn: &mut sqlx::AnyConnection, scope: &Scope, platform: &str) -> Result<bool, StoreError> {
    let done =
        sqlx::query("DELETE FROM enabled_integrations WHERE workspace_id = $1 AND environment = $2 AND platform = $3")
            .bind(scope.workspace_id.as_str())
            .bind(scope.environment.as_str())
            .bind(platform)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
