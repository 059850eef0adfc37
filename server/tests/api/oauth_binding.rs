//! Review finding #1: an OAuth sign-in starts only in the window that created it. `startUrl` is a
//! form `POST` that needs the attempt's one-time secret and must come from Portico's own origin (or,
//! in redirect mode, from the `returnTo` page's origin). A start link forwarded to another person's
//! browser, opened on its own or posted from another site, never reaches the provider.

use portico_wire::{AttemptStatus, OAuthAttemptStarted};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, HOST_ORIGIN};
use crate::oauth::{attempt, authorize_url, enable_oauth, post_start, start_attempt};
use crate::on_both_backends;
use crate::storage::{contains, database_bytes, hex};

on_both_backends!(
    a_forwarded_start_link_never_reaches_the_provider,
    redirect_mode_starts_only_from_the_return_pages_origin,
    the_start_secret_is_stored_only_as_a_hash,
);

const PLATFORM: &str = "mock-oauth";

async fn started(app: &TestApp, token: &str, body: serde_json::Value) -> OAuthAttemptStarted {
    let response = start_attempt(app, token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// The worded refusal: a 400 page that names no provider URL.
async fn assert_refused(app: &TestApp, response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{what}");
    let page = response.text().await.unwrap();
    assert!(page.contains("can only be opened from the app that started it"), "{what}: {page}");
    assert!(!page.contains(&app.mock.url()), "{what}: the page leads to the provider");
    assert!(!page.contains("/oauth/authorize"), "{what}: the page leads to the provider");
}

async fn a_forwarded_start_link_never_reaches_the_provider(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let mine = started(&app, &token, json!({"platform": PLATFORM})).await;
    let other = started(&app, &token, json!({"platform": PLATFORM})).await;
    let secret = mine.start_secret.as_str();
    assert!(secret.len() >= 40 && !mine.start_url.contains(secret), "the secret is not in the URL");

    // The link opened on its own, with or without the attempt id (as the old startUrl was).
    let link = app.client.get(&mine.start_url).send().await.unwrap();
    assert_refused(&app, link, "GET startUrl").await;
    let old_link = format!("{}?attempt={}", mine.start_url, mine.attempt_id);
    assert_refused(&app, app.client.get(&old_link).send().await.unwrap(), "GET ?attempt=").await;
    // Posted from another site, from a no-referrer page (Origin: null), or with no Origin at all.
    assert_refused(&app, post_start(&app, &mine, Some("https://evil.example"), secret).await, "other site").await;
    assert_refused(&app, post_start(&app, &mine, Some(HOST_ORIGIN), secret).await, "host page, popup mode").await;
    assert_refused(&app, post_start(&app, &mine, Some("null"), secret).await, "Origin: null").await;
    let form = [("attempt", mine.attempt_id.as_str()), ("secret", secret)];
    let no_origin = app.client.post(&mine.start_url).form(&form).send().await.unwrap();
    assert_refused(&app, no_origin, "no Origin").await;
    // From Portico's origin but without the right secret: missing, wrong, another attempt's.
    assert_refused(&app, post_start(&app, &mine, None, "").await, "no secret").await;
    let wrong = "A".repeat(43);
    assert_refused(&app, post_start(&app, &mine, None, &wrong).await, "wrong secret").await;
    assert_refused(&app, post_start(&app, &mine, None, &other.start_secret).await, "another secret").await;
    let not_a_form = app.client.post(&mine.start_url).header("origin", own_origin(&mine)).json(&form).send().await;
    assert_refused(&app, not_a_form.unwrap(), "a JSON body").await;

    // None of that used the attempt up: the window that created it still can.
    assert_eq!(attempt(&app, &token, &mine.attempt_id).await.status, AttemptStatus::Pending);
    let authorize = authorize_url(post_start(&app, &mine, None, secret).await).await;
    assert!(authorize.starts_with(&format!("{}/oauth/authorize?", app.mock.url())), "{authorize}");
    // And only once.
    let again = post_start(&app, &mine, None, secret).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("state_used"));
}

fn own_origin(started: &OAuthAttemptStarted) -> String {
    url::Url::parse(&started.start_url).unwrap().origin().ascii_serialization()
}

async fn redirect_mode_starts_only_from_the_return_pages_origin(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let return_to = format!("{HOST_ORIGIN}/settings");
    let body = json!({"platform": PLATFORM, "mode": "redirect", "returnTo": return_to});
    let redirect = started(&app, &token, body.clone()).await;
    let secret = redirect.start_secret.clone();
    assert_refused(&app, post_start(&app, &redirect, Some("https://evil.example"), &secret).await, "other site").await;
    assert_refused(&app, post_start(&app, &redirect, Some("http://host.example:4001"), &secret).await, "other port")
        .await;
    let authorize = authorize_url(post_start(&app, &redirect, Some(HOST_ORIGIN), &secret).await).await;
    assert!(authorize.contains("/oauth/authorize?"), "the host page's own form starts it");
}

async fn the_start_secret_is_stored_only_as_a_hash(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let attempt = started(&app, &token, json!({"platform": PLATFORM})).await;
    let bytes = database_bytes(&app).await;
    assert!(contains(&bytes, attempt.attempt_id.as_bytes()), "the scan sees the attempt's row");
    let secret = attempt.start_secret.as_bytes();
    assert!(!contains(&bytes, secret) && !contains(&bytes, hex(secret).as_bytes()), "the start secret in clear");
}
