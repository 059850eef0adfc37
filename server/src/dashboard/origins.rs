//! The allowed-origins page's server side: a workspace's origins (shared by its two
//! environments), added with the one origin check ([`crate::workspaces::origins`]) and removed.

use portico_app::api::{DashboardError, OriginList};

use super::backend::{invalid, unavailable, OperatorBackend};
use crate::operators::WorkspaceHandle;
use crate::workspaces::origins::{self, OriginError, MAX_ORIGINS};

impl OperatorBackend {
    async fn origins_of(&self, handle: &WorkspaceHandle) -> Result<OriginList, DashboardError> {
        let origins = self.state.store.allowed_origins(handle.workspace_id()).await.map_err(unavailable)?;
        Ok(OriginList { origins, max: MAX_ORIGINS })
    }

    pub(super) async fn list_origins_inner(&self, workspace: String) -> Result<OriginList, DashboardError> {
        let handle = self.handle(&workspace).await?;
        self.origins_of(&handle).await
    }

    pub(super) async fn add_origin_inner(
        &self,
        workspace: String,
        origin: String,
    ) -> Result<OriginList, DashboardError> {
        let handle = self.handle(&workspace).await?;
        match origins::add(&self.state.store, handle.workspace_id(), &origin).await {
            Ok(origins) => Ok(OriginList { origins, max: MAX_ORIGINS }),
            Err(OriginError::Invalid(message)) => Err(invalid("origin", message)),
            Err(OriginError::TooMany) => Err(invalid("origin", OriginError::TooMany.to_string())),
            Err(OriginError::Store(e)) => Err(unavailable(e)),
        }
    }

    pub(super) async fn remove_origin_inner(
        &self,
        workspace: String,
        origin: String,
    ) -> Result<OriginList, DashboardError> {
        let handle = self.handle(&workspace).await?;
        if !origins::remove(&self.state.store, handle.workspace_id(), &origin).await.map_err(unavailable)? {
            return Err(DashboardError::NotFound);
        }
        self.origins_of(&handle).await
    }
}
