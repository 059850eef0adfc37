//! The router: the JSON API with its OpenAPI document, the pages, the dashboard and the
//! security headers, in one place.

use std::sync::Arc;

use axum::Router;
use leptos_axum::LeptosRoutes;
use portico_wire::ErrorCode;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::state::AppState;
use crate::{agents, authkit, calls, catalog, connections, dashboard, events, oauth, passthrough, telemetry, web};

/// The OpenAPI document's fixed parts; the paths come from the routers themselves.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Portico API",
        description = "Self-hosted integration auth: AuthKit tokens for the connect modal, the connections vault, and passthrough to the connected platforms' APIs. Errors are `{\"error\":{\"code\",\"message\"}}`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "AuthKit", description = "Tokens the host's backend mints for the modal"),
        (name = "Connections", description = "The vault's connections (secret key)"),
        (name = "Passthrough", description = "Calls to a connection's platform API"),
        (name = "Catalog", description = "Integrations and their actions"),
        (name = "Events", description = "What happened to connections"),
        (name = "Agents", description = "Tools for AI agents: MCP and function definitions"),
        (name = "Modal", description = "Used by Portico's own modal with its AuthKit token"),
        (name = "Health", description = "Probes"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "secret_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-portico-secret",
                "A secret key (sk_test_… / sk_live_…). Also accepted as `Authorization: Bearer` or Pica's `x-pica-secret`.",
            ))),
        );
        components.add_security_scheme(
            "authkit_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An AuthKit token (akt_…), as the modal holds it."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "agent_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An agent token (agt_…) for one identity's tools."))
                    .build(),
            ),
        );
    }
}

/// The JSON API's router and its OpenAPI document, built together: a route cannot exist without
/// its documentation, and the document is the table of routes the isolation tests walk.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use utoipa::OpenApi;
    let (router, mut doc) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(authkit::router())
        .merge(agents::router())
        .merge(connections::router())
        .merge(catalog::router())
        .merge(passthrough::router())
        .merge(calls::router())
        .merge(oauth::flow::api_router())
        .merge(events::api::router())
        .merge(web::probes())
        .split_for_parts();
    crate::apidoc::document_common_answers(&mut doc);
    (router, doc)
}

pub(crate) fn build_router(state: AppState) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let dashboard_context = dashboard::backend::context(&state);
    let routes = leptos_axum::generate_route_list(portico_app::App);
    let leptos_options = state.leptos.clone();
    let router = Router::new()
        .merge(api)
        .route("/openapi.json", axum::routing::get(move || async move { axum::Json(openapi.as_ref().clone()) }))
        .merge(web::router(&state))
        .merge(oauth::flow::pages())
        .merge(dashboard::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                leptos::context::provide_context(dashboard_context.clone());
                dashboard::page_policy();
            },
            move || portico_app::shell(leptos_options.clone()),
        )
        .fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!("No route for {method} {}", uri.path()),
            )
        });
    // Leptos registers the server functions (`/dashboard/api/…`) with the pages: the session, CSRF
    // and Origin checks are this layer, in front of both.
    let router = router.layer(axum::middleware::from_fn_with_state(state.clone(), dashboard::authenticate));
    web::security_headers(router)
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .with_state(state)
}
