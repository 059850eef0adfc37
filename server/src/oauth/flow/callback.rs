//! `GET /oauth/callback`: the provider's return. The state is claimed once, the code exchanged,
//! and the connection created or re-authorised through the lifecycle.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use portico_catalog::Platform;
use portico_wire::AttemptStatus;
use serde::Deserialize;

use super::super::{apps, credentials_from, token_request, GrantError};
use super::*;
use crate::error::ApiError;
use crate::lifecycle::{self, Owner};
use crate::store::connections::ConnectionRow;
use crate::store::oauth::AttemptRow;
use crate::upstream::Credentials;
use crate::AppState;

pub(super) async fn finish_failed(state: &AppState, attempt: &AttemptRow, name: &str, f: Failure) -> Response {
    let (code, message) = failure(f, name);
    if let Err(e) = state.store.finish_attempt(&attempt.id, Err((code.as_str(), &message)), state.clock.now_ms()).await
    {
        tracing::error!(error = %e, "could not record an OAuth attempt's failure");
    }
    tracing::info!(attempt = %attempt.id, platform = %attempt.platform, code = code.as_str(), "oauth sign-in failed");
    outcome_page(state, Some(attempt), Some(name), AttemptStatus::Failed, None, Some((code, &message)))
}

#[derive(Debug, Deserialize)]
pub(super) struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

/// The provider's return.
pub(super) async fn callback(
    State(state): State<AppState>,
    client: crate::address_budget::ClientAddress,
    Query(q): Query<CallbackQuery>,
) -> Response {
    if let Some(page) = over_budget(&state, &client).await {
        return page;
    }
    let found = match q.state.as_deref().filter(|s| !s.is_empty() && s.len() <= 128) {
        Some(s) => match state.store.find_attempt_by_state(&state_hash(s)).await {
            Ok(found) => found,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    let Some(attempt) = found else {
        tracing::info!("oauth callback with an unknown state");
        let (code, message) = failure(Failure::StateInvalid, "");
        return outcome_page(&state, None, None, AttemptStatus::Failed, None, Some((code, &message)));
    };
    let name = platform_name(&state, &attempt.platform);
    match state.store.claim_attempt(&attempt.id).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(attempt = %attempt.id, "oauth state replayed");
            // A replay must not disturb the recorded outcome of the first use.
            let (code, message) = failure(Failure::StateUsed, &name);
            return outcome_page(&state, None, Some(&name), AttemptStatus::Failed, None, Some((code, &message)));
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    if attempt.expires_at <= state.clock.now_ms() {
        return finish_failed(&state, &attempt, &name, Failure::StateExpired).await;
    }
    let Some(platform) = state.catalog.get(&attempt.platform).cloned() else {
        return finish_failed(&state, &attempt, &name, Failure::Internal).await;
    };
    if let Some(iss) = &q.iss {
        if !issuer_matches(&platform, iss) {
            return finish_failed(&state, &attempt, &name, Failure::IssuerMismatch).await;
        }
    }
    if let Some(error) = &q.error {
        let f = if error == "access_denied" { Failure::AccessDenied } else { Failure::ProviderError };
        return finish_failed(&state, &attempt, &name, f).await;
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return finish_failed(&state, &attempt, &name, Failure::ProviderError).await;
    };
    match exchange_and_store(&state, &attempt, &platform, code).await {
        Ok(row) => {
            let view = lifecycle::view(&attempt.scope, &row);
            outcome_page(&state, Some(&attempt), Some(&name), AttemptStatus::Succeeded, Some(&view), None)
        }
        Err(f) => finish_failed(&state, &attempt, &name, f).await,
    }
}

/// RFC 9207: the `iss` a provider sends must be the authorization server we sent the user to.
fn issuer_matches(platform: &Platform, iss: &str) -> bool {
    let Some(oauth) = platform.oauth.as_ref() else { return false };
    let Ok(iss) = url::Url::parse(iss) else { return false };
    let origin_of = |t: &portico_catalog::Template| {
        t.render(|_| None).ok().and_then(|u| url::Url::parse(&u).ok()).map(|u| u.origin())
    };
    [oauth.authorization_url.as_ref().and_then(origin_of), origin_of(&oauth.token_url)]
        .into_iter()
        .flatten()
        .any(|o| o == iss.origin())
}

async fn exchange_and_store(
    state: &AppState,
    attempt: &AttemptRow,
    platform: &Platform,
    code: &str,
) -> Result<ConnectionRow, Failure> {
    let scope = &attempt.scope;
    let client = match apps::client_auth(state, scope, &platform.slug).await {
        Ok(Some(c)) => c,
        _ => return Err(Failure::InvalidClient),
    };
    let verifier = state.vault.open(verifier_binding(scope, &attempt.id), &attempt.pkce_verifier).map_err(|e| {
        tracing::error!(error = %e, "cannot open a PKCE verifier");
        Failure::Internal
    })?;
    let verifier = std::str::from_utf8(&verifier).map_err(|_| Failure::Internal)?;
    let redirect = apps::redirect_uri(&state.config.public_url);
    let mut params = vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect.as_str())];
    if platform.oauth.as_ref().is_some_and(|o| o.pkce) {
        params.push(("code_verifier", verifier));
    }
    let tokens = token_request(state, platform, &client, &params).await.map_err(|e| {
        tracing::warn!(attempt = %attempt.id, platform = %platform.slug, error = %e, "code exchange failed");
        match e {
            GrantError::InvalidClient(_) => Failure::InvalidClient,
            GrantError::InvalidGrant(_) => Failure::CodeRefused,
            GrantError::Timeout | GrantError::Unreachable => Failure::Unreachable,
            GrantError::Provider { .. } | GrantError::BadResponse | GrantError::TooLarge => Failure::ProviderError,
        }
    })?;
    let creds: Credentials = credentials_from(&tokens, None, state.clock.now_ms());
    let internal = |e: lifecycle::LifecycleError| {
        tracing::error!(error = %e, "storing an OAuth connection failed");
        Failure::Internal
    };
    let row = match &attempt.connection_id {
        // Reconnect in place: same id, same connection key, fresh grant.
        Some(id) => {
            let existing = state.store.find_connection(scope, id).await.map_err(|e| internal(e.into()))?;
            let Some(existing) = existing
                .filter(|r| r.platform == platform.slug && r.identity.as_deref() == Some(attempt.identity.as_str()))
            else {
                return Err(Failure::StateInvalid);
            };
            lifecycle::reauthorize(state, scope, &existing, &creds).await.map_err(internal)?
        }
        None => {
            let owner =
                Owner { identity: &attempt.identity, identity_type: &attempt.identity_type, tags: &attempt.tags };
            lifecycle::create(state, scope, platform, owner, &creds).await.map_err(internal)?
        }
    };
    finish_succeeded(state, attempt, &row).await;
    Ok(row)
}

async fn finish_succeeded(state: &AppState, attempt: &AttemptRow, row: &ConnectionRow) {
    if let Err(e) = state.store.finish_attempt(&attempt.id, Ok(&row.id), state.clock.now_ms()).await {
        tracing::error!(error = %e, "could not record an OAuth attempt's success");
    }
}
