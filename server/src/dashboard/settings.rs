//! Workspace settings the dashboard changes — which integrations are offered, OAuth apps — each
//! change recorded as an event naming the operator, in the same transaction where it can be.

use portico_app::api::{Change, OAuthAppSummary};
use portico_wire::AuthKind;

use crate::events::{Event, SettingChange};
use crate::operators::WorkspaceHandle;
use crate::store::StoreError;
use crate::tenancy::Scope;
use crate::AppState;

/// Most platforms one bulk change may name (the catalog has fewer).
pub const MAX_BULK: usize = 2_000;

fn change(handle: &WorkspaceHandle, platform: &str) -> SettingChange {
    SettingChange {
        platform: platform.to_string(),
        operator_id: handle.operator_id().to_string(),
        operator_email: handle.operator_email().to_string(),
    }
}

fn event_id(state: &AppState) -> String {
    format!("evt_{}", crate::clock::random_hex(state.entropy.as_ref(), 16))
}

/// Enables or disables `platforms` (already checked against the catalog) in one transaction,
/// with an event for each one that changed.
pub async fn set_enabled(
    state: &AppState,
    handle: &WorkspaceHandle,
    scope: &Scope,
    platforms: &[String],
    enabled: bool,
) -> Result<(), StoreError> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    for platform in platforms {
        let changed = if enabled {
            crate::store::integrations::enable_in(&mut tx, scope, platform, now).await?
        } else {
            crate::store::integrations::disable_in(&mut tx, scope, platform).await?
        };
        if changed {
            let event = if enabled {
                Event::IntegrationEnabled(change(handle, platform))
            } else {
                Event::IntegrationDisabled(change(handle, platform))
            };
            crate::events::record(&mut tx, scope, &event, &event_id(state), now).await?;
        }
    }
    tx.commit().await?;
    crate::catalog::forget_enabled(state, scope);
    Ok(())
}

/// Records that `handle`'s operator saved the OAuth app of `platform`.
pub async fn record_oauth_app_updated(
    state: &AppState,
    handle: &WorkspaceHandle,
    scope: &Scope,
    platform: &str,
) -> Result<(), StoreError> {
    let mut tx = state.store.begin().await?;
    let event = Event::OAuthAppUpdated(change(handle, platform));
    crate::events::record(&mut tx, scope, &event, &event_id(state), state.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// The last settings changes of `scope`, newest first.
pub async fn recent_changes(state: &AppState, scope: &Scope, limit: usize) -> Result<Vec<Change>, StoreError> {
    let rows = state.store.list_events(scope, Default::default(), None, 100).await?;
    let mut changes = Vec::new();
    for row in rows {
        let event = Event::from_stored(&row.name, row.data)?;
        if let Some(c) = event.setting_change() {
            changes.push(Change {
                at_ms: row.created_at,
                operator: c.operator_email.clone(),
                name: event.name().to_string(),
                platform: c.platform.clone(),
            });
        }
        if changes.len() == limit {
            break;
        }
    }
    Ok(changes)
}

/// The last four characters of a secret: enough to tell which one is set, never the secret.
pub fn secret_hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// The OAuth apps of `scope`, as the dashboard may see them.
pub async fn oauth_apps(state: &AppState, scope: &Scope) -> Result<Vec<OAuthAppSummary>, crate::error::ApiError> {
    let mut apps = Vec::new();
    for row in state.store.list_oauth_apps(scope).await? {
        let oauth2 = state.catalog.get(&row.platform).is_some_and(|p| p.auth_kind == AuthKind::Oauth2);
        if !oauth2 {
            continue;
        }
        if let Some(auth) = crate::oauth::apps::client_auth(state, scope, &row.platform).await? {
            apps.push(OAuthAppSummary {
                platform: row.platform.clone(),
                client_id: auth.client_id.clone(),
                secret_hint: secret_hint(&auth.client_secret),
            });
        }
    }
    Ok(apps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_the_last_four_characters() {
        assert_eq!(secret_hint("abcdef4f2a"), "4f2a");
        assert_eq!(secret_hint("ab"), "ab");
    }
}
