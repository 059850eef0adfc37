//! The passthrough call log: what was called, when, and what came back — never a header or body.

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// Assigned by the database on insert (0 before).
    pub id: i64,
    pub scope: Scope,
    pub connection_id: String,
    pub platform: String,
    pub action_id: Option<String>,
    pub method: String,
    /// The path relative to the API base, without the query (which may carry anything).
    pub path: String,
    pub status: i64,
    /// Set when Portico answered itself (rate limit, timeout, unreachable upstream…).
    pub error_code: Option<String>,
    pub attempts: i64,
    pub latency_ms: i64,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, connection_id, platform, action_id, method, path, status, error_code, attempts, latency_ms, created_at";

/// Rows per INSERT statement of the call log.
const INSERT_CHUNK: usize = 100;
const CALL_COLUMNS: usize = 12;

/// The statement for a full chunk, for PostgreSQL (`$n`) and SQLite (`?`).
static FULL_CHUNK_INSERT: std::sync::LazyLock<[String; 2]> =
    std::sync::LazyLock::new(|| [insert_calls_sql(INSERT_CHUNK, false), insert_calls_sql(INSERT_CHUNK, true)]);

/// `INSERT … VALUES (…), (…)` for `rows` rows (placeholders as [`Store::insert_calls`] says).
fn insert_calls_sql(rows: usize, sqlite: bool) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(200 + rows * CALL_COLUMNS * 6);
    sql.push_str(
        "INSERT INTO passthrough_calls (workspace_id, environment, connection_id, platform, action_id, \
         method, path, status, error_code, attempts, latency_ms, created_at) VALUES ",
    );
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..CALL_COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            if sqlite {
                sql.push('?');
            } else {
                let _ = write!(sql, "${}", row * CALL_COLUMNS + column + 1);
            }
        }
        sql.push(')');
    }
    sql
}

impl Store {
    /// Inserts a batch: multi-row statements of up to 100 rows in one transaction.
    ///
    /// On SQLite the placeholders are anonymous `?`: SQLite finds a named parameter's name by a
    /// linear scan, and the driver asks for every one, which made a 1 200-parameter statement
    /// quadratic (13% of the server's CPU under load, measured with perf).
    pub async fn insert_calls(&self, records: &[CallRecord]) -> Result<(), StoreError> {
        let sqlite = self.backend() == super::Backend::Sqlite;
        let mut tx = self.pool().begin().await?;
        for chunk in records.chunks(INSERT_CHUNK) {
            // Under load nearly every chunk is full: its statement text is built once.
            let built;
            let sql: &str = if chunk.len() == INSERT_CHUNK {
                &FULL_CHUNK_INSERT[usize::from(sqlite)]
            } else {
                built = insert_calls_sql(chunk.len(), sqlite);
                &built
            };
            let mut query = sqlx::query(sql);
            for r in chunk {
                query = query
                    .bind(r.scope.workspace_id.as_str())
                    .bind(r.scope.environment.as_str())
                    .bind(r.connection_id.as_str())
                    .bind(r.platform.as_str())
                    .bind(r.action_id.as_deref())
                    .bind(r.method.as_str())
                    .bind(r.path.as_str())
                    .bind(r.status)
                    .bind(r.error_code.as_deref())
                    .bind(r.attempts)
                    .bind(r.latency_ms)
                    .bind(r.created_at);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Newest first; `before` (an id) pages back in time.
    pub async fn list_calls(
        &self,
        scope: &Scope,
        connection_id: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passthrough_calls WHERE workspace_id = $1 AND environment = $2 \
             AND ($3 = '' OR connection_id = $3) AND id < $4 ORDER BY id DESC LIMIT $5"
        ))
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(connection_id.unwrap_or(""))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CallRecord {
                    id: r.try_get("id")?,
                    scope: scope.clone(),
                    connection_id: r.try_get("connection_id")?,
                    platform: r.try_get("platform")?,
                    action_id: r.try_get("action_id")?,
                    method: r.try_get("method")?,
                    path: r.try_get("path")?,
                    status: r.try_get("status")?,
                    error_code: r.try_get("error_code")?,
                    attempts: r.try_get("attempts")?,
                    latency_ms: r.try_get("latency_ms")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Adds `delta` to a shared rate counter and returns its new total.
    pub async fn add_to_rate_counter(&self, bucket: &str, window_start: i64, delta: i64) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO rate_counters (bucket, window_start, count) VALUES ($1, $2, $3) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_counters.count + excluded.count \
             RETURNING count",
        )
        .bind(bucket)
        .bind(window_start)
        .bind(delta)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("count")?)
    }

    pub async fn delete_rate_counters_before(&self, window_start: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM rate_counters WHERE window_start < $1")
            .bind(window_start)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_statements_number_postgres_placeholders_and_leave_sqlites_anonymous() {
        let pg = insert_calls_sql(2, false);
        assert!(pg.ends_with("VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12), ($13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"), "{pg}");
        let sqlite = insert_calls_sql(1, true);
        assert!(sqlite.ends_with("VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"), "{sqlite}");
        assert_eq!(FULL_CHUNK_INSERT[1].matches('?').count(), INSERT_CHUNK * CALL_COLUMNS);
        assert!(FULL_CHUNK_INSERT[0].ends_with(&format!("${})", INSERT_CHUNK * CALL_COLUMNS)));
    }
}
