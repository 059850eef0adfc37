//! A workspace environment's connections: searched by identity, filtered by platform and
//! status, a page at a time; one connection's detail with its events (never its credentials);
//! delete, which revokes the grant at the provider as the API's delete does.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use portico_wire::ConnectionView;
use serde::{Deserialize, Serialize};

use super::{DashboardError, Environment, EventLine};

/// Connections a page of the list holds.
pub const CONNECTIONS_PAGE_SIZE: i64 = 20;

/// Which connections to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionQuery {
    /// An identity, exactly as the host names it, or empty for all.
    pub identity: String,
    /// A platform slug, or empty for all.
    pub platform: String,
    /// `active`, `needs_reauth`, or empty for all.
    pub status: String,
    /// From 1.
    pub page: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRows {
    pub rows: Vec<ConnectionView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// One connection: what hosts may see of it, and its latest events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionDetail {
    pub connection: ConnectionView,
    pub platform_name: String,
    pub events: Vec<EventLine>,
}

#[server(prefix = "/dashboard/api", endpoint = "list_connections", input = Json)]
pub async fn list_connections(
    csrf: String,
    workspace: String,
    environment: Environment,
    query: ConnectionQuery,
) -> Result<ConnectionRows, DashboardError> {
    let _ = csrf; // checked before the function runs
    super::backend()?.list_connections(workspace, environment, query).await
}

#[server(prefix = "/dashboard/api", endpoint = "get_connection", input = Json)]
pub async fn get_connection(
    csrf: String,
    workspace: String,
    environment: Environment,
    id: String,
) -> Result<ConnectionDetail, DashboardError> {
    let _ = csrf;
    super::backend()?.connection_detail(workspace, environment, id).await
}

#[server(prefix = "/dashboard/api", endpoint = "delete_connection", input = Json)]
pub async fn delete_connection(
    csrf: String,
    workspace: String,
    environment: Environment,
    id: String,
) -> Result<(), DashboardError> {
    let _ = csrf;
    super::backend()?.delete_connection(workspace, environment, id).await
}
