//! Review findings #2 and #3, the parts about bearer codes and unauthenticated callers: a connect
//! link works once and keeps its session's budget; link exchanges, the OAuth pages and wrong secret
//! keys are limited per client address; expired rows are pruned.

use portico::config::RateLimits;
use portico_wire::ErrorCode;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;

use crate::helpers::{assert_error, Backend, TestApp};

macro_rules! limited {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Sqlite).await } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Postgres).await } )* }
    };
}

limited!(
    a_connect_link_works_once_even_when_raced,
    a_session_keeps_one_budget_across_its_link,
    link_exchanges_are_limited_per_address,
    wrong_secret_keys_are_limited_per_address_and_right_ones_still_work,
    the_oauth_pages_are_limited_per_address_in_words,
    expired_tokens_links_attempts_and_sessions_are_pruned,
);

async fn with_limits(backend: Backend, limits: RateLimits) -> Option<TestApp> {
    TestApp::spawn_with(backend, move |c| c.rate_limits = limits).await
}

/// Mints a token for `identity`; returns (token, link code).
async fn mint(app: &TestApp, identity: &str) -> (String, String) {
    let body: Value = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&json!({"identity": identity, "identityType": "user"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = body["connectLink"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    (body["token"].as_str().unwrap().to_string(), link)
}

async fn exchange(app: &TestApp, code: &str) -> reqwest::Response {
    app.post("/v1/authkit/link").json(&json!({"link": code})).send().await.unwrap()
}

async fn a_connect_link_works_once_even_when_raced(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits::OFF).await else { return };
    let (_, code) = mint(&app, "u1").await;
    assert_eq!(exchange(&app, &code).await.status(), StatusCode::OK);
    let again = assert_error(exchange(&app, &code).await, StatusCode::UNAUTHORIZED, ErrorCode::LinkUsed).await;
    assert!(again.error.message.contains("already opened"), "{}", again.error.message);

    // Eight pages exchanging one fresh link at once: exactly one gets a session.
    let (_, code) = mint(&app, "u2").await;
    let races = (0..8).map(|_| exchange(&app, &code));
    let statuses: Vec<StatusCode> = futures::future::join_all(races).await.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count(), 7, "{statuses:?}");
}

async fn a_session_keeps_one_budget_across_its_link(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { forms_per_minute: 3, ..RateLimits::OFF }).await else { return };
    let (token, code) = mint(&app, "u1").await;
    for _ in 0..3 {
        assert_eq!(app.submit_mock_form(&token, "wrong").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let exchanged: Value = exchange(&app, &code).await.json().await.unwrap();
    let page_token = exchanged["token"].as_str().unwrap();
    let refused = app.submit_mock_form(page_token, "wrong").await;
    assert_error(refused, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    // Another session has its own budget.
    let (other, _) = mint(&app, "u2").await;
    assert_eq!(app.submit_mock_form(&other, "wrong").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn link_exchanges_are_limited_per_address(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { address_per_minute: 4, ..RateLimits::OFF }).await else { return };
    let guess = format!("lnk_{}", "a".repeat(43));
    for _ in 0..4 {
        assert_error(exchange(&app, &guess).await, StatusCode::UNAUTHORIZED, ErrorCode::InvalidLink).await;
    }
    let (_, code) = mint(&app, "u1").await;
    let refused = exchange(&app, &code).await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_error(refused, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    app.clock.advance_ms(60_000);
    assert_eq!(exchange(&app, &code).await.status(), StatusCode::OK, "the next minute admits again, link unused");
}

async fn wrong_secret_keys_are_limited_per_address_and_right_ones_still_work(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { address_per_minute: 3, ..RateLimits::OFF }).await else { return };
    let wrong = format!("{}x", &app.workspace.test_key[..app.workspace.test_key.len() - 1]);
    let list = |key: String| app.get("/v1/vault/connections").header("x-portico-secret", key).send();
    for _ in 0..3 {
        assert_error(list(wrong.clone()).await.unwrap(), StatusCode::UNAUTHORIZED, ErrorCode::InvalidSecretKey).await;
    }
    assert_error(list(wrong.clone()).await.unwrap(), StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    assert_eq!(list(app.workspace.test_key.clone()).await.unwrap().status(), StatusCode::OK);
}

async fn the_oauth_pages_are_limited_per_address_in_words(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits { address_per_minute: 2, ..RateLimits::OFF }).await else { return };
    let forged = "/oauth/callback?state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=x";
    for _ in 0..2 {
        assert_eq!(app.get(forged).send().await.unwrap().status(), StatusCode::BAD_REQUEST);
    }
    let refused = app.get(forged).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    assert!(refused.text().await.unwrap().contains("Wait a minute and try again"), "a worded page");
}

async fn count(app: &TestApp, table: &str) -> i64 {
    let row = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}")).fetch_one(app.store.pool()).await.unwrap();
    row.try_get::<i64, _>("n").unwrap()
}

async fn expired_tokens_links_attempts_and_sessions_are_pruned(backend: Backend) {
    let Some(app) = with_limits(backend, RateLimits::OFF).await else { return };
    mint(&app, "u1").await;
    let agent = app
        .post("/v1/agent/token")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&json!({"identity": "u1", "identityType": "user"}))
        .send()
        .await
        .unwrap();
    assert_eq!(agent.status(), StatusCode::CREATED);
    crate::oauth::enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let (token, _) = mint(&app, "u1").await;
    let attempt = crate::oauth::start_attempt(&app, &token, json!({"platform": "mock-oauth"})).await;
    assert_eq!(attempt.status(), StatusCode::CREATED);
    let now = portico::clock::Clock::now_ms(app.clock.as_ref());
    let email = portico::operators::Email::parse("ops@example.com").unwrap();
    let entropy = portico::clock::OsEntropy;
    let operator = portico::operators::create_operator(&app.store, &entropy, now, &email, "a long passphrase", None)
        .await
        .unwrap();
    portico::operators::sessions::start(&app.store, &entropy, now, &operator.id).await.unwrap();
    let tables = ["authkit_tokens", "agent_tokens", "oauth_attempts", "dashboard_sessions"];
    for table in tables {
        assert!(count(&app, table).await >= 1, "{table} has a row to prune");
    }
    // Within a day of expiry rows stay, so a late request is told "expired", not "unknown".
    app.clock.advance_ms(3600 * 1000);
    portico::housekeeping::prune_once(&app.state).await;
    for table in tables {
        assert!(count(&app, table).await >= 1, "{table} kept within a day of expiry");
    }
    app.clock.advance_ms(2 * 24 * 3600 * 1000);
    portico::housekeeping::prune_once(&app.state).await;
    for table in tables {
        assert_eq!(count(&app, table).await, 0, "{table} pruned");
    }
    assert!(count(&app, "workspaces").await >= 1, "the scan reads the database");
}
