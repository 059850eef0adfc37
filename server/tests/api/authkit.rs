//! Secret-key authentication and AuthKit tokens (`POST /v1/authkit/token`, the modal's session).

use portico_wire::ErrorCode;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, TestApp};
use crate::on_both_backends;

on_both_backends!(
    identities_with_whitespace_or_colons_are_refused_not_merged,
    rejects_a_missing_secret_key,
    rejects_an_unknown_or_malformed_secret_key,
    accepts_the_secret_key_in_each_documented_header,
    rejects_a_revoked_secret_key,
    requires_a_valid_identity_type,
    requires_an_identity,
    rejects_malformed_json_and_wrong_shapes,
    mints_a_token_with_expiry_and_connect_link,
    refuses_an_expired_token_in_words,
    refuses_unknown_and_malformed_tokens,
    session_lists_enabled_integrations_and_only_own_connections,
    allowed_integrations_narrow_the_session,
    connect_link_exchanges_for_a_working_session,
);

async fn rejects_a_missing_secret_key(app: TestApp) {
    let response =
        app.post("/v1/authkit/token").json(&json!({"identity": "u1", "identityType": "user"})).send().await.unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::MissingSecretKey).await;
}

async fn rejects_an_unknown_or_malformed_secret_key(app: TestApp) {
    let well_formed_unknown = format!("sk_test_{}", "A".repeat(43));
    for key in ["nonsense", "sk_test_short", well_formed_unknown.as_str()] {
        let response = app
            .post("/v1/authkit/token")
            .header("x-portico-secret", key)
            .json(&json!({"identity": "u1", "identityType": "user"}))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::InvalidSecretKey).await;
    }
}

async fn accepts_the_secret_key_in_each_documented_header(app: TestApp) {
    let key = app.workspace.test_key.clone();
    let body = json!({"identity": "u1", "identityType": "user"});
    let requests = [
        app.post("/v1/authkit/token").header("x-portico-secret", &key),
        app.post("/v1/authkit/token").header("x-pica-secret", &key),
        app.post("/v1/authkit/token").bearer_auth(&key),
    ];
    for request in requests {
        let response = request.json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
}

async fn rejects_a_revoked_secret_key(app: TestApp) {
    use portico::clock::Clock;
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    let keys = app.store.list_secret_keys(&scope).await.unwrap();
    let by = portico::events::Actor::CommandLine;
    let entropy = &portico::clock::OsEntropy;
    assert!(portico::workspaces::keys::revoke(&app.store, entropy, app.clock.now_ms(), &scope, &keys[0].id, by)
        .await
        .unwrap());
    let response = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&json!({"identity": "u1", "identityType": "user"}))
        .send()
        .await
        .unwrap();
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::InvalidSecretKey).await;
}

async fn requires_a_valid_identity_type(app: TestApp) {
    for body in [
        json!({"identity": "u1"}),
        json!({"identity": "u1", "identityType": "admin"}),
        json!({"identity": "u1", "identityType": "User"}),
    ] {
        let response = app
            .post("/v1/authkit/token")
            .header("x-portico-secret", &app.workspace.test_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidIdentityType).await;
        assert!(error.error.message.contains("user, team, organization, project"));
    }
}

async fn requires_an_identity(app: TestApp) {
    for body in [
        json!({"identityType": "user"}),
        json!({"identity": "  ", "identityType": "user"}),
        json!({"identity": "x".repeat(129), "identityType": "user"}),
    ] {
        let response = app
            .post("/v1/authkit/token")
            .header("x-portico-secret", &app.workspace.test_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidIdentity).await;
    }
}

async fn rejects_malformed_json_and_wrong_shapes(app: TestApp) {
    let key = &app.workspace.test_key;
    let broken = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", key)
        .header("content-type", "application/json")
        .body("{\"identity\": ")
        .send()
        .await
        .unwrap();
    assert_error(broken, StatusCode::BAD_REQUEST, ErrorCode::InvalidJson).await;
    let wrong_type = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", key)
        .json(&json!({"identity": 5, "identityType": "user"}))
        .send()
        .await
        .unwrap();
    assert_error(wrong_type, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidRequest).await;
    let no_content_type =
        app.post("/v1/authkit/token").header("x-portico-secret", key).body("{}").send().await.unwrap();
    assert_error(no_content_type, StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType).await;
}

async fn mints_a_token_with_expiry_and_connect_link(app: TestApp) {
    use portico::clock::Clock;
    let before = app.clock.now_ms();
    let response = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&json!({"identity": "user-123", "identityType": "user"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("akt_test_") && token.len() == "akt_test_".len() + 43, "{token}");
    assert_eq!(body["expiresAt"].as_i64().unwrap(), before + 15 * 60 * 1000);
    let link = body["connectLink"].as_str().unwrap();
    assert!(link.starts_with(&format!("{}/connect/lnk_", app.url)), "{link}");
    assert!(!link.contains(token), "the token itself never travels in a URL");
}

async fn refuses_an_expired_token_in_words(app: TestApp) {
    let token = app.mint_token(&app.workspace.test_key, "u1").await;
    let ok = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    app.clock.advance_ms(15 * 60 * 1000 + 1);
    let expired = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap();
    let body = assert_error(expired, StatusCode::UNAUTHORIZED, ErrorCode::TokenExpired).await;
    assert!(body.error.message.contains("expired"), "{body:?}");
    let submit = app.submit_mock_form(&token, crate::helpers::API_KEY).await;
    assert_error(submit, StatusCode::UNAUTHORIZED, ErrorCode::TokenExpired).await;
}

async fn refuses_unknown_and_malformed_tokens(app: TestApp) {
    let missing = app.get("/v1/authkit/session").send().await.unwrap();
    assert_error(missing, StatusCode::UNAUTHORIZED, ErrorCode::MissingToken).await;
    for token in ["garbage".to_string(), format!("akt_test_{}", "Z".repeat(43)), app.workspace.test_key.clone()] {
        let response = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap();
        assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::InvalidToken).await;
    }
}

async fn session_lists_enabled_integrations_and_only_own_connections(app: TestApp) {
    app.connect_mock(&app.workspace.test_key, "alice").await;
    app.connect_mock(&app.workspace.test_key, "bob").await;
    let token = app.mint_token(&app.workspace.test_key, "alice").await;
    let session: Value = app.get("/v1/authkit/session").bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(session["workspaceName"], "Acme");
    assert_eq!(session["identity"], "alice");
    let platforms: Vec<&str> =
        session["integrations"].as_array().unwrap().iter().map(|c| c["platform"].as_str().unwrap()).collect();
    assert_eq!(platforms, ["mock"], "only enabled integrations are offered");
    let mock = &session["integrations"][0];
    assert_eq!(mock["authKind"], "api_key");
    assert_eq!(mock["fields"][0]["name"], "apiKey");
    assert_eq!(mock["fields"][0]["secret"], true);
    let connections = session["connections"].as_array().unwrap();
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0]["identity"], "alice");
    assert!(session.to_string().find(crate::helpers::API_KEY).is_none(), "no credential in the session");
}

async fn allowed_integrations_narrow_the_session(app: TestApp) {
    let key = &app.workspace.test_key;
    let unknown = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", key)
        .json(&json!({"identity": "u1", "identityType": "user", "allowedIntegrations": ["no-such-platform"]}))
        .send()
        .await
        .unwrap();
    assert_error(unknown, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidAllowedIntegrations).await;

    let body: Value = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", key)
        .json(&json!({"identity": "u1", "identityType": "user", "allowedIntegrations": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap();
    let session: Value = app.get("/v1/authkit/session").bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(session["integrations"].as_array().unwrap().len(), 0);
    let refused = app.submit_mock_form(token, crate::helpers::API_KEY).await;
    assert_error(refused, StatusCode::NOT_FOUND, ErrorCode::IntegrationNotFound).await;
}

async fn connect_link_exchanges_for_a_working_session(app: TestApp) {
    let body: Value = app
        .post("/v1/authkit/token")
        .header("x-portico-secret", &app.workspace.test_key)
        .json(&json!({"identity": "linked-user", "identityType": "team"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let link = body["connectLink"].as_str().unwrap();
    let code = link.rsplit('/').next().unwrap();
    let page = app.client.get(link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("data-mode=\"page\""));

    let exchanged: Value =
        app.post("/v1/authkit/link").json(&json!({"link": code})).send().await.unwrap().json().await.unwrap();
    let token = exchanged["token"].as_str().unwrap();
    let session: Value = app.get("/v1/authkit/session").bearer_auth(token).send().await.unwrap().json().await.unwrap();
    assert_eq!(session["identity"], "linked-user");
    assert_eq!(session["identityType"], "team");

    let bad = app.post("/v1/authkit/link").json(&json!({"link": "lnk_nope"})).send().await.unwrap();
    assert_error(bad, StatusCode::UNAUTHORIZED, ErrorCode::InvalidLink).await;
    app.clock.advance_ms(16 * 60 * 1000);
    let late = app.post("/v1/authkit/link").json(&json!({"link": code})).send().await.unwrap();
    assert_error(late, StatusCode::UNAUTHORIZED, ErrorCode::TokenExpired).await;
}

async fn identities_with_whitespace_or_colons_are_refused_not_merged(app: TestApp) {
    let key = app.workspace.test_key.clone();
    for identity in ["team:42", "team 42", " team_42", "team_42 "] {
        let response = app
            .post("/v1/authkit/token")
            .header("x-portico-secret", &key)
            .json(&json!({"identity": identity, "identityType": "team"}))
            .send()
            .await
            .unwrap();
        assert_error(response, StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidIdentity).await;
    }
    app.connect_mock(&key, "team_42").await;
    let listed = app.list_connections(&key, "?identity=team_42").await;
    assert_eq!(listed.total, 1);
    assert_eq!(listed.rows[0].identity.as_deref(), Some("team_42"), "stored as sent");
}
