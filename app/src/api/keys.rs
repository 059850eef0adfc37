//! Secret keys: listed by their prefix (never the key), created (the key is in that one answer
//! only) and revoked.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::{DashboardError, Environment};

/// Keys a page of the keys list holds.
pub const KEYS_PAGE_SIZE: i64 = 20;

/// A key as listed: its prefix and dates, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySummary {
    pub id: String,
    /// The key's first characters, e.g. `sk_test_Ab3d…`.
    pub display_prefix: String,
    pub label: Option<String>,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// One page of an environment's keys, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPage {
    pub rows: Vec<KeySummary>,
    pub total: i64,
    /// From 1.
    pub page: i64,
    pub pages: i64,
}

/// A key just created: the only answer that ever holds `secret_key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub id: String,
    pub display_prefix: String,
    pub secret_key: String,
}

#[server(prefix = "/dashboard/api", endpoint = "list_keys", input = Json)]
pub async fn list_keys(
    csrf: String,
    workspace: String,
    environment: Environment,
    page: i64,
) -> Result<KeyPage, DashboardError> {
    let _ = csrf; // checked before the function runs
    super::backend()?.list_keys(workspace, environment, page).await
}

#[server(prefix = "/dashboard/api", endpoint = "create_key", input = Json)]
pub async fn create_key(
    csrf: String,
    workspace: String,
    environment: Environment,
    label: String,
) -> Result<CreatedKey, DashboardError> {
    let _ = csrf;
    super::backend()?.create_key(workspace, environment, label).await
}

#[server(prefix = "/dashboard/api", endpoint = "revoke_key", input = Json)]
pub async fn revoke_key(
    csrf: String,
    workspace: String,
    environment: Environment,
    id: String,
) -> Result<(), DashboardError> {
    let _ = csrf;
    super::backend()?.revoke_key(workspace, environment, id).await
}
