//! A tool call: the arguments are checked against the tool's schema (a bad one is an error that
//! names it), turned into the action's request — path parameters as whole, encoded segments, the
//! query, the body (JSON, or form-encoded where the catalog says so, see [`super::body`]) — and
//! sent through [`crate::passthrough::execute`]. The provider's answer, whatever its status, is
//! the result; Portico's own refusals (a connection that needs its user, a rate limit, an
//! unreachable upstream) are results too, marked as errors, in words.

use std::time::Instant;

use axum::body::Body;
use http::{HeaderValue, Method};
use serde::Serialize;
use serde_json::{Map, Value};

use super::token::AgentAuth;
use super::tools::{Tool, BODY_ARG, CONNECTION_ARG};
use crate::AppState;

/// The most of an answer a tool result carries.
const MAX_RESULT_BYTES: usize = 1024 * 1024;

/// Why a call could not be made: the caller's mistake, reported as such (MCP: JSON-RPC -32602).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadArguments(pub String);

/// What a call returned.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallResult {
    /// The provider's HTTP status, or Portico's when it refused the call.
    pub status: u16,
    /// The answer's body: JSON when it is JSON, else text.
    pub body: Value,
    /// A provider error (4xx/5xx) or a refusal by Portico.
    pub is_error: bool,
    /// Portico's error code when Portico refused the call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

impl CallResult {
    /// The result as text: the status line, then the body.
    pub fn text(&self) -> String {
        let body = match &self.body {
            Value::String(s) => s.clone(),
            other => serde_json::to_string_pretty(other).unwrap_or_default(),
        };
        format!("HTTP {}\n\n{body}", self.status)
    }
}

/// Checks `arguments` against the tool and runs it.
pub async fn call(
    state: &AppState,
    agent: &AgentAuth,
    tool: &Tool,
    arguments: Map<String, Value>,
) -> Result<CallResult, BadArguments> {
    check_arguments(tool, &arguments)?;
    let connection = match arguments.get(CONNECTION_ARG).and_then(Value::as_str) {
        Some(key) => tool.connections.iter().find(|c| c.connection_key == key),
        None => tool.connections.first(),
    }
    .ok_or_else(|| BadArguments(format!("`{CONNECTION_ARG}`: not one of this identity's connections")))?;
    let (path, body) = request_of(tool, &arguments)?;
    let body = body.map(|b| super::body::encode(tool.action.body_encoding, &b)).transpose()?;
    let mut request =
        http::Request::builder().method(Method::from_bytes(tool.action.method.as_bytes()).unwrap_or(Method::GET));
    request = request.uri(path).header(http::header::ACCEPT, HeaderValue::from_static("application/json"));
    if let Some((content_type, _)) = &body {
        request = request.header(http::header::CONTENT_TYPE, content_type.clone());
    }
    let body = body.map(|(_, text)| Body::from(text)).unwrap_or_else(Body::empty);
    let Ok(request) = request.body(body) else {
        return Err(BadArguments("the arguments do not make a valid request".into()));
    };
    let (parts, body) = request.into_parts();
    let span = tracing::info_span!("tool call", tool = %tool.name, connection = %connection.id, status = tracing::field::Empty);
    let outcome = {
        let _entered = span.enter();
        Box::pin(crate::passthrough::execute(
            state,
            &agent.caller,
            connection,
            Some(tool.action.id.clone()),
            parts,
            body,
            Instant::now(),
        ))
    }
    .await;
    Ok(match outcome {
        Ok(response) => read_answer(response).await,
        Err(e) => CallResult {
            status: e.status.as_u16(),
            body: Value::String(e.message.clone()),
            is_error: true,
            error_code: Some(e.code.to_string()),
        },
    })
}

/// The arguments must fit the tool's schema; the first problem is named with its argument.
fn check_arguments(tool: &Tool, arguments: &Map<String, Value>) -> Result<(), BadArguments> {
    let validator = jsonschema::validator_for(&tool.input_schema)
        .map_err(|e| BadArguments(format!("the tool's schema is invalid: {e}")))?;
    let instance = Value::Object(arguments.clone());
    if let Some(error) = validator.iter_errors(&instance).next() {
        let at = error.instance_path().to_string();
        let name = if at.is_empty() { "arguments".to_string() } else { format!("`{}`", at.trim_start_matches('/')) };
        return Err(BadArguments(format!("{name}: {error}")));
    }
    Ok(())
}

/// The request target (`/v1/passthrough/…?…`) and the JSON body of a call.
fn request_of(tool: &Tool, arguments: &Map<String, Value>) -> Result<(String, Option<Value>), BadArguments> {
    let mut url = url::Url::parse("http://portico.invalid/v1/passthrough").map_err(|e| BadArguments(e.to_string()))?;
    {
        let mut segments = url.path_segments_mut().map_err(|_| BadArguments("bad path".into()))?;
        for segment in tool.action.path.trim_matches('/').split('/').filter(|s| !s.is_empty()) {
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => segments.push(&path_value(name, arguments.get(name))?),
                None => segments.push(segment),
            };
        }
    }
    let query: Vec<(String, String)> =
        tool.action.query.iter().filter_map(|p| arguments.get(&p.name).map(|v| (p.name.clone(), scalar(v)))).collect();
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    Ok((target, arguments.get(BODY_ARG).cloned()))
}

/// A path parameter's value: one segment, never one that moves the path (`..`, `/`).
fn path_value(name: &str, value: Option<&Value>) -> Result<String, BadArguments> {
    let text = value.map(scalar).ok_or_else(|| BadArguments(format!("`{name}` is required")))?;
    let moves = text.is_empty()
        || text.chars().all(|c| c == '.')
        || text.contains(['/', '\\', '?', '#'])
        || text.chars().any(char::is_control);
    if moves {
        return Err(BadArguments(format!("`{name}` must be one path segment (no `/`, `?`, `#` or dots alone)")));
    }
    Ok(text)
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn read_answer(response: axum::response::Response) -> CallResult {
    let status = response.status();
    let is_json = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let body = match axum::body::to_bytes(response.into_body(), MAX_RESULT_BYTES).await {
        Ok(bytes) if is_json => {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        }
        Ok(bytes) => Value::String(String::from_utf8_lossy(&bytes).into()),
        Err(_) => {
            Value::String(format!("The answer was larger than {} KiB and was not read.", MAX_RESULT_BYTES / 1024))
        }
    };
    CallResult { status: status.as_u16(), body, is_error: !status.is_success(), error_code: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_values_stay_one_segment() {
        assert!(path_value("id", Some(&Value::String("..".into()))).is_err());
        assert!(path_value("id", Some(&Value::String("a/b".into()))).is_err());
        assert!(path_value("id", None).unwrap_err().0.contains("`id`"));
        assert_eq!(path_value("id", Some(&serde_json::json!(42))).unwrap(), "42");
        assert_eq!(path_value("id", Some(&Value::String("item 1".into()))).unwrap(), "item 1");
    }
}
