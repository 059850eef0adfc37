//! Rate limits (429 with `Retry-After`, per connection, per key, on token minting and on connect
//! forms, held across replicas) and the passthrough call log.

use portico::config::RateLimits;
use portico_wire::ErrorCode;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Backend, TestApp, API_KEY};

macro_rules! limited {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Postgres).await } )* }
    };
}

limited!(
    passthrough_is_limited_per_connection_with_retry_after,
    passthrough_is_limited_per_secret_key,
    token_minting_is_limited_per_secret_key,
    connect_forms_are_limited_per_session,
    a_limit_holds_across_two_replicas,
    every_passthrough_call_is_logged_without_secrets,
);

async fn with_limits(backend: Backend, limits: RateLimits) -> Option<TestApp> {
    TestApp::spawn_with(backend, move |c| c.rate_limits = limits).await
}

const OFF: RateLimits = RateLimits::OFF;

async fn me(app: &TestApp, base: &str, key: &str) -> reqwest::Response {
    app.client
        .get(format!("{base}/v1/passthrough/me"))
        .header("x-portico-secret", &app.workspace.test_key)
        .header("x-portico-connection-key", key)
        .send()
        .await
        .unwrap()
}

async fn passthrough_is_limited_per_connection_with_retry_after(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { connection_per_minute: 3, ..OFF }).await else { return };
    let a = app.connect_mock(&app.workspace.test_key, "a").await.key;
    let b = app.connect_mock(&app.workspace.test_key, "b").await.key;
    for _ in 0..3 {
        assert_eq!(me(&app, &app.url, &a).await.status(), StatusCode::OK);
    }
    let refused = me(&app, &app.url, &a).await;
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(refused, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    assert_eq!(me(&app, &app.url, &b).await.status(), StatusCode::OK, "another connection is not affected");
    app.clock.advance_ms(60_000);
    assert_eq!(me(&app, &app.url, &a).await.status(), StatusCode::OK, "the next window admits again");
}

async fn passthrough_is_limited_per_secret_key(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { key_per_minute: 4, ..OFF }).await else { return };
    let a = app.connect_mock(&app.workspace.test_key, "a").await.key;
    let b = app.connect_mock(&app.workspace.test_key, "b").await.key;
    for key in [&a, &b, &a, &b] {
        assert_eq!(me(&app, &app.url, key).await.status(), StatusCode::OK);
    }
    assert_error(me(&app, &app.url, &b).await, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
}

async fn token_minting_is_limited_per_secret_key(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { tokens_per_minute: 2, ..OFF }).await else { return };
    let mint = || {
        app.post("/v1/authkit/token")
            .header("x-portico-secret", &app.workspace.test_key)
            .json(&json!({"identity": "u1", "identityType": "user"}))
            .send()
    };
    assert_eq!(mint().await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(mint().await.unwrap().status(), StatusCode::CREATED);
    assert_error(mint().await.unwrap(), StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    let other = app.new_workspace("Other").await;
    let response = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", &other.test_key)
        .json(&json!({"identity": "u1", "identityType": "user"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED, "another key has its own budget");
}

async fn connect_forms_are_limited_per_session(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { forms_per_minute: 2, ..OFF }).await else { return };
    let token = app.mint_token(&app.workspace.test_key, "u1").await;
    for _ in 0..2 {
        let response = app.submit_mock_form(&token, crate::helpers::WRONG_API_KEY).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let body = assert_error(
        app.submit_mock_form(&token, API_KEY).await,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    assert!(body.error.message.contains("try again in"), "in words: {body:?}");
    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 0, "the refused attempt stored nothing");
}

async fn a_limit_holds_across_two_replicas(backend: Backend) {
    let limits = RateLimits { connection_per_minute: 10, ..OFF };
    let Some(app) = with_limits(backend, limits).await else { return };
    let replica = app.spawn_replica(|_| {}).await.unwrap();
    let key = app.connect_mock(&app.workspace.test_key, "a").await.key;
    for _ in 0..6 {
        assert_eq!(me(&app, &app.url, &key).await.status(), StatusCode::OK);
    }
    // Replica A shares its count, replica B learns the total (normally within 250 ms).
    app_state_sync(&app).await;
    replica.state.rate_limiter.sync().await;
    let mut admitted = 0;
    for _ in 0..6 {
        if me(&app, &replica.url, &key).await.status() == StatusCode::OK {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 4, "the second replica admits only what is left of the shared budget");
}

/// Waits (bounded) until the first server's background sync has published its six calls.
async fn app_state_sync(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let row: Option<(i64,)> =
            sqlx::query_as::<_, (i64,)>("SELECT count FROM rate_counters WHERE bucket LIKE 'conn:%'")
                .fetch_optional(app.store.pool())
                .await
                .unwrap();
        if row.is_some_and(|(n,)| n >= 6) || std::time::Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn every_passthrough_call_is_logged_without_secrets(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { connection_per_minute: 2, ..OFF }).await else { return };
    let connection = app.connect_mock(&app.workspace.test_key, "a").await;
    let (key, id) = (connection.key.as_str(), connection.id.as_str());
    app.client
        .get(format!("{}/v1/passthrough/items?secret=hunter2", app.url))
        .header("x-portico-secret", &app.workspace.test_key)
        .header("x-portico-connection-key", key)
        .header("x-portico-action-id", "mock.list-items")
        .send()
        .await
        .unwrap();
    app.clock.advance_ms(5); // distinct times, so the log's order is the calls' order
    me(&app, &app.url, key).await;
    app.clock.advance_ms(5);
    me(&app, &app.url, key).await; // refused by the limit, and logged as such
    let list = || async {
        app.get(&format!("/v1/passthrough-calls?connectionId={id}"))
            .header("x-portico-secret", &app.workspace.test_key)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    // The log is written in the background: wait for it (bounded).
    let mut calls = list().await;
    for _ in 0..100 {
        if calls["rows"].as_array().unwrap().len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        calls = list().await;
    }
    let rows = calls["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{calls}");
    assert_eq!(rows[0]["status"], 429);
    assert_eq!(rows[0]["errorCode"], "rate_limited");
    assert_eq!(rows[2]["path"], "/items", "the query is not logged");
    assert_eq!(rows[2]["actionId"], "mock.list-items");
    assert_eq!(rows[2]["platform"], "mock");
    assert_eq!(rows[2]["status"], 200);
    assert!(rows[2]["latencyMs"].as_i64().unwrap() >= 0);
    let text = calls.to_string();
    for secret in ["hunter2", API_KEY, app.workspace.test_key.as_str()] {
        assert!(!text.contains(secret), "{secret} in the call log");
    }
    let other = app.new_workspace("Other").await;
    let foreign: Value = app
        .get("/v1/passthrough-calls")
        .header("x-portico-secret", &other.test_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(foreign["rows"].as_array().unwrap().len(), 0);
}
