//! What browsers load from Portico: the embed loader (`/embed.js`), the modal page (`/modal`, in
//! the host's iframe) and the hosted connect page (`/connect/{link}`), their assets, logos, and
//! the health probes. Also the security headers every response carries.
//!
//! The loader, the modal's page shell, its boot script and the logos are compiled into the binary;
//! the two WASM bundles are read from the site directory. The modal's bundle (JS, WASM, CSS) has
//! content-hashed names listed in `modal/manifest.json` (written by `cargo xtask build`), so it is
//! served `immutable` for a year, from the gzip/brotli copies built beside each file.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use include_dir::{include_dir, Dir};
use serde::Deserialize;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::parse_origin;
use crate::i18n;
use crate::AppState;

static PUBLIC: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../public");
const EMBED_JS: &str = include_str!("../../public/embed.js");
const MODAL_CSS: &str = include_str!("../../style/modal.css");
const MODAL_BOOT_JS: &str = include_str!("../../frontend/boot.js");
const MODAL_HTML: &str = include_str!("../../frontend/modal.html");
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const DOCS_HTML: &str = include_str!("../../public/docs.html");
const DOCS_JS: &str = include_str!("../../public/docs.js");

/// Health probes, documented in the OpenAPI document.
pub fn probes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// What browsers load (not part of the JSON API).
pub fn router(state: &AppState) -> Router<AppState> {
    let site = &state.config.site_dir;
    let bundle = ModalBundle::load(&site.join("modal"));
    let cache = if bundle.hashed { IMMUTABLE } else { "no-cache" };
    let modal_files = ServeDir::new(site.join("modal")).precompressed_br().precompressed_gzip();
    let modal_files = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static(cache)))
        .service(modal_files);
    Router::new()
        .route("/embed.js", get(embed_js))
        .route("/modal", get(modal_page).layer(Extension(bundle.clone())))
        .route("/connect/{link}", get(connect_page).layer(Extension(bundle)))
        .route("/modal/boot.js", get(modal_boot))
        .route("/modal/modal.css", get(modal_css))
        .route("/docs", get(docs_page))
        .route("/docs.js", get(|| async { asset("text/javascript; charset=utf-8", DOCS_JS, "no-cache") }))
        .route("/logos/{file}", get(logo))
        .nest_service("/modal/pkg", modal_files)
        .nest_service("/pkg", ServeDir::new(site.join("pkg")))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "Health", operation_id = "healthz", responses((status = 200, description = "{\"status\":\"ok\"}")))]
async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// The database is reachable.
#[utoipa::path(get, path = "/readyz", tag = "Health", operation_id = "readyz",
    responses((status = 200, description = "{\"status\":\"ready\"}"), (status = 503, body = portico_wire::ErrorBody)))]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            crate::error::ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                portico_wire::ErrorCode::NotReady,
                "The database cannot be reached.",
            )
            .into_response()
        }
    }
}

fn asset(content_type: &'static str, body: &'static str, cache: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, cache)], body).into_response()
}

async fn embed_js() -> Response {
    // Hosts load this from their pages; a short cache keeps fixes rolling out quickly.
    let mut response = asset("text/javascript; charset=utf-8", EMBED_JS, "public, max-age=300");
    response.headers_mut().insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    response
}

/// The API reference, rendered in the browser from `/openapi.json` by our own script.
async fn docs_page() -> Response {
    html_response(
        DOCS_HTML.to_string(),
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'".to_string(),
    )
}

async fn modal_boot() -> Response {
    asset("text/javascript; charset=utf-8", MODAL_BOOT_JS, "no-cache")
}

async fn modal_css() -> Response {
    asset("text/css; charset=utf-8", MODAL_CSS, "no-cache")
}

async fn logo(Path(file): Path<String>) -> Response {
    let valid = file.ends_with(".svg")
        && file.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !file.contains("..");
    let found = valid.then(|| PUBLIC.get_file(format!("logos/{file}"))).flatten();
    match found {
        Some(f) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
                // SVG can carry script; served as an image with a locked-down policy it cannot run.
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
                ),
            ],
            f.contents(),
        )
            .into_response(),
        None => crate::error::ApiError::not_found("Logo").into_response(),
    }
}

/// The modal bundle's URLs, as the page names them.
#[derive(Debug, Clone)]
struct ModalBundle {
    js: String,
    wasm: String,
    css: String,
    /// The message tables' URLs, `{lang}` standing for the language (empty: none built, the
    /// modal speaks English).
    messages: String,
    errors: String,
    /// Content-hashed names (a manifest was found): cacheable for ever.
    hashed: bool,
}

#[derive(Deserialize)]
struct Manifest {
    js: String,
    wasm: String,
    css: String,
    #[serde(default)]
    messages: Option<String>,
    #[serde(default)]
    errors: Option<String>,
}

/// `text` in an HTML attribute value (double-quoted).
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

impl ModalBundle {
    /// From `manifest.json`, or wasm-bindgen's plain names (a bundle built by hand), with the CSS
    /// compiled into the binary.
    fn load(dir: &std::path::Path) -> ModalBundle {
        let manifest = std::fs::read(dir.join("manifest.json")).ok();
        match manifest.and_then(|m| serde_json::from_slice::<Manifest>(&m).ok()) {
            Some(m) => ModalBundle {
                js: format!("/modal/pkg/{}", m.js),
                wasm: format!("/modal/pkg/{}", m.wasm),
                css: format!("/modal/pkg/{}", m.css),
                messages: m.messages.map(|f| format!("/modal/pkg/{f}")).unwrap_or_default(),
                errors: m.errors.map(|f| format!("/modal/pkg/{f}")).unwrap_or_default(),
                hashed: true,
            },
            None => ModalBundle {
                js: "/modal/pkg/portico_modal.js".into(),
                wasm: "/modal/pkg/portico_modal_bg.wasm".into(),
                css: "/modal/modal.css".into(),
                messages: String::new(),
                errors: String::new(),
                hashed: false,
            },
        }
    }

    /// The modal's page in `lang`. `mode` is `embedded` (in a host's iframe) or `page` (hosted
    /// connect link). English needs no table before the first screen (the modal has its words), so
    /// only another language's is preloaded, beside the WASM.
    fn page(&self, mode: &str, lang: &str) -> String {
        let preload = if lang == portico_wire::locale::DEFAULT || self.messages.is_empty() {
            String::new()
        } else {
            let url = self.messages.replace("{lang}", lang);
            format!("<link rel=\"preload\" href=\"{}\" as=\"fetch\" crossorigin>", attribute(&url))
        };
        // `{lang}` first: the table URLs put in afterwards keep theirs for the modal to fill.
        MODAL_HTML
            .replace("{lang}", lang)
            .replace("{dir}", portico_wire::locale::direction(lang))
            .replace("{mode}", mode)
            .replace("{js}", &self.js)
            .replace("{wasm}", &self.wasm)
            .replace("{css}", &self.css)
            .replace("{preload_messages}", &preload)
            .replace("{messages}", &attribute(&self.messages))
            .replace("{errors}", &attribute(&self.errors))
            .replace("{failed_title}", &attribute(i18n::text(lang, "boot.failed_title")))
            .replace("{failed_text}", &attribute(i18n::text(lang, "boot.failed_text")))
    }
}

fn modal_csp(frame_ancestors: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {frame_ancestors}"
    )
}

fn html_response(body: String, csp: String) -> Response {
    let mut response =
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], body)
            .into_response();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    // Not `no-referrer`: with it, browsers send `Origin: null` on the modal's form post to
    // `/oauth/start`, which binds a sign-in to the window that created it. Other sites still get
    // no referrer.
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

#[derive(Debug, Deserialize)]
struct ModalQuery {
    parent: Option<String>,
    /// The loader's `locale` option.
    locale: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LocaleQuery {
    locale: Option<String>,
}

/// The page's language from `?locale=` and the browser's `Accept-Language`.
fn page_language(locale: Option<&str>, headers: &HeaderMap) -> &'static str {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    i18n::page_language(locale, accept)
}

/// The iframe page. The loader names the host page's origin in `?parent=`; it may frame the modal
/// only if some workspace allows that origin (checked again against the token's own workspace
/// once the token arrives). The browser enforces `frame-ancestors`, so a false `parent` only
/// blocks the frame.
async fn modal_page(
    State(state): State<AppState>,
    Extension(bundle): Extension<ModalBundle>,
    Query(query): Query<ModalQuery>,
    headers: HeaderMap,
) -> Response {
    let ancestors = match query.parent.as_deref().map(|p| parse_origin("parent", p)) {
        Some(Ok(origin)) => match state.store.origin_allowed_anywhere(&origin).await {
            Ok(true) => origin,
            Ok(false) => "'none'".to_string(),
            Err(e) => return crate::error::ApiError::from(e).into_response(),
        },
        _ => "'none'".to_string(),
    };
    let lang = page_language(query.locale.as_deref(), &headers);
    html_response(bundle.page("embedded", lang), modal_csp(&ancestors))
}

async fn connect_page(
    Extension(bundle): Extension<ModalBundle>,
    Path(link): Path<String>,
    Query(query): Query<LocaleQuery>,
    headers: HeaderMap,
) -> Response {
    if crate::session::parse_link(&link).is_none() {
        return crate::error::ApiError::not_found("Connect link").into_response();
    }
    let lang = page_language(query.locale.as_deref(), &headers);
    html_response(bundle.page("page", lang), modal_csp("'none'"))
}

/// Headers on every response: no MIME sniffing, no referrer leaks, and no framing unless the
/// route set its own policy (only the modal page does). Plain header layers rather than a
/// middleware function: they run on every passthrough answer and need no boxed future.
pub fn security_headers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, |response: &Response| {
            // For browsers without `frame-ancestors`: DENY unless the route's own policy lets
            // some origin frame it.
            let framable = response
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|csp| csp.contains("frame-ancestors") && !csp.contains("frame-ancestors 'none'"));
            (!framable).then(|| HeaderValue::from_static("DENY"))
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
}
