//! The same tools as function definitions for agent frameworks: `GET /v1/tools?identity=…&format=`
//! `mcp` (MCP tool definitions), `openai` (Chat Completions `tools`) or `anthropic` (Messages
//! `tools`), and `POST /v1/tools/call` to run one by name.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use portico_wire::{ErrorBody, ErrorCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::call::{call, BadArguments, CallResult};
use super::mcp::definition;
use super::token::AgentCaller;
use super::tools::{tools_for, Tool};
use crate::error::{ApiError, ApiResult, AppJson};
use crate::AppState;

fn format_tool(tool: &Tool, format: &str) -> Value {
    match format {
        "openai" => json!({
            "type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": tool.input_schema},
        }),
        "anthropic" => json!({"name": tool.name, "description": tool.description, "input_schema": tool.input_schema}),
        _ => definition(tool),
    }
}

/// The identity's tools as function definitions.
#[utoipa::path(get, path = "/v1/tools", tag = "Agents",
    operation_id = "list_tools",
    security(("secret_key" = []), ("agent_token" = [])),
    params(
        ("identity" = Option<String>, Query, description = "With a secret key: the identity whose tools to list"),
        ("identityType" = Option<String>, Query, description = "user (default), team, organization or project"),
        ("format" = Option<String>, Query, description = "mcp (default), openai or anthropic"),
    ),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn list_tools(
    State(state): State<AppState>,
    caller: AgentCaller,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let q = |name: &str| query.get(name).map(String::as_str);
    let format = q("format").unwrap_or("mcp");
    if !matches!(format, "mcp" | "openai" | "anthropic") {
        return Err(ApiError::unprocessable(ErrorCode::InvalidQuery, "`format` must be mcp, openai or anthropic."));
    }
    let agent = caller.acting_for(q("identity"), q("identityType"))?;
    let tools = tools_for(&state, &agent).await?;
    let defined: Vec<Value> = tools.iter().map(|t| format_tool(t, format)).collect();
    Ok(Json(json!({"type": "Tools", "format": format, "identity": agent.identity.as_str(), "tools": defined})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ToolCallRequest {
    /// With a secret key: the identity whose tool to call.
    identity: Option<String>,
    identity_type: Option<String>,
    /// The tool's name (`github__list_issues`).
    name: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    arguments: Map<String, Value>,
}

/// Run one of the identity's tools.
#[utoipa::path(post, path = "/v1/tools/call", tag = "Agents",
    operation_id = "call_tool",
    security(("secret_key" = []), ("agent_token" = [])),
    request_body = ToolCallRequest,
    responses(
        (status = 200, description = "The provider's answer (`isError` for a provider error)", body = Object),
        (status = 401, body = ErrorBody),
        (status = 404, description = "The identity has no such tool", body = ErrorBody),
        (status = 422, description = "An argument that does not fit the tool, named", body = ErrorBody),
    ))]
pub(super) async fn call_tool(
    State(state): State<AppState>,
    caller: AgentCaller,
    AppJson(body): AppJson<ToolCallRequest>,
) -> ApiResult<(StatusCode, Json<CallResult>)> {
    let agent = caller.acting_for(body.identity.as_deref(), body.identity_type.as_deref())?;
    let tools = tools_for(&state, &agent).await?;
    let tool = tools.iter().find(|t| t.name == body.name).ok_or_else(|| ApiError::not_found("Tool"))?;
    match call(&state, &agent, tool, body.arguments).await {
        Ok(result) => Ok((StatusCode::OK, Json(result))),
        Err(BadArguments(why)) => Err(ApiError::unprocessable(ErrorCode::InvalidRequest, why)),
    }
}
