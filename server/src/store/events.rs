//! The event log: one row an event, in sequence (`id`), with a public id (`event_id`) and a time.
//! Written only inside the transaction of the change an event describes ([`crate::events::record`]).

use sqlx::Row;

use super::{Store, StoreError};
use crate::tenancy::Scope;

/// An event about to be stored.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub event_id: &'a str,
    pub name: &'a str,
    pub connection_id: Option<&'a str>,
    pub data: serde_json::Value,
    pub created_at: i64,
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The sequence number: later events have larger ones.
    pub id: i64,
    /// `evt_…`; absent on events recorded before public ids existed.
    pub event_id: Option<String>,
    pub name: String,
    pub connection_id: Option<String>,
    pub data: serde_json::Value,
    pub created_at: i64,
}

pub async fn insert(conn: &mut sqlx::AnyConnection, scope: &Scope, e: &NewEvent<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events (event_id, workspace_id, environment, name, connection_id, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.event_id)
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .bind(e.name)
    .bind(e.connection_id)
    .bind(e.data.to_string())
    .bind(e.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Which events to list: all of a scope's, one connection's, one name's, or both.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventFilter<'a> {
    pub connection_id: Option<&'a str>,
    pub name: Option<&'a str>,
}

impl Store {
    /// Newest first, only `filter`'s; `before` pages back by sequence number.
    pub async fn list_events(
        &self,
        scope: &Scope,
        filter: EventFilter<'_>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<EventRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, event_id, name, connection_id, data, created_at FROM events \
             WHERE workspace_id = $1 AND environment = $2 \
             AND ($3 = '' OR connection_id = $3) AND ($4 = '' OR name = $4) AND id < $5 \
             ORDER BY id DESC LIMIT $6",
        )
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(filter.connection_id.unwrap_or(""))
        .bind(filter.name.unwrap_or(""))
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                Ok(EventRow {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_id")?,
                    name: r.try_get("name")?,
                    connection_id: r.try_get("connection_id")?,
                    data: serde_json::from_str(&data).map_err(|_| StoreError::Corrupt("events.data".into()))?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
