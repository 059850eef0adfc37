//! A workspace's allowed origins (shared by test and live): what they control, the list, add
//! (the server's origin check, its refusal shown in words) and remove.

use leptos::prelude::*;
use leptos_meta::Title;

use super::chrome::{focus_by_id, use_workspace_route, ErrorNote, Section, WorkspaceChrome};
use crate::api::{
    add_origin, list_origins, remove_origin, whoami, DashboardError, Environment, OriginList, SessionInfo,
};

#[component]
pub fn OriginsPage() -> impl IntoView {
    let (workspace, environment) = use_workspace_route();
    let session = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Allowed origins · Portico"/>
        <main class="dash dash-wide">
            <Suspense fallback=|| view! { <p class="dash-muted" role="status">"Loading…"</p> }>
                {move || {
                    // Read here, so a change of environment (a link to `?env=`) draws the page again.
                    let (workspace, environment) = (workspace.get(), environment.get());
                    Suspend::new(async move {
                        match session.await {
                            Ok(session) => view! { <Origins session workspace environment/> }.into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn Origins(session: SessionInfo, workspace: String, environment: Environment) -> impl IntoView {
    let csrf = StoredValue::new(session.csrf.clone());
    let ws = StoredValue::new(workspace.clone());
    let list = RwSignal::new(None::<Result<OriginList, DashboardError>>);
    let message = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move { list.set(Some(list_origins(csrf.get_value(), ws.get_value()).await)) });
    });
    let remove = Callback::new(move |origin: String| {
        leptos::task::spawn_local(async move {
            match remove_origin(csrf.get_value(), ws.get_value(), origin.clone()).await {
                Ok(origins) => {
                    list.set(Some(Ok(origins)));
                    message.set(Some(format!("{origin} is no longer allowed.")));
                }
                Err(e) => message.set(Some(format!("{origin} was not removed: {e}."))),
            }
            focus_by_id("origins-message");
        });
    });
    view! {
        <WorkspaceChrome session workspace environment section=Section::Origins/>
        <p data-testid="origins-explained">
            "An allowed origin is a site — scheme, host and port, like https://app.example.com — whose pages may open "
            "Portico's connect modal. Only these origins may frame the modal (its frame-ancestors policy), and the modal "
            "checks that the page hosting it is on one of them before it starts a session. Test and live share this list."
        </p>
        <AddOrigin csrf ws list/>
        <p id="origins-message" tabindex="-1" role="status" class="dash-ok">{move || message.get()}</p>
        <section class="dash-card" aria-labelledby="origins-heading" data-testid="origins"
            data-ready=move || list.with(Option::is_some).to_string()>
            <h2 id="origins-heading">"Allowed origins"</h2>
            {move || match list.get() {
                None => view! { <p class="dash-muted" role="status">"Loading the origins…"</p> }.into_any(),
                Some(Err(error)) => view! { <p class="dash-error" role="alert">{format!("Could not load the origins: {error}.")}</p> }.into_any(),
                Some(Ok(l)) if l.origins.is_empty() => view! {
                    <p class="dash-muted">"No origin is allowed yet: no page can open the modal. Add your app's origin above."</p>
                }.into_any(),
                Some(Ok(l)) => view! {
                    <p class="dash-muted">{format!("{} of at most {} origins.", l.origins.len(), l.max)}</p>
                    <ul class="dash-rows" data-testid="origin-list">
                        {l.origins.into_iter().map(|origin| {
                            let o = origin.clone();
                            view! {
                                <li class="dash-row" data-origin=origin.clone()>
                                    <code class="dash-grow">{origin.clone()}</code>
                                    <button type="button" class="dash-button dash-secondary" aria-label=format!("Remove {origin}")
                                        on:click=move |_| remove.run(o.clone())>"Remove"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn AddOrigin(
    csrf: StoredValue<String>,
    ws: StoredValue<String>,
    list: RwSignal<Option<Result<OriginList, DashboardError>>>,
) -> impl IntoView {
    let origin = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let added = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = origin.get_untracked();
        leptos::task::spawn_local(async move {
            match add_origin(csrf.get_value(), ws.get_value(), text.clone()).await {
                Ok(origins) => {
                    list.set(Some(Ok(origins)));
                    error.set(None);
                    added.set(Some(format!("{} is allowed.", text.trim())));
                    origin.set(String::new());
                }
                Err(DashboardError::Invalid { message, .. }) => {
                    added.set(None);
                    error.set(Some(message));
                    focus_by_id("origin-input");
                }
                Err(e) => {
                    added.set(None);
                    error.set(Some(format!("The origin was not added: {e}.")));
                }
            }
        });
    };
    view! {
        <section class="dash-card" aria-labelledby="add-origin-heading">
            <h2 id="add-origin-heading">"Add an origin"</h2>
            <form class="dash-form" on:submit=submit data-testid="add-origin">
                <label for="origin-input">"Origin"</label>
                <input id="origin-input" required placeholder="https://app.example.com" autocomplete="off"
                    aria-describedby="origin-hint origin-error"
                    aria-invalid=move || error.with(Option::is_some).then_some("true")
                    prop:value=origin on:input=move |ev| origin.set(event_target_value(&ev))/>
                <p id="origin-hint" class="dash-muted">"scheme://host[:port] — no path, query or trailing text."</p>
                <p id="origin-error" class="dash-error" role="alert" data-testid="origin-error">{move || error.get()}</p>
                <p class="dash-ok" role="status">{move || added.get()}</p>
                <div class="dash-actions"><button type="submit" class="dash-button">"Add origin"</button></div>
            </form>
        </section>
    }
}
