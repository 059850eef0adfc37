//! The refresh engine. A connection's access token is refreshed ahead of expiry (a margin of at
//! most half its lifetime), on demand before a passthrough call, after an upstream 401, and by a
//! background sweep.
//!
//! Single flight: inside a process one task per connection refreshes (a per-connection mutex);
//! across replicas the one that holds the connection's lease row does. Whoever gets either re-reads
//! the connection first, so a refresh another task or replica just finished is used, not repeated.
//! A rotated refresh token is persisted before the new access token is used. `invalid_grant` (or
//! `refresh.max_failures` failures in a row) marks the connection `needs_reauth` and records a
//! `connection.refresh_failed` event; other failures back off before the next try.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use portico_catalog::Platform;
use portico_wire::{AuthKind, ConnectionStatus, ErrorCode};

use super::{credentials_from, has_tokens, token_request, GrantError};
use crate::credentials::field;
use crate::error::ApiError;
use crate::lifecycle::{self, credentials_binding, RefreshFailure};
use crate::store::connections::ConnectionRow;
use crate::tenancy::Scope;
use crate::upstream::Credentials;
use crate::AppState;

/// How long a replica may hold a connection's refresh lease (longer than a token request may take).
const LEASE_MS: i64 = 30_000;
/// How often a task waiting on another replica's lease looks again.
const LEASE_POLL: Duration = Duration::from_millis(50);

/// Per-connection locks of this process, and this process's name as a lease holder.
pub struct Refresher {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    holder: String,
}

impl std::fmt::Debug for Refresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresher").field("holder", &self.holder).finish_non_exhaustive()
    }
}

impl Refresher {
    pub fn new(holder: String) -> Self {
        Refresher { locks: Mutex::new(HashMap::new()), holder }
    }

    fn lock_for(&self, connection_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if locks.len() > 10_000 {
            // Drop locks nobody holds, so the map does not grow with every connection ever seen.
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks.entry(connection_id.to_string()).or_default().clone()
    }
}

/// Why a refresh did not produce usable credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    #[error("the connection no longer exists")]
    Gone,
    #[error("the connection needs its user to reconnect")]
    NeedsReauth,
    #[error("refreshing failed recently; next try after {retry_at}")]
    CoolingDown { retry_at: i64 },
    #[error("refresh failed: {0}")]
    Failed(GrantError),
    #[error("internal: {0}")]
    Internal(String),
}

/// When the access token should be refreshed: `margin` before expiry, but never earlier than half
/// its lifetime (a five-minute token is not refreshed on every call).
pub fn refresh_due_at(creds: &Credentials, margin_ms: i64) -> Option<i64> {
    let expires_at = creds.get_i64(field::EXPIRES_AT)?;
    let lifetime = creds.get_i64(field::OBTAINED_AT).map(|o| (expires_at - o).max(0)).unwrap_or(i64::MAX);
    Some(expires_at - margin_ms.min(lifetime / 2))
}

fn needs_refresh(creds: &Credentials, rejected: Option<&str>, margin_ms: i64, now: i64) -> bool {
    match rejected {
        // After an upstream 401: refresh unless someone already replaced the rejected token.
        Some(token) => creds.get(field::ACCESS_TOKEN) == Some(token),
        None => refresh_due_at(creds, margin_ms).is_some_and(|due| now >= due),
    }
}

fn is_expired(creds: &Credentials, now: i64) -> bool {
    creds.get_i64(field::EXPIRES_AT).is_some_and(|at| now >= at)
}

/// The credentials to use for a call on `row`: as stored, or refreshed first when they are due
/// (or when `rejected` names the access token the provider just refused). A failed refresh of a
/// token that still works is logged and the token used.
pub async fn usable_credentials(
    state: &AppState,
    scope: &Scope,
    row: &ConnectionRow,
    platform: &Platform,
    creds: Credentials,
    rejected: Option<&str>,
) -> Result<Credentials, ApiError> {
    if !has_tokens(platform) {
        return Ok(creds);
    }
    let now = state.clock.now_ms();
    let margin = state.config.refresh.margin.as_millis() as i64;
    if !needs_refresh(&creds, rejected, margin, now) {
        return Ok(creds);
    }
    // Boxed: the refresh's future is large and rarely needed; inline it would weigh on every
    // passthrough call's future.
    match Box::pin(refresh(state, scope, &row.id, rejected)).await {
        Ok(fresh) => Ok(fresh),
        Err(e)
            if rejected.is_none()
                && !is_expired(&creds, now)
                && !matches!(e, RefreshError::NeedsReauth | RefreshError::Gone) =>
        {
            tracing::warn!(connection = %row.id, error = %e, "early refresh failed; the current token still works");
            Ok(creds)
        }
        Err(e) => Err(refresh_api_error(platform, e, state.clock.now_ms())),
    }
}

fn refresh_api_error(platform: &Platform, e: RefreshError, now: i64) -> ApiError {
    match e {
        RefreshError::Gone => ApiError::not_found("Connection"),
        RefreshError::NeedsReauth => needs_reauth_error(),
        RefreshError::CoolingDown { retry_at } => ApiError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::RefreshFailed,
            format!(
                "The access token for {} expired and refreshing it failed recently; Portico tries again shortly.",
                platform.name
            ),
        )
        .with_retry_after(((retry_at - now).max(1000) / 1000) as u64),
        RefreshError::Failed(grant) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::RefreshFailed,
            format!(
                "The access token for {} expired and {} refused to refresh it: {grant}.",
                platform.name, platform.name
            ),
        ),
        RefreshError::Internal(why) => ApiError::internal(why),
    }
}

pub fn needs_reauth_error() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::NeedsReauth,
        "This connection needs its user to reconnect it: the provider no longer accepts its grant.",
    )
}

/// Refreshes one connection's token, single-flight. `rejected`: the access token an upstream
/// refused (forces a refresh unless it was already replaced). Returns the credentials to use.
pub async fn refresh(
    state: &AppState,
    scope: &Scope,
    connection_id: &str,
    rejected: Option<&str>,
) -> Result<Credentials, RefreshError> {
    let lock = state.refresher.lock_for(connection_id);
    let _local = lock.lock().await;
    let margin = state.config.refresh.margin.as_millis() as i64;
    let waited_since = state.clock.now_ms();
    loop {
        let (row, creds) = load(state, scope, connection_id).await?;
        let now = state.clock.now_ms();
        if !needs_refresh(&creds, rejected, margin, now) {
            return Ok(creds);
        }
        if let Some((_, Some(retry_at))) = state.store.refresh_state(scope, connection_id).await.map_err(internal)? {
            // An upstream 401 does not cut the back-off short: a provider that refuses tokens while
            // its token endpoint fails would otherwise get a refresh for every call (a storm).
            if retry_at > now {
                return Err(RefreshError::CoolingDown { retry_at });
            }
        }
        let holder = &state.refresher.holder;
        if state.store.try_lease(connection_id, holder, now, LEASE_MS).await.map_err(internal)? {
            // Another replica may have refreshed between our read and the lease: read again.
            let result = match load(state, scope, connection_id).await {
                Ok((row, creds)) if needs_refresh(&creds, rejected, margin, state.clock.now_ms()) => {
                    refresh_holding_lease(state, scope, &row, creds).await
                }
                Ok((_, creds)) => Ok(creds),
                Err(e) => Err(e),
            };
            if let Err(e) = state.store.release_lease(connection_id, holder).await {
                tracing::warn!(connection = %connection_id, error = %e, "could not release the refresh lease; it expires by itself");
            }
            return result;
        }
        drop(row);
        if state.clock.now_ms() - waited_since > 2 * LEASE_MS {
            return Err(RefreshError::Internal("waited too long for another replica's refresh".into()));
        }
        tokio::time::sleep(LEASE_POLL).await;
    }
}

fn internal(e: impl std::fmt::Display) -> RefreshError {
    RefreshError::Internal(e.to_string())
}

async fn load(state: &AppState, scope: &Scope, id: &str) -> Result<(ConnectionRow, Credentials), RefreshError> {
    let row = state.store.find_connection(scope, id).await.map_err(internal)?.ok_or(RefreshError::Gone)?;
    if row.status == ConnectionStatus::NeedsReauth {
        return Err(RefreshError::NeedsReauth);
    }
    let creds: Credentials =
        state.vault.open_json(credentials_binding(scope, &row.id), &row.credentials).map_err(internal)?;
    Ok((row, creds))
}

/// The grant that renews a connection's token: a refresh-token grant with the workspace's OAuth
/// app, or a new client-credentials grant with the client the user entered.
async fn renew(
    state: &AppState,
    scope: &Scope,
    platform: &Platform,
    creds: &Credentials,
) -> Result<super::TokenSet, RefreshError> {
    match platform.auth_kind {
        AuthKind::Oauth2ClientCredentials => {
            super::client_credentials_grant(state, platform, creds).await.map_err(RefreshError::Failed)
        }
        _ => {
            let Some(refresh_token) = creds.get(field::REFRESH_TOKEN) else {
                return Err(RefreshError::Failed(GrantError::InvalidGrant("no refresh token was issued".into())));
            };
            let client = super::apps::client_auth(state, scope, &platform.slug)
                .await
                .map_err(|e| RefreshError::Internal(e.message.clone()))?
                .ok_or_else(|| {
                    RefreshError::Failed(GrantError::InvalidClient(
                        "the workspace has no OAuth app for this platform".into(),
                    ))
                })?;
            token_request(
                state,
                platform,
                &client,
                &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
            )
            .await
            .map_err(RefreshError::Failed)
        }
    }
}

async fn refresh_holding_lease(
    state: &AppState,
    scope: &Scope,
    row: &ConnectionRow,
    creds: Credentials,
) -> Result<Credentials, RefreshError> {
    let platform = state.catalog.get(&row.platform).cloned().ok_or_else(|| internal("platform left the catalog"))?;
    let started = std::time::Instant::now();
    match renew(state, scope, &platform, &creds).await {
        Ok(tokens) => {
            let fresh = credentials_from(&tokens, Some(&creds), state.clock.now_ms());
            // Persisted before anyone uses the new token: a rotated refresh token is never lost.
            lifecycle::store_refreshed(state, scope, row, &fresh).await.map_err(internal)?;
            tracing::info!(
                connection = %row.id,
                platform = %row.platform,
                rotated = tokens.refresh_token.is_some(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "access token refreshed"
            );
            Ok(fresh)
        }
        Err(RefreshError::Failed(grant)) => {
            let now = state.clock.now_ms();
            let failures_before =
                state.store.refresh_state(scope, &row.id).await.map_err(internal)?.map(|s| s.0).unwrap_or(0);
            // Back off: 30 s, 1 min, 2 min… up to an hour.
            let backoff = (30_000i64 << failures_before.clamp(0, 7)).min(3_600_000);
            let failure = RefreshFailure {
                reason: grant.code(),
                fatal: grant.is_fatal(),
                max_failures: i64::from(state.config.refresh.max_failures),
                retry_at: now + backoff,
            };
            let (failures, needs_reauth) =
                lifecycle::record_refresh_failure(state, scope, row, failure).await.map_err(internal)?;
            tracing::warn!(connection = %row.id, platform = %row.platform, error = %grant, failures, needs_reauth, "refresh failed");
            Err(if needs_reauth { RefreshError::NeedsReauth } else { RefreshError::Failed(grant) })
        }
        Err(other) => Err(other),
    }
}

/// Runs the sweep every `refresh.sweep_interval` until the process ends.
pub fn spawn_sweep(state: AppState) {
    let every = state.config.refresh.sweep_interval;
    if every.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            match sweep(&state, 500).await {
                Ok(report) if report.due > 0 => tracing::info!(?report, "refresh sweep"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "refresh sweep failed"),
            }
        }
    });
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub due: usize,
    pub refreshed: usize,
    pub failed: usize,
}

/// One pass: refreshes (four at a time) the active connections whose tokens fall due within the
/// margin, soonest first, at most `limit` of them.
pub async fn sweep(state: &AppState, limit: i64) -> Result<SweepReport, crate::store::StoreError> {
    use futures::StreamExt;
    let now = state.clock.now_ms();
    let margin = state.config.refresh.margin.as_millis() as i64;
    let due = state.store.connections_due(now + margin, now, limit).await?;
    let mut report = SweepReport { due: due.len(), ..Default::default() };
    let results: Vec<Result<Credentials, RefreshError>> = futures::stream::iter(due)
        .map(|c| {
            let state = state.clone();
            async move { refresh(&state, &c.scope, &c.id, None).await }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    for r in results {
        match r {
            Ok(_) => report.refreshed += 1,
            Err(_) => report.failed += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(obtained: i64, expires: i64, token: &str) -> Credentials {
        let mut c = Credentials::default();
        c.set(field::OBTAINED_AT, obtained.to_string());
        c.set(field::EXPIRES_AT, expires.to_string());
        c.set(field::ACCESS_TOKEN, token);
        c
    }

    #[test]
    fn refreshes_within_the_margin_but_not_before_half_the_lifetime() {
        let hour = creds(0, 3_600_000, "a");
        assert_eq!(refresh_due_at(&hour, 300_000), Some(3_300_000));
        assert!(!needs_refresh(&hour, None, 300_000, 3_299_999));
        assert!(needs_refresh(&hour, None, 300_000, 3_300_000));
        // A two-second token with a five-minute margin: due after one second, not at once.
        let short = creds(0, 2_000, "a");
        assert!(!needs_refresh(&short, None, 300_000, 500));
        assert!(needs_refresh(&short, None, 300_000, 1_000));
        let mut no_expiry = Credentials::default();
        no_expiry.set(field::ACCESS_TOKEN, "a");
        assert!(!needs_refresh(&no_expiry, None, 300_000, i64::MAX));
    }

    #[test]
    fn a_rejected_token_is_refreshed_once() {
        let c = creds(0, 3_600_000, "old");
        assert!(needs_refresh(&c, Some("old"), 300_000, 0));
        assert!(!needs_refresh(&c, Some("older"), 300_000, 0), "already replaced by another task");
    }
}
