//! The keys page's server side: an environment's keys a page at a time (prefixes, never keys),
//! a new key (its text in that one answer), and revocation, which takes effect at once. Creation
//! and revocation are [`crate::workspaces::keys`]', with their events naming the operator.

use portico_app::api::{CreatedKey, DashboardError, Environment as DashEnv, KeyPage, KeySummary, KEYS_PAGE_SIZE};

use super::backend::{actor, environment, invalid, unavailable, OperatorBackend};
use crate::workspaces::keys;

impl OperatorBackend {
    pub(super) async fn list_keys_inner(
        &self,
        workspace: String,
        env: DashEnv,
        page: i64,
    ) -> Result<KeyPage, DashboardError> {
        let handle = self.handle(&workspace).await?;
        let page = page.clamp(1, 1_000_000);
        let (rows, total) = self
            .state
            .store
            .secret_keys_page(&handle.scope(environment(env)), KEYS_PAGE_SIZE, (page - 1) * KEYS_PAGE_SIZE)
            .await
            .map_err(unavailable)?;
        let rows = rows
            .into_iter()
            .map(|k| KeySummary {
                id: k.id,
                display_prefix: k.display_prefix,
                label: k.label,
                created_at_ms: k.created_at,
                last_used_at_ms: k.last_used_at,
                revoked_at_ms: k.revoked_at,
            })
            .collect();
        Ok(KeyPage { rows, total, page, pages: (total + KEYS_PAGE_SIZE - 1) / KEYS_PAGE_SIZE })
    }

    pub(super) async fn create_key_inner(
        &self,
        workspace: String,
        env: DashEnv,
        label: String,
    ) -> Result<CreatedKey, DashboardError> {
        let handle = self.handle(&workspace).await?;
        let label = keys::parse_label(Some(&label)).map_err(|message| invalid("label", message))?;
        let state = &self.state;
        let scope = handle.scope(environment(env));
        let now = state.clock.now_ms();
        let created = keys::create(&state.store, state.entropy.as_ref(), now, &scope, label.as_deref(), actor(&handle))
            .await
            .map_err(unavailable)?;
        Ok(CreatedKey { id: created.id, display_prefix: created.display_prefix, secret_key: created.secret_key })
    }

    pub(super) async fn revoke_key_inner(
        &self,
        workspace: String,
        env: DashEnv,
        id: String,
    ) -> Result<(), DashboardError> {
        let handle = self.handle(&workspace).await?;
        let scope = handle.scope(environment(env));
        match keys::revoke_now(&self.state, &scope, &id, actor(&handle)).await.map_err(unavailable)? {
            true => Ok(()),
            false => Err(DashboardError::NotFound),
        }
    }
}
