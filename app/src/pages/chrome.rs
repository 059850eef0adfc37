//! What every signed-in page shows: who is signed in, and the sign-out button (a form carrying
//! the session's CSRF token).

use leptos::prelude::*;

use crate::api::{DashboardError, SessionInfo};

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
