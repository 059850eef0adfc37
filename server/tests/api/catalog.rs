//! The catalog through the API: `GET /v1/integrations`, `GET /v1/available-actions/{platform}`,
//! the vendored logos, and a platform added by the operator (`PORTICO_CATALOG_DIR`) working end to
//! end — offered in the modal's session, connected with an API key, used through passthrough —
//! with no rebuild.

use portico::clock::Clock;
use portico::tenancy::Environment;
use portico_wire::ErrorCode;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp, API_KEY, WRONG_API_KEY};
use crate::on_both_backends;

on_both_backends!(
    an_operator_platform_is_offered_connected_and_proxied_without_a_rebuild,
    lists_every_catalog_platform_with_its_enabled_flag,
    listing_integrations_needs_a_secret_key,
    lists_a_platforms_actions,
    filters_actions_by_title_and_method,
    pages_actions_with_limit_and_skip,
    rejects_bad_action_paging_with_422,
    an_unknown_platforms_actions_are_a_404_json_error,
    serves_a_vendored_logo_for_every_platform,
);

/// An operator's own API, served here by the mock provider. `local = true` because the mock
/// listens on plain http on loopback; passthrough reaches it only because the test configuration
/// allow-lists the mock's origin.
const OPERATOR_PLATFORM: &str = r#"
slug = "acme-internal"
name = "Acme Internal"
categories = ["crm"]
logo = "mock.svg"
api_base_url = "${portico.mockProviderUrl}/api"
local = true

[auth]
kind = "api_key"

[inject.headers]
authorization = "Bearer ${apiKey}"

[[form.fields]]
name = "apiKey"
label = "Acme key"
help = "Ask the Acme platform team."
secret = true

[verify]
method = "GET"
path = "/me"

[[actions]]
id = "acme-internal.get-account"
title = "Get the account"
method = "GET"
path = "/me"
"#;

async fn an_operator_platform_is_offered_connected_and_proxied_without_a_rebuild(app: TestApp) {
    // Arrange: the same binary, started again with an operator catalog directory.
    let backend = app.backend;
    drop(app);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme-internal.toml"), OPERATOR_PLATFORM).unwrap();
    let catalog_dir = dir.path().to_path_buf();
    let Some(app) = TestApp::spawn_with(backend, |config| config.catalog_dir = Some(catalog_dir)).await else {
        return;
    };
    let key = app.workspace.test_key.clone();
    app.store
        .enable_integration(&app.workspace.scope(Environment::Test), "acme-internal", app.clock.now_ms())
        .await
        .unwrap();

    // The modal's session offers it, with the operator's form.
    let token = app.mint_token(&key, "alice").await;
    let session: Value = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let card = session["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["platform"] == "acme-internal")
        .unwrap_or_else(|| panic!("the operator platform is offered: {session}"))
        .clone();
    assert_eq!(card["name"], "Acme Internal");
    assert_eq!(card["authKind"], "api_key");
    assert_eq!(card["fields"][0]["name"], "apiKey");
    assert_eq!(card["fields"][0]["label"], "Acme key");

    // Its verification request runs against the operator's API: a wrong key is refused…
    let connect = |api_key: &'static str| {
        app.post("/v1/authkit/connections")
            .bearer_auth(&token)
            .json(&json!({"platform": "acme-internal", "fields": {"apiKey": api_key}}))
            .send()
    };
    let refused = connect(WRONG_API_KEY).await.unwrap();
    assert_error(refused, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidCredentials).await;

    // …and the right one creates a connection.
    let created = connect(API_KEY).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let connection: Value = created.json().await.unwrap();
    assert_eq!(connection["platform"], "acme-internal");
    let connection_key = connection["key"].as_str().unwrap();

    // Passthrough injects the stored key, and the operator's action id is checked.
    let proxied = app
        .get("/v1/passthrough/me")
        .header("x-portico-secret", &key)
        .header("x-portico-connection-key", connection_key)
        .header("x-portico-action-id", "acme-internal.get-account")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), StatusCode::OK);
    let account: Value = proxied.json().await.unwrap();
    assert_eq!(account["id"], "mock-account-1");

    // The integrations list and the actions list know it too.
    let listed: Value =
        app.get("/v1/integrations").header("x-portico-secret", &key).send().await.unwrap().json().await.unwrap();
    let row = listed["rows"].as_array().unwrap().iter().find(|r| r["platform"] == "acme-internal").cloned();
    assert_eq!(row.map(|r| r["enabled"].clone()), Some(json!(true)));
    let actions: Value = app
        .get("/v1/available-actions/acme-internal")
        .header("x-portico-secret", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(actions["rows"][0]["key"], "acme-internal.get-account");
}

async fn list_integrations(app: &TestApp) -> Value {
    let response =
        app.get("/v1/integrations").header("x-portico-secret", &app.workspace.test_key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn lists_every_catalog_platform_with_its_enabled_flag(app: TestApp) {
    let body = list_integrations(&app).await;
    assert_eq!(body["type"], "Integrations");
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(body["total"], rows.len());
    assert!(rows.len() >= 81, "the built-in catalog: {} rows", rows.len());
    let row =
        |slug: &str| rows.iter().find(|r| r["platform"] == slug).unwrap_or_else(|| panic!("{slug} listed")).clone();
    let mock = row("mock");
    assert_eq!(mock["enabled"], true, "the test workspace enables the mock provider");
    let github = row("github");
    assert_eq!(github["enabled"], false, "every other platform is hidden until enabled");
    assert_eq!(github["name"], "GitHub");
    assert_eq!(github["authKind"], "oauth2");
    assert_eq!(github["logoUrl"], "/logos/github.svg");
    assert!(github["actionCount"].as_u64().unwrap() >= 5);
    assert_eq!(row("stripe")["authKind"], "api_key");
    assert_eq!(row("twilio")["authKind"], "basic");
    assert_eq!(row("paypal")["authKind"], "oauth2_client_credentials");
    let slugs: Vec<&str> = rows.iter().map(|r| r["platform"].as_str().unwrap()).collect();
    let mut sorted = slugs.clone();
    sorted.sort_unstable();
    assert_eq!(slugs, sorted, "listed in slug order");
}

async fn listing_integrations_needs_a_secret_key(app: TestApp) {
    let response = app.get("/v1/integrations").send().await.unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::MissingSecretKey).await;
    let response = app.get("/v1/available-actions/github").send().await.unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::MissingSecretKey).await;
}

async fn available_actions(app: &TestApp, platform_and_query: &str) -> Value {
    let response = app
        .get(&format!("/v1/available-actions/{platform_and_query}"))
        .header("x-portico-secret", &app.workspace.test_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{platform_and_query}");
    response.json().await.unwrap()
}

async fn lists_a_platforms_actions(app: TestApp) {
    let body = available_actions(&app, "github").await;
    assert_eq!(body["type"], "Available Actions");
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(body["total"], rows.len());
    assert_eq!((body["skip"].as_u64(), body["limit"].as_u64()), (Some(0), Some(100)));
    let first = &rows[0];
    assert_eq!(first["key"], "github.get-authenticated-user");
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], "/user");
    assert_eq!(first["platform"], "github");
    assert!(first["docsUrl"].as_str().is_some_and(|u| u.starts_with("https://docs.github.com/")));
}

async fn filters_actions_by_title_and_method(app: TestApp) {
    let all = available_actions(&app, "github").await;
    let posts = available_actions(&app, "github?method=post").await;
    let post_rows = posts["rows"].as_array().unwrap();
    assert!(!post_rows.is_empty());
    assert!(post_rows.iter().all(|r| r["method"] == "POST"), "{posts}");
    assert!(posts["total"].as_u64() < all["total"].as_u64());

    let issues = available_actions(&app, "github?title=ISSUE").await;
    let issue_rows = issues["rows"].as_array().unwrap();
    assert!(!issue_rows.is_empty());
    assert!(issue_rows.iter().all(|r| r["title"].as_str().unwrap().to_lowercase().contains("issue")), "{issues}");

    let both = available_actions(&app, "github?title=issue&method=POST").await;
    let keys: Vec<&str> = both["rows"].as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&"github.create-issue"), "{keys:?}");
    assert!(!keys.contains(&"github.list-issues"), "{keys:?}");

    let none = available_actions(&app, "github?title=no-such-action").await;
    assert_eq!(none["total"], 0);
    assert_eq!(none["rows"], json!([]));
}

async fn pages_actions_with_limit_and_skip(app: TestApp) {
    let all = available_actions(&app, "github").await;
    let all_keys: Vec<Value> = all["rows"].as_array().unwrap().iter().map(|r| r["key"].clone()).collect();
    assert!(all_keys.len() >= 4);
    let page = available_actions(&app, "github?limit=2&skip=1").await;
    let page_keys: Vec<Value> = page["rows"].as_array().unwrap().iter().map(|r| r["key"].clone()).collect();
    assert_eq!(page_keys, all_keys[1..3]);
    assert_eq!(page["total"], all["total"], "total counts every match, not the page");
    assert_eq!((page["skip"].as_u64(), page["limit"].as_u64()), (Some(1), Some(2)));
    let past_the_end = available_actions(&app, &format!("github?skip={}", all_keys.len())).await;
    assert_eq!(past_the_end["rows"], json!([]));
}

async fn rejects_bad_action_paging_with_422(app: TestApp) {
    for query in ["limit=-1", "limit=abc", "limit=1001", "skip=x"] {
        let response = app
            .get(&format!("/v1/available-actions/github?{query}"))
            .header("x-portico-secret", &app.workspace.test_key)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidQuery).await;
    }
}

async fn an_unknown_platforms_actions_are_a_404_json_error(app: TestApp) {
    let response = app
        .get("/v1/available-actions/no-such-platform")
        .header("x-portico-secret", &app.workspace.test_key)
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

async fn serves_a_vendored_logo_for_every_platform(app: TestApp) {
    let body = list_integrations(&app).await;
    for row in body["rows"].as_array().unwrap() {
        let url = row["logoUrl"].as_str().unwrap();
        let response = app.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert_eq!(content_type, "image/svg+xml", "{url}");
        assert!(response.text().await.unwrap().starts_with("<svg"), "{url}");
    }
}
