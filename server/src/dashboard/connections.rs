//! The connections page's server side: an environment's connections searched by identity and
//! filtered by platform and status, a page at a time; one connection with its latest events
//! (never its credentials); and delete, through [`crate::connections::delete`] — the API's own
//! path: the grant revoked at the provider, then [`crate::lifecycle`] removes the row and records
//! `connection.deleted` naming the operator.

use portico_app::api::{
    ConnectionDetail, ConnectionQuery, ConnectionRows, DashboardError, Environment as DashEnv, CONNECTIONS_PAGE_SIZE,
};
use portico_wire::ConnectionStatus;

use super::backend::{actor, environment, invalid, unavailable, OperatorBackend};
use crate::events::log;
use crate::store::connections::{ConnectionFilter, ConnectionRow};
use crate::store::events::EventFilter;
use crate::tenancy::{Identity, Scope};

/// Events a connection's detail shows (its newest).
const DETAIL_EVENTS: i64 = 20;

fn filter_of(query: &ConnectionQuery, catalog: &portico_catalog::Catalog) -> Result<ConnectionFilter, DashboardError> {
    let identity = match query.identity.as_str() {
        "" => None,
        raw => Some(Identity::parse(raw).map_err(|e| invalid("identity", format!("The {e}.")))?.as_str().to_string()),
    };
    let platform = match query.platform.as_str() {
        "" => None,
        p if catalog.get(p).is_some() => Some(p.to_string()),
        p => return Err(invalid("platform", format!("{p} is not in the catalog."))),
    };
    let status = match query.status.as_str() {
        "" => None,
        "active" => Some(ConnectionStatus::Active),
        "needs_reauth" => Some(ConnectionStatus::NeedsReauth),
        _ => return Err(invalid("status", "The status must be active or needs re-authorisation.")),
    };
    Ok(ConnectionFilter {
        identity,
        identity_type: None,
        platform,
        keys: Vec::new(),
        tags: Vec::new(),
        active: None,
        status,
    })
}

impl OperatorBackend {
    async fn connection(&self, scope: &Scope, id: &str) -> Result<ConnectionRow, DashboardError> {
        self.state.store.find_connection(scope, id).await.map_err(unavailable)?.ok_or(DashboardError::NotFound)
    }

    pub(super) async fn list_connections_inner(
        &self,
        workspace: String,
        env: DashEnv,
        query: ConnectionQuery,
    ) -> Result<ConnectionRows, DashboardError> {
        let handle = self.handle(&workspace).await?;
        let filter = filter_of(&query, &self.state.catalog)?;
        let scope = handle.scope(environment(env));
        let page = query.page.clamp(1, 1_000_000);
        let offset = (page - 1) * CONNECTIONS_PAGE_SIZE;
        let (rows, total) = self
            .state
            .store
            .list_connections(&scope, &filter, CONNECTIONS_PAGE_SIZE, offset)
            .await
            .map_err(unavailable)?;
        Ok(ConnectionRows {
            rows: rows.iter().map(|r| crate::lifecycle::view(&scope, r)).collect(),
            total,
            page,
            pages: (total + CONNECTIONS_PAGE_SIZE - 1) / CONNECTIONS_PAGE_SIZE,
        })
    }

    pub(super) async fn connection_detail_inner(
        &self,
        workspace: String,
        env: DashEnv,
        id: String,
    ) -> Result<ConnectionDetail, DashboardError> {
        let handle = self.handle(&workspace).await?;
        let scope = handle.scope(environment(env));
        let row = self.connection(&scope, &id).await?;
        let filter = EventFilter { connection_id: Some(&row.id), name: None };
        let events = log::read(&self.state.store, &scope, filter, None, DETAIL_EVENTS).await.map_err(unavailable)?;
        let platform_name =
            self.state.catalog.get(&row.platform).map_or_else(|| row.platform.clone(), |p| p.name.clone());
        Ok(ConnectionDetail {
            connection: crate::lifecycle::view(&scope, &row),
            platform_name,
            events: events.rows.into_iter().map(super::events::line).collect(),
        })
    }

    pub(super) async fn delete_connection_inner(
        &self,
        workspace: String,
        env: DashEnv,
        id: String,
    ) -> Result<(), DashboardError> {
        let handle = self.handle(&workspace).await?;
        let scope = handle.scope(environment(env));
        let row = self.connection(&scope, &id).await?;
        match crate::connections::delete(&self.state, &scope, &row, actor(&handle)).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(DashboardError::NotFound),
            Err(e) => Err(unavailable(e)),
        }
    }
}
