//! Who an agent acts for. `POST /v1/agent/token` mints an agent token for one identity (like an
//! AuthKit token: opaque, 256 bits, stored hashed, short-lived), optionally limited to some
//! platforms and actions. [`AgentAuth`] accepts that token (`Authorization: Bearer agt_…`) or a
//! secret key with the identity in `x-portico-identity` / `x-portico-identity-type`.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use portico_wire::{ErrorBody, ErrorCode};
use serde::{Deserialize, Serialize};

use crate::clock::{random_base62, random_hex};
use crate::digest::{hash_secret, SecretKind};
use crate::error::{ApiError, ApiResult, AppJson};
use crate::keys::SecretKeyAuth;
use crate::session::{is_random_part, RANDOM_CHARS};
use crate::store::agent_tokens::AgentTokenRow;
use crate::tenancy::{Environment, Identity, IdentityType, Scope};
use crate::AppState;

/// An agent token lives at most this long; the default is the AuthKit token lifetime.
const MAX_TTL_SECS: i64 = 24 * 3600;

/// Whom tool calls act for, and what they may reach.
#[derive(Debug, Clone)]
pub struct AgentAuth {
    /// The tenant and the secret key whose limits and call log apply.
    pub caller: SecretKeyAuth,
    pub identity: Identity,
    pub identity_type: IdentityType,
    /// `None`: every platform.
    pub platforms: Option<Vec<String>>,
    /// `None`: every action.
    pub actions: Option<Vec<String>>,
}

impl AgentAuth {
    pub fn scope(&self) -> &Scope {
        &self.caller.scope
    }

    /// Whether this agent may use `action_id` of `platform`.
    pub fn allows(&self, platform: &str, action_id: &str) -> bool {
        self.platforms.as_ref().is_none_or(|p| p.iter().any(|x| x == platform))
            && self.actions.as_ref().is_none_or(|a| a.iter().any(|x| x == action_id))
    }

    /// A secret key acting for the identity a request names (headers, query or body).
    pub fn for_identity(caller: SecretKeyAuth, identity: Option<&str>, identity_type: Option<&str>) -> ApiResult<Self> {
        let identity = Identity::parse(identity.unwrap_or_default())
            .map_err(|e| ApiError::unprocessable(ErrorCode::InvalidIdentity, format!("`identity`: {e}.")))?;
        let identity_type = match identity_type {
            None => IdentityType::User,
            Some(t) => IdentityType::parse(t).ok_or_else(|| {
                ApiError::unprocessable(
                    ErrorCode::InvalidIdentityType,
                    format!("`identityType` must be {}, not `{t}`.", IdentityType::EXPECTED),
                )
            })?,
        };
        Ok(AgentAuth { caller, identity, identity_type, platforms: None, actions: None })
    }
}

/// An agent token as presented, syntactically valid: `agt_{env}_{43 base62}`.
pub fn parse_agent_token(text: &str) -> Option<(Environment, [u8; 32])> {
    let (env, random) = text.strip_prefix("agt_")?.split_once('_')?;
    let env = Environment::parse(env)?;
    is_random_part(random).then(|| (env, hash_secret(SecretKind::AgentToken, text)))
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts.headers.get("authorization")?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// Who is calling: an agent token (which names its identity) or a secret key (which must name one).
#[derive(Debug, Clone)]
pub enum AgentCaller {
    Token(AgentAuth),
    Key(SecretKeyAuth),
}

impl AgentCaller {
    /// The agent, for the identity a request names (required with a secret key; an agent token
    /// may only name its own).
    pub fn acting_for(self, identity: Option<&str>, identity_type: Option<&str>) -> ApiResult<AgentAuth> {
        match self {
            AgentCaller::Key(key) => {
                if identity.is_none() {
                    return Err(ApiError::unprocessable(
                        ErrorCode::InvalidIdentity,
                        "With a secret key, name the identity the agent acts for.",
                    ));
                }
                AgentAuth::for_identity(key, identity, identity_type)
            }
            AgentCaller::Token(agent) if identity.is_none_or(|i| i == agent.identity.as_str()) => Ok(agent),
            AgentCaller::Token(_) => Err(ApiError::unprocessable(
                ErrorCode::InvalidIdentity,
                "An agent token acts for its own identity only.",
            )),
        }
    }
}

impl FromRequestParts<AppState> for AgentCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match bearer(parts).filter(|t| t.starts_with("agt_")) {
            Some(text) => Ok(AgentCaller::Token(from_agent_token(state, text).await?)),
            None => Ok(AgentCaller::Key(SecretKeyAuth::from_request_parts(parts, state).await?)),
        }
    }
}

/// The MCP endpoint's agent: an agent token, or a secret key with `x-portico-identity`.
impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = AgentCaller::from_request_parts(parts, state).await?;
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        caller.acting_for(header("x-portico-identity"), header("x-portico-identity-type"))
    }
}

async fn from_agent_token(state: &AppState, text: &str) -> ApiResult<AgentAuth> {
    let invalid = || ApiError::unauthorized(ErrorCode::InvalidToken, "The agent token is not valid.");
    let (env, hash) = parse_agent_token(text).ok_or_else(invalid)?;
    let row = state.store.find_agent_token_by_hash(&hash).await?.ok_or_else(invalid)?;
    if row.scope.environment != env {
        return Err(invalid());
    }
    if row.expires_at <= state.clock.now_ms() {
        return Err(ApiError::unauthorized(ErrorCode::TokenExpired, "The agent token has expired; mint a new one."));
    }
    Ok(AgentAuth {
        caller: SecretKeyAuth { scope: row.scope, key_id: row.key_id },
        identity: row.identity,
        identity_type: row.identity_type,
        platforms: row.platforms,
        actions: row.actions,
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct AgentTokenRequest {
    identity: Option<String>,
    identity_type: Option<String>,
    /// Only these platforms' tools.
    platforms: Option<Vec<String>>,
    /// Only these actions (`github.list-issues`…).
    actions: Option<Vec<String>>,
    /// 30 s to 24 h; the AuthKit token lifetime by default.
    ttl_secs: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct AgentTokenResponse {
    token: String,
    expires_at: i64,
}

/// Mint an agent token for one identity (called by the host's backend).
#[utoipa::path(post, path = "/v1/agent/token", tag = "Agents",
    operation_id = "mint_agent_token",
    security(("secret_key" = [])),
    request_body = AgentTokenRequest,
    responses(
        (status = 201, description = "A token for an agent's MCP client or tool calls", body = AgentTokenResponse),
        (status = 401, body = ErrorBody),
        (status = 422, description = "Invalid identity, platforms, actions or lifetime", body = ErrorBody),
        (status = 429, body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id))]
pub(super) async fn mint_agent_token(
    State(state): State<AppState>,
    auth: SecretKeyAuth,
    AppJson(body): AppJson<AgentTokenRequest>,
) -> ApiResult<(StatusCode, Json<AgentTokenResponse>)> {
    crate::session::spend_mint_budget(&state, &auth.key_id).await?;
    let agent = AgentAuth::for_identity(auth.clone(), body.identity.as_deref(), body.identity_type.as_deref())?;
    check_limits(&state, body.platforms.as_deref(), body.actions.as_deref())?;
    let ttl_ms = match body.ttl_secs {
        None => state.config.token_ttl.as_millis() as i64,
        Some(s) if (30..=MAX_TTL_SECS).contains(&s) => s * 1000,
        Some(_) => {
            return Err(ApiError::unprocessable(ErrorCode::InvalidRequest, "`ttlSecs` must be from 30 to 86400."))
        }
    };
    let now = state.clock.now_ms();
    let token = format!("agt_{}_{}", auth.scope.environment, random_base62(state.entropy.as_ref(), RANDOM_CHARS));
    let row = AgentTokenRow {
        id: format!("agt_{}", random_hex(state.entropy.as_ref(), 12)),
        scope: auth.scope.clone(),
        key_id: auth.key_id.clone(),
        identity: agent.identity,
        identity_type: agent.identity_type,
        platforms: body.platforms,
        actions: body.actions,
        created_at: now,
        expires_at: now + ttl_ms,
    };
    state.store.insert_agent_token(&row, &hash_secret(SecretKind::AgentToken, &token)).await?;
    tracing::info!(token = %row.id, "agent token minted");
    Ok((StatusCode::CREATED, Json(AgentTokenResponse { token, expires_at: row.expires_at })))
}

/// Limits must name what exists: a typo would otherwise silently hide every tool.
fn check_limits(state: &AppState, platforms: Option<&[String]>, actions: Option<&[String]>) -> ApiResult<()> {
    if let Some(unknown) = platforms.into_iter().flatten().find(|p| state.catalog.get(p).is_none()) {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidRequest,
            format!("`platforms` names `{unknown}`, which is not in the catalog."),
        ));
    }
    let known_action = |id: &str| {
        id.split_once('.').and_then(|(slug, _)| state.catalog.get(slug)).is_some_and(|p| p.action(id).is_some())
    };
    if let Some(unknown) = actions.into_iter().flatten().find(|a| !known_action(a)) {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidRequest,
            format!("`actions` names `{unknown}`, which is not a catalog action."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_agent_tokens() {
        let token = format!("agt_live_{}", "a".repeat(43));
        assert_eq!(parse_agent_token(&token).unwrap().0, Environment::Live);
        assert!(parse_agent_token(&format!("akt_live_{}", "a".repeat(43))).is_none());
        assert!(parse_agent_token(&format!("agt_live_{}", "a".repeat(42))).is_none());
        assert_ne!(parse_agent_token(&token).unwrap().1, hash_secret(SecretKind::AuthkitToken, &token));
    }
}
