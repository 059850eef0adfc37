//! OAuth connections end to end against the mock OAuth provider (real HTTP): the sign-in flow and
//! its failures, the refresh engine (single flight in one process and across two), rotation,
//! `needs_reauth`, reconnecting in place, client credentials, and revocation on delete.

use std::sync::atomic::Ordering;

use portico::clock::Clock;
use portico::tenancy::{Environment, Scope};
use portico_wire::{AttemptStatus, ConnectionStatus, ConnectionView, ErrorCode, OAuthAttemptStarted, OAuthAttemptView};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};
use crate::on_both_backends;

on_both_backends!(
    sign_in_creates_a_connection_that_passthrough_uses,
    the_pkce_verifier_never_travels_in_a_url,
    a_replayed_state_is_refused_and_changes_nothing,
    an_expired_or_unknown_state_is_refused,
    the_attempt_is_visible_only_to_its_identity,
    denial_wrong_secret_and_provider_errors_store_nothing,
    oauth_platforms_need_the_workspaces_app,
    fifty_concurrent_calls_on_an_expired_token_refresh_once,
    two_processes_on_one_database_refresh_once,
    a_rotated_refresh_token_is_kept_and_used,
    without_rotation_the_old_refresh_token_is_kept,
    a_revoked_grant_marks_the_connection_needs_reauth,
    an_upstream_401_refreshes_once_and_retries_once,
    reconnecting_restores_the_same_connection_key,
    the_sweep_refreshes_tokens_close_to_expiry,
    client_credentials_connect_through_a_form,
    deleting_revokes_the_grant_at_the_provider,
    redirect_mode_returns_to_an_allowed_page_only,
    repeated_refresh_failures_back_off_then_need_reauth,
    forged_states_and_sessionless_starts_get_a_4xx_page,
    a_401_during_the_refresh_back_off_does_not_refresh_again,
    a_huge_token_answer_fails_in_words,
);

mod timeouts {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_token_endpoint_that_does_not_answer_in_time_is_unreachable_in_words() {
        for backend in [crate::helpers::Backend::Sqlite, crate::helpers::Backend::Postgres] {
            let Some(app) =
                TestApp::spawn_with(backend, |c| c.passthrough.timeout = std::time::Duration::from_secs(1)).await
            else {
                continue;
            };
            enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
            mock_control(&app, "/_control/oauth", json!({"tokenFailure": "slow", "slowMs": 3000})).await;
            let token = app.mint_token(&app.workspace.test_key, "alice").await;
            let done = sign_in(&app, &token, json!({"platform": PLATFORM}), "approve").await;
            let outcome = attempt(&app, &token, &done.attempt_id).await;
            let error = outcome.error.as_ref().expect("the attempt failed");
            assert_eq!(error.code, ErrorCode::ProviderUnreachable, "{outcome:?}");
            assert!(error.message.contains("could not reach Mock OAuth Provider"));
            assert!(done.page.contains("could not reach"), "the popup says it too");
            assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 0);
        }
    }
}

const PLATFORM: &str = "mock-oauth";

fn scope(app: &TestApp) -> Scope {
    app.workspace.scope(Environment::Test)
}

async fn mock_control(app: &TestApp, path: &str, body: Value) {
    let response = app.client.post(format!("{}{path}", app.mock.url())).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "mock control {path}: {}", response.status());
}

/// Enables `mock-oauth` in the test environment and gives the workspace the mock's demo client.
pub(crate) async fn enable_oauth(app: &TestApp, secret: &str) {
    let now = app.clock.now_ms();
    app.store.enable_integration(&scope(app), PLATFORM, now).await.unwrap();
    let state = &app.state;
    portico::oauth::apps::put(
        portico::oauth::apps::AppStore { store: &state.store, vault: &state.vault, catalog: &state.catalog },
        &scope(app),
        portico::oauth::apps::NewApp {
            platform: PLATFORM,
            client_id: portico_mock::DEMO_CLIENT_ID,
            client_secret: secret,
            scopes: None,
            new_id: format!("oap_{}", portico::clock::random_hex(&portico::clock::OsEntropy, 16)),
        },
        now,
    )
    .await
    .unwrap();
}

pub(crate) async fn start_attempt(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.post("/v1/authkit/oauth/attempts").bearer_auth(token).json(&body).send().await.unwrap()
}

/// Every URL the browser visited in one sign-in, and the attempt's id.
struct SignIn {
    attempt_id: String,
    urls: Vec<String>,
    callback: String,
    page: String,
}

/// Starts the sign-in as the modal does: a form `POST` of the attempt and its one-time secret into
/// the pop-up, from Portico's own origin (`origin`: `None` for that, or another page's origin).
pub(crate) async fn post_start(
    app: &TestApp,
    started: &OAuthAttemptStarted,
    origin: Option<&str>,
    secret: &str,
) -> reqwest::Response {
    let own = url::Url::parse(&started.start_url).unwrap().origin().ascii_serialization();
    let form = [("attempt", started.attempt_id.as_str()), ("secret", secret)];
    app.client.post(&started.start_url).header("origin", origin.unwrap_or(&own)).form(&form).send().await.unwrap()
}

/// The provider's authorization URL on the page `/oauth/start` answers with.
pub(crate) async fn authorize_url(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK, "start");
    let page = response.text().await.unwrap();
    let href = page.split(r#"id="continue" href=""#).nth(1).and_then(|s| s.split('"').next());
    href.unwrap_or_else(|| panic!("no way on to the provider: {page}")).replace("&amp;", "&")
}

/// Starts the sign-in from the modal's origin and returns the provider's authorization URL.
pub(crate) async fn open_start(app: &TestApp, started: &OAuthAttemptStarted) -> String {
    authorize_url(post_start(app, started, None, &started.start_secret).await).await
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).expect("a redirect").to_string()
}

/// Plays the browser: Portico's start page, the provider's consent page and its decision, then
/// Portico's callback.
async fn sign_in(app: &TestApp, token: &str, body: Value, decision: &str) -> SignIn {
    let response = start_attempt(app, token, body).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
    let started: OAuthAttemptStarted = response.json().await.unwrap();
    let mut urls = vec![started.start_url.clone()];
    let authorize = open_start(app, &started).await;
    let attempt_id = started.attempt_id;
    urls.push(authorize.clone());
    let page = app.client.get(&authorize).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Approve") && html.contains("Deny"), "the consent page");
    let mut form: Vec<(String, String)> = url::Url::parse(&authorize).unwrap().query_pairs().into_owned().collect();
    form.push(("decision".into(), decision.into()));
    let response = app.client.post(format!("{}/oauth/authorize", app.mock.url())).form(&form).send().await.unwrap();
    assert!(response.status().is_redirection(), "decision: {}", response.status());
    let callback = location(&response);
    urls.push(callback.clone());
    let response = app.client.get(&callback).send().await.unwrap();
    let page = if response.status().is_redirection() {
        let back = location(&response);
        urls.push(back.clone());
        back
    } else {
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    };
    SignIn { attempt_id, urls, callback, page }
}

pub(crate) async fn attempt(app: &TestApp, token: &str, id: &str) -> OAuthAttemptView {
    let response = app.get(&format!("/v1/authkit/oauth/attempts/{id}")).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Connects `mock-oauth` for `identity`; returns the connection view.
async fn connect(app: &TestApp, identity: &str) -> ConnectionView {
    let token = app.mint_token(&app.workspace.test_key, identity).await;
    let done = sign_in(app, &token, json!({"platform": PLATFORM}), "approve").await;
    let outcome = attempt(app, &token, &done.attempt_id).await;
    assert_eq!(outcome.status, AttemptStatus::Succeeded, "{outcome:?}");
    outcome.connection.expect("a succeeded attempt shows its connection")
}

async fn me(app: &TestApp, base: &str, key: &str) -> reqwest::Response {
    app.client
        .get(format!("{base}/v1/passthrough/me"))
        .header("x-portico-secret", &app.workspace.test_key)
        .header("x-portico-connection-key", key)
        .send()
        .await
        .unwrap()
}

/// The credentials as stored (opened with the server's vault).
async fn stored_credentials(app: &TestApp, id: &str) -> portico::upstream::Credentials {
    let row = app.store.find_connection(&scope(app), id).await.unwrap().unwrap();
    app.state.vault.open_json(portico::lifecycle::credentials_binding(&scope(app), id), &row.credentials).unwrap()
}

async fn events(app: &TestApp) -> Vec<Value> {
    let response = app.get("/v1/events").header("x-portico-secret", &app.workspace.test_key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["rows"].as_array().unwrap().clone()
}

fn expire_tokens(app: &TestApp) {
    // Portico's clock past the hour the mock's tokens live (the mock itself still honours them).
    app.clock.advance_ms(3_600_000 + 1_000);
}

async fn sign_in_creates_a_connection_that_passthrough_uses(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let connection = connect(&app, "alice").await;
    let key = connection.key.as_str();
    assert!(key.starts_with("test::mock-oauth::default::") && key.ends_with("|alice"), "{key}");
    assert_eq!(connection.status, ConnectionStatus::Active);
    let response = me(&app, &app.url, key).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], "mock-oauth-account-1", "the API saw the OAuth access token");
    let listed = app.list_connections(&app.workspace.test_key, "?identity=alice").await;
    assert_eq!(listed.total, 1);
    let created: Vec<_> = events(&app).await.into_iter().filter(|e| e["name"] == "connection.created").collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["data"]["connectionKey"], key);
    let creds = stored_credentials(&app, connection.id.as_str()).await;
    assert!(creds.get("accessToken").is_some_and(|t| t.starts_with("mat_")));
    assert!(creds.get("refreshToken").is_some_and(|t| t.starts_with("mrt_")));
}

async fn the_pkce_verifier_never_travels_in_a_url(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let done = sign_in(&app, &token, json!({"platform": PLATFORM}), "approve").await;
    let row = app.store.find_attempt(&done.attempt_id).await.unwrap().unwrap();
    let verifier = app
        .state
        .vault
        .open(
            portico::vault::Binding {
                scope: &row.scope,
                table: "oauth_attempts",
                record_id: &row.id,
                field: "pkce_verifier",
            },
            &row.pkce_verifier,
        )
        .unwrap();
    let verifier = String::from_utf8(verifier.to_vec()).unwrap();
    assert!(verifier.len() >= 43);
    for url in &done.urls {
        assert!(!url.contains(&verifier), "the verifier leaked into {url}");
    }
    // The provider got the S256 challenge of that verifier, and `state` is long and random.
    let authorize = url::Url::parse(&done.urls[1]).unwrap();
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    use base64::Engine;
    use sha2::Digest;
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(q["code_challenge"], expected);
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["state"].len() >= 43);
    assert_eq!(q["redirect_uri"], format!("{}/oauth/callback", app.url));
    assert_eq!(q["access_type"], "offline", "extra authorization params from the catalog");
    assert_eq!(q["scope"], "profile items");
    // And the raw state is not what the database holds.
    let db_dump = format!("{row:?}");
    assert!(!db_dump.contains(q["state"].as_str()));
}

async fn a_replayed_state_is_refused_and_changes_nothing(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let done = sign_in(&app, &token, json!({"platform": PLATFORM}), "approve").await;
    assert!(done.page.contains("Connected to Mock OAuth Provider"), "{}", done.page);
    let replay = app.client.get(&done.callback).send().await.unwrap();
    let html = replay.text().await.unwrap();
    assert!(html.contains("already used"), "{html}");
    assert!(html.contains("state_used"));
    assert_eq!(
        attempt(&app, &token, &done.attempt_id).await.status,
        AttemptStatus::Succeeded,
        "the first outcome stands"
    );
    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 1, "no second connection");
    // The start cannot be replayed either: opened as a link it is refused (a second post with the
    // secret is `state_used`: oauth_binding::a_forwarded_start_link_never_reaches_the_provider).
    let again = app.client.get(&done.urls[0]).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("can only be opened from the app"));
}

async fn an_expired_or_unknown_state_is_refused(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    // Unknown (forged) state.
    let forged =
        app.get("/oauth/callback?state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=x").send().await.unwrap();
    assert!(forged.text().await.unwrap().contains("state_invalid"));
    let missing = app.get("/oauth/callback?code=x").send().await.unwrap();
    assert!(missing.text().await.unwrap().contains("state_invalid"));
    // Started, then the user comes back eleven minutes later.
    let started: OAuthAttemptStarted =
        start_attempt(&app, &token, json!({"platform": PLATFORM})).await.json().await.unwrap();
    let authorize = open_start(&app, &started).await;
    let mut form: Vec<(String, String)> = url::Url::parse(&authorize).unwrap().query_pairs().into_owned().collect();
    form.push(("decision".into(), "approve".into()));
    let response = app.client.post(format!("{}/oauth/authorize", app.mock.url())).form(&form).send().await.unwrap();
    let callback = location(&response);
    app.clock.advance_ms(11 * 60 * 1000);
    let late = app.client.get(&callback).send().await.unwrap().text().await.unwrap();
    assert!(late.contains("state_expired"), "{late}");
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let outcome = attempt(&app, &token, &started.attempt_id).await;
    assert_eq!(outcome.status, AttemptStatus::Failed);
    assert_eq!(outcome.error.map(|e| e.code), Some(ErrorCode::StateExpired));
    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 0);
    // An attempt never started expires too.
    let idle: OAuthAttemptStarted =
        start_attempt(&app, &token, json!({"platform": PLATFORM})).await.json().await.unwrap();
    app.clock.advance_ms(11 * 60 * 1000);
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let page = post_start(&app, &idle, None, &idle.start_secret).await.text().await.unwrap();
    assert!(page.contains("state_expired"));
    let outcome = attempt(&app, &token, &idle.attempt_id).await;
    assert_eq!(outcome.error.map(|e| e.code), Some(ErrorCode::StateExpired));
}

async fn the_attempt_is_visible_only_to_its_identity(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let alice = app.mint_token(&app.workspace.test_key, "alice").await;
    let started: OAuthAttemptStarted =
        start_attempt(&app, &alice, json!({"platform": PLATFORM})).await.json().await.unwrap();
    let id = started.attempt_id.as_str();
    let bob = app.mint_token(&app.workspace.test_key, "bob").await;
    let response = app.get(&format!("/v1/authkit/oauth/attempts/{id}")).bearer_auth(&bob).send().await.unwrap();
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let other = app.new_workspace("Other").await;
    let foreign = app.mint_token(&other.test_key, "alice").await;
    let response = app.get(&format!("/v1/authkit/oauth/attempts/{id}")).bearer_auth(&foreign).send().await.unwrap();
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert_eq!(attempt(&app, &alice, id).await.status, AttemptStatus::Pending);
    // Reconnecting someone else's connection is not possible either.
    let connection = connect(&app, "alice").await;
    let response = start_attempt(&app, &bob, json!({"platform": PLATFORM, "connectionId": connection.id})).await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::ConnectionNotFound).await;
}

async fn denial_wrong_secret_and_provider_errors_store_nothing(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let denied = sign_in(&app, &token, json!({"platform": PLATFORM}), "deny").await;
    assert!(denied.page.contains("You declined"), "{}", denied.page);
    let outcome = attempt(&app, &token, &denied.attempt_id).await;
    assert_eq!(outcome.status, AttemptStatus::Failed);
    assert_eq!(outcome.error.map(|e| e.code), Some(ErrorCode::AccessDenied));

    mock_control(&app, "/_control/oauth", json!({"tokenFailure": "server_error", "failNext": 1})).await;
    let failed = sign_in(&app, &token, json!({"platform": PLATFORM}), "approve").await;
    let outcome = attempt(&app, &token, &failed.attempt_id).await;
    assert_eq!(outcome.error.map(|e| e.code), Some(ErrorCode::ProviderError));

    enable_oauth(&app, "the_wrong_secret_123").await;
    let wrong = sign_in(&app, &token, json!({"platform": PLATFORM}), "approve").await;
    let outcome = attempt(&app, &token, &wrong.attempt_id).await;
    let error = outcome.error.expect("the attempt failed");
    assert_eq!(error.code, ErrorCode::InvalidClient);
    assert!(error.message.contains("client id or secret"));
    assert!(!wrong.page.contains("the_wrong_secret_123"), "the secret never reaches a page");

    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 0);
    let about_connections: Vec<Value> =
        events(&app).await.into_iter().filter(|e| e["name"].as_str().unwrap().starts_with("connection.")).collect();
    assert!(about_connections.is_empty(), "nothing happened to any connection: {about_connections:?}");
}

async fn oauth_platforms_need_the_workspaces_app(app: TestApp) {
    app.store.enable_integration(&scope(&app), PLATFORM, app.clock.now_ms()).await.unwrap();
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let session: Value = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let offered: Vec<_> = session["integrations"].as_array().unwrap().iter().map(|i| i["platform"].clone()).collect();
    assert!(!offered.contains(&json!(PLATFORM)), "no OAuth app, not offered: {offered:?}");
    let response = start_attempt(&app, &token, json!({"platform": PLATFORM})).await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::OauthAppMissing).await;
    let response = start_attempt(&app, &token, json!({"platform": "mock"})).await;
    assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::NotOauth).await;
    let response = start_attempt(&app, &token, json!({"platform": "github"})).await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::IntegrationNotFound).await;
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let session: Value = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let card = session["integrations"].as_array().unwrap().iter().find(|i| i["platform"] == PLATFORM).cloned();
    assert_eq!(card.expect("offered once the app exists")["authKind"], "oauth2");
}

async fn fifty_concurrent_calls_on_an_expired_token_refresh_once(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let connection = connect(&app, "alice").await;
    let key = connection.key.clone();
    let before = app.mock.stats.refresh_grants.load(Ordering::SeqCst);
    let old = stored_credentials(&app, connection.id.as_str()).await;
    expire_tokens(&app);
    mock_control(&app, "/_control/oauth", json!({"tokenFailure": "slow", "slowMs": 400})).await;
    let calls = (0..50).map(|_| me(&app, &app.url, &key));
    let statuses: Vec<u16> = futures::future::join_all(calls).await.iter().map(|r| r.status().as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.mock.stats.refresh_grants.load(Ordering::SeqCst) - before, 1, "exactly one token request");
    let new = stored_credentials(&app, connection.id.as_str()).await;
    assert_ne!(new.get("accessToken"), old.get("accessToken"));
    assert!(new.get_i64("expiresAt").unwrap() > app.clock.now_ms());
}

async fn two_processes_on_one_database_refresh_once(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let replica = app.spawn_replica(|_| {}).await.expect("a second portico");
    let connection = connect(&app, "alice").await;
    let key = connection.key.clone();
    let before = app.mock.stats.refresh_grants.load(Ordering::SeqCst);
    expire_tokens(&app);
    // A slow token endpoint: without single flight, both processes would be in it at once.
    mock_control(&app, "/_control/oauth", json!({"tokenFailure": "slow", "slowMs": 400})).await;
    let calls = (0..50).map(|i| {
        let base = if i % 2 == 0 { app.url.clone() } else { replica.url.clone() };
        let key = key.clone();
        let app = &app;
        async move { me(app, &base, &key).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        app.mock.stats.refresh_grants.load(Ordering::SeqCst) - before,
        1,
        "one token request across both processes"
    );
}

async fn a_rotated_refresh_token_is_kept_and_used(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    mock_control(&app, "/_control/oauth", json!({"rotateRefreshTokens": true})).await;
    let connection = connect(&app, "alice").await;
    let id = connection.id.as_str();
    let key = connection.key.as_str();
    let first = stored_credentials(&app, id).await.get("refreshToken").unwrap().to_string();
    for round in 0..3 {
        expire_tokens(&app);
        let response = me(&app, &app.url, key).await;
        assert_eq!(response.status(), StatusCode::OK, "round {round}: the rotated token worked");
    }
    let last = stored_credentials(&app, id).await.get("refreshToken").unwrap().to_string();
    assert_ne!(first, last, "the rotated refresh token was stored");
    assert_eq!(app.mock.stats.refresh_grants.load(Ordering::SeqCst), 3);
}

async fn without_rotation_the_old_refresh_token_is_kept(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let connection = connect(&app, "alice").await;
    let id = connection.id.as_str();
    let first = stored_credentials(&app, id).await;
    expire_tokens(&app);
    assert_eq!(me(&app, &app.url, connection.key.as_str()).await.status(), StatusCode::OK);
    let after = stored_credentials(&app, id).await;
    assert_eq!(after.get("refreshToken"), first.get("refreshToken"), "no new refresh token: keep the old one");
    assert_ne!(after.get("accessToken"), first.get("accessToken"));
}

async fn a_revoked_grant_marks_the_connection_needs_reauth(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let connection = connect(&app, "alice").await;
    let key = connection.key.as_str();
    mock_control(&app, "/_control/oauth/revoke-all", json!({})).await;
    expire_tokens(&app);
    let response = me(&app, &app.url, key).await;
    assert_error(response, StatusCode::CONFLICT, ErrorCode::NeedsReauth).await;
    let listed = app.list_connections(&app.workspace.test_key, "?status=needs_reauth").await;
    assert_eq!(listed.total, 1);
    assert_eq!(listed.rows[0].key, key);
    let failed: Vec<_> = events(&app).await.into_iter().filter(|e| e["name"] == "connection.refresh_failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["data"]["reason"], "invalid_grant");
    assert_eq!(failed[0]["data"]["needsReauth"], true);
    // Later calls fail fast without asking the provider again.
    let before = app.mock.stats.token_requests.load(Ordering::SeqCst);
    assert_error(me(&app, &app.url, key).await, StatusCode::CONFLICT, ErrorCode::NeedsReauth).await;
    assert_eq!(app.mock.stats.token_requests.load(Ordering::SeqCst), before);
}

async fn an_upstream_401_refreshes_once_and_retries_once(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    // Tokens that die after a second of real time, while Portico's clock says they are fresh.
    mock_control(&app, "/_control/oauth", json!({"accessTokenTtlSecs": 1})).await;
    let connection = connect(&app, "alice").await;
    let key = connection.key.as_str();
    mock_control(&app, "/_control/oauth", json!({"accessTokenTtlSecs": 3600})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let before = app.mock.stats.refresh_grants.load(Ordering::SeqCst);
    let response = me(&app, &app.url, key).await;
    assert_eq!(response.status(), StatusCode::OK, "refreshed after the 401 and retried");
    assert_eq!(app.mock.stats.refresh_grants.load(Ordering::SeqCst) - before, 1);
    // A provider that keeps refusing: one refresh, one retry, then its 401 as sent.
    mock_control(&app, "/_control/oauth", json!({"accessTokenTtlSecs": 1})).await;
    expire_tokens(&app);
    assert_eq!(me(&app, &app.url, key).await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    let before = app.mock.stats.refresh_grants.load(Ordering::SeqCst);
    mock_control(&app, "/_control/oauth", json!({"accessTokenTtlSecs": 1})).await;
    let _ = me(&app, &app.url, key).await;
    assert!(app.mock.stats.refresh_grants.load(Ordering::SeqCst) - before <= 1, "never more than one refresh per call");
}

async fn reconnecting_restores_the_same_connection_key(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let connection = connect(&app, "alice").await;
    let key = connection.key.as_str();
    mock_control(&app, "/_control/oauth/revoke-all", json!({})).await;
    expire_tokens(&app);
    assert_error(me(&app, &app.url, key).await, StatusCode::CONFLICT, ErrorCode::NeedsReauth).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let session: Value = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(session["connections"][0]["status"], "needs_reauth", "the modal can offer Reconnect");
    let done = sign_in(&app, &token, json!({"platform": PLATFORM, "connectionId": connection.id}), "approve").await;
    let outcome = attempt(&app, &token, &done.attempt_id).await;
    assert_eq!(outcome.status, AttemptStatus::Succeeded);
    let reconnected = outcome.connection.expect("a succeeded attempt shows its connection");
    assert_eq!(reconnected.key, key, "same connection key");
    assert_eq!(reconnected.id, connection.id);
    assert_eq!(reconnected.status, ConnectionStatus::Active);
    assert_eq!(me(&app, &app.url, key).await.status(), StatusCode::OK);
    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 1);
    assert!(events(&app)
        .await
        .iter()
        .any(|e| e["name"] == "connection.reauthorized" && e["data"]["connectionKey"] == key));
}

async fn the_sweep_refreshes_tokens_close_to_expiry(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let a = connect(&app, "alice").await;
    let b = connect(&app, "bob").await;
    let report = portico::oauth::refresh::sweep(&app.state, 100).await.unwrap();
    assert_eq!(report.due, 0, "fresh tokens are left alone");
    // Within the five-minute margin of the hour-long tokens.
    app.clock.advance_ms(3_600_000 - 60_000);
    let report = portico::oauth::refresh::sweep(&app.state, 100).await.unwrap();
    assert_eq!((report.due, report.refreshed, report.failed), (2, 2, 0));
    for c in [a, b] {
        let creds = stored_credentials(&app, &c.id).await;
        assert!(creds.get_i64("expiresAt").unwrap() > app.clock.now_ms() + 3_000_000);
    }
    assert_eq!(portico::oauth::refresh::sweep(&app.state, 100).await.unwrap().due, 0);
}

async fn client_credentials_connect_through_a_form(app: TestApp) {
    app.store.enable_integration(&scope(&app), "mock-cc", app.clock.now_ms()).await.unwrap();
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let submit = |secret: &'static str| {
        app.post("/v1/authkit/connections")
            .bearer_auth(&token)
            .json(&json!({"platform": "mock-cc", "fields": {"clientId": portico_mock::DEMO_CLIENT_ID, "clientSecret": secret}}))
            .send()
    };
    assert_error(
        submit("not_the_secret_1").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidCredentials,
    )
    .await;
    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 0);
    let response = submit(portico_mock::DEMO_CLIENT_SECRET).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let connection: ConnectionView = response.json().await.unwrap();
    let key = connection.key.as_str();
    assert_eq!(me(&app, &app.url, key).await.status(), StatusCode::OK);
    // Renewal is a new client-credentials grant.
    let before = app.mock.stats.client_credentials_grants.load(Ordering::SeqCst);
    expire_tokens(&app);
    assert_eq!(me(&app, &app.url, key).await.status(), StatusCode::OK);
    assert_eq!(app.mock.stats.client_credentials_grants.load(Ordering::SeqCst) - before, 1);
}

async fn deleting_revokes_the_grant_at_the_provider(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let connection = connect(&app, "alice").await;
    let id = connection.id.as_str();
    let old = stored_credentials(&app, id).await;
    let before = app.mock.stats.revocations.load(Ordering::SeqCst);
    let response = app
        .request(reqwest::Method::DELETE, &format!("/v1/vault/connections/{id}"))
        .header("x-portico-secret", &app.workspace.test_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.mock.stats.revocations.load(Ordering::SeqCst) - before, 1);
    // The grant is dead at the provider: its access token no longer works there.
    let direct = app
        .client
        .get(format!("{}/api/me", app.mock.url()))
        .bearer_auth(old.get("accessToken").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), StatusCode::UNAUTHORIZED);
    let deleted: Vec<_> = events(&app).await.into_iter().filter(|e| e["name"] == "connection.deleted").collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["data"]["revokedAtProvider"], true);
}

async fn redirect_mode_returns_to_an_allowed_page_only(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    for bad in [
        json!({"platform": PLATFORM, "mode": "redirect"}),
        json!({"platform": PLATFORM, "mode": "redirect", "returnTo": "https://evil.example/x"}),
        json!({"platform": PLATFORM, "mode": "redirect", "returnTo": "javascript:alert(1)"}),
    ] {
        assert_error(
            start_attempt(&app, &token, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidReturnTo,
        )
        .await;
    }
    let return_to = format!("{}/settings?tab=apps", crate::helpers::HOST_ORIGIN);
    let done =
        sign_in(&app, &token, json!({"platform": PLATFORM, "mode": "redirect", "returnTo": return_to}), "approve")
            .await;
    let back = url::Url::parse(&done.page).unwrap();
    assert_eq!(back.origin().ascii_serialization(), crate::helpers::HOST_ORIGIN);
    assert_eq!(back.path(), "/settings");
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["tab"], "apps");
    assert_eq!(q["portico_attempt"], done.attempt_id);
    // After the round trip the host page mints a new token for the same identity and asks.
    let fresh = app.mint_token(&app.workspace.test_key, "alice").await;
    assert_eq!(attempt(&app, &fresh, &done.attempt_id).await.status, AttemptStatus::Succeeded);
}

async fn repeated_refresh_failures_back_off_then_need_reauth(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let connection = connect(&app, "alice").await;
    let key = connection.key.as_str();
    mock_control(&app, "/_control/oauth", json!({"tokenFailure": "server_error"})).await;
    expire_tokens(&app);
    let requests = || app.mock.stats.token_requests.load(Ordering::SeqCst);
    // Failure 1 (of PORTICO_REFRESH_MAX_FAILURES = 3): the caller hears it was the refresh.
    let before = requests();
    assert_error(me(&app, &app.url, key).await, StatusCode::BAD_GATEWAY, ErrorCode::RefreshFailed).await;
    assert_eq!(requests() - before, 1);
    // During the back-off nobody asks the provider again.
    let response = me(&app, &app.url, key).await;
    assert!(response.headers().contains_key("retry-after"), "a cooling-down answer says when to retry");
    assert_error(response, StatusCode::BAD_GATEWAY, ErrorCode::RefreshFailed).await;
    assert_eq!(requests() - before, 1, "no token request while backing off");
    // Failures 2 and 3, each after its back-off (30 s, then 60 s).
    app.clock.advance_ms(31_000);
    assert_error(me(&app, &app.url, key).await, StatusCode::BAD_GATEWAY, ErrorCode::RefreshFailed).await;
    app.clock.advance_ms(61_000);
    assert_error(me(&app, &app.url, key).await, StatusCode::CONFLICT, ErrorCode::NeedsReauth).await;
    assert_eq!(requests() - before, 3);
    let failed: Vec<_> = events(&app).await.into_iter().filter(|e| e["name"] == "connection.refresh_failed").collect();
    assert_eq!(failed.len(), 3);
    assert_eq!(failed[0]["data"]["failures"], 3, "newest first");
    assert_eq!(failed[0]["data"]["needsReauth"], true);
    assert_eq!(failed[0]["data"]["reason"], "provider_error");
    assert_eq!(failed[2]["data"]["needsReauth"], false);
    let listed = app.list_connections(&app.workspace.test_key, "?status=needs_reauth").await;
    assert_eq!(listed.total, 1);
}

async fn forged_states_and_sessionless_starts_get_a_4xx_page(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    for (path, code) in [
        ("/oauth/callback?state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=x", "state_invalid"),
        ("/oauth/callback?code=x", "state_invalid"),
        ("/oauth/callback", "state_invalid"),
        ("/oauth/start", "state_invalid"),
        ("/oauth/start?attempt=att_forged0000000000000000", "state_invalid"),
    ] {
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/html"), "{path}: still the worded page, {content_type}");
        let page = response.text().await.unwrap();
        assert!(page.contains(code) && page.contains("Could not connect"), "{path}: {page}");
    }
    assert_eq!(app.list_connections(&app.workspace.test_key, "").await.total, 0);
}

async fn a_401_during_the_refresh_back_off_does_not_refresh_again(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    // A token that dies after a second of real time, while Portico's clock says it is fresh.
    mock_control(&app, "/_control/oauth", json!({"accessTokenTtlSecs": 1})).await;
    let connection = connect(&app, "alice").await;
    let key = connection.key.as_str();
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    mock_control(&app, "/_control/oauth", json!({"tokenFailure": "server_error"})).await;
    let requests = || app.mock.stats.token_requests.load(Ordering::SeqCst);
    let before = requests();
    // The provider refuses the token (401): one refresh, which fails and starts the back-off.
    assert_error(me(&app, &app.url, key).await, StatusCode::BAD_GATEWAY, ErrorCode::RefreshFailed).await;
    assert_eq!(requests() - before, 1);
    // Every further 401 during the back-off is answered without asking the token endpoint.
    for _ in 0..5 {
        let response = me(&app, &app.url, key).await;
        assert!(response.headers().contains_key("retry-after"), "says when to come back");
        assert_error(response, StatusCode::BAD_GATEWAY, ErrorCode::RefreshFailed).await;
    }
    assert_eq!(requests() - before, 1, "no refresh storm during the back-off");
    // Once it is over, one more try.
    app.clock.advance_ms(31_000);
    let _ = me(&app, &app.url, key).await;
    assert_eq!(requests() - before, 2);
}

async fn a_huge_token_answer_fails_in_words(app: TestApp) {
    enable_oauth(&app, portico_mock::DEMO_CLIENT_SECRET).await;
    let connection = connect(&app, "alice").await;
    let key = connection.key.as_str();
    // A valid token answer, padded to 4 MiB.
    mock_control(&app, "/_control/oauth", json!({"tokenFailure": "huge_answer"})).await;
    expire_tokens(&app);
    let body = assert_error(me(&app, &app.url, key).await, StatusCode::BAD_GATEWAY, ErrorCode::RefreshFailed).await;
    let message = &body.error.message;
    assert!(message.contains("too large"), "{message}");
}
