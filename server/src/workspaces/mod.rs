//! Workspace administration: creating a workspace (the operator's first step; it starts with one
//! secret key per environment, shown once), its secret keys ([`keys`]) and its allowed origins
//! ([`origins`]), for the CLI, the demo and the dashboard alike.

pub mod keys;
pub mod origins;

use serde::Serialize;

use crate::clock::Entropy;
use crate::events::Actor;
use crate::store::{Store, StoreError};
use crate::tenancy::{Environment, Scope, WorkspaceId};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWorkspace {
    pub workspace_id: String,
    pub name: String,
    pub test_secret_key: String,
    pub live_secret_key: String,
    pub allowed_origins: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("the workspace name must be 1 to 100 characters")]
    BadName,
    #[error("{0}")]
    BadOrigin(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn parse_origins(origins: &[String]) -> Result<Vec<String>, WorkspaceError> {
    origins.iter().map(|o| origins::parse(o).map_err(WorkspaceError::BadOrigin)).collect()
}

pub async fn create_workspace(
    store: &Store,
    entropy: &dyn Entropy,
    now: i64,
    name: &str,
    origins: &[String],
) -> Result<CreatedWorkspace, WorkspaceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(WorkspaceError::BadName);
    }
    let origins = parse_origins(origins)?;
    let id = WorkspaceId::generate(entropy);
    store.create_workspace(&id, name, now).await?;
    for origin in &origins {
        store.add_allowed_origin(&id, origin).await?;
    }
    let test_scope = Scope { workspace_id: id.clone(), environment: Environment::Test };
    let live_scope = Scope { workspace_id: id.clone(), environment: Environment::Live };
    let test = keys::create(store, entropy, now, &test_scope, Some("initial"), Actor::CommandLine).await?;
    let live = keys::create(store, entropy, now, &live_scope, Some("initial"), Actor::CommandLine).await?;
    Ok(CreatedWorkspace {
        workspace_id: id.to_string(),
        name: name.to_string(),
        test_secret_key: test.secret_key,
        live_secret_key: live.secret_key,
        allowed_origins: origins,
    })
}
