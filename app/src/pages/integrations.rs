//! A workspace's integration settings for one environment: the whole catalog, searchable and
//! filterable by category, paginated; a switch per platform (the modal's next session follows
//! it); bulk enable/disable of what the filter shows; OAuth app status; recent changes.

use std::collections::BTreeSet;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use portico_wire::{AuthKind, PlatformSummary};

use super::chrome::{ErrorNote, Section, WorkspaceChrome};
use super::oauth_panel::OAuthPanel;
use crate::api::{
    get_integrations, list_platforms, recent_changes, set_enabled, whoami, Change, DashboardError, Environment,
    IntegrationState, SessionInfo,
};
use crate::{auth_label, platform_matches};

const PAGE_SIZE: usize = 50;

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct PageData {
    session: SessionInfo,
    platforms: Vec<PlatformSummary>,
    state: IntegrationState,
}

async fn load(workspace: String, environment: Environment) -> Result<PageData, DashboardError> {
    let session = whoami().await?;
    let platforms = list_platforms(session.csrf.clone()).await?;
    let state = get_integrations(session.csrf.clone(), workspace, environment).await?;
    Ok(PageData { session, platforms, state })
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let workspace = move || params.with(|p| p.get("workspace").unwrap_or_default());
    let environment = move || query.with(|q| q.get("env").and_then(|e| Environment::parse(&e)).unwrap_or_default());
    let data = Resource::new(move || (workspace(), environment()), |(ws, env)| load(ws, env));
    view! {
        <Title text="Integrations · Portico"/>
        <main class="dash dash-wide">
            <Suspense fallback=|| view! { <p class="dash-muted" role="status">"Loading the integrations…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => view! { <Settings data workspace=workspace() environment=environment()/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// Everything the settings' parts share.
#[derive(Clone, Copy)]
struct Ctx {
    csrf: StoredValue<String>,
    workspace: StoredValue<String>,
    environment: Environment,
    state: RwSignal<IntegrationState>,
    error: RwSignal<Option<String>>,
    changes: RwSignal<Vec<Change>>,
    panel: RwSignal<Option<String>>,
}

impl Ctx {
    fn apply(&self, platforms: Vec<String>, enabled: bool) {
        let ctx = *self;
        leptos::task::spawn_local(async move {
            let result =
                set_enabled(ctx.csrf.get_value(), ctx.workspace.get_value(), ctx.environment, platforms, enabled).await;
            match result {
                Ok(state) => {
                    ctx.state.set(state);
                    ctx.error.set(None);
                    ctx.refresh_changes().await;
                }
                Err(e) => ctx.error.set(Some(format!("The change was not saved: {e}."))),
            }
        });
    }

    async fn refresh_changes(&self) {
        if let Ok(list) = recent_changes(self.csrf.get_value(), self.workspace.get_value(), self.environment).await {
            self.changes.set(list);
        }
    }
}

#[component]
fn Settings(data: PageData, workspace: String, environment: Environment) -> impl IntoView {
    let ctx = Ctx {
        csrf: StoredValue::new(data.session.csrf.clone()),
        workspace: StoredValue::new(workspace.clone()),
        environment,
        state: RwSignal::new(data.state.clone()),
        error: RwSignal::new(None),
        changes: RwSignal::new(Vec::new()),
        panel: RwSignal::new(None),
    };
    Effect::new(move |_| leptos::task::spawn_local(async move { ctx.refresh_changes().await }));
    view! {
        <WorkspaceChrome session=data.session.clone() workspace environment section=Section::Integrations/>
        {move || ctx.error.get().map(|e| view! { <p class="dash-error" role="alert">{e}</p> })}
        <Catalog ctx platforms=Arc::new(data.platforms.clone())/>
        {move || ctx.panel.get().map(|platform| view! {
            <OAuthPanel
                csrf=ctx.csrf.get_value()
                workspace=ctx.workspace.get_value()
                environment=ctx.environment
                platform
                on_close=Callback::new(move |_| ctx.panel.set(None))
                on_saved=Callback::new(move |_| leptos::task::spawn_local(async move {
                    if let Ok(state) = get_integrations(ctx.csrf.get_value(), ctx.workspace.get_value(), ctx.environment).await {
                        ctx.state.set(state);
                    }
                    ctx.refresh_changes().await;
                }))
            />
        })}
        <RecentChanges changes=ctx.changes/>
    }
}

fn categories(platforms: &[PlatformSummary]) -> Vec<String> {
    let set: BTreeSet<String> = platforms.iter().flat_map(|p| p.categories.iter().cloned()).collect();
    set.into_iter().collect()
}

#[component]
fn Catalog(ctx: Ctx, platforms: Arc<Vec<PlatformSummary>>) -> impl IntoView {
    let total = platforms.len();
    let filter = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let page = RwSignal::new(0usize);
    let all = platforms.clone();
    let matching = Memo::new(move |_| {
        let (f, c) = (filter.get(), category.get());
        all.iter().filter(|p| platform_matches(p, &f, &c)).cloned().collect::<Vec<_>>()
    });
    let enabled_count = move || ctx.state.with(|s| s.enabled.len());
    let pages = move || matching.with(|m| m.len().div_ceil(PAGE_SIZE).max(1));
    let shown = move || {
        let start = page.get() * PAGE_SIZE;
        matching.with(|m| m.iter().skip(start).take(PAGE_SIZE).cloned().collect::<Vec<_>>())
    };
    // Effects run only in the browser: this flips once the page is interactive.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let bulk = move |on: bool| {
        let names = matching.with(|m| m.iter().map(|p| p.platform.clone()).collect::<Vec<_>>());
        ctx.apply(names, on);
    };
    view! {
        <section class="dash-card" aria-labelledby="catalog-heading" data-testid="catalog" data-hydrated=move || hydrated.get().to_string()>
            <h2 id="catalog-heading">"Catalog"</h2>
            <p data-testid="enabled-count">{move || format!("{} of {total} enabled", enabled_count())}</p>
            <div class="dash-filters">
                <label class="dash-filter">
                    <span>"Search"</span>
                    <input type="search" placeholder="Name or category" data-testid="catalog-filter"
                        prop:value=filter
                        on:input=move |ev| { filter.set(event_target_value(&ev)); page.set(0); }/>
                </label>
                <label class="dash-filter">
                    <span>"Category"</span>
                    <select data-testid="category-filter" on:change=move |ev| { category.set(event_target_value(&ev)); page.set(0); }>
                        <option value="">"All categories"</option>
                        {categories(&platforms).into_iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <div class="dash-bulk">
                <span class="dash-muted" data-testid="catalog-count">{move || format!("{} matching", matching.with(Vec::len))}</span>
                <button type="button" class="dash-button dash-secondary" on:click=move |_| bulk(true)>"Enable all matching"</button>
                <button type="button" class="dash-button dash-secondary" on:click=move |_| bulk(false)>"Disable all matching"</button>
            </div>
            <Show when=move || matching.with(Vec::is_empty)>
                <p class="dash-muted">"No platform matches this search."</p>
            </Show>
            <ul class="dash-rows" data-testid="catalog-list">
                <For each=shown key=|p| p.platform.clone() let:platform>
                    <PlatformRow ctx platform/>
                </For>
            </ul>
            <nav class="dash-pager" aria-label="Pages">
                <button type="button" class="dash-button dash-secondary" disabled=move || page.get() == 0
                    on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                <span>{move || format!("Page {} of {}", page.get() + 1, pages())}</span>
                <button type="button" class="dash-button dash-secondary" disabled=move || { page.get() + 1 >= pages() }
                    on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
            </nav>
        </section>
    }
}

#[component]
fn PlatformRow(ctx: Ctx, platform: PlatformSummary) -> impl IntoView {
    let slug = platform.platform.clone();
    let is_oauth = platform.auth_kind == AuthKind::Oauth2;
    let for_enabled = slug.clone();
    let enabled = Memo::new(move |_| ctx.state.with(|s| s.enabled.contains(&for_enabled)));
    let for_app = slug.clone();
    let app_hint = Memo::new(move |_| {
        ctx.state.with(|s| s.oauth_apps.iter().find(|a| a.platform == for_app).map(|a| a.secret_hint.clone()))
    });
    let toggle_slug = slug.clone();
    let panel_slug = slug.clone();
    let input_id = format!("enable-{slug}");
    let status = move || {
        if !is_oauth {
            return None;
        }
        Some(match (app_hint.get(), enabled.get()) {
            (Some(_), _) => ("OAuth app set", "dash-ok"),
            (None, true) => ("needs an OAuth app", "dash-warn"),
            (None, false) => ("no OAuth app", "dash-muted"),
        })
    };
    view! {
        <li class="dash-row" data-platform=slug.clone() class:dash-row-blocked=move || is_oauth && enabled.get() && app_hint.with(Option::is_none)>
            <img src=platform.logo_url.clone() alt="" width="24" height="24" loading="lazy"/>
            <label for=input_id.clone() class="dash-row-name">{platform.name.clone()}</label>
            <span class="dash-muted">{auth_label(platform.auth_kind)}</span>
            {move || status().map(|(text, class)| view! { <span class=class data-testid="oauth-status">{text}</span> })}
            <Show when=move || is_oauth>
                <button type="button" class="dash-button dash-secondary"
                    on:click={let s = panel_slug.clone(); move |_| ctx.panel.set(Some(s.clone()))}>
                    "Configure OAuth app"
                </button>
            </Show>
            <input id=input_id type="checkbox" role="switch" data-testid="enable-toggle"
                prop:checked=enabled
                on:change=move |ev| ctx.apply(vec![toggle_slug.clone()], event_target_checked(&ev))/>
        </li>
    }
}

#[component]
fn RecentChanges(changes: RwSignal<Vec<Change>>) -> impl IntoView {
    view! {
        <section class="dash-card" aria-labelledby="changes-heading">
            <h2 id="changes-heading">"Recent changes"</h2>
            <Show when=move || changes.with(Vec::is_empty)>
                <p class="dash-muted">"No changes yet."</p>
            </Show>
            <ul class="dash-list" data-testid="recent-changes">
                <For each=move || changes.get() key=|c| (c.at_ms, c.name.clone(), c.platform.clone()) let:change>
                    <li>{format!("{} · {} by {}", describe(&change.name), change.platform, change.operator)}</li>
                </For>
            </ul>
        </section>
    }
}

fn describe(name: &str) -> &'static str {
    match name {
        "integration.enabled" => "Enabled",
        "integration.disabled" => "Disabled",
        "oauth_app.updated" => "OAuth app saved",
        _ => "Changed",
    }
}
