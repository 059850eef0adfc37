//! The connect form (API key, basic, custom fields, a client-credentials client): the values are
//! checked against the catalog's form, then with the provider (its verification request, or a
//! client-credentials grant) before anything is stored; then [`lifecycle::create`] stores them.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use portico_catalog::Platform;
use portico_wire::{ConnectionView, ErrorCode};

use crate::credentials::Credentials;
use crate::error::{ApiError, ApiResult};
use crate::lifecycle::{self, Owner};
use crate::store::tokens::TokenRow;
use crate::upstream;
use crate::AppState;

/// Why a connect form was refused, in words for the modal.
pub fn form_error(platform: &Platform, errors: Vec<portico_catalog::FieldError>) -> ApiError {
    let details: Vec<String> = errors.into_iter().map(|e| e.message).collect();
    ApiError::unprocessable(
        ErrorCode::InvalidFields,
        format!("Check the {} form: {}.", platform.name, details.join("; ")),
    )
}

/// Runs the catalog's verification request with the submitted credentials.
async fn verify_credentials(state: &AppState, platform: &Platform, creds: &Credentials) -> ApiResult<()> {
    let Some(verify) = &platform.verify else {
        return Ok(());
    };
    let base = upstream::api_base(platform, creds).map_err(|e| {
        ApiError::unprocessable(ErrorCode::InvalidFields, format!("Check the {} form: {e}.", platform.name))
    })?;
    let path = verify.path.render(|n| creds.get(n)).map_err(|e| ApiError::internal(format!("verify path: {e}")))?;
    let (raw_path, raw_query) = match path.trim_start_matches('/').split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (path.trim_start_matches('/').to_string(), None),
    };
    let mut url = upstream::join(&base, &raw_path, raw_query.as_deref())
        .map_err(|e| ApiError::internal(format!("verify url: {e}")))?;
    let mut headers = http::HeaderMap::new();
    for (name, template) in &verify.headers {
        let value = template.render(|n| creds.get(n)).map_err(|e| ApiError::internal(format!("verify header: {e}")))?;
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(&value))
        {
            headers.insert(name, value);
        }
    }
    upstream::inject(platform, creds, &mut headers, &mut url).map_err(|e| {
        ApiError::unprocessable(ErrorCode::InvalidFields, format!("Check the {} form: {e}.", platform.name))
    })?;
    state.private_allow.check_url(&url).map_err(|e| unreachable_provider(platform, &e.to_string()))?;
    let method = reqwest::Method::from_bytes(verify.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let response = state
        .http
        .request(method, url)
        .headers(headers)
        .timeout(std::time::Duration::from_secs(15))
        .send()
        .await
        .map_err(|e| {
            let why = if e.is_timeout() { "it did not answer in time" } else { "it could not be reached" };
            tracing::warn!(platform = %platform.slug, error = %e.without_url(), "verification request failed");
            unreachable_provider(platform, why)
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    tracing::info!(platform = %platform.slug, status = status.as_u16(), "credentials refused by the provider");
    if matches!(status.as_u16(), 400 | 401 | 403) {
        Err(ApiError::unprocessable(
            ErrorCode::InvalidCredentials,
            format!(
                "{} did not accept these credentials (HTTP {}). Check them and try again.",
                platform.name,
                status.as_u16()
            ),
        ))
    } else {
        Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::ProviderError,
            format!(
                "{} answered HTTP {} while we checked the credentials. Nothing was saved; try again later.",
                platform.name,
                status.as_u16()
            ),
        ))
    }
}

/// A client-credentials platform: the user's client id and secret must obtain a token before
/// anything is stored; the token (and its expiry) is stored beside them and renewed the same way.
async fn client_credentials_grant(state: &AppState, platform: &Platform, creds: Credentials) -> ApiResult<Credentials> {
    match crate::oauth::client_credentials_grant(state, platform, &creds).await {
        Ok(tokens) => Ok(crate::oauth::credentials_from(&tokens, Some(&creds), state.clock.now_ms())),
        Err(e) if e.is_fatal() => {
            tracing::info!(platform = %platform.slug, error = %e, "client credentials refused by the provider");
            Err(ApiError::unprocessable(
                ErrorCode::InvalidCredentials,
                format!("{} did not accept this client id and secret. Check them and try again.", platform.name),
            ))
        }
        Err(crate::oauth::GrantError::Timeout) => Err(unreachable_provider(platform, "it did not answer in time")),
        Err(crate::oauth::GrantError::Unreachable) => Err(unreachable_provider(platform, "it could not be reached")),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::ProviderError,
            format!(
                "{} answered with an error while we checked the client ({e}). Nothing was saved; try again later.",
                platform.name
            ),
        )),
    }
}

fn unreachable_provider(platform: &Platform, why: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        ErrorCode::ProviderUnreachable,
        format!("We could not check these credentials with {}: {why}. Nothing was saved.", platform.name),
    )
}

/// Creates a connection from a connect form submitted under an AuthKit token: the platform must
/// be enabled and allowed for the token, the values must fit the form, and the provider must
/// accept them (when the catalog has a verification request). Only then is anything stored.
pub async fn create_from_form(
    state: &AppState,
    token: &TokenRow,
    platform_slug: &str,
    values: &BTreeMap<String, String>,
) -> ApiResult<ConnectionView> {
    let scope = &token.scope;
    let platform = crate::catalog::offered_platform(state, token, platform_slug).await?;
    if !platform.auth_kind.uses_form() {
        return Err(ApiError::unprocessable(
            ErrorCode::OauthRequired,
            format!("{} connects through its own sign-in page, not a form.", platform.name),
        ));
    }
    let clean = platform.check_form(values).map_err(|errors| form_error(&platform, errors))?;
    let mut creds = Credentials::new(clean);
    if platform.auth_kind == portico_wire::AuthKind::Oauth2ClientCredentials {
        creds = client_credentials_grant(state, &platform, creds).await?;
    }
    verify_credentials(state, &platform, &creds).await?;

    let owner =
        Owner { identity: token.identity.as_str(), identity_type: token.identity_type.as_str(), tags: &token.tags };
    let row = lifecycle::create(state, scope, &platform, owner, &creds).await?;
    Ok(lifecycle::view(scope, &row))
}
