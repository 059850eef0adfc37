//! The OpenAPI document covers the whole public API, and the reference page serves it.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    the_document_lists_every_public_route,
    the_reference_page_renders_the_document,
    codes_and_common_answers_are_documented_as_sent,
);

/// Every public route, by method and path. JSON routes can only be added through the documented
/// routers (`portico::api()`), so a route missing here fails this test until it is listed.
const PUBLIC_API: &[(&str, &str)] = &[
    ("post", "/v1/authkit/token"),
    ("get", "/v1/authkit/session"),
    ("post", "/v1/authkit/connections"),
    ("post", "/v1/authkit/link"),
    ("get", "/v1/vault/connections"),
    ("get", "/v1/vault/connections/{id}"),
    ("patch", "/v1/vault/connections/{id}"),
    ("delete", "/v1/vault/connections/{id}"),
    ("get", "/v1/integrations"),
    ("get", "/v1/available-actions/{platform}"),
    ("get", "/v1/passthrough/{path}"),
    ("post", "/v1/passthrough/{path}"),
    ("put", "/v1/passthrough/{path}"),
    ("patch", "/v1/passthrough/{path}"),
    ("delete", "/v1/passthrough/{path}"),
    ("head", "/v1/passthrough/{path}"),
    ("options", "/v1/passthrough/{path}"),
    ("get", "/v1/passthrough-calls"),
    ("post", "/v1/authkit/oauth/attempts"),
    ("get", "/v1/authkit/oauth/attempts/{attempt}"),
    ("get", "/v1/events"),
    ("post", "/v1/agent/token"),
    ("get", "/v1/tools"),
    ("post", "/v1/tools/call"),
    ("post", "/mcp"),
    ("get", "/mcp"),
    ("get", "/healthz"),
    ("get", "/readyz"),
];

async fn the_document_lists_every_public_route(app: TestApp) {
    let doc: Value = app.get("/openapi.json").send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().filter(|m| *m != "parameters").map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = PUBLIC_API.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let missing: Vec<_> = expected.difference(&documented).collect();
    let unlisted: Vec<_> = documented.difference(&expected).collect();
    assert!(missing.is_empty(), "public routes missing from the document: {missing:?}");
    assert!(unlisted.is_empty(), "documented routes this test does not know (list them in PUBLIC_API): {unlisted:?}");
    // Every operation says how it authenticates and what its errors look like.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["operationId"].is_string(), "{method} {path} has no operationId");
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} lists no responses");
        }
    }
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("secret_key") && schemes.contains_key("authkit_token"));
}

async fn the_reference_page_renders_the_document(app: TestApp) {
    let page = app.get("/docs").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("/docs.js"));
    let script = app.get("/docs.js").send().await.unwrap().text().await.unwrap();
    assert!(script.contains("/openapi.json"));
}

/// Schemathesis found the document naming error codes by their Rust variants (`InvalidJson`)
/// where the API sends `invalid_json`, and leaving out 400/415/422/401: the codes are the wire
/// values, every one of them, and each operation documents the answers it can give.
async fn codes_and_common_answers_are_documented_as_sent(app: TestApp) {
    let doc: Value = app.get("/openapi.json").send().await.unwrap().json().await.unwrap();
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"].as_array().expect("ErrorCode is an enum").clone();
    for code in portico_wire::ErrorCode::ALL {
        assert!(codes.contains(&Value::String(code.as_str().to_string())), "{code} is not documented");
    }
    assert!(!codes.contains(&Value::String("InvalidJson".into())));
    let token = &doc["paths"]["/v1/authkit/token"]["post"]["responses"];
    for status in ["400", "401", "415", "422", "429"] {
        assert!(token.get(status).is_some(), "POST /v1/authkit/token does not document {status}");
    }
}
