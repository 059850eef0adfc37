//! `ANY /v1/passthrough/{path}`: ownership, credential injection, header hygiene, streaming.

use portico_wire::ErrorCode;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp, API_KEY};

use crate::on_both_backends;

on_both_backends!(
    forwards_to_the_platform_with_the_key_injected,
    the_hosts_authorization_and_control_headers_never_reach_upstream,
    bodies_and_upstream_statuses_pass_through,
    another_workspaces_connection_key_is_404,
    the_other_environments_secret_key_is_404,
    a_missing_or_malformed_connection_key_is_400,
    paths_that_leave_the_api_base_are_refused,
    an_action_id_must_match_the_request,
    upstream_connections_are_kept_alive_and_replaced_when_closed,
    a_graceful_stop_writes_every_logged_call,
    only_the_documented_methods_are_forwarded,
    headers_named_in_the_hosts_connection_header_never_reach_upstream,
    a_turned_off_integrations_connections_are_kept_but_cannot_be_used,
);

fn passthrough(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    secret: &str,
    connection_key: &str,
) -> reqwest::RequestBuilder {
    app.request(method, &format!("/v1/passthrough/{path}"))
        .header("x-portico-secret", secret)
        .header("x-portico-connection-key", connection_key)
}

async fn forwards_to_the_platform_with_the_key_injected(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let connection = app.connect_mock(&key, "u1").await;
    let ck = connection.key.as_str();
    let response = passthrough(&app, reqwest::Method::GET, "me", &key, ck).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], "mock-account-1");
    // Pica's header names work too.
    let pica = app
        .get("/v1/passthrough/me")
        .header("x-pica-secret", &key)
        .header("x-pica-connection-key", ck)
        .send()
        .await
        .unwrap();
    assert_eq!(pica.status(), StatusCode::OK);
}

async fn the_hosts_authorization_and_control_headers_never_reach_upstream(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let connection = app.connect_mock(&key, "u1").await;
    let ck = connection.key.as_str();
    let response = app
        .get("/v1/passthrough/echo/x?q=1")
        .bearer_auth(&key)
        .header("x-portico-connection-key", ck)
        .header("cookie", "session=host-secret")
        .header("x-forwarded-for", "10.0.0.1")
        .header("x-custom", "kept")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let echo: Value = response.json().await.unwrap();
    let headers = echo["headers"].as_object().unwrap();
    assert_eq!(headers["authorization"], format!("Bearer {API_KEY}"), "the connection's key, not the host's");
    assert_eq!(headers["x-custom"], "kept");
    for stripped in ["cookie", "x-portico-connection-key", "x-portico-secret", "x-forwarded-for"] {
        assert!(!headers.contains_key(stripped), "{stripped} reached upstream: {echo}");
    }
    assert!(!echo.to_string().contains(&key), "the secret key reached upstream");
    assert_eq!(echo["path"], "/api/echo/x");
    assert_eq!(echo["query"], "q=1");
}

async fn bodies_and_upstream_statuses_pass_through(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let ck = app.connect_mock(&key, "u1").await.key;
    let created = passthrough(&app, reqwest::Method::POST, "items", &key, &ck)
        .json(&json!({"title": "through portico"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.json::<Value>().await.unwrap()["title"], "through portico");
    let missing = passthrough(&app, reqwest::Method::GET, "items/item-99", &key, &ck).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND, "the upstream status comes back as sent");
    assert_eq!(missing.json::<Value>().await.unwrap()["error"], "not_found");
    let big = "x".repeat(3 * 1024 * 1024);
    let echoed: Value = passthrough(&app, reqwest::Method::PUT, "echo", &key, &ck)
        .body(big.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echoed["bodyBytes"], big.len(), "a body larger than the JSON limit streams through");
}

async fn another_workspaces_connection_key_is_404(app: TestApp) {
    let ck = app.connect_mock(&app.workspace.test_key, "u1").await.key;
    let other = app.new_workspace("Other").await;
    let response = passthrough(&app, reqwest::Method::GET, "me", &other.test_key, &ck).send().await.unwrap();
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

async fn the_other_environments_secret_key_is_404(app: TestApp) {
    let ck = app.connect_mock(&app.workspace.test_key, "u1").await.key;
    let response = passthrough(&app, reqwest::Method::GET, "me", &app.workspace.live_key, &ck).send().await.unwrap();
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

async fn a_missing_or_malformed_connection_key_is_400(app: TestApp) {
    let key = &app.workspace.test_key;
    let missing = app.get("/v1/passthrough/me").header("x-portico-secret", key).send().await.unwrap();
    assert_error(missing, StatusCode::BAD_REQUEST, ErrorCode::MissingConnectionKey).await;
    let malformed = passthrough(&app, reqwest::Method::GET, "me", key, "test::mock").send().await.unwrap();
    assert_error(malformed, StatusCode::BAD_REQUEST, ErrorCode::InvalidConnectionKey).await;
    let unknown =
        passthrough(&app, reqwest::Method::GET, "me", key, "test::mock::default::00000000000000000000000000000000|u1")
            .send()
            .await
            .unwrap();
    assert_error(unknown, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

async fn paths_that_leave_the_api_base_are_refused(app: TestApp) {
    use std::sync::atomic::Ordering;
    let key = app.workspace.test_key.clone();
    let ck = app.connect_mock(&key, "u1").await.key;
    let before = app.mock.stats.api_requests.load(Ordering::SeqCst);
    let headers = [("x-portico-secret", key.as_str()), ("x-portico-connection-key", ck.as_str())];
    for path in [
        "%2e%2e/healthz",
        "..%2fhealthz",
        "a/%2E%2E/%2E%2E/healthz",
        "a%5c..%5chealthz",
        "a/../../healthz",
        "/127.0.0.1/x",
    ] {
        let (status, body) =
            crate::helpers::raw_request(&app, "GET", &format!("/v1/passthrough/{path}"), &headers).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains("\"code\":\"invalid_path\""), "{path}: {body}");
    }
    assert_eq!(app.mock.stats.api_requests.load(Ordering::SeqCst), before, "nothing reached the provider");
}

async fn an_action_id_must_match_the_request(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let ck = app.connect_mock(&key, "u1").await.key;
    let ok = passthrough(&app, reqwest::Method::GET, "me", &key, &ck)
        .header("x-portico-action-id", "mock.get-me")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let wrong_method = passthrough(&app, reqwest::Method::POST, "me", &key, &ck)
        .header("x-pica-action-id", "mock.get-me")
        .send()
        .await
        .unwrap();
    let body = assert_error(wrong_method, StatusCode::BAD_REQUEST, ErrorCode::ActionMismatch).await;
    assert!(body.error.message.contains("GET /me"));
    let wrong_path = passthrough(&app, reqwest::Method::GET, "items", &key, &ck)
        .header("x-portico-action-id", "mock.get-me")
        .send()
        .await
        .unwrap();
    assert_error(wrong_path, StatusCode::BAD_REQUEST, ErrorCode::ActionMismatch).await;
    let unknown = passthrough(&app, reqwest::Method::GET, "me", &key, &ck)
        .header("x-portico-action-id", "mock.nope")
        .send()
        .await
        .unwrap();
    assert_error(unknown, StatusCode::BAD_REQUEST, ErrorCode::UnknownAction).await;
}

/// The mock's view of the upstream connection a call came on.
async fn upstream_peer(app: &TestApp, secret: &str, connection_key: &str, query: &str) -> String {
    let response = passthrough(app, reqwest::Method::GET, &format!("connection{query}"), secret, connection_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["peer"].as_str().expect("the mock names the peer").to_string()
}

async fn upstream_connections_are_kept_alive_and_replaced_when_closed(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let connection = app.connect_mock(&key, "u1").await;
    let ck = connection.key.as_str();

    // One caller at a time: one upstream connection, reused.
    let first = upstream_peer(&app, &key, ck, "").await;
    for _ in 0..5 {
        assert_eq!(upstream_peer(&app, &key, ck, "").await, first, "a new upstream connection for a sequential call");
    }
    assert_eq!(app.state.passthrough.idle_connections(), 1);

    // The upstream ends the connection after an answer: the next call gets a new one and works.
    assert_eq!(upstream_peer(&app, &key, ck, "?close=true").await, first, "answered on the kept-alive connection");
    let second = upstream_peer(&app, &key, ck, "").await;
    assert_ne!(second, first, "a connection the upstream closed was used again");
    assert_eq!(upstream_peer(&app, &key, ck, "").await, second);

    // A caller that leaves before the end of a large answer: that upstream connection is not
    // pooled half-read (its next answer would start with the rest of this one).
    let mut download = passthrough(&app, reqwest::Method::GET, "stream/100000000", &key, ck).send().await.unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert!(download.chunk().await.unwrap().is_some());
    drop(download);
    let third = upstream_peer(&app, &key, ck, "").await;
    assert_ne!(third, second, "the half-read connection went back to the pool");
    assert_eq!(upstream_peer(&app, &key, ck, "").await, third);
}

async fn a_graceful_stop_writes_every_logged_call(mut app: TestApp) {
    let key = app.workspace.test_key.clone();
    let connection = app.connect_mock(&key, "u1").await;
    let ck = connection.key.as_str();
    for _ in 0..25 {
        let response = passthrough(&app, reqwest::Method::GET, "me", &key, ck).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    app.stop().await.expect("the server stops cleanly");
    // No waiting: stopping flushed the log (it writes in batches behind the calls).
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    let logged = app.store.list_calls(&scope, None, None, 100).await.unwrap();
    assert_eq!(logged.len(), 25, "calls missing from the log after a graceful stop");
}

async fn only_the_documented_methods_are_forwarded(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let connection = app.connect_mock(&key, "u1").await;
    let ck = connection.key.as_str();
    for method in ["TRACE", "PROPFIND", "PURGE", "FOO"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = passthrough(&app, method.clone(), "echo/x", &key, ck).send().await.unwrap();
        let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert_eq!(allow, "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS", "{method}");
        assert_error(response, StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed).await;
    }
    // CONNECT, sent as written (a client would turn it into a tunnel).
    let target = "/v1/passthrough/echo/x";
    let (status, body) = crate::helpers::raw_request(
        &app,
        "CONNECT",
        target,
        &[("x-portico-secret", &key), ("x-portico-connection-key", ck)],
    )
    .await;
    assert!((400..500).contains(&status), "CONNECT answered {status}: {body}");
    assert!(!body.contains(API_KEY), "the credential came back");
    // The documented ones still go through.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
        reqwest::Method::OPTIONS,
    ] {
        let response = passthrough(&app, method.clone(), "echo/x", &key, ck).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{method}");
    }
}

async fn headers_named_in_the_hosts_connection_header_never_reach_upstream(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let connection = app.connect_mock(&key, "u1").await;
    let ck = connection.key.as_str();
    let (status, body) = crate::helpers::raw_request(
        &app,
        "GET",
        "/v1/passthrough/echo/x",
        &[
            ("x-portico-secret", &key),
            ("x-portico-connection-key", ck),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "for-portico-only"),
            ("X-Custom", "kept"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("kept"), "{body}");
    assert!(!body.contains("for-portico-only") && !body.to_lowercase().contains("x-hop"), "{body}");
}

/// Review finding #11: turning an integration off stops its connections' calls (passthrough and
/// agent tools) as well as new connections; the connections are kept, and turning it on again
/// restores them. Another process's change is seen within the cache's TTL.
async fn a_turned_off_integrations_connections_are_kept_but_cannot_be_used(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let connection = app.connect_mock(&key, "u1").await;
    let ck = connection.key.as_str();
    let tools = || app.get("/v1/tools?identity=u1&format=openai").header("x-portico-secret", &key).send();
    let tool_count = |v: Value| v["tools"].as_array().map_or(0, Vec::len);
    assert_eq!(passthrough(&app, reqwest::Method::GET, "me", &key, ck).send().await.unwrap().status(), StatusCode::OK);
    assert!(tool_count(tools().await.unwrap().json().await.unwrap()) > 0, "the mock's actions are tools");

    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    app.store.disable_integration(&scope, "mock").await.unwrap();
    app.clock.advance_ms(60_000);
    let refused = passthrough(&app, reqwest::Method::GET, "me", &key, ck).send().await.unwrap();
    let body = assert_error(refused, StatusCode::FORBIDDEN, ErrorCode::IntegrationDisabled).await;
    assert!(body.error.message.contains("Mock Provider is turned off"), "{}", body.error.message);
    assert_eq!(tool_count(tools().await.unwrap().json().await.unwrap()), 0, "no tools for a turned-off integration");
    assert_eq!(app.list_connections(&key, "").await.total, 1, "the connection is kept");

    app.store.enable_integration(&scope, "mock", portico::clock::Clock::now_ms(app.clock.as_ref())).await.unwrap();
    app.clock.advance_ms(60_000);
    assert_eq!(passthrough(&app, reqwest::Method::GET, "me", &key, ck).send().await.unwrap().status(), StatusCode::OK);
}
