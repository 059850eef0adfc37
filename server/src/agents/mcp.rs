//! `/mcp`: the Model Context Protocol over Streamable HTTP. Each JSON-RPC 2.0 message is one POST
//! and each request's answer is one JSON object (the transport allows that in place of an event
//! stream; Portico never sends requests of its own). Methods: `initialize`, `ping`,
//! `tools/list` (paginated by an opaque cursor) and `tools/call`; notifications are accepted
//! with 202. A tool the identity does not have is an error as if it did not exist at all.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use portico_wire::ErrorBody;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::call::{call, BadArguments};
use super::token::AgentAuth;
use super::tools::{tools_for, Tool};
use crate::AppState;

/// The protocol revisions this server speaks, newest first.
const VERSIONS: [&str; 4] = ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"];
/// Tools per `tools/list` page.
const PAGE: usize = 50;

// JSON-RPC 2.0 error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;

#[derive(Debug, Deserialize)]
struct Message {
    jsonrpc: Option<String>,
    id: Option<Value>,
    method: Option<String>,
    #[serde(default)]
    params: Value,
}

fn rpc_error(id: Value, code: i64, message: impl Into<String>) -> Response {
    Json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})).into_response()
}

fn rpc_result(id: Value, result: Value) -> Response {
    Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
}

/// Send a JSON-RPC message to the MCP server.
#[utoipa::path(post, path = "/mcp", tag = "Agents",
    operation_id = "mcp",
    security(("secret_key" = []), ("agent_token" = [])),
    request_body(content = Object, description = "One JSON-RPC 2.0 request or notification"),
    responses(
        (status = 200, description = "The JSON-RPC response", body = Object),
        (status = 202, description = "A notification, accepted"),
        (status = 400, description = "An unsupported MCP-Protocol-Version", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub(super) async fn mcp(State(state): State<AppState>, agent: AgentAuth, headers: HeaderMap, body: String) -> Response {
    if let Some(version) = headers.get("mcp-protocol-version").and_then(|v| v.to_str().ok()) {
        if !VERSIONS.contains(&version) {
            return crate::error::ApiError::bad_request(
                portico_wire::ErrorCode::InvalidRequest,
                format!("MCP-Protocol-Version {version} is not supported; use one of {}.", VERSIONS.join(", ")),
            )
            .into_response();
        }
    }
    let message: Message = match serde_json::from_str(&body) {
        Ok(m) => m,
        Err(e) => return rpc_error(Value::Null, PARSE_ERROR, format!("Not a JSON-RPC message: {e}")),
    };
    let Some(method) = message.method.filter(|_| message.jsonrpc.as_deref() == Some("2.0")) else {
        return rpc_error(message.id.unwrap_or_default(), INVALID_REQUEST, "Send one JSON-RPC 2.0 request.");
    };
    let Some(id) = message.id else {
        // A notification (`notifications/initialized`…): nothing to answer.
        return StatusCode::ACCEPTED.into_response();
    };
    match method.as_str() {
        "initialize" => rpc_result(id, initialize(&message.params)),
        "ping" => rpc_result(id, json!({})),
        "tools/list" => list(&state, &agent, id, &message.params).await,
        "tools/call" => call_tool(&state, &agent, id, &message.params).await,
        other => rpc_error(id, METHOD_NOT_FOUND, format!("Unknown method `{other}`.")),
    }
}

/// `GET /mcp` would open a stream for server-initiated messages; Portico sends none.
#[utoipa::path(get, path = "/mcp", tag = "Agents", operation_id = "mcp_stream",
    responses((status = 405, description = "No server-initiated stream")))]
pub(super) async fn mcp_get() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(axum::http::header::ALLOW, "POST")]).into_response()
}

fn initialize(params: &Value) -> Value {
    let asked = params.get("protocolVersion").and_then(Value::as_str).unwrap_or_default();
    let version = VERSIONS.iter().find(|v| **v == asked).copied().unwrap_or(VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": "portico", "title": "Portico", "version": env!("CARGO_PKG_VERSION")},
        "instructions": "Each tool is an action of one of this user's connected integrations, called through Portico with the connection's credentials.",
    })
}

/// One MCP tool definition.
pub fn definition(tool: &Tool) -> Value {
    json!({
        "name": tool.name,
        "title": tool.action.title,
        "description": tool.description,
        "inputSchema": tool.input_schema,
        "annotations": {"readOnlyHint": matches!(tool.action.method.as_str(), "GET" | "HEAD")},
    })
}

async fn list(state: &AppState, agent: &AgentAuth, id: Value, params: &Value) -> Response {
    let start = match params.get("cursor").and_then(Value::as_str) {
        None => 0,
        Some(cursor) => match cursor.parse::<usize>() {
            Ok(n) => n,
            Err(_) => return rpc_error(id, INVALID_PARAMS, "`cursor` is not one this server gave."),
        },
    };
    let tools = match tools_for(state, agent).await {
        Ok(tools) => tools,
        Err(e) => return rpc_error(id, INTERNAL_ERROR, e.message),
    };
    let page: Vec<Value> = tools.iter().skip(start).take(PAGE).map(definition).collect();
    let mut result = json!({"tools": page});
    if start + PAGE < tools.len() {
        result["nextCursor"] = Value::String((start + PAGE).to_string());
    }
    rpc_result(id, result)
}

async fn call_tool(state: &AppState, agent: &AgentAuth, id: Value, params: &Value) -> Response {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return rpc_error(id, INVALID_PARAMS, "`name`: the tool to call is required.");
    };
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return rpc_error(id, INVALID_PARAMS, "`arguments` must be an object."),
    };
    let tools = match tools_for(state, agent).await {
        Ok(tools) => tools,
        Err(e) => return rpc_error(id, INTERNAL_ERROR, e.message),
    };
    let Some(tool) = tools.iter().find(|t| t.name == name) else {
        return rpc_error(id, INVALID_PARAMS, format!("Unknown tool `{name}`."));
    };
    match call(state, agent, tool, arguments).await {
        Ok(result) => rpc_result(
            id,
            json!({
                "content": [{"type": "text", "text": result.text()}],
                "structuredContent": result,
                "isError": result.is_error,
            }),
        ),
        Err(BadArguments(why)) => rpc_error(id, INVALID_PARAMS, format!("Invalid arguments for `{name}`: {why}")),
    }
}
