//! The signed-in operator's workspaces, each a link to its integration settings.

use leptos::prelude::*;
use leptos_meta::Title;

use super::chrome::{ErrorNote, SignedInHeader};
use crate::api::{whoami, SessionInfo};

#[component]
pub fn HomePage() -> impl IntoView {
    let session = OnceResource::new(whoami());
    view! {
        <Title text="Workspaces · Portico"/>
        <main class="dash">
            <Suspense fallback=|| view! { <p class="dash-muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match session.await {
                        Ok(session) => view! { <Workspaces session/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Workspaces(session: SessionInfo) -> impl IntoView {
    let workspaces = session.workspaces.clone();
    let empty = workspaces.is_empty();
    view! {
        <SignedInHeader session/>
        <h1>"Workspaces"</h1>
        <Show when=move || empty>
            <p class="dash-muted">"You are not a member of any workspace yet. An owner can add you, or run "
                <code>"portico operator create --workspace …"</code>"."</p>
        </Show>
        <ul class="dash-list" data-testid="workspaces">
            {workspaces.into_iter().map(|w| view! {
                <li class="dash-card">
                    <a href=format!("/w/{}/integrations", w.id)>{w.name.clone()}</a>
                    <span class="dash-muted">{format!(" · {} · {}", w.role, w.id)}</span>
                </li>
            }).collect_view()}
        </ul>
    }
}
