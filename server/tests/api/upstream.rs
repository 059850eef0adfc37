//! Passthrough against a difficult upstream: retries and `Retry-After`, timeouts, unreachable and
//! private addresses, cookies.

use std::time::Instant;

use portico_wire::ErrorCode;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_error, TestApp};
use crate::on_both_backends;

on_both_backends!(
    retries_honour_retry_after,
    without_the_retry_header_a_429_comes_back_as_sent,
    a_retry_after_beyond_the_cap_is_returned_not_waited,
    server_errors_are_retried_with_backoff,
    a_request_body_is_sent_again_on_retry,
    bad_retry_headers_are_refused,
    a_slow_upstream_times_out_with_504,
    an_unreachable_upstream_is_502,
    private_addresses_need_the_allow_list_even_behind_a_name,
    upstream_cookies_come_back_as_sent,
);

async fn connection_key(app: &TestApp) -> String {
    app.connect_mock(&app.workspace.test_key, "u1").await.key
}

fn call(app: &TestApp, base: &str, method: reqwest::Method, path: &str, key: &str) -> reqwest::RequestBuilder {
    app.client
        .request(method, format!("{base}/v1/passthrough/{path}"))
        .header("x-portico-secret", &app.workspace.test_key)
        .header("x-portico-connection-key", key)
}

async fn retries_honour_retry_after(app: TestApp) {
    let key = connection_key(&app).await;
    let started = Instant::now();
    let response = call(&app, &app.url, reqwest::Method::GET, "flaky/a?fail=2&status=429&retry_after=1", &key)
        .header("x-portico-retries", "2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-portico-attempts"], "3");
    assert_eq!(response.json::<Value>().await.unwrap()["calls"], 3);
    assert!(started.elapsed().as_millis() >= 1900, "waited Retry-After (1 s) twice");
}

async fn without_the_retry_header_a_429_comes_back_as_sent(app: TestApp) {
    let key = connection_key(&app).await;
    let response = call(&app, &app.url, reqwest::Method::GET, "flaky/b?fail=1&status=429&retry_after=7", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "try_later");
}

async fn a_retry_after_beyond_the_cap_is_returned_not_waited(app: TestApp) {
    let key = connection_key(&app).await;
    let started = Instant::now();
    let response = call(&app, &app.url, reqwest::Method::GET, "flaky/c?fail=1&status=503&retry_after=120", &key)
        .header("x-portico-retries", "3")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["x-portico-attempts"], "1");
    assert!(started.elapsed().as_secs() < 30, "did not wait two minutes");
}

async fn server_errors_are_retried_with_backoff(app: TestApp) {
    let key = connection_key(&app).await;
    let response = call(&app, &app.url, reqwest::Method::GET, "flaky/d?fail=1&status=502", &key)
        .header("x-portico-retries", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-portico-attempts"], "2");
}

async fn a_request_body_is_sent_again_on_retry(app: TestApp) {
    let key = connection_key(&app).await;
    let response = call(&app, &app.url, reqwest::Method::POST, "flaky/e?fail=1&status=500", &key)
        .header("x-portico-retries", "1")
        .json(&serde_json::json!({"title": "again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let too_big = call(&app, &app.url, reqwest::Method::POST, "flaky/f", &key)
        .header("x-portico-retries", "1")
        .body(vec![b'x'; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_error(too_big, StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::RetryBodyTooLarge).await;
}

async fn bad_retry_headers_are_refused(app: TestApp) {
    let key = connection_key(&app).await;
    for value in ["4", "-1", "many"] {
        let response = call(&app, &app.url, reqwest::Method::GET, "me", &key)
            .header("x-portico-retries", value)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRetries).await;
    }
}

async fn a_slow_upstream_times_out_with_504(app: TestApp) {
    let key = connection_key(&app).await;
    let impatient = app.spawn_replica(|c| c.passthrough.timeout = std::time::Duration::from_millis(300)).await.unwrap();
    let response = call(&app, &impatient.url, reqwest::Method::GET, "slow?ms=3000", &key).send().await.unwrap();
    let body = assert_error(response, StatusCode::GATEWAY_TIMEOUT, ErrorCode::UpstreamTimeout).await;
    assert!(body.error.message.contains("Mock Provider"), "says it was the upstream");
}

async fn an_unreachable_upstream_is_502(app: TestApp) {
    let key = connection_key(&app).await;
    // A port nobody listens on (bound, then released).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let gone = format!("http://{closed}");
    let replica = app
        .spawn_replica(|c| {
            c.mock_provider_url = gone.clone();
            c.passthrough.allow_private = vec![gone.clone()];
        })
        .await
        .unwrap();
    let response = call(&app, &replica.url, reqwest::Method::GET, "me", &key).send().await.unwrap();
    assert_error(response, StatusCode::BAD_GATEWAY, ErrorCode::UpstreamUnreachable).await;
}

async fn private_addresses_need_the_allow_list_even_behind_a_name(app: TestApp) {
    use std::sync::atomic::Ordering;
    let key = connection_key(&app).await;
    let before = app.mock.stats.api_requests.load(Ordering::SeqCst);
    // No allow-list at all: the loopback literal is refused before any connection.
    let strict = app.spawn_replica(|c| c.passthrough.allow_private = vec![]).await.unwrap();
    let response = call(&app, &strict.url, reqwest::Method::GET, "me", &key).send().await.unwrap();
    assert_error(response, StatusCode::BAD_GATEWAY, ErrorCode::UpstreamForbidden).await;
    // The same address behind a name (`localhost`): the resolved address is checked too.
    let by_name = app.mock.url().replace("127.0.0.1", "localhost");
    let allowed_literal = app.mock.url();
    let named = app
        .spawn_replica(|c| {
            c.mock_provider_url = by_name.clone();
            c.passthrough.allow_private = vec![allowed_literal.clone()];
        })
        .await
        .unwrap();
    let response = call(&app, &named.url, reqwest::Method::GET, "me", &key).send().await.unwrap();
    assert_error(response, StatusCode::BAD_GATEWAY, ErrorCode::UpstreamForbidden).await;
    assert_eq!(app.mock.stats.api_requests.load(Ordering::SeqCst), before, "nothing reached the private address");
}

async fn upstream_cookies_come_back_as_sent(app: TestApp) {
    let key = connection_key(&app).await;
    let response = call(&app, &app.url, reqwest::Method::GET, "cookie", &key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["set-cookie"], "mock_session=abc123; Path=/; HttpOnly; SameSite=Lax");
}
