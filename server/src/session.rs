//! The modal's session: an AuthKit token presented as `Authorization: Bearer akt_…`, checked into
//! a [`SessionAuth`], and what every modal request checks besides (the host page's origin, the
//! session's budget of connect attempts). The OAuth flow, the connect form and the AuthKit API
//! all take their session from here.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use portico_wire::ErrorCode;

use crate::digest::{hash_secret, SecretKind};
use crate::error::{ApiError, ApiResult};
use crate::ratelimit::Limit;
use crate::store::tokens::TokenRow;
use crate::tenancy::Environment;
use crate::AppState;

/// Length of the random part of tokens and connect-link codes (base62: 256 bits).
pub const RANDOM_CHARS: usize = 43;

/// A token as presented, syntactically valid: `akt_{env}_{43 base62}`; its environment and hash.
pub fn parse_token(text: &str) -> Option<(Environment, [u8; 32])> {
    let rest = text.strip_prefix("akt_")?;
    let (env, random) = rest.split_once('_')?;
    let env = Environment::parse(env)?;
    is_random_part(random).then(|| (env, hash_secret(SecretKind::AuthkitToken, text)))
}

/// A connect-link code as presented, `lnk_{43 base62}`: its hash.
pub fn parse_link(text: &str) -> Option<[u8; 32]> {
    let random = text.strip_prefix("lnk_")?;
    is_random_part(random).then(|| hash_secret(SecretKind::ConnectLink, text))
}

/// The random part of a token or code: exactly [`RANDOM_CHARS`] base62 characters.
pub fn is_random_part(random: &str) -> bool {
    random.len() == RANDOM_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Why a token cannot be used, in the words the modal shows.
pub fn check_live(row: &TokenRow, now: i64) -> ApiResult<()> {
    if row.revoked_at.is_some() {
        return Err(ApiError::unauthorized(
            ErrorCode::TokenRevoked,
            "This session was ended — close this window and try again.",
        ));
    }
    if row.expires_at <= now {
        return Err(ApiError::unauthorized(
            ErrorCode::TokenExpired,
            "This session has expired — close this window and try again.",
        ));
    }
    Ok(())
}

/// The authenticated modal session of a request (`Authorization: Bearer akt_…`).
#[derive(Debug, Clone)]
pub struct SessionAuth(pub TokenRow);

impl FromRequestParts<AppState> for SessionAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let invalid = || {
            ApiError::unauthorized(
                ErrorCode::InvalidToken,
                "This session is not valid — close this window and try again.",
            )
        };
        let text = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized(ErrorCode::MissingToken, "This request needs a session token."))?;
        let (env, token_hash) = parse_token(text.trim()).ok_or_else(invalid)?;
        let row = state.store.find_token_by_hash(&token_hash).await?.ok_or_else(invalid)?;
        if row.scope.environment != env {
            return Err(invalid());
        }
        check_live(&row, state.clock.now_ms())?;
        Ok(SessionAuth(row))
    }
}

/// The modal reports the host page's origin (as the browser told it in the token message); it
/// must be one the workspace allows. The hosted connect page has no host page and sends none.
pub async fn check_parent_origin(state: &AppState, headers: &HeaderMap, token: &TokenRow) -> ApiResult<()> {
    let Some(origin) = headers.get("x-portico-parent-origin").and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let allowed = state.store.allowed_origins(&token.scope.workspace_id).await?;
    if allowed.iter().any(|a| a == origin) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::OriginNotAllowed,
            format!("{origin} is not allowed to open this workspace's Portico modal."),
        ))
    }
}

/// Counts one token minted with a secret key (AuthKit or agent) against the key's per-minute
/// budget: 429 when it is spent.
pub async fn spend_mint_budget(state: &AppState, key_id: &str) -> ApiResult<()> {
    let limit = Limit { bucket: format!("mint:{key_id}"), per_minute: state.config.rate_limits.tokens_per_minute };
    state
        .rate_limiter
        .check(&state.store, &[limit])
        .await
        .map_err(|e| ApiError::rate_limited("tokens minted with this secret key", e.retry_after_secs))
}

/// Counts one attempt to connect (a form submitted, a sign-in begun) against the session's
/// per-minute budget: 429 when it is spent.
pub async fn spend_connect_budget(state: &AppState, token: &TokenRow) -> ApiResult<()> {
    let limit =
        Limit { bucket: format!("form:{}", token.session_id), per_minute: state.config.rate_limits.forms_per_minute };
    state
        .rate_limiter
        .check(&state.store, &[limit])
        .await
        .map_err(|e| ApiError::rate_limited("attempts to connect in this session", e.retry_after_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tokens_and_links() {
        let token = format!("akt_test_{}", "A".repeat(43));
        assert_eq!(parse_token(&token).unwrap().0, Environment::Test);
        assert!(parse_token(&format!("akt_prod_{}", "A".repeat(43))).is_none());
        assert!(parse_token(&format!("akt_test_{}", "A".repeat(42))).is_none());
        assert!(parse_token("akt_test").is_none());
        assert!(parse_link(&format!("lnk_{}", "b".repeat(43))).is_some());
        assert!(parse_link(&format!("lnk_{}-", "b".repeat(42))).is_none());
        assert_ne!(
            parse_token(&token).unwrap().1,
            hash_secret(SecretKind::ConnectLink, &token),
            "hashes are domain-separated"
        );
    }
}
