//! The isolation matrix, generated from the OpenAPI document — which is the router's own table of
//! routes (`portico::api()` builds both together). Every operation that takes a tenant-scoped
//! object (a connection id or a connection key) is tried by the owner and by every kind of
//! stranger; strangers get 404, never 403, and nothing they send changes anything. A route whose
//! parameters the matrix does not understand fails the test until the matrix is taught.

use portico_wire::{ConnectionView, ErrorBody, ErrorCode};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, Workspace};
use crate::on_both_backends;

on_both_backends!(
    every_tenant_scoped_route_is_404_for_strangers,
    listings_never_show_foreign_rows,
    every_documented_route_is_served,
);

const HTTP_METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];
/// Parameters that name a tenant's object: a connection (by id or key), or an identity's OAuth
/// sign-in attempt.
const SCOPED: [&str; 3] = ["id", "x-portico-connection-key", "attempt"];
/// Parameters that only fill a route in.
const FILLERS: [&str; 4] = ["path", "platform", "x-portico-action-id", "link"];

struct Operation {
    method: Method,
    path: String,
    security: Option<String>,
    params: Vec<(String, String)>,
}

async fn operations(app: &TestApp) -> Vec<Operation> {
    let doc: Value = app.get("/openapi.json").send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "OpenAPI 3.1");
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in HTTP_METHODS {
            let Some(op) = item.get(method) else { continue };
            let security = op["security"]
                .as_array()
                .and_then(|s| s.first())
                .and_then(|s| s.as_object())
                .and_then(|s| s.keys().next().cloned());
            let params = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| (p["name"].as_str().unwrap().to_string(), p["in"].as_str().unwrap().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Operation {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path: path.clone(),
                security,
                params,
            });
        }
    }
    out
}

fn is_scoped(op: &Operation) -> bool {
    op.params.iter().any(|(name, _)| SCOPED.contains(&name.as_str()))
}

fn assert_known_params(op: &Operation) {
    for (name, place) in &op.params {
        if place == "query" {
            continue;
        }
        assert!(
            SCOPED.contains(&name.as_str()) || FILLERS.contains(&name.as_str()),
            "{} {} has parameter `{name}` ({place}) that the isolation matrix does not know: teach it",
            op.method,
            op.path
        );
    }
}

/// An OAuth sign-in attempt of `identity` in the owner's test environment (`mock-oauth` enabled
/// with an OAuth app on the mock provider).
async fn owner_attempt(app: &TestApp, identity: &str) -> String {
    use portico::clock::Clock;
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    let now = app.clock.now_ms();
    app.store.enable_integration(&scope, "mock-oauth", now).await.unwrap();
    let state = &app.state;
    let id = format!("oap_{}", portico::clock::random_hex(&portico::clock::OsEntropy, 16));
    portico::oauth::apps::put(
        portico::oauth::apps::AppStore { store: &state.store, vault: &state.vault, catalog: &state.catalog },
        &scope,
        portico::oauth::apps::NewApp {
            platform: "mock-oauth",
            client_id: portico_mock::DEMO_CLIENT_ID,
            client_secret: portico_mock::DEMO_CLIENT_SECRET,
            scopes: None,
            new_id: id,
        },
        now,
    )
    .await
    .unwrap();
    let token = app.mint_token(&app.workspace.test_key, identity).await;
    let response = app
        .post("/v1/authkit/oauth/attempts")
        .bearer_auth(&token)
        .json(&json!({"platform": "mock-oauth"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["attemptId"].as_str().unwrap().to_string()
}

/// A request for `op` about `connection` (or `attempt`), as `caller` (a secret key or a token).
fn request(
    app: &TestApp,
    op: &Operation,
    connection: &ConnectionView,
    attempt: Option<&str>,
    caller: &str,
) -> reqwest::RequestBuilder {
    let path = op
        .path
        .replace("{id}", &connection.id)
        .replace("{attempt}", attempt.unwrap_or("att_0"))
        .replace("{path}", "me")
        .replace("{platform}", "mock");
    let mut request = app.request(op.method.clone(), &path);
    if op.params.iter().any(|(n, _)| n == "x-portico-connection-key") {
        request = request.header("x-portico-connection-key", &connection.key);
    }
    request = match op.security.as_deref() {
        Some("secret_key") => request.header("x-portico-secret", caller),
        Some("authkit_token") => request.bearer_auth(caller),
        other => panic!("{} {} has security {other:?} the matrix does not know", op.method, op.path),
    };
    if matches!(op.method, Method::POST | Method::PUT | Method::PATCH) {
        request = request.json(&json!({"tags": ["stranger"]}));
    }
    request
}

async fn every_tenant_scoped_route_is_404_for_strangers(app: TestApp) {
    let owner = &app.workspace;
    let other: Workspace = app.new_workspace("Other").await;
    let ops = operations(&app).await;
    let attempt = owner_attempt(&app, "alice").await;
    let mut checked = 0;
    for op in ops.iter().filter(|op| is_scoped(op)) {
        assert_known_params(op);
        // A fresh connection per operation, so a destructive owner call cannot hide a later one.
        let connection = app.connect_mock(&owner.test_key, "alice").await;
        let strangers: Vec<(&str, String)> = match op.security.as_deref() {
            Some("secret_key") => vec![
                ("another workspace's secret key", other.test_key.clone()),
                ("the other environment's secret key", owner.live_key.clone()),
            ],
            Some("authkit_token") => vec![
                ("a token of another identity", app.mint_token(&owner.test_key, "bob").await),
                ("a token of another workspace", app.mint_token(&other.test_key, "alice").await),
                ("a token of the other environment", app.mint_token(&owner.live_key, "alice").await),
            ],
            other => panic!("unknown security {other:?}"),
        };
        for (who, caller) in &strangers {
            let response = request(&app, op, &connection, Some(&attempt), caller).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{} {} with {who}", op.method, op.path);
            if op.method != Method::HEAD {
                let body: ErrorBody = response.json().await.unwrap();
                assert_eq!(body.error.code, ErrorCode::NotFound, "{} {} with {who}: {body:?}", op.method, op.path);
            }
        }
        // Nothing a stranger sent changed the connection.
        let still: Value = app
            .get(&format!("/v1/vault/connections/{}", connection.id))
            .header("x-portico-secret", &owner.test_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Raw against the typed answer re-serialised: the same fields, nothing more.
        let before = serde_json::to_value(&connection).unwrap();
        assert_eq!(still, before, "{} {} changed the connection", op.method, op.path);
        // The owner is not refused: the same request is not a 404, so the check above can fail.
        let caller = match op.security.as_deref() {
            Some("authkit_token") => app.mint_token(&owner.test_key, "alice").await,
            _ => owner.test_key.clone(),
        };
        let response = request(&app, op, &connection, Some(&attempt), &caller).send().await.unwrap();
        assert_ne!(response.status(), StatusCode::NOT_FOUND, "{} {} refused its owner", op.method, op.path);
        checked += 1;
    }
    // get/patch/delete by id and the passthrough methods at least.
    assert!(checked >= 10, "the matrix found only {checked} tenant-scoped operations");
}

async fn listings_never_show_foreign_rows(app: TestApp) {
    let owner = &app.workspace;
    let other = app.new_workspace("Other").await;
    let connection = app.connect_mock(&owner.test_key, "alice").await;
    let id = &connection.id;
    let mut checked = 0;
    for op in operations(&app).await.iter().filter(|op| op.method == Method::GET && !is_scoped(op)) {
        assert_known_params(op);
        let callers: Vec<String> = match op.security.as_deref() {
            Some("secret_key") => vec![other.test_key.clone(), owner.live_key.clone()],
            Some("authkit_token") => {
                vec![app.mint_token(&owner.test_key, "bob").await, app.mint_token(&other.test_key, "alice").await]
            }
            _ => continue,
        };
        for caller in callers {
            let text = request(&app, op, &connection, None, &caller).send().await.unwrap().text().await.unwrap();
            assert!(!text.contains(id), "GET {} shows a foreign connection: {text}", op.path);
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} listings checked");
}

async fn every_documented_route_is_served(app: TestApp) {
    for op in operations(&app).await {
        let path = op
            .path
            .replace("{id}", "conn_0")
            .replace("{attempt}", "att_0")
            .replace("{path}", "me")
            .replace("{platform}", "mock");
        let response = app.request(op.method.clone(), &path).send().await.unwrap();
        if op.method == Method::HEAD {
            continue;
        }
        let text = response.text().await.unwrap();
        assert!(!text.contains("No route for"), "{} {} is documented but not routed", op.method, op.path);
    }
}
