//! "Configure OAuth app" for one platform: client id, a write-only client secret (only its last
//! four characters ever come back), scopes as chips with the catalog's defaults and a reset,
//! and the redirect URI to register, with a copy button.

use leptos::prelude::*;

use super::chrome::copy_text;
use crate::api::{oauth_app, put_oauth_app, Environment, OAuthAppDetail, OAuthAppInput};

#[component]
pub fn OAuthPanel(
    csrf: String,
    workspace: String,
    environment: Environment,
    platform: String,
    on_close: Callback<()>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let (c, w, p) = (csrf.clone(), workspace.clone(), platform.clone());
    let detail = LocalResource::new(move || oauth_app(c.clone(), w.clone(), environment, p.clone()));
    view! {
        <section class="dash-card dash-panel" aria-labelledby="oauth-heading" data-testid="oauth-panel">
            <Suspense fallback=|| view! { <p class="dash-muted" role="status">"Loading the OAuth app…"</p> }>
                {move || Suspend::new({
                    let (csrf, workspace) = (csrf.clone(), workspace.clone());
                    async move {
                        match detail.await {
                            Ok(detail) => view! { <OAuthForm csrf workspace environment detail on_close on_saved/> }.into_any(),
                            Err(e) => view! { <p class="dash-error" role="alert">{format!("Could not load the OAuth app: {e}.")}</p> }.into_any(),
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn OAuthForm(
    csrf: String,
    workspace: String,
    environment: Environment,
    detail: OAuthAppDetail,
    on_close: Callback<()>,
    on_saved: Callback<()>,
) -> impl IntoView {
    let client_id = RwSignal::new(detail.client_id.clone().unwrap_or_default());
    let secret = RwSignal::new(String::new());
    let hint = RwSignal::new(detail.secret_hint.clone());
    let scopes = RwSignal::new(detail.scopes.clone());
    let new_scope = RwSignal::new(String::new());
    let message = RwSignal::new(None::<(bool, String)>);
    let defaults = StoredValue::new(detail.default_scopes.clone());
    let platform = StoredValue::new(detail.platform.clone());
    let (csrf, workspace) = (StoredValue::new(csrf), StoredValue::new(workspace));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = OAuthAppInput { client_id: client_id.get(), client_secret: secret.get(), scopes: scopes.get() };
        leptos::task::spawn_local(async move {
            match put_oauth_app(csrf.get_value(), workspace.get_value(), environment, platform.get_value(), input).await
            {
                Ok(saved) => {
                    hint.set(saved.secret_hint);
                    secret.set(String::new());
                    message.set(Some((true, "Saved.".into())));
                    on_saved.run(());
                }
                Err(e) => message.set(Some((false, format!("Not saved: {e}.")))),
            }
        });
    };
    let add_scope = move || {
        let s = new_scope.get().trim().to_string();
        if !s.is_empty() && !scopes.with(|l| l.contains(&s)) {
            scopes.update(|l| l.push(s));
        }
        new_scope.set(String::new());
    };
    let redirect = detail.redirect_uri.clone();
    view! {
        <h2 id="oauth-heading">{format!("OAuth app for {}", detail.platform_name)}</h2>
        <form class="dash-form" on:submit=save>
            <label for="oauth-client-id">"Client id"</label>
            <input id="oauth-client-id" required prop:value=client_id on:input=move |ev| client_id.set(event_target_value(&ev))/>
            <label for="oauth-client-secret">"Client secret"</label>
            <input id="oauth-client-secret" type="password" autocomplete="off" data-testid="oauth-secret"
                placeholder=move || hint.get().map(|h| format!("set · ends in …{h}")).unwrap_or_else(|| "not set".into())
                prop:value=secret on:input=move |ev| secret.set(event_target_value(&ev))/>
            <p class="dash-muted" data-testid="secret-state">
                {move || hint.get().map(|h| format!("Set · ends in …{h}. Leave empty to keep it.")).unwrap_or_else(|| "No secret saved yet.".into())}
            </p>
            <fieldset class="dash-scopes">
                <legend>"Scopes"</legend>
                <ul class="dash-chips">
                    <For each=move || scopes.get() key=|s| s.clone() let:scope>
                        <li class="dash-chip">{scope.clone()}
                            <button type="button" aria-label=format!("Remove scope {scope}")
                                on:click={let s = scope.clone(); move |_| scopes.update(|l| l.retain(|x| x != &s))}>"×"</button>
                        </li>
                    </For>
                </ul>
                <label for="oauth-new-scope">"Add a scope"</label>
                <input id="oauth-new-scope" prop:value=new_scope on:input=move |ev| new_scope.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); add_scope(); }/>
                <button type="button" class="dash-button dash-secondary" on:click=move |_| add_scope()>"Add"</button>
                <button type="button" class="dash-button dash-secondary" on:click=move |_| scopes.set(defaults.get_value())>
                    "Reset to the catalog's defaults"
                </button>
                <p class="dash-muted">{format!("Catalog defaults: {}", detail.default_scopes.join(" "))}</p>
            </fieldset>
            <label for="oauth-redirect">"Redirect URI to register with the provider"</label>
            <div class="dash-copy">
                <input id="oauth-redirect" readonly value=redirect.clone()/>
                <button type="button" class="dash-button dash-secondary" on:click=move |_| copy_text(&redirect)>"Copy"</button>
            </div>
            {detail.console_url.clone().map(|url| view! { <p><a href=url target="_blank" rel="noopener noreferrer">"Provider documentation"</a></p> })}
            {move || message.get().map(|(ok, text)| view! {
                <p class=if ok { "dash-ok" } else { "dash-error" } role=if ok { "status" } else { "alert" }>{text}</p>
            })}
            <div class="dash-actions">
                <button type="submit" class="dash-button">"Save"</button>
                <button type="button" class="dash-button dash-secondary" on:click=move |_| on_close.run(())>"Close"</button>
            </div>
        </form>
    }
}
