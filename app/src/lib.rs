//! The operator dashboard: server-rendered by the `portico` server, hydrated in the browser.
//!
//! Pages: sign-in, the operator's workspaces, and a workspace's integration settings (test or
//! live). What the pages ask of the server is in [`api`]; the server checks the session, the CSRF
//! token and the workspace membership before any of it runs.
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
