//! The operator dashboard: server-rendered by the `portico` server, hydrated in the browser.
//!
//! Pages: sign-in, the operator's workspaces, and per workspace (test or live): integration
//! settings, secret keys, allowed origins, connections (list and detail) and the event log. What
//! the pages ask of the server is in [`api`]; the server checks the session, the CSRF token and
//! the workspace membership before any of it runs.
#![forbid(unsafe_code)]

pub mod api;
mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use portico_wire::{AuthKind, PlatformSummary};

#[cfg(feature = "ssr")]
pub use api::DashboardContext;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/portico.css"/>
        <Title text="Portico"/>
        <Router>
            <Routes fallback=|| view! { <main class="dash"><h1>"Not found"</h1><p>"This page does not exist."</p></main> }>
                <Route path=path!("/") view=pages::home::HomePage/>
                <Route path=path!("/sign-in") view=pages::sign_in::SignInPage/>
                <Route path=path!("/w/:workspace/integrations") view=pages::integrations::IntegrationsPage/>
                <Route path=path!("/w/:workspace/keys") view=pages::keys::KeysPage/>
                <Route path=path!("/w/:workspace/origins") view=pages::origins::OriginsPage/>
                <Route path=path!("/w/:workspace/connections") view=pages::connections::ConnectionsPage/>
                <Route path=path!("/w/:workspace/connections/:id") view=pages::connection::ConnectionPage/>
                <Route path=path!("/w/:workspace/events") view=pages::events::EventsPage/>
            </Routes>
        </Router>
    }
}

pub fn auth_label(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::Oauth2 => "OAuth 2.0",
        AuthKind::Oauth2ClientCredentials => "Client credentials",
        AuthKind::ApiKey => "API key",
        AuthKind::Basic => "Basic auth",
    }
}

/// Case-insensitive match on name, slug or category, and on the chosen category if any.
pub fn platform_matches(platform: &PlatformSummary, filter: &str, category: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    let in_category = category.is_empty() || platform.categories.iter().any(|c| c == category);
    in_category
        && (filter.is_empty()
            || platform.name.to_lowercase().contains(&filter)
            || platform.platform.contains(&filter)
            || platform.categories.iter().any(|c| c.contains(&filter)))
}

/// A time (milliseconds since 1970) as `2026-12-03 14:05 UTC`: the same on the server's first
/// paint and in the browser.
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

/// An event name in words.
pub fn event_label(name: &str) -> &'static str {
    match name {
        "connection.created" => "Connection created",
        "connection.reauthorized" => "Connection re-authorised",
        "connection.refresh_failed" => "Token refresh failed",
        "connection.deleted" => "Connection deleted",
        "integration.enabled" => "Integration enabled",
        "integration.disabled" => "Integration disabled",
        "oauth_app.updated" => "OAuth app saved",
        "key.created" => "Secret key created",
        "key.revoked" => "Secret key revoked",
        _ => "Other event",
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, slug: &str, category: &str) -> PlatformSummary {
        PlatformSummary {
            platform: slug.into(),
            name: name.into(),
            categories: vec![category.into()],
            auth_kind: AuthKind::ApiKey,
            logo_url: format!("/logos/{slug}.svg"),
            action_count: 0,
        }
    }

    #[test]
    fn times_are_written_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_796_306_700_000), "2026-12-03 14:05 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn the_filter_matches_name_slug_and_category() {
        let p = summary("GitHub", "github", "developer-tools");
        assert!(platform_matches(&p, "", ""));
        assert!(platform_matches(&p, "git", ""));
        assert!(platform_matches(&p, " HUB ", ""));
        assert!(platform_matches(&p, "developer", ""));
        assert!(!platform_matches(&p, "slack", ""));
        assert!(platform_matches(&p, "git", "developer-tools"));
        assert!(!platform_matches(&p, "git", "crm"));
    }
}
