//! The workspace environment's event log, newest first, a page at a time, optionally one event
//! name only; each line says what happened and who or what did it.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::{DashboardError, Environment};

/// Events a page of the log holds.
pub const EVENTS_PAGE_SIZE: i64 = 25;

/// Which events to show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventQuery {
    /// One event name (`key.revoked`…), or empty for all.
    pub name: String,
    /// Only events older than this sequence number (the previous page's `next_before`).
    pub before: Option<i64>,
    /// Only this connection's events, or empty for all.
    pub connection_id: String,
}

/// One event, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    pub id: i64,
    pub at_ms: i64,
    /// `connection.created`, `key.revoked`…
    pub name: String,
    /// What it is about: a connection, a platform, a key's prefix.
    pub subject: String,
    /// Who or what did it: an operator's email, a secret key, the command line, Portico itself.
    pub by: String,
    pub connection_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRows {
    pub rows: Vec<EventLine>,
    /// Pass as `before` for the next (older) page; `None` on the last one.
    pub next_before: Option<i64>,
    /// Every event name, for the filter.
    pub names: Vec<String>,
}

#[server(prefix = "/dashboard/api", endpoint = "list_events", input = Json)]
pub async fn list_events(
    csrf: String,
    workspace: String,
    environment: Environment,
    query: EventQuery,
) -> Result<EventRows, DashboardError> {
    let _ = csrf; // checked before the function runs
    super::backend()?.list_events(workspace, environment, query).await
}
