//! What the hot-path caches may and may not delay: another replica's revocation is seen within
//! the cache TTL; this process's own changes take effect at once.

use portico_wire::ErrorCode;
use reqwest::StatusCode;

use crate::helpers::{assert_error, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_key_revoked_elsewhere_stops_working_within_the_ttl,
    a_key_revoked_here_stops_at_once,
    a_deleted_connection_stops_passing_through_at_once,
    last_use_is_recorded_without_a_write_per_request,
);

async fn me(app: &TestApp, secret: &str, key: &str) -> reqwest::Response {
    app.get("/v1/passthrough/me")
        .header("x-portico-secret", secret)
        .header("x-portico-connection-key", key)
        .send()
        .await
        .unwrap()
}

async fn a_key_revoked_elsewhere_stops_working_within_the_ttl(app: TestApp) {
    use portico::clock::Clock;
    let secret = app.workspace.test_key.clone();
    let key = app.connect_mock(&secret, "u1").await.key;
    assert_eq!(me(&app, &secret, &key).await.status(), StatusCode::OK);
    // Another process (the CLI, another replica) revokes it in the database.
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    let id = app.store.list_secret_keys(&scope).await.unwrap()[0].id.clone();
    let by = portico::events::Actor::CommandLine;
    portico::workspaces::keys::revoke(&app.store, &portico::clock::OsEntropy, app.clock.now_ms(), &scope, &id, by)
        .await
        .unwrap();
    app.clock.advance_ms(app.config.cache_ttl.as_millis() as i64);
    assert_error(me(&app, &secret, &key).await, StatusCode::UNAUTHORIZED, ErrorCode::InvalidSecretKey).await;
}

async fn a_key_revoked_here_stops_at_once(app: TestApp) {
    let secret = app.workspace.test_key.clone();
    let key = app.connect_mock(&secret, "u1").await.key;
    assert_eq!(me(&app, &secret, &key).await.status(), StatusCode::OK);
    let replica = app.spawn_replica(|_| {}).await.unwrap();
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    let id = app.store.list_secret_keys(&scope).await.unwrap()[0].id.clone();
    // Revoked through a server's own state: that server refuses the key immediately.
    let by = portico::events::Actor::CommandLine;
    assert!(portico::workspaces::keys::revoke_now(&replica.state, &scope, &id, by).await.unwrap());
    let refused = app
        .client
        .get(format!("{}/v1/passthrough/me", replica.url))
        .header("x-portico-secret", &secret)
        .header("x-portico-connection-key", &key)
        .send()
        .await
        .unwrap();
    assert_error(refused, StatusCode::UNAUTHORIZED, ErrorCode::InvalidSecretKey).await;
}

async fn a_deleted_connection_stops_passing_through_at_once(app: TestApp) {
    let secret = app.workspace.test_key.clone();
    let connection = app.connect_mock(&secret, "u1").await;
    let key = &connection.key;
    assert_eq!(me(&app, &secret, key).await.status(), StatusCode::OK, "cached now");
    let deleted = app
        .request(reqwest::Method::DELETE, &format!("/v1/vault/connections/{}", connection.id))
        .header("x-portico-secret", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_error(me(&app, &secret, key).await, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

async fn last_use_is_recorded_without_a_write_per_request(app: TestApp) {
    let secret = app.workspace.test_key.clone();
    let key = app.connect_mock(&secret, "u1").await.key;
    let scope = app.workspace.scope(portico::tenancy::Environment::Test);
    let first_use = app.store.list_secret_keys(&scope).await.unwrap()[0].last_used_at.expect("recorded");
    app.clock.advance_ms(10_000);
    me(&app, &secret, &key).await;
    let unchanged = app.store.list_secret_keys(&scope).await.unwrap()[0].last_used_at;
    assert_eq!(unchanged, Some(first_use), "not rewritten within the minute");
    app.clock.advance_ms(60_000);
    me(&app, &secret, &key).await;
    let later = app.store.list_secret_keys(&scope).await.unwrap()[0].last_used_at.unwrap();
    assert!(later > first_use, "recorded again after a minute");
}
