//! What every signed-in page shows: who is signed in and the sign-out button (a form carrying
//! the session's CSRF token); on a workspace's pages, the navigation between them and the
//! test/live switch; failures in words; a pager; and copying to the clipboard.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{DashboardError, Environment, SessionInfo};

#[component]
pub fn SignedInHeader(session: SessionInfo) -> impl IntoView {
    view! {
        <header class="dash-header">
            <a href="/" class="dash-home">"Portico"</a>
            <span class="dash-muted dash-grow" data-testid="operator-email">{session.email.clone()}</span>
            <form method="post" action="/dashboard/sign-out">
                <input type="hidden" name="csrf" value=session.csrf.clone()/>
                <button type="submit" class="dash-button dash-secondary">"Sign out"</button>
            </form>
        </header>
    }
}

/// A failure in words, announced to screen readers; a lapsed session links to the sign-in page.
#[component]
pub fn ErrorNote(error: DashboardError) -> impl IntoView {
    let sign_in = matches!(error, DashboardError::NotSignedIn);
    view! {
        <p class="dash-error" role="alert">
            {format!("Could not load this page: {error}.")}
            <Show when=move || sign_in>" "<a href="/sign-in">"Sign in"</a></Show>
        </p>
    }
}

/// A workspace's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Integrations,
    Keys,
    Origins,
    Connections,
    Events,
}

impl Section {
    const ALL: [Section; 5] =
        [Section::Integrations, Section::Keys, Section::Origins, Section::Connections, Section::Events];

    pub fn path(self) -> &'static str {
        match self {
            Section::Integrations => "integrations",
            Section::Keys => "keys",
            Section::Origins => "origins",
            Section::Connections => "connections",
            Section::Events => "events",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Integrations => "Integrations",
            Section::Keys => "Secret keys",
            Section::Origins => "Allowed origins",
            Section::Connections => "Connections",
            Section::Events => "Events",
        }
    }

    /// Whether the page differs between test and live (allowed origins are the workspace's).
    fn per_environment(self) -> bool {
        self != Section::Origins
    }
}

/// The link to `section` of `workspace` in `environment`.
pub fn section_href(workspace: &str, section: Section, environment: Environment) -> String {
    if section.per_environment() {
        format!("/w/{workspace}/{}?env={}", section.path(), environment.as_str())
    } else {
        format!("/w/{workspace}/{}", section.path())
    }
}

/// The workspace id of the route and the environment of its `?env=` (test when absent).
pub fn use_workspace_route() -> (Memo<String>, Memo<Environment>) {
    let params = use_params_map();
    let query = use_query_map();
    let workspace = Memo::new(move |_| params.with(|p| p.get("workspace").unwrap_or_default()));
    let environment =
        Memo::new(move |_| query.with(|q| q.get("env").and_then(|e| Environment::parse(&e)).unwrap_or_default()));
    (workspace, environment)
}

/// The name of `workspace` among the session's, or its id.
pub fn workspace_name(session: &SessionInfo, workspace: &str) -> String {
    session.workspaces.iter().find(|w| w.id == workspace).map_or_else(|| workspace.to_string(), |w| w.name.clone())
}

/// The header, the heading and the navigation of one of a workspace's pages.
#[component]
pub fn WorkspaceChrome(
    session: SessionInfo,
    workspace: String,
    environment: Environment,
    section: Section,
) -> impl IntoView {
    let name = workspace_name(&session, &workspace);
    let links = Section::ALL
        .into_iter()
        .map(|s| {
            let current = s == section;
            view! {
                <li>
                    <a href=section_href(&workspace, s, environment) class="dash-tab" class:dash-tab-current=current
                        aria-current=if current { Some("page") } else { None }>{s.label()}</a>
                </li>
            }
        })
        .collect_view();
    view! {
        <SignedInHeader session/>
        <nav aria-label="Workspace pages">
            <ul class="dash-tabs dash-sections">{links}</ul>
        </nav>
        <h1>{format!("{name}: {}", section.label().to_lowercase())}</h1>
        <Show when=move || section.per_environment()>
            <EnvironmentSwitch workspace=workspace.clone() environment section/>
        </Show>
    }
}

#[component]
pub fn EnvironmentSwitch(workspace: String, environment: Environment, section: Section) -> impl IntoView {
    let link = |env: Environment, label: &'static str| {
        let current = env == environment;
        view! {
            <a
                href=section_href(&workspace, section, env)
                class="dash-tab"
                class:dash-tab-current=current
                aria-current=if current { Some("page") } else { None }
            >{label}</a>
        }
    };
    view! {
        <nav class="dash-tabs" aria-label="Environment">
            {link(Environment::Test, "Test")}
            {link(Environment::Live, "Live")}
        </nav>
    }
}

/// "Previous", "Page n of m", "Next" over `page` (from 1).
#[component]
pub fn Pager(page: RwSignal<i64>, pages: Signal<i64>) -> impl IntoView {
    view! {
        <nav class="dash-pager" aria-label="Pages">
            <button type="button" class="dash-button dash-secondary" disabled=move || { page.get() <= 1 }
                on:click=move |_| page.update(|p| *p = (*p - 1).max(1))>"Previous"</button>
            <span>{move || format!("Page {} of {}", page.get(), pages.get().max(1))}</span>
            <button type="button" class="dash-button dash-secondary" disabled=move || { page.get() >= pages.get() }
                on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
        </nav>
    }
}

/// Puts `text` on the clipboard (in the browser; nothing on the server).
pub fn copy_text(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// Moves the keyboard focus to the element with `id` once the page has drawn it (in the
/// browser; nothing on the server). Elements that are not controls need `tabindex="-1"`.
pub fn focus_by_id(id: impl Into<String>) {
    let id: String = id.into();
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let element = document().get_element_by_id(&id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}
