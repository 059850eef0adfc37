//! The operator dashboard's server side: sign-in and sign-out (plain forms, so they work before
//! the WASM loads), the session check in front of every dashboard page and server function
//! ([`guard`]), and the [`backend`] the server functions call, which reaches a workspace only
//! through a checked [`crate::operators::WorkspaceHandle`].

pub mod backend;
mod connections;
mod events;
pub mod guard;
mod keys;
mod origins;
pub mod settings;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

use crate::operators::{self, sessions, SignInError};
use crate::AppState;
use guard::SignedIn;

/// Where Leptos serves the dashboard's server functions (registered by `leptos_routes`).
pub const SERVER_FN_PREFIX: &str = "/dashboard/api/";

/// The sign-in page's path.
pub const SIGN_IN_PAGE: &str = "/sign-in";

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard/sign-in", post(sign_in)).route("/dashboard/sign-out", post(sign_out))
}

/// Whether `path` is a dashboard page that needs a signed-in operator.
fn is_private_page(path: &str) -> bool {
    path == "/" || path.starts_with("/w/")
}

/// Puts the signed-in operator (if any) in the request's extensions for dashboard paths; sends a
/// visitor without a live session from a private page to the sign-in page, and a signed-in one
/// from the sign-in page to the dashboard.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let dashboard_path = is_private_page(&path) || path == SIGN_IN_PAGE || path.starts_with("/dashboard/");
    if !dashboard_path {
        return next.run(request).await;
    }
    let signed_in = match guard::signed_in(&state, request.headers()).await {
        Ok(found) => found,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let had_cookie = sessions::token_from(request.headers(), guard::secure_cookies(&state)).is_some();
    match (&signed_in, request.method() == axum::http::Method::GET) {
        (None, true) if is_private_page(&path) => {
            let target = if had_cookie { format!("{SIGN_IN_PAGE}?error=expired") } else { SIGN_IN_PAGE.into() };
            return Redirect::to(&target).into_response();
        }
        (Some(_), true) if path == SIGN_IN_PAGE => return Redirect::to("/").into_response(),
        _ => {}
    }
    if let Some(signed_in) = signed_in {
        request.extensions_mut().insert(signed_in);
    }
    if path.starts_with(SERVER_FN_PREFIX) {
        request = match guard::check_server_fn(&state, request).await {
            Ok(request) => request,
            Err(refused) => return refused,
        };
    }
    let mut response = next.run(request).await;
    // With `no-referrer` (the rest of Portico's policy) browsers send `Origin: null` on form posts,
    // which the CSRF check must refuse; `same-origin` still sends no referrer to other sites.
    response
        .headers_mut()
        .insert(axum::http::header::REFERRER_POLICY, axum::http::HeaderValue::from_static("same-origin"));
    response
}

/// The dashboard pages' content security policy, with the nonce Leptos puts on its hydration
/// script (so no other inline script runs): called while a page renders, it sets the header on
/// that page's answer.
pub fn page_policy() {
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), leptos::context::use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&csp) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
}

fn refused_form() -> Response {
    (StatusCode::FORBIDDEN, "This form was sent from another site and was refused.").into_response()
}

async fn sign_in(
    State(state): State<AppState>,
    connect_info: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    if !guard::origin_is_own(&state, &headers) {
        return refused_form();
    }
    let address = connect_info.map_or_else(|| "unknown".to_string(), |c| c.0 .0.ip().to_string());
    let now = state.clock.now_ms();
    match operators::sign_in(&state.store, now, &form.email, &form.password, &address).await {
        Ok(operator) => match sessions::start(&state.store, state.entropy.as_ref(), now, &operator.id).await {
            Ok(session) => {
                let cookie = sessions::set_cookie(&session.token, guard::secure_cookies(&state));
                ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
            }
            Err(e) => crate::error::ApiError::from(e).into_response(),
        },
        Err(SignInError::WrongCredentials) => Redirect::to(&format!("{SIGN_IN_PAGE}?error=wrong")).into_response(),
        Err(SignInError::LockedOut { until }) => {
            let minutes = ((until - now) / 60_000 + 1).max(1);
            Redirect::to(&format!("{SIGN_IN_PAGE}?error=locked&minutes={minutes}")).into_response()
        }
        Err(SignInError::Store(e)) => crate::error::ApiError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

async fn sign_out(
    State(state): State<AppState>,
    signed_in: Option<axum::Extension<SignedIn>>,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Response {
    if !guard::origin_is_own(&state, &headers) {
        return refused_form();
    }
    let secure = guard::secure_cookies(&state);
    if let Some(axum::Extension(signed_in)) = signed_in {
        if !sessions::csrf_matches(&signed_in.token, &form.csrf) {
            return refused_form();
        }
        if let Err(e) = sessions::end(&state.store, &signed_in.token, state.clock.now_ms()).await {
            return crate::error::ApiError::from(e).into_response();
        }
    }
    let target = format!("{SIGN_IN_PAGE}?signed_out=1");
    ([(header::SET_COOKIE, sessions::clear_cookie(secure))], Redirect::to(&target)).into_response()
}
