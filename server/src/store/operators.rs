//! Operators, their memberships, dashboard sessions and sign-in attempt counters. The rules
//! (hashing, expiry, lock-out) live in [`crate::operators`]; this is only their rows.

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::WorkspaceId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorRow {
    pub id: String,
    pub email: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRow {
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub operator_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRow {
    pub failures: i64,
    pub window_start: i64,
    pub locked_until: Option<i64>,
}

fn operator_from(row: &sqlx::any::AnyRow) -> Result<OperatorRow, StoreError> {
    Ok(OperatorRow {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

fn session_from(row: &sqlx::any::AnyRow) -> Result<SessionRow, StoreError> {
    Ok(SessionRow {
        id: row.try_get("id")?,
        operator_id: row.try_get("operator_id")?,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl Store {
    pub async fn insert_operator(&self, row: &OperatorRow) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO operators (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)")
            .bind(row.id.as_str())
            .bind(row.email.as_str())
            .bind(row.password_hash.as_str())
            .bind(row.created_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn find_operator_by_email(&self, email: &str) -> Result<Option<OperatorRow>, StoreError> {
        sqlx::query("SELECT id, email, password_hash, created_at FROM operators WHERE email = $1")
            .bind(email)
            .fetch_optional(self.pool())
            .await?
            .map(|r| operator_from(&r))
            .transpose()
    }

    pub async fn find_operator(&self, id: &str) -> Result<Option<OperatorRow>, StoreError> {
        sqlx::query("SELECT id, email, password_hash, created_at FROM operators WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .map(|r| operator_from(&r))
            .transpose()
    }

    pub async fn set_operator_password(&self, id: &str, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE operators SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Adds or changes a membership.
    pub async fn put_membership(
        &self,
        operator_id: &str,
        workspace: &WorkspaceId,
        role: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO memberships (operator_id, workspace_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (operator_id, workspace_id) DO UPDATE SET role = excluded.role",
        )
        .bind(operator_id)
        .bind(workspace.as_str())
        .bind(role)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn memberships(&self, operator_id: &str) -> Result<Vec<MembershipRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.workspace_id, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id \
             WHERE m.operator_id = $1 ORDER BY w.name, m.workspace_id",
        )
        .bind(operator_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("workspace_id")?;
                Ok(MembershipRow {
                    workspace_id: WorkspaceId::parse(&id)
                        .ok_or_else(|| StoreError::Corrupt(format!("workspace id {id}")))?,
                    workspace_name: r.try_get("name")?,
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    pub async fn insert_dashboard_session(&self, row: &SessionRow, hash: &[u8; 32]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO dashboard_sessions (id, session_hash, operator_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(row.id.as_str())
        .bind(hash.as_slice())
        .bind(row.operator_id.as_str())
        .bind(row.created_at)
        .bind(row.last_seen_at)
        .bind(row.expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_dashboard_session(&self, hash: &[u8; 32]) -> Result<Option<SessionRow>, StoreError> {
        sqlx::query(
            "SELECT id, operator_id, created_at, last_seen_at, expires_at, revoked_at FROM dashboard_sessions \
             WHERE session_hash = $1",
        )
        .bind(hash.as_slice())
        .fetch_optional(self.pool())
        .await?
        .map(|r| session_from(&r))
        .transpose()
    }

    pub async fn touch_dashboard_session(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE dashboard_sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn revoke_dashboard_session(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE dashboard_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn sign_in_attempts(&self, subject: &str) -> Result<Option<AttemptRow>, StoreError> {
        let row = sqlx::query("SELECT failures, window_start, locked_until FROM sign_in_attempts WHERE subject = $1")
            .bind(subject)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(AttemptRow {
                failures: r.try_get("failures")?,
                window_start: r.try_get("window_start")?,
                locked_until: r.try_get("locked_until")?,
            })
        })
        .transpose()
    }

    pub async fn put_sign_in_attempts(&self, subject: &str, row: AttemptRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sign_in_attempts (subject, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures, \
             window_start = excluded.window_start, locked_until = excluded.locked_until",
        )
        .bind(subject)
        .bind(row.failures)
        .bind(row.window_start)
        .bind(row.locked_until)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn clear_sign_in_attempts(&self, subject: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_attempts WHERE subject = $1").bind(subject).execute(self.pool()).await?;
        Ok(())
    }
}
