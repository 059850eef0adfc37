//! The agent toolkit: an MCP client written here against the specification (JSON-RPC 2.0 over
//! Streamable HTTP) initialises, lists and calls tools against the mock provider through a real
//! `portico`; identities and agent tokens see and call only their own tools; a bad argument is an
//! error that names it; tool calls are in the call log; the exports are valid JSON Schema.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    an_mcp_client_initialises_lists_and_calls_tools,
    an_identity_never_sees_or_calls_another_identitys_tools,
    an_agent_token_limited_to_one_platform_or_action_cannot_call_others,
    a_bad_argument_is_an_error_that_names_it,
    tool_calls_are_in_the_call_log,
    the_exports_are_valid_json_schema_in_each_format,
    the_transport_refuses_what_the_specification_refuses,
    a_form_encoded_action_reaches_the_provider_as_a_form
);

/// A minimal MCP client: one JSON-RPC request per POST, with the headers the transport asks for.
struct Mcp<'a> {
    app: &'a TestApp,
    auth: Vec<(&'static str, String)>,
    next_id: i64,
}

impl<'a> Mcp<'a> {
    fn with_key(app: &'a TestApp, identity: &str) -> Self {
        let auth = vec![("x-portico-secret", app.workspace.test_key.clone()), ("x-portico-identity", identity.into())];
        Mcp { app, auth, next_id: 0 }
    }

    fn with_token(app: &'a TestApp, token: &str) -> Self {
        Mcp { app, auth: vec![("authorization", format!("Bearer {token}"))], next_id: 0 }
    }

    async fn send(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let mut request = self
            .app
            .post("/mcp")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-11-25")
            .json(&json!({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}));
        for (name, value) in &self.auth {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["id"], self.next_id, "{body}");
        body
    }

    async fn tool_names(&mut self) -> Vec<String> {
        let listed = self.send("tools/list", json!({})).await;
        listed["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
    }

    async fn call(&mut self, name: &str, arguments: Value) -> Value {
        self.send("tools/call", json!({"name": name, "arguments": arguments})).await
    }
}

async fn mint_agent_token(app: &TestApp, body: Value) -> String {
    let response = app
        .post("/v1/agent/token")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let answer: Value = response.json().await.unwrap();
    let token = answer["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("agt_test_"), "{token}");
    token
}

async fn an_mcp_client_initialises_lists_and_calls_tools(app: TestApp) {
    let connection = app.connect_mock(&app.workspace.test_key, "alice").await;
    let mut mcp = Mcp::with_key(&app, "alice");
    let init = mcp
        .send("initialize", json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}))
        .await;
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25");
    assert!(init["result"]["capabilities"]["tools"].is_object());
    assert_eq!(init["result"]["serverInfo"]["name"], "portico");

    let listed = mcp.send("tools/list", json!({})).await;
    let tools = listed["result"]["tools"].as_array().unwrap();
    let create = tools.iter().find(|t| t["name"] == "mock__create_item").expect("mock__create_item");
    assert_eq!(create["inputSchema"]["properties"]["body"]["required"], json!(["name"]));
    assert!(create["description"].as_str().unwrap().contains(&connection.key), "names the connection it uses");
    let get = tools.iter().find(|t| t["name"] == "mock__get_item").expect("mock__get_item");
    assert_eq!(get["inputSchema"]["required"], json!(["id"]));
    assert_eq!(get["annotations"]["readOnlyHint"], true);

    let created = mcp.call("mock__create_item", json!({"body": {"name": "from an agent"}})).await;
    assert_eq!(created["result"]["isError"], false, "{created}");
    assert_eq!(created["result"]["structuredContent"]["status"], 201);
    let id = created["result"]["structuredContent"]["body"]["id"].as_str().unwrap().to_string();
    assert!(created["result"]["content"][0]["text"].as_str().unwrap().starts_with("HTTP 201"));

    let fetched = mcp.call("mock__get_item", json!({"id": id})).await;
    assert_eq!(fetched["result"]["structuredContent"]["body"]["name"], "from an agent");
    // A provider error is a result marked as one, not a protocol error.
    let missing = mcp.call("mock__get_item", json!({"id": "item-999"})).await;
    assert_eq!(missing["result"]["isError"], true, "{missing}");
    assert_eq!(missing["result"]["structuredContent"]["status"], 404);
    assert_eq!(mcp.send("ping", json!({})).await["result"], json!({}));
}

async fn an_identity_never_sees_or_calls_another_identitys_tools(app: TestApp) {
    app.connect_mock(&app.workspace.test_key, "alice").await;
    let mut bob = Mcp::with_key(&app, "bob");
    assert!(bob.tool_names().await.is_empty(), "bob has no connections");
    let refused = bob.call("mock__get_me", json!({})).await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("Unknown tool"));
    // Another workspace's key naming alice sees nothing of this workspace's alice.
    let other = app.new_workspace("Other").await;
    let mut stranger = Mcp {
        app: &app,
        auth: vec![("x-portico-secret", other.test_key), ("x-portico-identity", "alice".into())],
        next_id: 0,
    };
    assert!(stranger.tool_names().await.is_empty());
    // A token of bob cannot name alice.
    let bobs = mint_agent_token(&app, json!({"identity": "bob"})).await;
    let response = app.get("/v1/tools?identity=alice").bearer_auth(&bobs).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // And alice's own view has her tools, so the checks above could fail.
    assert!(Mcp::with_key(&app, "alice").tool_names().await.contains(&"mock__get_me".to_string()));
}

async fn an_agent_token_limited_to_one_platform_or_action_cannot_call_others(app: TestApp) {
    app.connect_mock(&app.workspace.test_key, "alice").await;
    let only_oauth = mint_agent_token(&app, json!({"identity": "alice", "platforms": ["mock-oauth"]})).await;
    let mut limited = Mcp::with_token(&app, &only_oauth);
    assert!(limited.tool_names().await.is_empty());
    assert_eq!(limited.call("mock__get_me", json!({})).await["error"]["code"], -32602);

    let only_me = mint_agent_token(&app, json!({"identity": "alice", "actions": ["mock.get-me"]})).await;
    let mut me = Mcp::with_token(&app, &only_me);
    assert_eq!(me.tool_names().await, ["mock__get_me"]);
    assert_eq!(me.call("mock__get_me", json!({})).await["result"]["structuredContent"]["status"], 200);
    assert_eq!(me.call("mock__create_item", json!({"body": {"name": "x"}})).await["error"]["code"], -32602);

    // Limits must name real platforms and actions.
    let response = app
        .post("/v1/agent/token")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&json!({"identity": "alice", "actions": ["mock.teleport"]}))
        .send()
        .await
        .unwrap();
    crate::helpers::assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, portico_wire::ErrorCode::InvalidRequest)
        .await;
}

async fn a_bad_argument_is_an_error_that_names_it(app: TestApp) {
    app.connect_mock(&app.workspace.test_key, "alice").await;
    let mut mcp = Mcp::with_key(&app, "alice");
    for (tool, arguments, named) in [
        ("mock__get_item", json!({}), "id"),
        ("mock__create_item", json!({"body": {}}), "name"),
        ("mock__list_items", json!({"limit": 0}), "limit"),
        ("mock__get_me", json!({"surprise": 1}), "surprise"),
        ("mock__get_item", json!({"id": ".."}), "id"),
    ] {
        let answer = mcp.call(tool, arguments.clone()).await;
        assert_eq!(answer["error"]["code"], -32602, "{tool} {arguments}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{tool} {arguments}: `{message}` should name `{named}`");
    }
    // The same through the export's call endpoint: a 422 that names it.
    let response = app
        .post("/v1/tools/call")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&json!({"identity": "alice", "name": "mock__get_item", "arguments": {}}))
        .send()
        .await
        .unwrap();
    let body = crate::helpers::assert_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        portico_wire::ErrorCode::InvalidRequest,
    )
    .await;
    assert!(body.error.message.contains("id"), "{}", body.error.message);
}

async fn tool_calls_are_in_the_call_log(app: TestApp) {
    let connection = app.connect_mock(&app.workspace.test_key, "alice").await;
    let answer = Mcp::with_key(&app, "alice").call("mock__get_me", json!({})).await;
    assert_eq!(answer["result"]["structuredContent"]["status"], 200, "{answer}");
    let mut rows = Value::Null;
    for _ in 0..100 {
        rows = app
            .get(&format!("/v1/passthrough-calls?connectionId={}", connection.id))
            .header("x-portico-secret", &app.workspace.test_key)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()["rows"]
            .clone();
        if rows.as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let call = &rows[0];
    assert_eq!(call["actionId"], "mock.get-me", "{rows}");
    assert_eq!(call["path"], "/me");
    assert_eq!(call["status"], 200);
}

async fn the_exports_are_valid_json_schema_in_each_format(app: TestApp) {
    app.connect_mock(&app.workspace.test_key, "alice").await;
    let list = |format: &'static str| {
        let app = &app;
        async move {
            let response = app
                .get(&format!("/v1/tools?identity=alice&format={format}"))
                .header("x-portico-secret", &app.workspace.test_key)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()["tools"].as_array().unwrap().clone()
        }
    };
    for (format, schema_of) in [
        ("mcp", (|t: &Value| t["inputSchema"].clone()) as fn(&Value) -> Value),
        ("openai", |t: &Value| t["function"]["parameters"].clone()),
        ("anthropic", |t: &Value| t["input_schema"].clone()),
    ] {
        let tools = list(format).await;
        assert!(tools.len() >= 4, "{format}: {tools:?}");
        for tool in &tools {
            let schema = schema_of(tool);
            assert_eq!(schema["type"], "object", "{format}: {tool}");
            jsonschema::meta::validate(&schema).unwrap_or_else(|e| panic!("{format}: {tool}: {e}"));
        }
    }
    let openai = list("openai").await;
    assert!(openai.iter().all(|t| t["type"] == "function" && t["function"]["name"].is_string()));
    // The export's call runs a tool by name.
    let response = app
        .post("/v1/tools/call")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&json!({"identity": "alice", "name": "mock__get_me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["status"], 200);
    assert_eq!(result["isError"], false);
    let bad = app.get("/v1/tools?identity=alice&format=yaml").header("x-portico-secret", &app.workspace.test_key);
    crate::helpers::assert_error(
        bad.send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        portico_wire::ErrorCode::InvalidQuery,
    )
    .await;
}

async fn the_transport_refuses_what_the_specification_refuses(app: TestApp) {
    let post = || app.post("/mcp").header("x-portico-secret", &app.workspace.test_key);
    // A secret key alone does not say whom the agent acts for.
    let response = post().json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let post = || post().header("x-portico-identity", "alice");
    // An unsupported protocol version is a 400.
    let response = post()
        .header("mcp-protocol-version", "1900-01-01")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    // A notification is accepted with no answer.
    let response = post().json(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // Unknown methods and malformed messages are JSON-RPC errors.
    let unknown: Value = post()
        .json(&json!({"jsonrpc": "2.0", "id": 7, "method": "resources/list"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["error"]["code"], -32601);
    let garbage: Value = post().body("{not json").send().await.unwrap().json().await.unwrap();
    assert_eq!(garbage["error"]["code"], -32700);
    // No server-initiated stream; no credentials, no answer.
    assert_eq!(app.get("/mcp").send().await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
    let anonymous = app.post("/mcp").json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

/// `mock.echo-form` says `body_encoding = "form"`, as Stripe does: the provider receives the
/// agent's JSON arguments as a form, nested the Stripe way, never as JSON.
async fn a_form_encoded_action_reaches_the_provider_as_a_form(app: TestApp) {
    app.connect_mock(&app.workspace.test_key, "alice").await;
    let body = json!({"name": "Jane & co", "metadata": {"plan": "pro"}, "items": [{"price": "p_1", "quantity": 2}], "live": true});
    let answer = Mcp::with_key(&app, "alice").call("mock__echo_form", json!({"body": body})).await;
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    let echo = &answer["result"]["structuredContent"]["body"];
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/api/echo/form");
    assert_eq!(echo["headers"]["content-type"], "application/x-www-form-urlencoded", "{echo}");
    let sent = echo["body"].as_str().unwrap();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(sent.as_bytes()).into_owned().collect();
    let expected = [
        ("items[0][price]", "p_1"),
        ("items[0][quantity]", "2"),
        ("live", "true"),
        ("metadata[plan]", "pro"),
        ("name", "Jane & co"),
    ];
    assert_eq!(pairs, expected.map(|(k, v)| (k.to_string(), v.to_string())), "{sent}");
    // A JSON action of the same platform still sends JSON.
    let created = Mcp::with_key(&app, "alice").call("mock__create_item", json!({"body": {"name": "json"}})).await;
    assert_eq!(created["result"]["structuredContent"]["status"], 201, "{created}");
}
