//! A workspace's allowed origins (both environments share them): listed, added (checked as the
//! server checks every origin) and removed.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::DashboardError;

/// The origins a workspace allows, and how many it may.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginList {
    pub origins: Vec<String>,
    pub max: usize,
}

#[server(prefix = "/dashboard/api", endpoint = "list_origins", input = Json)]
pub async fn list_origins(csrf: String, workspace: String) -> Result<OriginList, DashboardError> {
    let _ = csrf; // checked before the function runs
    super::backend()?.list_origins(workspace).await
}

#[server(prefix = "/dashboard/api", endpoint = "add_origin", input = Json)]
pub async fn add_origin(csrf: String, workspace: String, origin: String) -> Result<OriginList, DashboardError> {
    let _ = csrf;
    super::backend()?.add_origin(workspace, origin).await
}

#[server(prefix = "/dashboard/api", endpoint = "remove_origin", input = Json)]
pub async fn remove_origin(csrf: String, workspace: String, origin: String) -> Result<OriginList, DashboardError> {
    let _ = csrf;
    super::backend()?.remove_origin(workspace, origin).await
}
