//! Revoking a connection's grant at the provider (RFC 7009) when the connection is deleted.

use portico_wire::AuthKind;

use crate::credentials::{field, Credentials};
use crate::lifecycle::credentials_binding;
use crate::store::connections::ConnectionRow;
use crate::tenancy::Scope;
use crate::AppState;

/// Best effort, just before the row goes: tells the provider to revoke the grant (RFC 7009) where the
/// catalog names a revoke URL. The refresh token is revoked when there is one (that ends the whole
/// grant), else the access token. Returns whether the provider confirmed.
pub async fn revoke_at_provider(state: &AppState, scope: &Scope, row: &ConnectionRow) -> bool {
    let Some(platform) = state.catalog.get(&row.platform).cloned() else { return false };
    let Some(revoke) = platform.oauth.as_ref().and_then(|o| o.revoke_url.as_ref()) else { return false };
    let Ok(creds) = state.vault.open_json::<Credentials>(credentials_binding(scope, &row.id), &row.credentials) else {
        return false;
    };
    let (token, hint) = match (creds.get(field::REFRESH_TOKEN), creds.get(field::ACCESS_TOKEN)) {
        (Some(t), _) => (t.to_string(), "refresh_token"),
        (None, Some(t)) => (t.to_string(), "access_token"),
        _ => return false,
    };
    let client = match platform.auth_kind {
        AuthKind::Oauth2 => match super::apps::client_auth(state, scope, &platform.slug).await {
            Ok(Some(c)) => c,
            _ => return false,
        },
        _ => super::ClientAuth::from_credentials(&creds),
    };
    let Ok(url) = revoke.render(|_| None).map_err(|_| ()).and_then(|u| url::Url::parse(&u).map_err(|_| ())) else {
        return false;
    };
    if state.private_allow.check_url(&url).is_err() {
        return false;
    }
    let token = zeroize::Zeroizing::new(token);
    let form = [
        ("token", token.as_str()),
        ("token_type_hint", hint),
        ("client_id", client.client_id.as_str()),
        ("client_secret", client.client_secret.as_str()),
    ];
    match state.http.post(url).form(&form).timeout(std::time::Duration::from_secs(10)).send().await {
        Ok(r) if r.status().is_success() => true,
        Ok(r) => {
            tracing::warn!(platform = %platform.slug, status = r.status().as_u16(), "the provider did not confirm the revocation");
            false
        }
        Err(e) => {
            tracing::warn!(platform = %platform.slug, error = %e.without_url(), "could not reach the revoke endpoint");
            false
        }
    }
}
