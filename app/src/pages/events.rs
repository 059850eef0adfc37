//! The environment's event log: newest first, 25 a page (older pages by cursor), filtered by
//! event type; each line says when, what, about what, and who or what did it.

use leptos::prelude::*;
use leptos_meta::Title;

use super::chrome::{use_workspace_route, ErrorNote, Section, WorkspaceChrome};
use crate::api::{list_events, whoami, DashboardError, Environment, EventLine, EventQuery, EventRows, SessionInfo};
use crate::{event_label, format_time};

#[component]
pub fn EventsPage() -> impl IntoView {
    let (workspace, environment) = use_workspace_route();
    let session = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Events · Portico"/>
        <main class="dash dash-wide">
            <Suspense fallback=|| view! { <p class="dash-muted" role="status">"Loading…"</p> }>
                {move || {
                    // Read here, so a change of environment (a link to `?env=`) draws the page again.
                    let (workspace, environment) = (workspace.get(), environment.get());
                    Suspend::new(async move {
                        match session.await {
                            Ok(session) => view! { <Events session workspace environment/> }.into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn Events(session: SessionInfo, workspace: String, environment: Environment) -> impl IntoView {
    let csrf = StoredValue::new(session.csrf.clone());
    let ws = StoredValue::new(workspace.clone());
    let name = RwSignal::new(String::new());
    // The cursors of the pages before this one (newest first), and this one's.
    let newer = RwSignal::new(Vec::<Option<i64>>::new());
    let before = RwSignal::new(None::<i64>);
    let page = RwSignal::new(None::<Result<EventRows, DashboardError>>);
    Effect::new(move |_| {
        let query = EventQuery { name: name.get(), before: before.get(), connection_id: String::new() };
        leptos::task::spawn_local(async move {
            page.set(Some(list_events(csrf.get_value(), ws.get_value(), environment, query).await));
        });
    });
    let older = move |_| {
        if let Some(next) = page.with(|p| p.as_ref().and_then(|p| p.as_ref().ok()).and_then(|p| p.next_before)) {
            newer.update(|n| n.push(before.get_untracked()));
            before.set(Some(next));
        }
    };
    let back = move |_| {
        if let Some(cursor) = newer.try_update(Vec::pop).flatten() {
            before.set(cursor);
        }
    };
    let names =
        move || page.with(|p| p.as_ref().and_then(|p| p.as_ref().ok()).map(|p| p.names.clone()).unwrap_or_default());
    view! {
        <WorkspaceChrome session workspace environment section=Section::Events/>
        <section class="dash-card" aria-labelledby="events-heading" data-testid="events"
            data-ready=move || page.with(Option::is_some).to_string()>
            <h2 id="events-heading">"Event log"</h2>
            <div class="dash-filters">
                <label class="dash-filter">
                    <span>"Event type"</span>
                    <select data-testid="event-filter" on:change=move |ev| {
                        name.set(event_target_value(&ev));
                        newer.set(Vec::new());
                        before.set(None);
                    }>
                        <option value="">"All events"</option>
                        {move || names().into_iter().map(|n| view! {
                            <option value=n.clone() selected={name.get() == n}>{event_label(&n)}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            {move || match page.get() {
                None => view! { <p class="dash-muted" role="status">"Loading the events…"</p> }.into_any(),
                Some(Err(error)) => view! { <p class="dash-error" role="alert">{format!("Could not load the events: {error}.")}</p> }.into_any(),
                Some(Ok(p)) if p.rows.is_empty() => view! { <p class="dash-muted">"No events here yet."</p> }.into_any(),
                Some(Ok(p)) => view! { <EventTable rows=p.rows/> }.into_any(),
            }}
            <nav class="dash-pager" aria-label="Pages">
                <button type="button" class="dash-button dash-secondary" disabled=move || newer.with(Vec::is_empty)
                    on:click=back>"Newer"</button>
                <button type="button" class="dash-button dash-secondary"
                    disabled=move || page.with(|p| p.as_ref().and_then(|p| p.as_ref().ok()).and_then(|p| p.next_before).is_none())
                    on:click=older>"Older"</button>
            </nav>
        </section>
    }
}

/// Events as a table: when, what, about what, by whom.
#[component]
pub fn EventTable(rows: Vec<EventLine>) -> impl IntoView {
    view! {
        <table class="dash-table" data-testid="event-list">
            <thead><tr>
                <th scope="col">"When"</th><th scope="col">"Event"</th><th scope="col">"About"</th><th scope="col">"By"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|e| view! {
                    <tr data-event=e.name.clone()>
                        <td>{format_time(e.at_ms)}</td>
                        <td>{event_label(&e.name)}</td>
                        <td>{e.subject.clone()}</td>
                        <td>{e.by.clone()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
