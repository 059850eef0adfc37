//! The sign-in page: a plain form posted to `/dashboard/sign-in`, so it works before the WASM
//! has loaded; the server sends back here with `?error=…` when it refuses.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The words for the reason the server gave.
pub fn sign_in_message(error: &str, minutes: &str) -> Option<String> {
    match error {
        "wrong" => Some("The email or password is wrong.".into()),
        "locked" => {
            Some(format!("Too many failed sign-ins. Signing in is locked for {minutes} minute(s); try again later."))
        }
        "expired" => Some("Your session has ended. Sign in again.".into()),
        _ => None,
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let message = move || {
        query.with(|q| {
            sign_in_message(&q.get("error").unwrap_or_default(), &q.get("minutes").unwrap_or_else(|| "15".into()))
        })
    };
    let signed_out = move || query.with(|q| q.get("signed_out").is_some());
    view! {
        <Title text="Sign in · Portico"/>
        <main class="dash dash-narrow">
            <h1>"Sign in to Portico"</h1>
            <Show when=signed_out>
                <p class="dash-note" role="status">"You are signed out."</p>
            </Show>
            {move || message().map(|m| view! { <p class="dash-error" role="alert" data-testid="sign-in-error">{m}</p> })}
            <form class="dash-card dash-form" method="post" action="/dashboard/sign-in">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <button type="submit" class="dash-button">"Sign in"</button>
            </form>
        </main>
    }
}
