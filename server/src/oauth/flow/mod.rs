//! The OAuth sign-in, as DESIGN.md "The flow" fixes it:
//!
//! 1. The modal (holding an AuthKit session) creates an *attempt*: `POST /v1/authkit/oauth/attempts`.
//!    The PKCE verifier is made here and sealed in the vault; the answer names `startUrl` and a
//!    one-time `startSecret` (kept hashed).
//! 2. The modal submits a form `POST /oauth/start` (`attempt`, `secret`) into the popup, or in
//!    redirect mode the loader submits it from the host's page. The start is refused unless the
//!    secret matches and the form came from Portico's own origin (or, in redirect mode, the
//!    `returnTo` page's origin): a `startUrl` forwarded to someone else's browser never reaches
//!    the provider (the browser sets `Origin`; a page cannot forge it). It then issues the single-use `state` (256 bits, stored hashed, bound to the attempt and so to
//!    the session and platform) and redirects to the provider with the S256 challenge.
//! 3. The provider returns to `GET /oauth/callback`. The state is claimed once; the platform is
//!    the state row's (mix-up defence), `iss` is checked when sent; the code is exchanged with a
//!    client that follows no redirects; the credentials go to the vault and the connection is
//!    created, or re-authorised in place when the attempt reconnects one.
//! 4. The outcome is recorded on the attempt, so the modal learns it by polling
//!    `GET /v1/authkit/oauth/attempts/{id}` even when the popup's `postMessage` is lost (COOP,
//!    a closed popup, storage partitioning). The callback page also posts it to its opener with
//!    the exact Portico origin, or in redirect mode sends the browser back to the host page.

mod attempts;
mod callback;
mod outcome;
mod start;

use callback::finish_failed;
use outcome::outcome_page;

use axum::routing::get;
use axum::Router;
use base64::Engine;
use portico_wire::ErrorCode;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::digest::{hash_secret, SecretKind};
use crate::tenancy::Scope;
use crate::vault::Binding;
use crate::AppState;
/// How long a sign-in may take from the modal's click to the provider's return.
pub const ATTEMPT_TTL_MS: i64 = 10 * 60 * 1000;

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(attempts::create_attempt)).routes(routes!(attempts::get_attempt))
}

/// The browser-facing pages (not part of the JSON API).
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/oauth/start", get(start::refuse_link).post(start::start))
        .route("/oauth/callback", get(callback::callback))
}

fn verifier_binding<'a>(scope: &'a Scope, attempt_id: &'a str) -> Binding<'a> {
    Binding { scope, table: "oauth_attempts", record_id: attempt_id, field: "pkce_verifier" }
}

fn state_hash(state: &str) -> [u8; 32] {
    hash_secret(SecretKind::OauthState, state)
}

fn start_secret_hash(secret: &str) -> [u8; 32] {
    hash_secret(SecretKind::OauthStart, secret)
}

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The sign-in pages' per-address budget (see [`crate::address_budget`]): a worded 429 page once spent.
async fn over_budget(
    state: &AppState,
    client: &crate::address_budget::ClientAddress,
) -> Option<axum::response::Response> {
    crate::address_budget::spend_address_budget(state, "oauth", client).await.err().map(|e| {
        let message = "Too many sign-ins were started from your network just now. Wait a minute and try again.";
        let mut page =
            outcome_page(state, None, None, portico_wire::AttemptStatus::Failed, None, Some((e.code, message)));
        if let Some(seconds) = e.retry_after_secs.and_then(|s| axum::http::HeaderValue::from_str(&s.to_string()).ok()) {
            page.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds);
        }
        page
    })
}

fn platform_name(state: &AppState, slug: &str) -> String {
    state.catalog.get(slug).map(|p| p.name.clone()).unwrap_or_else(|| slug.to_string())
}

/// Every way a sign-in can fail, with its code and the sentence the user reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    AccessDenied,
    ProviderError,
    InvalidClient,
    CodeRefused,
    Unreachable,
    StateExpired,
    StateUsed,
    StateInvalid,
    IssuerMismatch,
    Unsupported,
    /// `/oauth/start` opened without the secret, or sent from a page other than the one that
    /// created the attempt (a forwarded link).
    Unbound,
    Internal,
}

fn failure(f: Failure, name: &str) -> (ErrorCode, String) {
    match f {
        Failure::AccessDenied => (ErrorCode::AccessDenied, format!("You declined to give access on {name}'s page, so nothing was connected.")),
        Failure::ProviderError => (ErrorCode::ProviderError, format!("{name} reported an error during sign-in. Try again in a moment.")),
        Failure::InvalidClient => (ErrorCode::InvalidClient,
            format!("{name} refused this app's OAuth credentials (client id or secret). The app's administrator has to correct them; nothing was connected."),
        ),
        Failure::CodeRefused => (ErrorCode::TokenExchangeFailed, format!("{name} did not accept the sign-in code. Start again.")),
        Failure::Unreachable => (ErrorCode::ProviderUnreachable, format!("We could not reach {name} to finish signing in. Try again in a moment.")),
        Failure::StateExpired => (ErrorCode::StateExpired, "This sign-in took too long and expired. Start again from the app.".into()),
        Failure::StateUsed => (ErrorCode::StateUsed, "This sign-in was already used. Start again from the app.".into()),
        Failure::StateInvalid => (ErrorCode::StateInvalid, "This sign-in could not be matched to a request from the app. Start again from the app.".into()),
        Failure::IssuerMismatch => (ErrorCode::IssuerMismatch, format!("The sign-in answer did not come from {name}. Nothing was connected.")),
        Failure::Unsupported => (ErrorCode::Unsupported, format!("{name} needs connection settings before sign-in, which Portico does not collect yet.")),
        Failure::Unbound => (ErrorCode::StateInvalid,
            "This sign-in can only be opened from the app that started it, so nothing was sent to the provider. Start again from the app.".into(),
        ),
        Failure::Internal => (ErrorCode::InternalError, "Something went wrong on our side; it has been logged. Try again.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_challenge_matches_rfc_7636_appendix_b() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
