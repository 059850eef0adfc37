//! `POST /oauth/start`: the sign-in window's first page issues the single-use `state` and sends the
//! browser to the provider with the PKCE challenge, for the window that created the attempt only.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Form;
use portico_catalog::Platform;
use portico_wire::{AttemptStatus, AuthWindow};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::super::apps;
use super::outcome::html_escape;
use super::*;
use crate::clock::random_base62;
use crate::error::ApiError;
use crate::store::oauth::AttemptRow;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct StartForm {
    #[serde(default)]
    attempt: String,
    #[serde(default)]
    secret: String,
}

/// `GET /oauth/start`: a start link opened on its own (typed, forwarded, bookmarked). It never
/// reaches the provider; the page says to start again from the app. The attempt is left alone.
pub(super) async fn refuse_link(State(state): State<AppState>) -> Response {
    let (code, message) = failure(Failure::Unbound, "");
    outcome_page(&state, None, None, AttemptStatus::Failed, None, Some((code, &message)))
}

/// `POST /oauth/start`: issues the state and sends the browser to the provider, for the window
/// that created the attempt only (its secret, from its origin).
pub(super) async fn start(
    State(state): State<AppState>,
    client: crate::address_budget::ClientAddress,
    headers: HeaderMap,
    form: Result<Form<StartForm>, FormRejection>,
) -> Response {
    if let Some(page) = over_budget(&state, &client).await {
        return page;
    }
    // A body that is not a form is refused like a form without the secret.
    let form = form.map(|Form(f)| f).unwrap_or(StartForm { attempt: String::new(), secret: String::new() });
    let attempt = match bound_attempt(&state, &headers, &form).await {
        Ok(attempt) => attempt,
        Err(response) => return response,
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
    leaving_page(url.as_str(), &name)
}

/// The page that takes the window on to the provider. A page rather than a 303: the form came
/// from the modal (or the host page), whose CSP `form-action` would also apply to a redirect.
fn leaving_page(url: &str, name: &str) -> Response {
    let url = html_escape(url);
    let name = html_escape(name);
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url={url}">
<title>Opening {name}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#1a1d21}}</style>
</head><body><main><p>Opening {name}'s sign-in page… <a id="continue" href="{url}">Continue to {name}</a></p></main></body></html>"#
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

/// The pending attempt this form may start: a real attempt, its secret, sent from its origin.
/// Anything else gets the same worded 400 page, whichever check failed.
async fn bound_attempt(state: &AppState, headers: &HeaderMap, form: &StartForm) -> Result<AttemptRow, Response> {
    let refused = |state: &AppState| {
        let (code, message) = failure(Failure::Unbound, "");
        outcome_page(state, None, None, AttemptStatus::Failed, None, Some((code, &message)))
    };
    if !form.attempt.starts_with("att_") || form.attempt.len() > 64 || form.secret.is_empty() {
        return Err(refused(state));
    }
    let attempt = match state.store.find_attempt(&form.attempt).await {
        Ok(Some(attempt)) => attempt,
        Ok(None) => return Err(refused(state)),
        Err(e) => return Err(ApiError::from(e).into_response()),
    };
    let secret_matches = attempt
        .start_secret_hash
        .as_deref()
        .is_some_and(|stored| bool::from(stored.ct_eq(start_secret_hash(&form.secret).as_slice())));
    if !secret_matches || !sent_from_own_page(state, headers, &attempt) {
        tracing::warn!(attempt = %attempt.id, "oauth start refused: not from the window that created it");
        return Err(refused(state));
    }
    Ok(attempt)
}

/// Whether the form came from Portico's own origin (the modal, the connect page) or, for a
/// redirect-mode attempt, from the origin of its `returnTo` page. A page that sends no `Origin`
/// (or `null`, as `Referrer-Policy: no-referrer` makes browsers do) is refused.
fn sent_from_own_page(state: &AppState, headers: &HeaderMap, attempt: &AttemptRow) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_of = |u: &str| url::Url::parse(u).ok().map(|u| u.origin().ascii_serialization());
    if origin_of(&state.config.public_url).as_deref() == Some(origin) {
        return true;
    }
    attempt.mode == AuthWindow::Redirect && attempt.return_to.as_deref().and_then(origin_of).as_deref() == Some(origin)
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
