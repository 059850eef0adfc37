//! What browsers load: health probes, the embed loader, the modal page and its framing policy,
//! security headers, and JSON errors for unknown routes.

use portico_wire::ErrorCode;
use reqwest::StatusCode;

use crate::helpers::{assert_error, TestApp, HOST_ORIGIN};
use crate::on_both_backends;

on_both_backends!(
    health_and_readiness_answer,
    unknown_routes_get_a_json_404,
    the_modal_may_be_framed_only_by_allowed_origins,
    the_embed_loader_is_served_as_javascript,
    responses_carry_security_headers,
    the_modal_bundle_is_served_precompressed_under_hashed_names,
    the_dashboard_renders_the_catalog_on_the_server,
    the_modal_page_is_in_the_users_language,
);

async fn health_and_readiness_answer(app: TestApp) {
    let health = app.get("/healthz").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.get("/readyz").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["status"], "ready");
    app.store.close().await;
    let down = app.get("/readyz").send().await.unwrap();
    assert_error(down, StatusCode::SERVICE_UNAVAILABLE, ErrorCode::NotReady).await;
}

async fn unknown_routes_get_a_json_404(app: TestApp) {
    let response = app.get("/v1/nothing-here").send().await.unwrap();
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

async fn the_modal_may_be_framed_only_by_allowed_origins(app: TestApp) {
    let csp = |response: &reqwest::Response| {
        response.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string()
    };
    let allowed = app.get(&format!("/modal?parent={HOST_ORIGIN}")).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert!(csp(&allowed).ends_with(&format!("frame-ancestors {HOST_ORIGIN}")), "{}", csp(&allowed));
    assert!(allowed.headers().get("x-frame-options").is_none());
    for parent in ["https://evil.example", "not a url", ""] {
        let refused = app.get(&format!("/modal?parent={parent}")).send().await.unwrap();
        assert!(csp(&refused).ends_with("frame-ancestors 'none'"), "{parent}: {}", csp(&refused));
    }
    let no_parent = app.get("/modal").send().await.unwrap();
    assert!(csp(&no_parent).ends_with("frame-ancestors 'none'"));
}

async fn the_embed_loader_is_served_as_javascript(app: TestApp) {
    let response = app.get("/embed.js").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let body = response.text().await.unwrap();
    assert!(body.contains("Portico") && body.contains("postMessage"));
}

/// Every route a browser can load, pages and assets, whatever its status: no sniffing, no
/// referrer to other sites, no framing (only the modal, and only by an allowed origin), and a
/// script policy on every HTML page.
async fn responses_carry_security_headers(app: TestApp) {
    let link = format!("/connect/lnk_{}", "a".repeat(43));
    let framed_modal = format!("/modal?parent={HOST_ORIGIN}");
    let paths = [
        "/healthz",
        "/v1/vault/connections",
        "/embed.js",
        "/modal",
        framed_modal.as_str(),
        link.as_str(),
        "/sign-in",
        "/",
        "/oauth/start",
        "/oauth/start?attempt=att_0",
        "/oauth/callback?state=x&code=y",
        "/docs",
        "/openapi.json",
        "/logos/mock.svg",
        "/logos/nope.svg",
        "/no-such-page",
    ];
    for path in paths {
        let response = app.get(path).send().await.unwrap();
        let headers = response.headers();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert!(["no-referrer", "same-origin"].contains(&header("referrer-policy").as_str()), "{path}");
        let csp = header("content-security-policy");
        if path == framed_modal {
            assert!(csp.contains(&format!("frame-ancestors {HOST_ORIGIN}")), "{path}: {csp}");
            assert!(headers.get("x-frame-options").is_none(), "{path}");
        } else {
            assert_eq!(header("x-frame-options"), "DENY", "{path}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        }
        if header("content-type").starts_with("text/html") {
            assert!(csp.contains("default-src 'none'") || csp.contains("script-src"), "{path}: {csp}");
        }
    }
}

/// The dashboard is for signed-in operators: a visitor is sent to the sign-in page, which is
/// server-rendered, hydrated and never framed. (The catalog's first paint: tests/api/dashboard.rs.)
async fn the_dashboard_renders_the_catalog_on_the_server(app: TestApp) {
    let response = app.get("/").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in");
    let response = app.get("/sign-in").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let html = response.text().await.unwrap();
    assert!(html.contains("Sign in to Portico"), "server-rendered");
    assert!(html.contains("/pkg/portico"), "the hydration bundle is referenced");
}

async fn the_modal_bundle_is_served_precompressed_under_hashed_names(app: TestApp) {
    // Arrange: a site directory as `cargo xtask build` leaves it.
    let backend = app.backend;
    drop(app);
    let site = tempfile::tempdir().unwrap();
    let modal = site.path().join("modal");
    std::fs::create_dir_all(&modal).unwrap();
    let manifest = r#"{"js":"portico_modal-ab12.js","wasm":"portico_modal_bg-ab12.wasm","css":"modal-ab12.css"}"#;
    std::fs::write(modal.join("manifest.json"), manifest).unwrap();
    std::fs::write(modal.join("portico_modal_bg-ab12.wasm"), b"\0asm plain").unwrap();
    std::fs::write(modal.join("portico_modal_bg-ab12.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(modal.join("portico_modal_bg-ab12.wasm.gz"), b"gzip bytes").unwrap();
    let site_dir = site.path().to_path_buf();
    let Some(app) = TestApp::spawn_with(backend, |config| config.site_dir = site_dir).await else {
        return;
    };

    // The page names the hashed files.
    let page = app.get(&format!("/modal?parent={HOST_ORIGIN}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"href="/modal/pkg/modal-ab12.css""#), "{page}");
    assert!(page.contains(r#"data-js="/modal/pkg/portico_modal-ab12.js""#), "{page}");
    assert!(page.contains(r#"data-wasm="/modal/pkg/portico_modal_bg-ab12.wasm""#), "{page}");

    // The WASM comes from its brotli (or gzip) copy, cached for a year.
    let path = "/modal/pkg/portico_modal_bg-ab12.wasm";
    for (accept, encoding, body) in [("br, gzip", Some("br"), "brotli bytes"), ("gzip", Some("gzip"), "gzip bytes")] {
        let response = app.get(path).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert_eq!(response.headers().get("content-encoding").map(|v| v.to_str().unwrap()), encoding);
        assert_eq!(response.headers()["content-type"], "application/wasm");
        assert_eq!(response.text().await.unwrap(), body);
    }
    let plain = app.get(path).header("accept-encoding", "identity").send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), b"\0asm plain");
}

async fn the_modal_page_is_in_the_users_language(app: TestApp) {
    // Arrange: a built bundle with its message tables.
    let backend = app.backend;
    drop(app);
    let site = tempfile::tempdir().unwrap();
    let modal = site.path().join("modal");
    std::fs::create_dir_all(&modal).unwrap();
    let manifest = r#"{"js":"portico_modal-ab12.js","wasm":"portico_modal_bg-ab12.wasm","css":"modal-ab12.css",
        "messages":"messages-{lang}-cd34.json","errors":"errors-{lang}-cd34.json"}"#;
    std::fs::write(modal.join("manifest.json"), manifest).unwrap();
    let site_dir = site.path().to_path_buf();
    let Some(app) = TestApp::spawn_with(backend, |config| config.site_dir = site_dir).await else {
        return;
    };
    let page = |query: &'static str, accept: &'static str| {
        let request = app.get(&format!("/modal?parent={HOST_ORIGIN}{query}")).header("accept-language", accept);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };

    // The loader's `locale` wins: the page is French and preloads the French table only.
    let french = page("&locale=fr-CA", "de-DE,de;q=0.9").await;
    assert!(french.contains(r#"<html lang="fr" dir="ltr">"#), "{french}");
    assert!(french.contains(r#"<link rel="preload" href="/modal/pkg/messages-fr-cd34.json" as="fetch" crossorigin>"#));
    assert!(french.contains(r#"data-messages="/modal/pkg/messages-{lang}-cd34.json""#), "{french}");
    assert!(french.contains(r#"data-errors="/modal/pkg/errors-{lang}-cd34.json""#), "{french}");
    assert!(french.contains(r#"data-failed-title="La fenêtre de connexion n'a pas pu se charger.""#), "{french}");

    // No `locale`: the browser's languages.
    let german = page("", "xx, de-DE;q=0.9, fr;q=0.5").await;
    assert!(german.contains(r#"<html lang="de" dir="ltr">"#), "{german}");
    assert!(german.contains("messages-de-cd34.json\" as=\"fetch\""), "{german}");

    // An unknown `locale` is English, whatever the browser says; English preloads nothing.
    let english = page("&locale=xx", "ja").await;
    assert!(english.contains(r#"<html lang="en" dir="ltr">"#), "{english}");
    assert!(!english.contains(r#"rel="preload" href="/modal/pkg/messages"#), "{english}");
    assert!(english.contains("The connect window could not load."), "{english}");
}
