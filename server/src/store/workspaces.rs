//! Workspaces and their allowed origins (which host pages may frame the modal).

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::WorkspaceId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRow {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: i64,
}

fn workspace_from(row: &sqlx::any::AnyRow) -> Result<WorkspaceRow, StoreError> {
    let id: String = row.try_get("id")?;
    Ok(WorkspaceRow {
        id: WorkspaceId::parse(&id).ok_or_else(|| StoreError::Corrupt(format!("workspace id {id}")))?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    pub async fn create_workspace(&self, id: &WorkspaceId, name: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.as_str())
            .bind(name)
            .bind(now)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn find_workspace(&self, id: &WorkspaceId) -> Result<Option<WorkspaceRow>, StoreError> {
        sqlx::query("SELECT id, name, created_at FROM workspaces WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await?
            .map(|r| workspace_from(&r))
            .transpose()
    }

    pub async fn list_workspaces(&self) -> Result<Vec<WorkspaceRow>, StoreError> {
        sqlx::query("SELECT id, name, created_at FROM workspaces ORDER BY created_at, id")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(workspace_from)
            .collect()
    }

    pub async fn add_allowed_origin(&self, workspace: &WorkspaceId, origin: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO allowed_origins (workspace_id, origin) VALUES ($1, $2) \
             ON CONFLICT (workspace_id, origin) DO NOTHING",
        )
        .bind(workspace.as_str())
        .bind(origin)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn allowed_origins(&self, workspace: &WorkspaceId) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT origin FROM allowed_origins WHERE workspace_id = $1 ORDER BY origin")
            .bind(workspace.as_str())
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| r.try_get("origin").map_err(StoreError::from)).collect()
    }

    /// Stops allowing `origin`; `false` when it was not allowed.
    pub async fn remove_allowed_origin(&self, workspace: &WorkspaceId, origin: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM allowed_origins WHERE workspace_id = $1 AND origin = $2")
            .bind(workspace.as_str())
            .bind(origin)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether any workspace lets `origin` frame the modal (checked before a token is known).
    pub async fn origin_allowed_anywhere(&self, origin: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS found FROM allowed_origins WHERE origin = $1 LIMIT 1")
            .bind(origin)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }
}
