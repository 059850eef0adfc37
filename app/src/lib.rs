//! The operator dashboard: server-rendered by the `portico` server, hydrated in the browser.
//!
//! For now one page: the status of this Portico and its integration catalog, with a filter that
//! runs in the browser once hydrated. The dashboard proper (workspaces, keys, connections, logs)
//! grows here.
#![forbid(unsafe_code)]

use std::sync::Arc;

use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use portico_wire::{AuthKind, PlatformSummary};
use serde::{Deserialize, Serialize};

/// What the server provides to the dashboard's server functions.
#[derive(Debug, Clone)]
pub struct DashboardContext {
    pub platforms: Arc<Vec<PlatformSummary>>,
}

/// Errors the dashboard's server functions return, typed so the page can word them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DashboardError {
    #[error("the catalog is not available on this server")]
    CatalogUnavailable,
    #[error("the server could not be reached: {0}")]
    Transport(String),
}

impl FromServerFnError for DashboardError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        DashboardError::Transport(value.to_string())
    }
}

#[server(prefix = "/dashboard/api")]
pub async fn list_platforms() -> Result<Vec<PlatformSummary>, DashboardError> {
    let context = use_context::<DashboardContext>().ok_or(DashboardError::CatalogUnavailable)?;
    Ok((*context.platforms).clone())
}

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
            <Routes fallback=|| view! { <main class="dash"><p>"This page does not exist."</p></main> }>
                <Route path=path!("/") view=StatusPage/>
            </Routes>
        </Router>
    }
}

fn auth_label(kind: AuthKind) -> &'static str {
    match kind {
        AuthKind::Oauth2 => "OAuth 2.0",
        AuthKind::Oauth2ClientCredentials => "Client credentials",
        AuthKind::ApiKey => "API key",
        AuthKind::Basic => "Basic auth",
    }
}

/// Case-insensitive match on name, slug or category.
pub fn platform_matches(platform: &PlatformSummary, filter: &str) -> bool {
    let filter = filter.trim().to_lowercase();
    filter.is_empty()
        || platform.name.to_lowercase().contains(&filter)
        || platform.platform.contains(&filter)
        || platform.categories.iter().any(|c| c.contains(&filter))
}

#[component]
fn StatusPage() -> impl IntoView {
    let platforms = OnceResource::new(list_platforms());
    let (filter, set_filter) = signal(String::new());
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser: this flips once the page is interactive.
    Effect::new(move |_| set_hydrated.set(true));

    view! {
        <main class="dash">
            <header class="dash-header">
                <h1>"Portico"</h1>
                <span class="dash-badge" data-testid="hydrated" data-hydrated=move || hydrated.get().to_string()>
                    {move || if hydrated.get() { "live" } else { "loading…" }}
                </span>
            </header>
            <p class="dash-muted">
                "Self-hosted integration auth. Hosts embed "<code>"/embed.js"</code>
                "; their users connect accounts; the host calls APIs through "<code>"/v1/passthrough"</code>"."
            </p>
            <section class="dash-card">
                <h2>"Integration catalog"</h2>
                <Suspense fallback=|| view! { <p class="dash-muted">"Loading the catalog…"</p> }>
                    {move || Suspend::new(async move {
                        match platforms.await {
                            Ok(list) => view! { <CatalogList list filter set_filter/> }.into_any(),
                            Err(e) => view! {
                                <p class="dash-error" role="alert">{format!("Could not load the catalog: {e}.")}</p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}

#[component]
fn CatalogList(
    list: Vec<PlatformSummary>,
    filter: ReadSignal<String>,
    set_filter: WriteSignal<String>,
) -> impl IntoView {
    let total = list.len();
    let shared = Arc::new(list);
    let for_count = shared.clone();
    let visible = move || for_count.iter().filter(|p| platform_matches(p, &filter.get())).count();
    let rows = shared
        .iter()
        .map(|p| {
            let for_hidden = p.clone();
            let hidden = move || !platform_matches(&for_hidden, &filter.get());
            view! {
                <li class="dash-platform" class:dash-hidden=hidden data-platform=p.platform.clone()>
                    <img src=p.logo_url.clone() alt="" width="24" height="24"/>
                    <span class="dash-platform-name">{p.name.clone()}</span>
                    <span class="dash-muted">{auth_label(p.auth_kind)}</span>
                    <span class="dash-muted">{format!("{} actions", p.action_count)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <label class="dash-filter">
            <span>"Filter"</span>
            <input
                type="search"
                placeholder="Name or category"
                data-testid="catalog-filter"
                prop:value=filter
                on:input=move |ev| set_filter.set(event_target_value(&ev))
            />
        </label>
        <p class="dash-muted" data-testid="catalog-count">
            {move || format!("Showing {} of {total} platforms", visible())}
        </p>
        <ul class="dash-platforms" data-testid="catalog-list">{rows}</ul>
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
    fn the_filter_matches_name_slug_and_category() {
        let p = summary("GitHub", "github", "developer-tools");
        assert!(platform_matches(&p, ""));
        assert!(platform_matches(&p, "git"));
        assert!(platform_matches(&p, " HUB "));
        assert!(platform_matches(&p, "developer"));
        assert!(!platform_matches(&p, "slack"));
    }
}
