//! One connection: what hosts may see of it (never its credentials), its latest events, and
//! delete with a confirmation step (the grant is revoked at the provider, as the API does).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::chrome::{focus_by_id, use_workspace_route, ErrorNote, Section, WorkspaceChrome};
use super::connections::status_label;
use super::events::EventTable;
use crate::api::{
    delete_connection, get_connection, whoami, ConnectionDetail, DashboardError, Environment, SessionInfo,
};
use crate::format_time;

#[component]
pub fn ConnectionPage() -> impl IntoView {
    let (workspace, environment) = use_workspace_route();
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let session = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Connection · Portico"/>
        <main class="dash dash-wide">
            <Suspense fallback=|| view! { <p class="dash-muted" role="status">"Loading…"</p> }>
                {move || {
                    let (workspace, environment, id) = (workspace.get(), environment.get(), id.get());
                    Suspend::new(async move {
                        match session.await {
                            Ok(session) => view! { <Connection session workspace environment id/> }.into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn Connection(session: SessionInfo, workspace: String, environment: Environment, id: String) -> impl IntoView {
    let csrf = StoredValue::new(session.csrf.clone());
    let ws = StoredValue::new(workspace.clone());
    let id = StoredValue::new(id);
    let detail = RwSignal::new(None::<Result<ConnectionDetail, DashboardError>>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            detail.set(Some(get_connection(csrf.get_value(), ws.get_value(), environment, id.get_value()).await));
        });
    });
    let back = format!("/w/{workspace}/connections?env={}", environment.as_str());
    view! {
        <WorkspaceChrome session workspace environment section=Section::Connections/>
        <p><a href=back.clone()>"All connections"</a></p>
        <section class="dash-card" aria-labelledby="connection-heading" data-testid="connection"
            data-ready=move || detail.with(Option::is_some).to_string()>
            {move || match detail.get() {
                None => view! { <h2 id="connection-heading">"Connection"</h2><p class="dash-muted" role="status">"Loading the connection…"</p> }.into_any(),
                Some(Err(error)) => view! {
                    <h2 id="connection-heading">"Connection"</h2>
                    <p class="dash-error" role="alert">{format!("Could not load this connection: {error}.")}</p>
                }.into_any(),
                Some(Ok(d)) => view! { <Detail detail=d csrf ws environment back=back.clone()/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Detail(
    detail: ConnectionDetail,
    csrf: StoredValue<String>,
    ws: StoredValue<String>,
    environment: Environment,
    back: String,
) -> impl IntoView {
    let c = detail.connection.clone();
    let id = StoredValue::new(c.id.clone());
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let back = StoredValue::new(back);
    let confirm = move |_| {
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match delete_connection(csrf.get_value(), ws.get_value(), environment, id.get_value()).await {
                Ok(()) => navigate(&format!("{}&deleted=1", back.get_value()), Default::default()),
                Err(e) => {
                    confirming.set(false);
                    error.set(Some(format!("The connection was not deleted: {e}.")));
                    focus_by_id("delete-error");
                }
            }
        });
    };
    let identity = c.identity.clone().unwrap_or_else(|| "(no identity)".into());
    let tags = if c.tags.is_empty() { "none".to_string() } else { c.tags.join(", ") };
    view! {
        <h2 id="connection-heading">{format!("{} for {identity}", detail.platform_name)}</h2>
        <dl class="dash-facts">
            <dt>"Platform"</dt><dd>{format!("{} ({})", detail.platform_name, c.platform)}</dd>
            <dt>"Identity"</dt><dd>{format!("{identity} ({})", c.identity_type.clone().unwrap_or_default())}</dd>
            <dt>"Environment"</dt><dd>{c.environment.clone()}</dd>
            <dt>"Status"</dt><dd data-testid="connection-status">{status_label(c.status)}</dd>
            <dt>"Connection key"</dt><dd><code>{c.key.clone()}</code></dd>
            <dt>"Tags"</dt><dd>{tags}</dd>
            <dt>"Created"</dt><dd>{format_time(c.created_at)}</dd>
            <dt>"Updated"</dt><dd>{format_time(c.updated_at)}</dd>
        </dl>
        <p class="dash-muted">"Its credentials stay sealed in Portico's vault: they are never shown."</p>
        <p id="delete-error" tabindex="-1" class="dash-error" role="alert">{move || error.get()}</p>
        <Show when=move || !confirming.get()>
            <button type="button" id="delete-connection" class="dash-button dash-danger"
                on:click=move |_| { confirming.set(true); focus_by_id("delete-cancel"); }>"Delete connection"</button>
        </Show>
        <Show when=move || confirming.get()>
            <div class="dash-confirm" role="group" aria-labelledby="delete-question" data-testid="delete-confirm">
                <p id="delete-question">
                    "Delete this connection? Portico asks the provider to revoke its grant where the provider allows it, "
                    "and destroys its credentials. The user will have to connect again. This cannot be undone."
                </p>
                <button type="button" class="dash-button dash-danger" on:click=confirm.clone()>"Delete for good"</button>
                <button type="button" id="delete-cancel" class="dash-button dash-secondary"
                    on:click=move |_| { confirming.set(false); focus_by_id("delete-connection"); }>"Cancel"</button>
            </div>
        </Show>
        <h3>"Latest events"</h3>
        {if detail.events.is_empty() {
            view! { <p class="dash-muted">"No events recorded for this connection."</p> }.into_any()
        } else {
            view! { <EventTable rows=detail.events.clone()/> }.into_any()
        }}
    }
}
