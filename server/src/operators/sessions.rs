//! Dashboard sessions: a random token in a cookie, only its hash stored, with an idle expiry
//! (renewed as the operator works) and an absolute one (never renewed). The CSRF token is derived
//! from the session token, so it is bound to the session without being stored.

use axum::http::HeaderMap;

use crate::clock::{random_base62, Entropy};
use crate::digest::{hash_secret, SecretKind};
use crate::store::operators::SessionRow;
use crate::store::{Store, StoreError};

/// A session unused this long ends.
pub const IDLE_MS: i64 = 30 * 60 * 1000;
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_MS: i64 = 12 * 60 * 60 * 1000;
/// `last_seen_at` is written at most this often.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// The cookie's name: `__Host-` needs `Secure`, which a plain-http localhost cannot set.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-portico_session"
    } else {
        "portico_session"
    }
}

/// The `Set-Cookie` value that starts a session in the browser.
pub fn set_cookie(token: &str, secure: bool) -> String {
    let name = cookie_name(secure);
    let secure_attr = if secure { "; Secure" } else { "" };
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure_attr}", ABSOLUTE_MS / 1000)
}

/// The `Set-Cookie` value that forgets the session in the browser.
pub fn clear_cookie(secure: bool) -> String {
    let name = cookie_name(secure);
    let secure_attr = if secure { "; Secure" } else { "" };
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure_attr}")
}

/// The session token the request's cookies carry, if any.
pub fn token_from(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = cookie_name(secure);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| is_token(v))
}

fn is_token(text: &str) -> bool {
    text.strip_prefix("ops_")
        .is_some_and(|r| r.len() == crate::session::RANDOM_CHARS && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The CSRF token of the session `token`: a keyed hash only the session's holder can compute.
pub fn csrf_token(token: &str) -> String {
    hex::encode(hash_secret(SecretKind::DashboardCsrf, token))
}

/// Whether `presented` is the CSRF token of the session `token` (constant time).
pub fn csrf_matches(token: &str, presented: &str) -> bool {
    use subtle::ConstantTimeEq;
    csrf_token(token).as_bytes().ct_eq(presented.as_bytes()).into()
}

/// A session just started: the token for the cookie (never stored) and its row.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub row: SessionRow,
}

pub async fn start(
    store: &Store,
    entropy: &dyn Entropy,
    now: i64,
    operator_id: &str,
) -> Result<NewSession, StoreError> {
    let token = format!("ops_{}", random_base62(entropy, crate::session::RANDOM_CHARS));
    let row = SessionRow {
        id: format!("dss_{}", crate::clock::random_hex(entropy, 16)),
        operator_id: operator_id.to_string(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + ABSOLUTE_MS,
        revoked_at: None,
    };
    store.insert_dashboard_session(&row, &hash_secret(SecretKind::DashboardSession, &token)).await?;
    Ok(NewSession { token, row })
}

/// Whether a session is still usable at `now`.
pub fn is_live(row: &SessionRow, now: i64) -> bool {
    row.revoked_at.is_none() && now < row.expires_at && now - row.last_seen_at < IDLE_MS
}

/// The live session of `token`, its idle expiry pushed back; `None` when unknown, ended or expired.
pub async fn resume(store: &Store, token: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
    let Some(row) = store.find_dashboard_session(&hash_secret(SecretKind::DashboardSession, token)).await? else {
        return Ok(None);
    };
    if !is_live(&row, now) {
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY_MS {
        store.touch_dashboard_session(&row.id, now).await?;
    }
    Ok(Some(row))
}

/// Ends the session of `token` (sign-out); unknown tokens are ignored.
pub async fn end(store: &Store, token: &str, now: i64) -> Result<(), StoreError> {
    if let Some(row) = store.find_dashboard_session(&hash_secret(SecretKind::DashboardSession, token)).await? {
        store.revoke_dashboard_session(&row.id, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(last_seen_at: i64) -> SessionRow {
        SessionRow {
            id: "dss_x".into(),
            operator_id: "op_x".into(),
            created_at: 0,
            last_seen_at,
            expires_at: ABSOLUTE_MS,
            revoked_at: None,
        }
    }

    #[test]
    fn expires_when_idle_and_at_the_absolute_limit() {
        assert!(is_live(&row(0), IDLE_MS - 1));
        assert!(!is_live(&row(0), IDLE_MS));
        assert!(!is_live(&row(ABSOLUTE_MS - 1), ABSOLUTE_MS));
    }

    #[test]
    fn the_csrf_token_belongs_to_its_session() {
        let token = format!("ops_{}", "a".repeat(43));
        assert!(csrf_matches(&token, &csrf_token(&token)));
        assert!(!csrf_matches(&format!("ops_{}", "b".repeat(43)), &csrf_token(&token)));
        assert!(!csrf_matches(&token, ""));
    }

    #[test]
    fn reads_its_cookie_only() {
        let token = format!("ops_{}", "a".repeat(43));
        let mut headers = HeaderMap::new();
        headers.insert("cookie", format!("x=1; portico_session={token}").parse().unwrap());
        assert_eq!(token_from(&headers, false), Some(token.clone()));
        assert_eq!(token_from(&headers, true), None);
        assert!(set_cookie(&token, true).starts_with("__Host-portico_session="));
        assert!(set_cookie(&token, true).contains("Secure"));
        assert!(!set_cookie(&token, false).contains("Secure"));
    }
}
