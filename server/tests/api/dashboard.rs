//! The operator dashboard's door: sign-in with argon2id passwords and lock-out, sessions with
//! idle expiry, CSRF (token and Origin) on every state change, and workspace membership checked
//! by every server function (a stranger's workspace is 404).

use portico::operators::{create_operator, sessions, Email, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    the_password_is_stored_as_an_argon2id_hash,
    signs_in_and_out,
    wrong_passwords_are_worded_and_lock_the_account,
    sign_in_from_a_foreign_origin_is_refused,
    server_functions_need_the_csrf_token_and_our_origin,
    an_expired_session_goes_to_the_sign_in_page,
    every_server_function_is_404_for_a_stranger_workspace,
    toggles_integrations_and_records_who_did_it,
    the_oauth_client_secret_never_comes_back,
);

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) struct Operator {
    pub(crate) email: String,
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

pub(crate) async fn make_operator(app: &TestApp, email: &str) -> String {
    let email = Email::parse(email).unwrap();
    let member_of = Some((&app.workspace.id, Role::Owner));
    let row = create_operator(&app.store, &portico::clock::OsEntropy, app.clock.now(), &email, PASSWORD, member_of)
        .await
        .unwrap();
    row.id
}

trait Now {
    fn now(&self) -> i64;
}

impl Now for std::sync::Arc<portico::clock::ManualClock> {
    fn now(&self) -> i64 {
        use portico::clock::Clock;
        self.now_ms()
    }
}

async fn post_sign_in(app: &TestApp, email: &str, password: &str, origin: &str) -> reqwest::Response {
    app.post("/dashboard/sign-in")
        .header("origin", origin)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

pub(crate) async fn sign_in(app: &TestApp, email: &str) -> Operator {
    let response = post_sign_in(app, email, PASSWORD, &app.url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/");
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax") && set_cookie.contains("Path=/"));
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let token = cookie.split_once('=').unwrap().1;
    Operator { email: email.to_string(), cookie: cookie.clone(), csrf: sessions::csrf_token(token) }
}

pub(crate) async fn call(
    app: &TestApp,
    op: &Operator,
    endpoint: &str,
    body: Value,
    origin: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = app
        .post(&format!("/dashboard/api/{endpoint}"))
        .header("cookie", &op.cookie)
        .header("accept", "application/json")
        .json(&body);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn the_password_is_stored_as_an_argon2id_hash(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let row = app.store.find_operator_by_email("ada@example.com").await.unwrap().unwrap();
    assert!(row.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", row.password_hash);
    let dump: Vec<(String, String)> =
        sqlx::query_as("SELECT email, password_hash FROM operators").fetch_all(app.store.pool()).await.unwrap();
    assert!(dump.iter().all(|(_, hash)| !hash.contains(PASSWORD)));
}

async fn signs_in_and_out(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let op = sign_in(&app, "ADA@example.com ").await;
    assert!(op.cookie.starts_with("portico_session="), "plain-http localhost cannot use __Host-");
    let page = app.get("/").header("cookie", &op.cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("ada@example.com"));
    // Sign-out needs the CSRF token too.
    let refused = app
        .post("/dashboard/sign-out")
        .header("cookie", &op.cookie)
        .header("origin", &app.url)
        .form(&[("csrf", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let out = app
        .post("/dashboard/sign-out")
        .header("cookie", &op.cookie)
        .header("origin", &app.url)
        .form(&[("csrf", op.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let after = app.get("/").header("cookie", &op.cookie).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()["location"], "/sign-in?error=expired");
}

async fn wrong_passwords_are_worded_and_lock_the_account(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let wrong = post_sign_in(&app, "ada@example.com", "not the password", &app.url).await;
    assert_eq!(wrong.headers()["location"], "/sign-in?error=wrong");
    let page = app.get("/sign-in?error=wrong").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("The email or password is wrong."));
    for _ in 0..4 {
        post_sign_in(&app, "ada@example.com", "not the password", &app.url).await;
    }
    // Locked: even the right password is refused, in words.
    let locked = post_sign_in(&app, "ada@example.com", PASSWORD, &app.url).await;
    let location = locked.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/sign-in?error=locked&minutes="), "{location}");
    let page = app.get(&location).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Too many failed sign-ins"));
    // After the lock-out, the right password works again.
    app.clock.advance_ms(portico::operators::throttle::WINDOW_MS + 1);
    sign_in(&app, "ada@example.com").await;
}

async fn sign_in_from_a_foreign_origin_is_refused(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let response = post_sign_in(&app, "ada@example.com", PASSWORD, "https://evil.example").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("set-cookie").is_none());
}

async fn server_functions_need_the_csrf_token_and_our_origin(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let op = sign_in(&app, "ada@example.com").await;
    let ws = app.workspace.id.to_string();
    let body = |csrf: &str| json!({"csrf": csrf, "workspace": ws, "environment": "test", "platforms": ["mock"], "enabled": false});
    let no_token = json!({"workspace": ws, "environment": "test", "platforms": ["mock"], "enabled": false});
    let (status, answer) = call(&app, &op, "set_enabled", no_token, Some(&app.url)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no token: {answer}");
    let (status, _) = call(&app, &op, "set_enabled", body("0000"), Some(&app.url)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a wrong token");
    let (status, _) = call(&app, &op, "set_enabled", body(&op.csrf), Some("https://evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a foreign origin");
    let (status, _) = call(&app, &op, "set_enabled", body(&op.csrf), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no origin");
    assert!(app
        .store
        .integration_enabled(&app.workspace.scope(portico::tenancy::Environment::Test), "mock")
        .await
        .unwrap());
    let (status, answer) = call(&app, &op, "set_enabled", body(&op.csrf), Some(&app.url)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(!app
        .store
        .integration_enabled(&app.workspace.scope(portico::tenancy::Environment::Test), "mock")
        .await
        .unwrap());
}

async fn an_expired_session_goes_to_the_sign_in_page(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let op = sign_in(&app, "ada@example.com").await;
    app.clock.advance_ms(sessions::IDLE_MS + 1);
    let page = app.get("/").header("cookie", &op.cookie).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/sign-in?error=expired");
    let text = app.get("/sign-in?error=expired").send().await.unwrap().text().await.unwrap();
    assert!(text.contains("Your session has ended"));
    let (status, _) = call(&app, &op, "whoami", json!({}), Some(&app.url)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// Real things of a workspace for the server functions that name one.
pub(crate) struct Targets {
    key_id: String,
    connection_id: String,
    origin: String,
}

/// A key, a connection and an origin of `workspace`.
pub(crate) async fn targets(app: &TestApp, workspace: &crate::helpers::Workspace) -> Targets {
    let scope = workspace.scope(portico::tenancy::Environment::Test);
    let key_id = app.store.list_secret_keys(&scope).await.unwrap()[0].id.clone();
    let connection_id = app.connect_mock(&workspace.test_key, "walked-user").await.id;
    Targets { key_id, connection_id, origin: crate::helpers::HOST_ORIGIN.to_string() }
}

/// The arguments each workspace server function is called with, for `workspace`: reads first,
/// then changes (the revocation and deletion last).
fn workspace_calls(csrf: &str, workspace: &str, t: &Targets) -> Vec<(&'static str, Value)> {
    let base = json!({"csrf": csrf, "workspace": workspace, "environment": "test"});
    let with = |extra: Value| {
        let mut v = base.clone();
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        v
    };
    let no_env = json!({"csrf": csrf, "workspace": workspace});
    let with_origin = |origin: &str| {
        let mut v = no_env.clone();
        v.as_object_mut().unwrap().insert("origin".into(), json!(origin));
        v
    };
    vec![
        ("get_integrations", base.clone()),
        ("set_enabled", with(json!({"platforms": ["mock"], "enabled": false}))),
        ("oauth_app", with(json!({"platform": "mock-oauth"}))),
        (
            "put_oauth_app",
            with(json!({"platform": "mock-oauth", "input": {"client_id": "x", "client_secret": "y", "scopes": []}})),
        ),
        ("recent_changes", base.clone()),
        ("list_keys", with(json!({"page": 1}))),
        ("list_origins", no_env.clone()),
        ("list_events", with(json!({"query": {"name": "", "before": null, "connection_id": ""}}))),
        ("list_connections", with(json!({"query": {"identity": "", "platform": "", "status": "", "page": 1}}))),
        ("get_connection", with(json!({"id": t.connection_id}))),
        ("create_key", with(json!({"label": "walk"}))),
        ("add_origin", with_origin("https://walked.example")),
        ("revoke_key", with(json!({"id": t.key_id}))),
        ("remove_origin", with_origin(&t.origin)),
        ("delete_connection", with(json!({"id": t.connection_id}))),
    ]
}

async fn every_server_function_is_404_for_a_stranger_workspace(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let op = sign_in(&app, "ada@example.com").await;
    let stranger = app.new_workspace("Stranger").await;
    let theirs = targets(&app, &stranger).await;
    let calls = workspace_calls(&op.csrf, stranger.id.as_str(), &theirs);
    // Every endpoint is walked, except the two that name no workspace.
    let mut walked: Vec<&str> = calls.iter().map(|(e, _)| *e).chain(["whoami", "list_platforms"]).collect();
    let mut all = portico_app::api::ENDPOINTS.to_vec();
    walked.sort();
    all.sort();
    assert_eq!(walked, all, "a server function is not walked by this test");
    for (endpoint, body) in calls {
        let (status, answer) = call(&app, &op, endpoint, body, Some(&app.url)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{endpoint}: {answer}");
        assert_eq!(answer, json!("NotFound"), "{endpoint}");
    }
    // Nothing changed in the stranger's workspace: its key works, its connection and origin stay.
    let scope = stranger.scope(portico::tenancy::Environment::Test);
    assert!(app.store.integration_enabled(&scope, "mock").await.unwrap());
    assert!(app.store.find_oauth_app(&scope, "mock-oauth").await.unwrap().is_none());
    assert_eq!(app.list_connections(&stranger.test_key, "").await.total, 1);
    assert!(app.store.find_connection(&scope, &theirs.connection_id).await.unwrap().is_some());
    assert_eq!(app.store.allowed_origins(&stranger.id).await.unwrap(), vec![theirs.origin.clone()]);
    let keys = app.store.list_secret_keys(&scope).await.unwrap();
    assert!(keys.len() == 1 && keys[0].revoked_at.is_none(), "no key created or revoked there: {keys:?}");
    // A made-up id is the same 404.
    let made_up = workspace_calls(&op.csrf, "ws_nope", &theirs)[0].1.clone();
    let (status, _) = call(&app, &op, "get_integrations", made_up, Some(&app.url)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The operator's own workspace answers every one.
    let ours = targets(&app, &app.workspace).await;
    for (endpoint, body) in workspace_calls(&op.csrf, app.workspace.id.as_str(), &ours) {
        let (status, answer) = call(&app, &op, endpoint, body, Some(&app.url)).await;
        assert_eq!(status, StatusCode::OK, "{endpoint}: {answer}");
    }
}

async fn toggles_integrations_and_records_who_did_it(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let op = sign_in(&app, "ada@example.com").await;
    let ws = app.workspace.id.to_string();
    let body = json!({"csrf": op.csrf, "workspace": ws, "environment": "live", "platforms": ["mock-cc", "mock-oauth"], "enabled": true});
    let (status, state) = call(&app, &op, "set_enabled", body, Some(&app.url)).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    let enabled: Vec<&str> = state["enabled"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(enabled.contains(&"mock-cc") && enabled.contains(&"mock-oauth"), "{state}");
    let (_, changes) = call(
        &app,
        &op,
        "recent_changes",
        json!({"csrf": op.csrf, "workspace": ws, "environment": "live"}),
        Some(&app.url),
    )
    .await;
    let changes = changes.as_array().unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.iter().all(|c| c["operator"] == op.email.as_str() && c["name"] == "integration.enabled"));
    // Unknown platforms are refused in words.
    let bad = json!({"csrf": op.csrf, "workspace": ws, "environment": "live", "platforms": ["nope"], "enabled": true});
    let (status, answer) = call(&app, &op, "set_enabled", bad, Some(&app.url)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["Invalid"]["message"], "nope is not in the catalog.");
}

async fn the_oauth_client_secret_never_comes_back(app: TestApp) {
    make_operator(&app, "ada@example.com").await;
    let op = sign_in(&app, "ada@example.com").await;
    let ws = app.workspace.id.to_string();
    let secret = "super-secret-client-value-4f2a";
    let body = json!({"csrf": op.csrf, "workspace": ws, "environment": "test", "platform": "mock-oauth",
                      "input": {"client_id": "client-1", "client_secret": secret, "scopes": ["read"]}});
    let (status, saved) = call(&app, &op, "put_oauth_app", body, Some(&app.url)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["secret_hint"], "4f2a");
    assert_eq!(saved["client_id"], "client-1");
    // Saving again without a secret keeps it.
    let keep = json!({"csrf": op.csrf, "workspace": ws, "environment": "test", "platform": "mock-oauth",
                      "input": {"client_id": "client-2", "client_secret": "", "scopes": ["read"]}});
    let (status, kept) = call(&app, &op, "put_oauth_app", keep, Some(&app.url)).await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    assert_eq!(kept["secret_hint"], "4f2a");
    let mut answers = vec![saved.to_string(), kept.to_string()];
    let ours = targets(&app, &app.workspace).await;
    for (endpoint, body) in workspace_calls(&op.csrf, &ws, &ours) {
        if endpoint != "put_oauth_app" && endpoint != "set_enabled" {
            answers.push(call(&app, &op, endpoint, body, Some(&app.url)).await.1.to_string());
        }
    }
    let page = app.get(&format!("/w/{ws}/integrations")).header("cookie", &op.cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("data-platform=") && page.contains("of "), "the catalog is in the first paint");
    answers.push(page);
    for answer in answers {
        assert!(!answer.contains(secret) && !answer.contains("super-secret"), "the secret leaked: {answer}");
    }
}
