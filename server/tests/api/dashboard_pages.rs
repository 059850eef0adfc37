//! The dashboard's workspace pages on the server: secret keys (shown once, revoked at once, each
//! change an event naming the operator), allowed origins (the server's one origin check, worded),
//! the event log (filtered, paged by cursor) and connections (searched, filtered, detailed without
//! credentials, deleted as the API deletes). CSRF and membership are walked for every function in
//! `dashboard.rs`; here each new function's refusals are checked too.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::dashboard::{call, make_operator, sign_in, Operator};
use crate::helpers::{TestApp, API_KEY};
use crate::on_both_backends;

on_both_backends!(
    a_key_is_shown_once_listed_by_prefix_and_refused_at_once_when_revoked,
    key_labels_are_checked_in_words,
    origins_are_checked_in_words_added_and_removed,
    events_are_filtered_by_name_and_paged_by_cursor,
    connections_are_searched_shown_without_credentials_and_deleted,
    the_new_functions_refuse_a_missing_csrf_token_and_a_foreign_origin,
);

async fn operator(app: &TestApp) -> Operator {
    make_operator(app, "ada@example.com").await;
    sign_in(app, "ada@example.com").await
}

fn args(op: &Operator, app: &TestApp, extra: Value) -> Value {
    let mut v = json!({"csrf": op.csrf, "workspace": app.workspace.id.as_str(), "environment": "test"});
    v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    v
}

async fn ok(app: &TestApp, op: &Operator, endpoint: &str, extra: Value) -> Value {
    let (status, answer) = call(app, op, endpoint, args(op, app, extra), Some(&app.url)).await;
    assert_eq!(status, StatusCode::OK, "{endpoint}: {answer}");
    answer
}

async fn events_named(app: &TestApp, op: &Operator, name: &str) -> Vec<Value> {
    let answer =
        ok(app, op, "list_events", json!({"query": {"name": name, "before": null, "connection_id": ""}})).await;
    answer["rows"].as_array().unwrap().clone()
}

async fn api_status(app: &TestApp, secret: &str) -> StatusCode {
    app.get("/v1/vault/connections").header("x-portico-secret", secret).send().await.unwrap().status()
}

async fn a_key_is_shown_once_listed_by_prefix_and_refused_at_once_when_revoked(app: TestApp) {
    let op = operator(&app).await;
    app.clock.advance_ms(1_000); // after the workspace's first key, so "newest first" is this one
    let created = ok(&app, &op, "create_key", json!({"label": "ci"})).await;
    let secret = created["secret_key"].as_str().unwrap().to_string();
    assert!(secret.starts_with("sk_test_") && secret.len() == 8 + 43, "{created}");
    assert!(secret.starts_with(created["display_prefix"].as_str().unwrap().trim_end_matches('…')));
    assert_eq!(api_status(&app, &secret).await, StatusCode::OK);

    let list = ok(&app, &op, "list_keys", json!({"page": 1})).await;
    assert_eq!(list["total"], 2, "the workspace's first key and this one: {list}");
    assert_eq!(list["rows"][0]["label"], "ci", "newest first");
    let created_events = events_named(&app, &op, "key.created").await;
    assert_eq!(created_events[0]["by"], op.email.as_str());
    assert!(created_events[0]["subject"].as_str().unwrap().contains("(ci)"));

    ok(&app, &op, "revoke_key", json!({"id": created["id"]})).await;
    assert_eq!(api_status(&app, &secret).await, StatusCode::UNAUTHORIZED, "refused at once");
    let list = ok(&app, &op, "list_keys", json!({"page": 1})).await;
    assert!(list["rows"][0]["revoked_at_ms"].is_i64(), "{list}");
    assert_eq!(events_named(&app, &op, "key.revoked").await[0]["by"], op.email.as_str());
    // Revoking it again: there is no such active key.
    let (status, answer) =
        call(&app, &op, "revoke_key", args(&op, &app, json!({"id": created["id"]})), Some(&app.url)).await;
    assert_eq!((status, answer), (StatusCode::NOT_FOUND, json!("NotFound")));

    // No other answer holds a key: only the one-time creation answer did.
    let answers =
        [list, ok(&app, &op, "list_events", json!({"query": {"name": "", "before": null, "connection_id": ""}})).await];
    for answer in answers.iter().map(Value::to_string) {
        assert!(!answer.contains(&secret) && !answer.contains(&app.workspace.test_key), "a key leaked: {answer}");
    }
}

async fn key_labels_are_checked_in_words(app: TestApp) {
    let op = operator(&app).await;
    let long = "x".repeat(65);
    let (status, answer) = call(&app, &op, "create_key", args(&op, &app, json!({"label": long})), Some(&app.url)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["Invalid"]["field"], "label");
    assert_eq!(answer["Invalid"]["message"], "A key's label must be at most 64 characters.");
    let list = ok(&app, &op, "list_keys", json!({"page": 1})).await;
    assert_eq!(list["total"], 1, "nothing was created");
}

async fn origins_are_checked_in_words_added_and_removed(app: TestApp) {
    let op = operator(&app).await;
    let ws = json!({"csrf": op.csrf, "workspace": app.workspace.id.as_str()});
    let with = |origin: &str| {
        let mut v = ws.clone();
        v["origin"] = json!(origin);
        v
    };
    let (status, answer) = call(&app, &op, "add_origin", with("app.example.com"), Some(&app.url)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["Invalid"]["message"], "Allowed origin `app.example.com` is not an absolute URL.");
    let (_, answer) = call(&app, &op, "add_origin", with("https://example.com/app"), Some(&app.url)).await;
    assert!(answer["Invalid"]["message"].as_str().unwrap().contains("without a path"), "{answer}");

    let (status, added) = call(&app, &op, "add_origin", with(" https://App.Example.com:8443 "), Some(&app.url)).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["origins"], json!(["http://host.example:4000", "https://app.example.com:8443"]));
    let (_, listed) = call(&app, &op, "list_origins", ws.clone(), Some(&app.url)).await;
    assert_eq!(listed, added);
    let (status, removed) =
        call(&app, &op, "remove_origin", with("https://app.example.com:8443"), Some(&app.url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(removed["origins"], json!(["http://host.example:4000"]));
    let (status, _) = call(&app, &op, "remove_origin", with("https://app.example.com:8443"), Some(&app.url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn events_are_filtered_by_name_and_paged_by_cursor(app: TestApp) {
    let op = operator(&app).await;
    let platforms: Vec<String> =
        app.state.catalog.iter().map(|p| p.slug.clone()).filter(|s| s != "mock").take(30).collect();
    ok(&app, &op, "set_enabled", json!({"platforms": platforms, "enabled": true})).await;
    ok(&app, &op, "create_key", json!({"label": ""})).await;
    let query = |name: &str, before: Value| json!({"query": {"name": name, "before": before, "connection_id": ""}});
    let first = ok(&app, &op, "list_events", query("", Value::Null)).await;
    assert_eq!(first["rows"].as_array().unwrap().len(), 25);
    assert_eq!(first["rows"][0]["name"], "key.created", "newest first");
    let second = ok(&app, &op, "list_events", query("", first["next_before"].clone())).await;
    // 30 enabled, 1 key created by the operator, the initial test key by the command line.
    assert_eq!(second["rows"].as_array().unwrap().len(), 32 - 25);
    assert!(second["next_before"].is_null());
    assert_eq!(second["rows"].as_array().unwrap().last().unwrap()["by"], "the command line");
    let enabled = ok(&app, &op, "list_events", query("integration.enabled", Value::Null)).await;
    let rows = enabled["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["name"] == "integration.enabled" && r["by"] == op.email.as_str()));
    let (status, answer) =
        call(&app, &op, "list_events", args(&op, &app, query("nope", Value::Null)), Some(&app.url)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["Invalid"]["message"], "There are no events named nope.");
}

fn connection_query(identity: &str, platform: &str, status: &str) -> Value {
    json!({"query": {"identity": identity, "platform": platform, "status": status, "page": 1}})
}

async fn connections_are_searched_shown_without_credentials_and_deleted(app: TestApp) {
    let op = operator(&app).await;
    let key = app.workspace.test_key.clone();
    let alice = app.connect_mock(&key, "alice").await;
    app.connect_mock(&key, "alice").await;
    app.connect_mock(&key, "bob").await;
    let all = ok(&app, &op, "list_connections", connection_query("", "", "")).await;
    assert_eq!(all["total"], 3);
    let found = ok(&app, &op, "list_connections", connection_query("alice", "mock", "active")).await;
    assert_eq!(found["total"], 2);
    assert!(found["rows"].as_array().unwrap().iter().all(|r| r["identity"] == "alice"));
    let none = ok(&app, &op, "list_connections", connection_query("", "", "needs_reauth")).await;
    assert_eq!(none["total"], 0);
    for (query, field) in [
        (connection_query("a b", "", ""), "identity"),
        (connection_query("", "nope", ""), "platform"),
        (connection_query("", "", "paused"), "status"),
    ] {
        let (status, answer) = call(&app, &op, "list_connections", args(&op, &app, query), Some(&app.url)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["Invalid"]["field"], field);
    }

    let detail = ok(&app, &op, "get_connection", json!({"id": alice.id})).await;
    assert_eq!(detail["connection"]["key"], alice.key.as_str());
    assert_eq!(detail["platform_name"], "Mock Provider");
    assert_eq!(detail["events"][0]["name"], "connection.created");
    assert_eq!(detail["events"][0]["by"], "end user alice");
    for answer in [all.to_string(), found.to_string(), detail.to_string()] {
        assert!(!answer.contains(API_KEY), "a credential leaked: {answer}");
    }

    ok(&app, &op, "delete_connection", json!({"id": alice.id})).await;
    let gone = app.get(&format!("/v1/vault/connections/{}", alice.id)).header("x-portico-secret", &key).send().await;
    assert_eq!(gone.unwrap().status(), StatusCode::NOT_FOUND);
    let deleted = events_named(&app, &op, "connection.deleted").await;
    assert_eq!(deleted[0]["by"], op.email.as_str());
    assert_eq!(deleted[0]["connection_id"], alice.id.as_str());
    let (status, _) = call(&app, &op, "get_connection", args(&op, &app, json!({"id": alice.id})), Some(&app.url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The API's delete names the secret key that did it.
    let bob = ok(&app, &op, "list_connections", connection_query("bob", "", "")).await["rows"][0]["id"].clone();
    let path = format!("/v1/vault/connections/{}", bob.as_str().unwrap());
    let response = app.request(reqwest::Method::DELETE, &path).header("x-portico-secret", &key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(events_named(&app, &op, "connection.deleted").await[0]["by"]
        .as_str()
        .unwrap()
        .starts_with("secret key key_"));
}

async fn the_new_functions_refuse_a_missing_csrf_token_and_a_foreign_origin(app: TestApp) {
    let op = operator(&app).await;
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    let key_id = app.store.list_secret_keys(&scope).await.unwrap()[0].id.clone();
    let changes = [
        ("create_key", json!({"label": "x"})),
        ("revoke_key", json!({"id": key_id})),
        ("add_origin", json!({"origin": "https://x.example"})),
        ("remove_origin", json!({"origin": "http://host.example:4000"})),
        ("list_keys", json!({"page": 1})),
        ("list_events", json!({"query": {"name": "", "before": null, "connection_id": ""}})),
        ("list_connections", connection_query("", "", "")),
        ("delete_connection", json!({"id": "conn_x"})),
    ];
    for (endpoint, extra) in changes {
        let mut no_token = args(&op, &app, extra.clone());
        no_token.as_object_mut().unwrap().remove("csrf");
        let (status, _) = call(&app, &op, endpoint, no_token, Some(&app.url)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint} without a token");
        let (status, _) = call(&app, &op, endpoint, args(&op, &app, extra), Some("https://evil.example")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint} from a foreign origin");
    }
    let keys = app.store.list_secret_keys(&scope).await.unwrap();
    assert!(keys.len() == 1 && keys[0].revoked_at.is_none(), "nothing changed: {keys:?}");
    assert_eq!(app.store.allowed_origins(&app.workspace.id).await.unwrap(), vec!["http://host.example:4000"]);
}
