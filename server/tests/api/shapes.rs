//! The Pica-compatible JSON shapes, pinned by snapshots (`snapshots/`): a renamed or dropped field
//! fails here before it reaches a host. Values that change on every run (ids, keys, tokens,
//! times) are redacted; names, types and constant values are what the snapshots hold.
//!
//! To accept an intended change: `INSTA_UPDATE=always cargo test -p portico --test api shapes`,
//! then review the diff of `snapshots/` like code.

use insta::assert_json_snapshot;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;

crate::on_both_backends!(token_shape, listing_and_connection_shapes, error_shape, actions_shape, session_shape);

async fn json(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

async fn token_shape(app: TestApp) {
    let response = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&serde_json::json!({"identity": "user-123", "identityType": "user"}))
        .send()
        .await
        .unwrap();
    let body = json(response, StatusCode::CREATED).await;
    assert_json_snapshot!("token", body, {
        ".token" => "[akt_test_…]",
        ".expiresAt" => "[unix ms]",
        ".connectLink" => "[public url]/connect/[lnk_…]",
    });
}

async fn listing_and_connection_shapes(app: TestApp) {
    let key = &app.workspace.test_key;
    // Raw requests, not the typed helpers: the snapshots hold what the server sent.
    let token = app.mint_token(key, "user-123").await;
    let created = json(app.submit_mock_form(&token, crate::helpers::API_KEY).await, StatusCode::CREATED).await;
    let id = created["id"].as_str().unwrap().to_string();
    let response =
        app.get("/v1/vault/connections?identity=user-123").header("x-portico-secret", key).send().await.unwrap();
    let listing = json(response, StatusCode::OK).await;
    assert_json_snapshot!("listing", listing, {
        ".rows[].id" => "[conn_…]",
        ".rows[].key" => "[connection key]",
        ".rows[].createdAt" => "[unix ms]",
        ".rows[].updatedAt" => "[unix ms]",
    });
    let response =
        app.get(&format!("/v1/vault/connections/{id}")).header("x-portico-secret", key).send().await.unwrap();
    let one = json(response, StatusCode::OK).await;
    assert_json_snapshot!("connection", one, {
        ".id" => "[conn_…]",
        ".key" => "[connection key]",
        ".createdAt" => "[unix ms]",
        ".updatedAt" => "[unix ms]",
    });
}

async fn error_shape(app: TestApp) {
    let missing = app.get("/v1/vault/connections").send().await.unwrap();
    assert_json_snapshot!("error_missing_secret_key", json(missing, StatusCode::UNAUTHORIZED).await);
    let unknown = app
        .get("/v1/vault/connections/conn_00000000000000000000000000000000")
        .header("x-portico-secret", &app.workspace.test_key)
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("error_not_found", json(unknown, StatusCode::NOT_FOUND).await);
}

async fn actions_shape(app: TestApp) {
    let response = app
        .get("/v1/available-actions/github?limit=2")
        .header("x-portico-secret", &app.workspace.test_key)
        .send()
        .await
        .unwrap();
    assert_json_snapshot!("actions", json(response, StatusCode::OK).await);
}

async fn session_shape(app: TestApp) {
    let token = app.mint_token(&app.workspace.test_key, "user-123").await;
    let response = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap();
    let mut session = json(response, StatusCode::OK).await;
    // The modal's list is the enabled catalog: pin one card's shape, not the catalog's contents.
    let integrations = session["integrations"].as_array_mut().unwrap();
    integrations.retain(|card| card["platform"] == "mock");
    assert_json_snapshot!("session", session, {
        ".workspaceName" => "[workspace]",
        ".expiresAt" => "[unix ms]",
    });
}
