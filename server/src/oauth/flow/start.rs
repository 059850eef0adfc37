//! `GET /oauth/start`: the sign-in window's first page issues the single-use `state` and sends the
//! browser to the provider with the PKCE challenge.

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use portico_catalog::Platform;
use portico_wire::AttemptStatus;
use serde::Deserialize;

use super::super::apps;
use super::*;
use crate::clock::random_base62;
use crate::error::ApiError;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct StartQuery {
    attempt: Option<String>,
}

/// The popup's first page: issues the state and sends the browser to the provider.
pub(super) async fn start(State(state): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    let Some(attempt) = (match q.attempt.as_deref().filter(|a| a.starts_with("att_") && a.len() <= 64) {
        Some(id) => match state.store.find_attempt(id).await {
            Ok(a) => a,
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    }) else {
        let (code, message) = failure(Failure::StateInvalid, "");
        return outcome_page(&state, None, None, AttemptStatus::Failed, None, Some((code, &message)));
    };
    let name = platform_name(&state, &attempt.platform);
    let fail = |state: &AppState, f: Failure| {
        let (code, message) = failure(f, &name);
        outcome_page(state, Some(&attempt), Some(&name), AttemptStatus::Failed, None, Some((code, &message)))
    };
    let now = state.clock.now_ms();
    if attempt.status != "pending" {
        return fail(&state, Failure::StateUsed);
    }
    if attempt.expires_at <= now {
        let (code, message) = failure(Failure::StateExpired, &name);
        let _ = state.store.finish_attempt(&attempt.id, Err((code.as_str(), &message)), now).await;
        return fail(&state, Failure::StateExpired);
    }
    // The authorization URL needs the app's client id and scopes, not its secret.
    let app = match state.store.find_oauth_app(&attempt.scope, &attempt.platform).await {
        Ok(app) => app,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (Some(platform), Some(app)) = (state.catalog.get(&attempt.platform).cloned(), app) else {
        return finish_failed(&state, &attempt, &name, Failure::InvalidClient).await;
    };
    let Some(url) = authorization_url(&state, &platform, &app.client_id, app.scopes) else {
        return finish_failed(&state, &attempt, &name, Failure::Unsupported).await;
    };
    let verifier = match state.vault.open(verifier_binding(&attempt.scope, &attempt.id), &attempt.pkce_verifier) {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "cannot open a PKCE verifier");
            return finish_failed(&state, &attempt, &name, Failure::Internal).await;
        }
    };
    let state_value = random_base62(state.entropy.as_ref(), 43);
    match state.store.start_attempt(&attempt.id, &state_hash(&state_value), now).await {
        Ok(true) => {}
        Ok(false) => return fail(&state, Failure::StateUsed),
        Err(e) => return ApiError::from(e).into_response(),
    }
    let mut url = url;
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("state", &state_value);
        if platform.oauth.as_ref().is_some_and(|o| o.pkce) {
            pairs.append_pair("code_challenge", &challenge(std::str::from_utf8(&verifier).unwrap_or_default()));
            pairs.append_pair("code_challenge_method", "S256");
        }
    }
    tracing::info!(attempt = %attempt.id, platform = %attempt.platform, "oauth sign-in started");
    let mut response = Redirect::to(url.as_str()).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The provider's authorization URL with everything but `state` and the PKCE challenge.
fn authorization_url(
    state: &AppState,
    platform: &Platform,
    client_id: &str,
    scopes: Option<Vec<String>>,
) -> Option<url::Url> {
    let oauth = platform.oauth.as_ref()?;
    let base = oauth.authorization_url.as_ref()?.render(|_| None).ok()?;
    let mut url = url::Url::parse(&base).ok()?;
    let scopes = scopes.unwrap_or_else(|| oauth.scopes.clone());
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("response_type", "code");
        pairs.append_pair("client_id", client_id);
        pairs.append_pair("redirect_uri", &apps::redirect_uri(&state.config.public_url));
        if !scopes.is_empty() {
            pairs.append_pair("scope", &scopes.join(&oauth.scope_separator));
        }
        for (name, value) in &oauth.authorization_params {
            pairs.append_pair(name, value);
        }
    }
    Some(url)
}
