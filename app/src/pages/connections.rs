//! An environment's connections: search by identity (exactly as the host names it), filter by
//! platform and status, 20 a page; each row links to its detail.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use portico_wire::{ConnectionStatus, PlatformSummary};

use super::chrome::{use_workspace_route, ErrorNote, Pager, Section, WorkspaceChrome};
use crate::api::{
    list_connections, list_platforms, whoami, ConnectionQuery, ConnectionRows, DashboardError, Environment, SessionInfo,
};
use crate::format_time;

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let (workspace, environment) = use_workspace_route();
    let session = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Connections · Portico"/>
        <main class="dash dash-wide">
            <Suspense fallback=|| view! { <p class="dash-muted" role="status">"Loading…"</p> }>
                {move || {
                    // Read here, so a change of environment (a link to `?env=`) draws the page again.
                    let (workspace, environment) = (workspace.get(), environment.get());
                    Suspend::new(async move {
                        match session.await {
                            Ok(session) => view! { <Connections session workspace environment/> }.into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

/// A connection's status in words.
pub fn status_label(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Active => "Active",
        ConnectionStatus::NeedsReauth => "Needs re-authorisation",
        _ => "Unknown",
    }
}

#[component]
fn Connections(session: SessionInfo, workspace: String, environment: Environment) -> impl IntoView {
    let csrf = StoredValue::new(session.csrf.clone());
    let ws = StoredValue::new(workspace.clone());
    let deleted = use_query_map().with_untracked(|q| q.get("deleted"));
    let identity = RwSignal::new(String::new());
    let query = RwSignal::new(ConnectionQuery { page: 1, ..Default::default() });
    let page = RwSignal::new(1i64);
    let platforms = RwSignal::new(Vec::<PlatformSummary>::new());
    let list = RwSignal::new(None::<Result<ConnectionRows, DashboardError>>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(all) = list_platforms(csrf.get_value()).await {
                platforms.set(all);
            }
        })
    });
    Effect::new(move |_| {
        let q = ConnectionQuery { page: page.get(), ..query.get() };
        leptos::task::spawn_local(async move {
            list.set(Some(list_connections(csrf.get_value(), ws.get_value(), environment, q).await));
        });
    });
    let set = move |change: &dyn Fn(&mut ConnectionQuery)| {
        query.update(|q| change(q));
        page.set(1);
    };
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = identity.get_untracked().trim().to_string();
        set(&|q: &mut ConnectionQuery| q.identity = text.clone());
    };
    let pages = Signal::derive(move || list.with(|l| l.as_ref().and_then(|r| r.as_ref().ok()).map_or(1, |p| p.pages)));
    let base = format!("/w/{workspace}/connections");
    view! {
        <WorkspaceChrome session workspace environment section=Section::Connections/>
        {deleted.map(|_| view! { <p class="dash-ok" role="status" data-testid="deleted-note">"The connection was deleted."</p> })}
        <section class="dash-card" aria-labelledby="connections-heading" data-testid="connections"
            data-ready=move || list.with(Option::is_some).to_string()>
            <h2 id="connections-heading">"Connections"</h2>
            <form class="dash-filters" role="search" on:submit=search>
                <label class="dash-filter">
                    <span>"Identity"</span>
                    <input type="search" data-testid="identity-search" placeholder="Exactly as your app names it"
                        prop:value=identity on:input=move |ev| identity.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="dash-button dash-secondary">"Search"</button>
                <label class="dash-filter">
                    <span>"Platform"</span>
                    <select data-testid="platform-filter" on:change=move |ev| { let v = event_target_value(&ev); set(&|q: &mut ConnectionQuery| q.platform = v.clone()); }>
                        <option value="">"All platforms"</option>
                        {move || platforms.get().into_iter().map(|p| view! { <option value=p.platform.clone()>{p.name.clone()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="dash-filter">
                    <span>"Status"</span>
                    <select data-testid="status-filter" on:change=move |ev| { let v = event_target_value(&ev); set(&|q: &mut ConnectionQuery| q.status = v.clone()); }>
                        <option value="">"Any status"</option>
                        <option value="active">"Active"</option>
                        <option value="needs_reauth">"Needs re-authorisation"</option>
                    </select>
                </label>
            </form>
            {move || match list.get() {
                None => view! { <p class="dash-muted" role="status">"Loading the connections…"</p> }.into_any(),
                Some(Err(error)) => view! { <p class="dash-error" role="alert">{format!("Could not list the connections: {error}.")}</p> }.into_any(),
                Some(Ok(p)) if p.rows.is_empty() => view! { <p class="dash-muted">"No connection matches."</p> }.into_any(),
                Some(Ok(p)) => {
                    let base = base.clone();
                    view! {
                        <p class="dash-muted" data-testid="connections-count">{format!("{} connection(s), newest first.", p.total)}</p>
                        <table class="dash-table" data-testid="connection-list">
                            <thead><tr>
                                <th scope="col">"Identity"</th><th scope="col">"Platform"</th><th scope="col">"Status"</th><th scope="col">"Created"</th>
                            </tr></thead>
                            <tbody>
                                {p.rows.into_iter().map(|c| view! {
                                    <tr data-connection=c.id.clone()>
                                        <td><a href=format!("{base}/{}?env={}", c.id, environment.as_str())>
                                            {c.identity.clone().unwrap_or_else(|| "(no identity)".into())}
                                        </a></td>
                                        <td>{c.name.clone()}</td>
                                        <td>{status_label(c.status)}</td>
                                        <td>{format_time(c.created_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }
            }}
            <Pager page pages/>
        </section>
    }
}
