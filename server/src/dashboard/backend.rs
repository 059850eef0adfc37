//! [`OperatorBackend`]: the dashboard's server functions, for the operator signed in to the
//! request being served. Each one about a workspace first turns the id it was given into a
//! [`WorkspaceHandle`]; a workspace the operator is not a member of is `NotFound` (404), the
//! answer an unknown id gets, so membership cannot be probed.

use std::sync::Arc;

use axum::http::StatusCode;
use leptos_axum::ResponseOptions;
use portico_app::api::{
    BoxFuture, Change, ConnectionDetail, ConnectionQuery, ConnectionRows, CreatedKey, DashboardBackend,
    DashboardContext, DashboardError, Environment as DashEnv, EventQuery, EventRows, IntegrationState, KeyPage,
    OAuthAppDetail, OAuthAppInput, OriginList, SessionInfo, WorkspaceSummary,
};
use portico_wire::AuthKind;

use super::guard::SignedIn;
use super::settings;
use crate::events::Actor;
use crate::operators::WorkspaceHandle;
use crate::tenancy::{Environment, Scope};
use crate::AppState;

/// The context the dashboard's pages and server functions get.
pub fn context(state: &AppState) -> DashboardContext {
    let platforms = state.catalog.iter().map(|p| p.summary()).collect();
    let state = state.clone();
    DashboardContext {
        platforms: Arc::new(platforms),
        backend: Arc::new(move || {
            let signed_in = leptos::prelude::use_context::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<SignedIn>().cloned());
            let response = leptos::prelude::use_context::<ResponseOptions>();
            Arc::new(OperatorBackend { state: state.clone(), signed_in, response }) as Arc<dyn DashboardBackend>
        }),
    }
}

pub struct OperatorBackend {
    pub(super) state: AppState,
    signed_in: Option<SignedIn>,
    response: Option<ResponseOptions>,
}

/// The operator behind `handle`, as events name them.
pub(super) fn actor(handle: &WorkspaceHandle) -> Actor {
    Actor::Operator {
        operator_id: handle.operator_id().to_string(),
        operator_email: handle.operator_email().to_string(),
    }
}

fn status_of(error: &DashboardError) -> StatusCode {
    match error {
        DashboardError::NotSignedIn => StatusCode::UNAUTHORIZED,
        DashboardError::Forbidden => StatusCode::FORBIDDEN,
        DashboardError::NotFound => StatusCode::NOT_FOUND,
        DashboardError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A failure the operator cannot act on: logged with its cause, answered in general words.
pub(super) fn unavailable(cause: impl std::fmt::Display) -> DashboardError {
    tracing::error!(error = %cause, "dashboard request failed");
    DashboardError::Unavailable
}

pub(super) fn invalid(field: &str, message: impl Into<String>) -> DashboardError {
    DashboardError::Invalid { field: field.to_string(), message: message.into() }
}

pub(super) fn environment(env: DashEnv) -> Environment {
    match env {
        DashEnv::Test => Environment::Test,
        DashEnv::Live => Environment::Live,
    }
}

impl OperatorBackend {
    fn signed_in(&self) -> Result<&SignedIn, DashboardError> {
        self.signed_in.as_ref().ok_or(DashboardError::NotSignedIn)
    }

    pub(super) async fn handle(&self, workspace: &str) -> Result<WorkspaceHandle, DashboardError> {
        let signed_in = self.signed_in()?;
        WorkspaceHandle::check(&self.state.store, &signed_in.operator, workspace)
            .await
            .map_err(unavailable)?
            .ok_or(DashboardError::NotFound)
    }

    /// Sets the HTTP status of a failed answer.
    fn answer<T>(&self, result: Result<T, DashboardError>) -> Result<T, DashboardError> {
        if let (Err(e), Some(response)) = (&result, &self.response) {
            response.set_status(status_of(e));
        }
        result
    }

    async fn session_info_inner(&self) -> Result<SessionInfo, DashboardError> {
        let signed_in = self.signed_in()?;
        let memberships = self.state.store.memberships(&signed_in.operator.id).await.map_err(unavailable)?;
        Ok(SessionInfo {
            email: signed_in.operator.email.clone(),
            csrf: signed_in.csrf(),
            workspaces: memberships
                .into_iter()
                .map(|m| WorkspaceSummary { id: m.workspace_id.to_string(), name: m.workspace_name, role: m.role })
                .collect(),
        })
    }

    async fn state_of(&self, handle: &WorkspaceHandle, scope: &Scope) -> Result<IntegrationState, DashboardError> {
        let store = &self.state.store;
        let workspace = store.find_workspace(handle.workspace_id()).await.map_err(unavailable)?;
        let enabled = store.enabled_integrations(scope).await.map_err(unavailable)?;
        Ok(IntegrationState {
            workspace_name: workspace.map(|w| w.name).unwrap_or_default(),
            enabled: enabled.into_iter().collect(),
            oauth_apps: settings::oauth_apps(&self.state, scope).await.map_err(|e| unavailable(&e.message))?,
        })
    }

    async fn integration_state_inner(
        &self,
        workspace: String,
        env: DashEnv,
    ) -> Result<IntegrationState, DashboardError> {
        let handle = self.handle(&workspace).await?;
        self.state_of(&handle, &handle.scope(environment(env))).await
    }

    async fn set_enabled_inner(
        &self,
        workspace: String,
        env: DashEnv,
        platforms: Vec<String>,
        enabled: bool,
    ) -> Result<IntegrationState, DashboardError> {
        let handle = self.handle(&workspace).await?;
        if platforms.len() > settings::MAX_BULK {
            return Err(invalid("platforms", format!("At most {} platforms can change at once.", settings::MAX_BULK)));
        }
        if let Some(unknown) = platforms.iter().find(|p| self.state.catalog.get(p).is_none()) {
            return Err(invalid("platforms", format!("{unknown} is not in the catalog.")));
        }
        let scope = handle.scope(environment(env));
        settings::set_enabled(&self.state, &handle, &scope, &platforms, enabled).await.map_err(unavailable)?;
        self.state_of(&handle, &scope).await
    }

    fn oauth_platform(&self, platform: &str) -> Result<&portico_catalog::Platform, DashboardError> {
        let entry = self.state.catalog.get(platform).ok_or(DashboardError::NotFound)?;
        if entry.auth_kind != AuthKind::Oauth2 {
            return Err(invalid("platform", format!("{} does not use an OAuth app.", entry.name)));
        }
        Ok(entry)
    }

    async fn oauth_app_inner(
        &self,
        workspace: String,
        env: DashEnv,
        platform: String,
    ) -> Result<OAuthAppDetail, DashboardError> {
        let handle = self.handle(&workspace).await?;
        let scope = handle.scope(environment(env));
        let entry = self.oauth_platform(&platform)?;
        let app = crate::oauth::apps::client_auth(&self.state, &scope, &platform)
            .await
            .map_err(|e| unavailable(&e.message))?;
        let row = self.state.store.find_oauth_app(&scope, &platform).await.map_err(unavailable)?;
        let default_scopes = entry.oauth.as_ref().map(|o| o.scopes.clone()).unwrap_or_default();
        Ok(OAuthAppDetail {
            platform: platform.clone(),
            platform_name: entry.name.clone(),
            client_id: app.as_ref().map(|a| a.client_id.clone()),
            secret_hint: app.as_ref().map(|a| settings::secret_hint(&a.client_secret)),
            scopes: row.and_then(|r| r.scopes).unwrap_or_else(|| default_scopes.clone()),
            default_scopes,
            redirect_uri: crate::oauth::apps::redirect_uri(&self.state.config.public_url),
            console_url: entry.docs_url.clone(),
        })
    }

    async fn put_oauth_app_inner(
        &self,
        workspace: String,
        env: DashEnv,
        platform: String,
        input: OAuthAppInput,
    ) -> Result<OAuthAppDetail, DashboardError> {
        let handle = self.handle(&workspace).await?;
        let scope = handle.scope(environment(env));
        let entry = self.oauth_platform(&platform)?;
        let existing = crate::oauth::apps::client_auth(&self.state, &scope, &platform)
            .await
            .map_err(|e| unavailable(&e.message))?;
        let secret = match (input.client_secret.trim(), &existing) {
            ("", Some(app)) => app.client_secret.to_string(),
            ("", None) => return Err(invalid("client_secret", "Enter the client secret the provider gave you.")),
            (secret, _) => secret.to_string(),
        };
        let defaults = entry.oauth.as_ref().map(|o| o.scopes.clone()).unwrap_or_default();
        let scopes = (input.scopes != defaults).then_some(input.scopes);
        let apps = crate::oauth::apps::AppStore {
            store: &self.state.store,
            vault: &self.state.vault,
            catalog: &self.state.catalog,
        };
        let new_app = crate::oauth::apps::NewApp {
            platform: &platform,
            client_id: &input.client_id,
            client_secret: &secret,
            scopes,
            new_id: format!("oap_{}", crate::clock::random_hex(self.state.entropy.as_ref(), 16)),
        };
        match crate::oauth::apps::put(apps, &scope, new_app, self.state.clock.now_ms()).await {
            Ok(_) => {}
            Err(crate::oauth::apps::AppError::Invalid(message)) => return Err(invalid("client", message)),
            Err(e) => return Err(unavailable(e)),
        }
        settings::record_oauth_app_updated(&self.state, &handle, &scope, &platform).await.map_err(unavailable)?;
        self.oauth_app_inner(workspace, env, platform).await
    }

    async fn recent_changes_inner(&self, workspace: String, env: DashEnv) -> Result<Vec<Change>, DashboardError> {
        let handle = self.handle(&workspace).await?;
        settings::recent_changes(&self.state, &handle.scope(environment(env)), 10).await.map_err(unavailable)
    }
}

impl DashboardBackend for OperatorBackend {
    fn session_info(&self) -> BoxFuture<'_, SessionInfo> {
        Box::pin(async move { self.answer(self.session_info_inner().await) })
    }

    fn integration_state(&self, workspace: String, environment: DashEnv) -> BoxFuture<'_, IntegrationState> {
        Box::pin(async move { self.answer(self.integration_state_inner(workspace, environment).await) })
    }

    fn set_enabled(
        &self,
        workspace: String,
        environment: DashEnv,
        platforms: Vec<String>,
        enabled: bool,
    ) -> BoxFuture<'_, IntegrationState> {
        Box::pin(async move { self.answer(self.set_enabled_inner(workspace, environment, platforms, enabled).await) })
    }

    fn oauth_app(&self, workspace: String, environment: DashEnv, platform: String) -> BoxFuture<'_, OAuthAppDetail> {
        Box::pin(async move { self.answer(self.oauth_app_inner(workspace, environment, platform).await) })
    }

    fn put_oauth_app(
        &self,
        workspace: String,
        environment: DashEnv,
        platform: String,
        input: OAuthAppInput,
    ) -> BoxFuture<'_, OAuthAppDetail> {
        Box::pin(async move { self.answer(self.put_oauth_app_inner(workspace, environment, platform, input).await) })
    }

    fn recent_changes(&self, workspace: String, environment: DashEnv) -> BoxFuture<'_, Vec<Change>> {
        Box::pin(async move { self.answer(self.recent_changes_inner(workspace, environment).await) })
    }

    fn list_keys(&self, workspace: String, environment: DashEnv, page: i64) -> BoxFuture<'_, KeyPage> {
        Box::pin(async move { self.answer(self.list_keys_inner(workspace, environment, page).await) })
    }

    fn create_key(&self, workspace: String, environment: DashEnv, label: String) -> BoxFuture<'_, CreatedKey> {
        Box::pin(async move { self.answer(self.create_key_inner(workspace, environment, label).await) })
    }

    fn revoke_key(&self, workspace: String, environment: DashEnv, id: String) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.answer(self.revoke_key_inner(workspace, environment, id).await) })
    }

    fn list_origins(&self, workspace: String) -> BoxFuture<'_, OriginList> {
        Box::pin(async move { self.answer(self.list_origins_inner(workspace).await) })
    }

    fn add_origin(&self, workspace: String, origin: String) -> BoxFuture<'_, OriginList> {
        Box::pin(async move { self.answer(self.add_origin_inner(workspace, origin).await) })
    }

    fn remove_origin(&self, workspace: String, origin: String) -> BoxFuture<'_, OriginList> {
        Box::pin(async move { self.answer(self.remove_origin_inner(workspace, origin).await) })
    }

    fn list_events(&self, workspace: String, environment: DashEnv, query: EventQuery) -> BoxFuture<'_, EventRows> {
        Box::pin(async move { self.answer(self.list_events_inner(workspace, environment, query).await) })
    }

    fn list_connections(
        &self,
        workspace: String,
        environment: DashEnv,
        query: ConnectionQuery,
    ) -> BoxFuture<'_, ConnectionRows> {
        Box::pin(async move { self.answer(self.list_connections_inner(workspace, environment, query).await) })
    }

    fn connection_detail(
        &self,
        workspace: String,
        environment: DashEnv,
        id: String,
    ) -> BoxFuture<'_, ConnectionDetail> {
        Box::pin(async move { self.answer(self.connection_detail_inner(workspace, environment, id).await) })
    }

    fn delete_connection(&self, workspace: String, environment: DashEnv, id: String) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.answer(self.delete_connection_inner(workspace, environment, id).await) })
    }
}
