//! The agent toolkit: an identity's connections' catalog actions as tools an AI agent can call,
//! over MCP ([`mcp`], `/mcp`) and as function definitions ([`export`], `/v1/tools`). A tool call
//! is a passthrough call ([`crate::passthrough::execute`]): ownership, refresh, rate limits, the
//! call log and the SSRF guard all apply.
//!
//! - [`token`]: who the agent acts for — an agent token (`agt_…`, minted by the host for one
//!   identity, optionally limited to platforms and actions) or a secret key plus an identity.
//! - [`tools`]: which tools an identity has, their names and argument schemas.
//! - [`call`]: turning a tool call's arguments into a request and the answer into a result.
//! - [`body`]: the call's body as its provider takes it, JSON or form-encoded.

pub mod body;
pub mod call;
pub mod export;
pub mod mcp;
pub mod token;
pub mod tools;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(token::mint_agent_token))
        .routes(routes!(export::list_tools))
        .routes(routes!(export::call_tool))
        .routes(routes!(mcp::mcp, mcp::mcp_get))
}
