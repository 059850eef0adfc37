//! Creating connections from the connect form, and the secret-key connections API.

use portico_wire::{ConnectionStatus, ConnectionView, ErrorCode, TokenResponse};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp, API_KEY, WRONG_API_KEY};
use crate::on_both_backends;

on_both_backends!(
    a_wrong_key_is_refused_in_words_and_nothing_is_stored,
    a_malformed_key_is_refused_without_asking_the_provider,
    the_right_key_creates_a_connection_with_a_documented_key,
    listing_returns_only_the_asked_identity,
    listing_filters_and_paginates,
    listing_rejects_bad_queries_with_422,
    a_disabled_integration_cannot_be_connected,
    tags_are_copied_from_the_token_and_can_be_replaced,
    a_connection_can_be_read_and_deleted,
    another_workspace_sees_404_and_empty_listings,
    the_other_environment_sees_nothing,
);

async fn a_wrong_key_is_refused_in_words_and_nothing_is_stored(app: TestApp) {
    let token = app.mint_token(&app.workspace.test_key, "u1").await;
    let response = app.submit_mock_form(&token, WRONG_API_KEY).await;
    let body = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidCredentials).await;
    assert!(body.error.message.contains("Mock Provider did not accept"), "{body:?}");
    let list = app.list_connections(&app.workspace.test_key, "").await;
    assert_eq!(list.total, 0);
}

async fn a_malformed_key_is_refused_without_asking_the_provider(app: TestApp) {
    use std::sync::atomic::Ordering;
    let token = app.mint_token(&app.workspace.test_key, "u1").await;
    let before = app.mock.stats.api_requests.load(Ordering::SeqCst);
    for fields in [json!({"apiKey": "not-a-mock-key"}), json!({}), json!({"apiKey": API_KEY, "extra": "x"})] {
        let response = app
            .post("/v1/authkit/connections")
            .bearer_auth(&token)
            .json(&json!({"platform": "mock", "fields": fields}))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidFields).await;
    }
    assert_eq!(app.mock.stats.api_requests.load(Ordering::SeqCst), before);
    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 0);
}

async fn the_right_key_creates_a_connection_with_a_documented_key(app: TestApp) {
    // The raw answer, not `connect_mock`: the credential check reads every byte the server sent.
    let token = app.mint_token(&app.workspace.test_key, "user-123").await;
    let response = app.submit_mock_form(&token, API_KEY).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let raw = response.text().await.unwrap();
    let connection: ConnectionView = serde_json::from_str(&raw).unwrap();
    let key = &connection.key;
    let (head, identity) = key.split_once('|').unwrap();
    assert_eq!(identity, "user-123");
    let parts: Vec<&str> = head.split("::").collect();
    assert_eq!(parts[..3], ["test", "mock", "default"]);
    assert!(parts[3].len() == 32 && parts[3].bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    assert_eq!(connection.platform, "mock");
    assert_eq!(connection.environment, "test");
    assert_eq!(connection.identity_type.as_deref(), Some("user"));
    assert_eq!(connection.status, ConnectionStatus::Active);
    assert!(connection.active);
    assert!(!raw.contains(API_KEY), "the answer never holds the credential");
}

async fn listing_returns_only_the_asked_identity(app: TestApp) {
    let key = &app.workspace.test_key;
    app.connect_mock(key, "alice").await;
    app.connect_mock(key, "alice").await;
    app.connect_mock(key, "bob").await;
    let alice = app.list_connections(key, "?identity=alice&identityType=user").await;
    assert_eq!(alice.kind, "Vault Connections");
    assert_eq!(alice.total, 2);
    assert!(alice.rows.iter().all(|r| r.identity.as_deref() == Some("alice")));
    let bob = app.list_connections(key, "?identity=bob").await;
    assert_eq!(bob.total, 1);
    let teams = app.list_connections(key, "?identity=alice&identityType=team").await;
    assert_eq!(teams.total, 0);
}

async fn listing_filters_and_paginates(app: TestApp) {
    let key = &app.workspace.test_key;
    let mut keys = Vec::new();
    for i in 0..5 {
        app.clock.advance_ms(10);
        keys.push(app.connect_mock(key, &format!("user-{i}")).await.key);
    }
    let page = app.list_connections(key, "?limit=2&page=2").await;
    assert_eq!(page.total, 5);
    assert_eq!(page.pages, 3);
    assert_eq!(page.page, 2);
    let rows = &page.rows;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].identity.as_deref(), Some("user-2"), "newest first");
    let by_key = app.list_connections(key, &format!("?key={},{}", keys[0], keys[4])).await;
    assert_eq!(by_key.total, 2);
    let by_platform = app.list_connections(key, "?platform=mock&active=true").await;
    assert_eq!(by_platform.total, 5);
    let none = app.list_connections(key, "?platform=github").await;
    assert_eq!(none.total, 0);
}

async fn listing_rejects_bad_queries_with_422(app: TestApp) {
    for query in
        ["?limit=0", "?limit=101", "?limit=x", "?page=0", "?identityType=admin", "?active=yes", "?status=weird"]
    {
        let response = app
            .get(&format!("/v1/vault/connections{query}"))
            .header("x-portico-secret", &app.workspace.test_key)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidQuery).await;
    }
}

async fn a_disabled_integration_cannot_be_connected(app: TestApp) {
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    app.store.disable_integration(&scope, "mock").await.unwrap();
    let token = app.mint_token(&app.workspace.test_key, "u1").await;
    let response = app.submit_mock_form(&token, API_KEY).await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::IntegrationNotFound).await;
    let unknown = app
        .post("/v1/authkit/connections")
        .bearer_auth(&token)
        .json(&json!({"platform": "nope", "fields": {}}))
        .send()
        .await
        .unwrap();
    assert_error(unknown, StatusCode::NOT_FOUND, ErrorCode::IntegrationNotFound).await;
}

async fn tags_are_copied_from_the_token_and_can_be_replaced(app: TestApp) {
    let key = &app.workspace.test_key;
    let body: TokenResponse = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", key)
        .json(&json!({"identity": "u1", "identityType": "user", "tags": ["crm", "beta"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created: ConnectionView = app.submit_mock_form(&body.token, API_KEY).await.json().await.unwrap();
    assert_eq!(created.tags, ["crm", "beta"]);
    assert_eq!(app.list_connections(key, "?tags=crm,beta").await.total, 1);
    assert_eq!(app.list_connections(key, "?tags=crm,other").await.total, 0);
    assert_eq!(app.list_connections(key, "?tags=cr").await.total, 0, "tags match whole");
    // Tags together with other filters.
    app.connect_mock(key, "u2").await;
    assert_eq!(app.list_connections(key, "?tags=crm&identity=u1&platform=mock").await.total, 1);
    assert_eq!(app.list_connections(key, "?tags=crm&identity=u2").await.total, 0);
    let page = app.list_connections(key, "?tags=beta,crm&active=true&limit=1&page=1").await;
    assert_eq!(page.rows[0].identity.as_deref(), Some("u1"));

    let id = &created.id;
    let patched = app
        .request(reqwest::Method::PATCH, &format!("/v1/vault/connections/{id}"))
        .header("x-portico-secret", key)
        .json(&json!({"tags": ["prod"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(patched.json::<ConnectionView>().await.unwrap().tags, ["prod"]);
    let too_many: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
    for tags in [json!(too_many), json!(["has\"quote"]), json!(["x".repeat(65)])] {
        let bad = app
            .request(reqwest::Method::PATCH, &format!("/v1/vault/connections/{id}"))
            .header("x-portico-secret", key)
            .json(&json!({"tags": tags}))
            .send()
            .await
            .unwrap();
        assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidTags).await;
    }
}

async fn a_connection_can_be_read_and_deleted(app: TestApp) {
    let key = &app.workspace.test_key;
    let created = app.connect_mock(key, "u1").await;
    let id = &created.id;
    let read: Value = app
        .get(&format!("/v1/vault/connections/{id}"))
        .header("x-portico-secret", key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Raw against the typed answer re-serialised: the same fields, nothing more.
    assert_eq!(read, serde_json::to_value(&created).unwrap());
    let deleted = app
        .request(reqwest::Method::DELETE, &format!("/v1/vault/connections/{id}"))
        .header("x-portico-secret", key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let again = app.get(&format!("/v1/vault/connections/{id}")).header("x-portico-secret", key).send().await.unwrap();
    assert_error(again, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    // Totals (kept per platform beside the rows) follow deletions.
    assert_eq!(app.list_connections(key, "").await.total, 0);
    assert_eq!(app.list_connections(key, "?platform=mock").await.total, 0);
    let second = app
        .request(reqwest::Method::DELETE, &format!("/v1/vault/connections/{id}"))
        .header("x-portico-secret", key)
        .send()
        .await
        .unwrap();
    assert_error(second, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.list_connections(key, "").await.total, 0, "a second delete changes no count");
}

async fn another_workspace_sees_404_and_empty_listings(app: TestApp) {
    let created = app.connect_mock(&app.workspace.test_key, "u1").await;
    let id = &created.id;
    let other = app.new_workspace("Other").await;
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let response = app
            .request(method, &format!("/v1/vault/connections/{id}"))
            .header("x-portico-secret", &other.test_key)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
    let patch = app
        .request(reqwest::Method::PATCH, &format!("/v1/vault/connections/{id}"))
        .header("x-portico-secret", &other.test_key)
        .json(&json!({"tags": ["x"]}))
        .send()
        .await
        .unwrap();
    assert_error(patch, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.list_connections(&other.test_key, "").await.total, 0);
    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 1, "nothing was lost");
}

async fn the_other_environment_sees_nothing(app: TestApp) {
    let created = app.connect_mock(&app.workspace.test_key, "u1").await;
    let id = &created.id;
    let live = &app.workspace.live_key;
    let response =
        app.get(&format!("/v1/vault/connections/{id}")).header("x-portico-secret", live).send().await.unwrap();
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(app.list_connections(live, "").await.total, 0);
}
