//! Which tools an identity has: one a catalog action of each platform it has an active
//! connection to (within the agent's limits), named `{platform}__{action}` with `_` for `-`
//! (`github__list_issues`: unique, readable, and valid for MCP, OpenAI and Anthropic alike), and
//! a JSON Schema of the arguments: the path and query parameters by name, the JSON body under
//! `body`, and `connectionKey` when the identity has several connections to the platform.

use std::collections::BTreeMap;
use std::sync::Arc;

use portico_catalog::{Action, Platform};
use portico_wire::ConnectionStatus;
use serde_json::{json, Map, Value};

use super::token::AgentAuth;
use crate::error::ApiResult;
use crate::store::connections::{ConnectionFilter, ConnectionRow};
use crate::AppState;

/// At most this many connections of one identity are read for its tools.
const MAX_CONNECTIONS: i64 = 100;
/// The argument that picks a connection when there are several.
pub const CONNECTION_ARG: &str = "connectionKey";
/// The argument that holds the JSON body.
pub const BODY_ARG: &str = "body";

/// One tool.
#[derive(Debug, Clone)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub input_schema: Value,
    pub platform: Arc<Platform>,
    pub action: Action,
    /// The identity's connections it can use; the first when the caller names none.
    pub connections: Vec<Arc<ConnectionRow>>,
}

/// The tool name of an action: `github.list-issues` → `github__list_issues`.
pub fn tool_name(action_id: &str) -> String {
    action_id.replacen('.', "__", 1).replace('-', "_")
}

/// The identity's tools, sorted by name.
pub async fn tools_for(state: &AppState, agent: &AgentAuth) -> ApiResult<Vec<Tool>> {
    let filter = ConnectionFilter {
        identity: Some(agent.identity.as_str().to_string()),
        identity_type: Some(agent.identity_type.as_str().to_string()),
        status: Some(ConnectionStatus::Active),
        active: Some(true),
        ..Default::default()
    };
    let (rows, _) = state.store.list_connections(agent.scope(), &filter, MAX_CONNECTIONS, 0).await?;
    let mut by_platform: BTreeMap<String, Vec<Arc<ConnectionRow>>> = BTreeMap::new();
    for row in rows {
        by_platform.entry(row.platform.clone()).or_default().push(Arc::new(row));
    }
    let enabled = crate::catalog::enabled_platforms(state, agent.scope()).await?;
    let mut tools = Vec::new();
    for (slug, connections) in by_platform.into_iter().filter(|(slug, _)| enabled.contains(slug)) {
        let Some(platform) = state.catalog.get(&slug).cloned() else { continue };
        for action in platform.actions.iter().filter(|a| agent.allows(&slug, &a.id)) {
            tools.push(tool(&platform, action, &connections));
        }
    }
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tools)
}

fn tool(platform: &Arc<Platform>, action: &Action, connections: &[Arc<ConnectionRow>]) -> Tool {
    let what = action.description.clone().unwrap_or_else(|| format!("{}.", action.title));
    let description = match connections {
        [one] => format!(
            "{} — {what} ({} {}; uses connection {}).",
            platform.name, action.method, action.path, one.connection_key
        ),
        _ => format!(
            "{} — {what} ({} {}; pick the connection in `{CONNECTION_ARG}`).",
            platform.name, action.method, action.path
        ),
    };
    Tool {
        name: tool_name(&action.id),
        description,
        input_schema: input_schema(action, connections),
        platform: platform.clone(),
        action: action.clone(),
        connections: connections.to_vec(),
    }
}

/// The JSON Schema of a tool's arguments.
pub fn input_schema(action: &Action, connections: &[Arc<ConnectionRow>]) -> Value {
    let mut properties = Map::new();
    let mut required: Vec<Value> = Vec::new();
    for param in action.path_params.iter().chain(&action.query) {
        properties.insert(param.name.clone(), param.schema.clone());
        if param.required {
            required.push(Value::String(param.name.clone()));
        }
    }
    if let Some(body) = &action.body {
        properties.insert(BODY_ARG.into(), body.clone());
        if body.get("required").and_then(Value::as_array).is_some_and(|r| !r.is_empty()) {
            required.push(Value::String(BODY_ARG.into()));
        }
    } else if matches!(action.method.as_str(), "POST" | "PUT" | "PATCH") {
        properties.insert(
            BODY_ARG.into(),
            json!({"type": "object", "description": "The JSON body, as the provider documents it."}),
        );
    }
    if connections.len() > 1 {
        let keys: Vec<Value> = connections.iter().map(|c| Value::String(c.connection_key.clone())).collect();
        properties.insert(
            CONNECTION_ARG.into(),
            json!({"type": "string", "enum": keys, "description": "Which of the connections to use."}),
        );
        required.push(Value::String(CONNECTION_ARG.into()));
    }
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_are_readable_and_portable() {
        assert_eq!(tool_name("github.list-issues"), "github__list_issues");
        assert_eq!(tool_name("google-calendar.list-events"), "google_calendar__list_events");
        let portable = |n: &str| n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        assert!(portable(&tool_name("microsoft-teams.send-channel-message")));
    }
}
