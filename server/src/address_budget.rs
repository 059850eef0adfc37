//! Per-address budgets for what anyone can call without a credential: exchanging a connect link,
//! the OAuth sign-in pages, the modal page, and secret-key checks that fail. Counted in the shared
//! rate limiter (bucket `addr:<route>:<ip>`), `rate_limits.address_per_minute` per route.
//!
//! The address is the TCP peer's. Behind a reverse proxy every client shares the proxy's address;
//! raise the limit there, or switch it off (0) and limit at the proxy.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::error::{ApiError, ApiResult};
use crate::ratelimit::Limit;
use crate::AppState;

/// The client's address, when the server was started with connection info (always, outside
/// tests that build the router by hand).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    pub fn of(parts: &Parts) -> Self {
        ClientAddress(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress::of(parts))
    }
}

/// Counts one request from `client` to `route`: 429 when its budget for the minute is spent.
pub async fn spend_address_budget(state: &AppState, route: &str, client: &ClientAddress) -> ApiResult<()> {
    let Some(ip) = client.0 else { return Ok(()) };
    let limit = Limit { bucket: format!("addr:{route}:{ip}"), per_minute: state.config.rate_limits.address_per_minute };
    state
        .rate_limiter
        .check(&state.store, &[limit])
        .await
        .map_err(|e| ApiError::rate_limited("requests from your address", e.retry_after_secs))
}
