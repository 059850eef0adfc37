//! An environment's secret keys: create one (shown once, with a copy button and a warning), the
//! list a page at a time (prefix, label, created, last used — never the key), and revoke with a
//! confirmation step (the key gets 401 at once).

use leptos::prelude::*;
use leptos_meta::Title;

use super::chrome::{copy_text, focus_by_id, use_workspace_route, ErrorNote, Pager, Section, WorkspaceChrome};
use crate::api::{
    create_key, list_keys, revoke_key, whoami, CreatedKey, DashboardError, Environment, KeyPage, KeySummary,
    SessionInfo,
};
use crate::format_time;

#[component]
pub fn KeysPage() -> impl IntoView {
    let (workspace, environment) = use_workspace_route();
    let session = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Secret keys · Portico"/>
        <main class="dash dash-wide">
            <Suspense fallback=|| view! { <p class="dash-muted" role="status">"Loading…"</p> }>
                {move || {
                    // Read here, so a change of environment (a link to `?env=`) draws the page again.
                    let (workspace, environment) = (workspace.get(), environment.get());
                    Suspend::new(async move {
                        match session.await {
                            Ok(session) => view! { <Keys session workspace environment/> }.into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

/// What the keys page's parts share.
#[derive(Clone, Copy)]
struct Ctx {
    csrf: StoredValue<String>,
    workspace: StoredValue<String>,
    environment: Environment,
    page: RwSignal<i64>,
    list: RwSignal<Option<Result<KeyPage, DashboardError>>>,
    /// The last outcome, in words: (ok, text).
    message: RwSignal<Option<(bool, String)>>,
    /// The key whose revocation is being confirmed.
    confirming: RwSignal<Option<String>>,
}

impl Ctx {
    fn reload(self) {
        leptos::task::spawn_local(async move {
            let page = self.page.get_untracked();
            let answer = list_keys(self.csrf.get_value(), self.workspace.get_value(), self.environment, page).await;
            self.list.set(Some(answer));
        });
    }
}

#[component]
fn Keys(session: SessionInfo, workspace: String, environment: Environment) -> impl IntoView {
    let ctx = Ctx {
        csrf: StoredValue::new(session.csrf.clone()),
        workspace: StoredValue::new(workspace.clone()),
        environment,
        page: RwSignal::new(1),
        list: RwSignal::new(None),
        message: RwSignal::new(None),
        confirming: RwSignal::new(None),
    };
    // Effects run only in the browser: the list loads once the page is interactive.
    Effect::new(move |_| {
        ctx.page.track();
        ctx.reload();
    });
    view! {
        <WorkspaceChrome session workspace environment section=Section::Keys/>
        <p>"Secret keys let your backend call Portico's API. Keep them on your servers; never put one in a web page or an app."</p>
        <CreateKey ctx/>
        <p id="keys-message" tabindex="-1" data-testid="keys-message"
            class=move || if ctx.message.with(|m| m.as_ref().is_some_and(|(ok, _)| *ok)) { "dash-ok" } else { "dash-error" }
            role=move || if ctx.message.with(|m| m.as_ref().is_some_and(|(ok, _)| *ok)) { "status" } else { "alert" }>
            {move || ctx.message.get().map(|(_, text)| text)}
        </p>
        <KeyList ctx/>
    }
}

#[component]
fn CreateKey(ctx: Ctx) -> impl IntoView {
    let label = RwSignal::new(String::new());
    let created = RwSignal::new(None::<CreatedKey>);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            let answer =
                create_key(ctx.csrf.get_value(), ctx.workspace.get_value(), ctx.environment, label.get_untracked())
                    .await;
            match answer {
                Ok(key) => {
                    created.set(Some(key));
                    error.set(None);
                    label.set(String::new());
                    ctx.page.set(1);
                    ctx.reload();
                    focus_by_id("new-key-heading");
                }
                Err(e) => error.set(Some(format!("The key was not created: {e}."))),
            }
        });
    };
    view! {
        <section class="dash-card" aria-labelledby="create-key-heading">
            <h2 id="create-key-heading">"Create a key"</h2>
            <form class="dash-form" on:submit=submit data-testid="create-key">
                <label for="key-label">"Label (optional)"</label>
                <input id="key-label" maxlength="64" aria-describedby="key-label-hint key-label-error"
                    aria-invalid=move || error.with(Option::is_some).then_some("true")
                    prop:value=label on:input=move |ev| label.set(event_target_value(&ev))/>
                <p id="key-label-hint" class="dash-muted">"Say where the key is used, e.g. “production backend”. At most 64 characters."</p>
                <p id="key-label-error" class="dash-error" role="alert">{move || error.get()}</p>
                <div class="dash-actions">
                    <button type="submit" class="dash-button">
                        {move || format!("Create a {} key", ctx.environment.as_str())}
                    </button>
                </div>
            </form>
            {move || created.get().map(|key| view! { <NewKey key on_done=Callback::new(move |_| {
                created.set(None);
                focus_by_id("key-label");
            })/> })}
        </section>
    }
}

/// The key just created: the one time it is shown.
#[component]
fn NewKey(key: CreatedKey, on_done: Callback<()>) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = key.secret_key.clone();
    view! {
        <div class="dash-new-key" data-testid="new-key">
            <h3 id="new-key-heading" tabindex="-1">"Your new secret key"</h3>
            <p class="dash-warn" id="new-key-warning">
                "Copy it now: this is the only time Portico shows it. Portico keeps only a hash of it and cannot show it again."
            </p>
            <label for="new-key-value">"Secret key"</label>
            <div class="dash-copy">
                <input id="new-key-value" readonly value=key.secret_key.clone() data-testid="new-key-value"
                    aria-describedby="new-key-warning"/>
                <button type="button" class="dash-button dash-secondary"
                    on:click=move |_| { copy_text(&text); copied.set(true); }>"Copy"</button>
            </div>
            <p class="dash-ok" role="status">{move || copied.get().then_some("Copied to the clipboard.")}</p>
            <button type="button" class="dash-button" on:click=move |_| on_done.run(())>"I have stored it"</button>
        </div>
    }
}

#[component]
fn KeyList(ctx: Ctx) -> impl IntoView {
    let pages =
        Signal::derive(move || ctx.list.with(|l| l.as_ref().and_then(|r| r.as_ref().ok()).map_or(1, |p| p.pages)));
    view! {
        <section class="dash-card" aria-labelledby="keys-heading" data-testid="keys"
            data-ready=move || ctx.list.with(Option::is_some).to_string()>
            <h2 id="keys-heading">{move || format!("{} keys", if ctx.environment == Environment::Live { "Live" } else { "Test" })}</h2>
            {move || match ctx.list.get() {
                None => view! { <p class="dash-muted" role="status">"Loading the keys…"</p> }.into_any(),
                Some(Err(error)) => view! { <p class="dash-error" role="alert">{format!("Could not load the keys: {error}.")}</p> }.into_any(),
                Some(Ok(page)) if page.rows.is_empty() => view! {
                    <p class="dash-muted">"This environment has no secret keys yet. Create one above."</p>
                }.into_any(),
                Some(Ok(page)) => view! {
                    <p class="dash-muted">{format!("{} key(s), newest first.", page.total)}</p>
                    <table class="dash-table">
                        <thead><tr>
                            <th scope="col">"Key"</th><th scope="col">"Label"</th><th scope="col">"Created"</th>
                            <th scope="col">"Last used"</th><th scope="col">"Status"</th><th scope="col"><span class="dash-sr">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {page.rows.into_iter().map(|key| view! { <KeyRow ctx key/> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <Pager page=ctx.page pages/>
        </section>
    }
}

#[component]
fn KeyRow(ctx: Ctx, key: KeySummary) -> impl IntoView {
    let id = StoredValue::new(key.id.clone());
    let prefix = StoredValue::new(key.display_prefix.clone());
    let revoked = key.revoked_at_ms.is_some();
    let confirming = move || ctx.confirming.with(|c| c.as_deref() == Some(id.get_value().as_str()));
    let ask = move |_| {
        ctx.confirming.set(Some(id.get_value()));
        focus_by_id("revoke-cancel");
    };
    let cancel = move |_| {
        ctx.confirming.set(None);
        focus_by_id(format!("revoke-{}", id.get_value()));
    };
    let confirm = move |_| {
        leptos::task::spawn_local(async move {
            let answer =
                revoke_key(ctx.csrf.get_value(), ctx.workspace.get_value(), ctx.environment, id.get_value()).await;
            ctx.confirming.set(None);
            ctx.message.set(Some(match answer {
                Ok(()) => (true, format!("Revoked {}. Requests with it are refused from now on.", prefix.get_value())),
                Err(e) => (false, format!("{} was not revoked: {e}.", prefix.get_value())),
            }));
            ctx.reload();
            focus_by_id("keys-message");
        });
    };
    let status = match key.revoked_at_ms {
        Some(at) => format!("Revoked {}", format_time(at)),
        None => "Active".to_string(),
    };
    view! {
        <tr data-key-id=key.id.clone() data-testid="key-row">
            <td><code>{key.display_prefix.clone()}</code></td>
            <td>{key.label.clone().unwrap_or_default()}</td>
            <td>{format_time(key.created_at_ms)}</td>
            <td>{key.last_used_at_ms.map_or_else(|| "Never".to_string(), format_time)}</td>
            <td>{status}</td>
            <td>
                <Show when=move || !revoked && !confirming()>
                    <button type="button" class="dash-button dash-secondary" id=format!("revoke-{}", id.get_value())
                        aria-label=format!("Revoke {}", prefix.get_value()) on:click=ask>"Revoke"</button>
                </Show>
                <Show when=confirming>
                    <div class="dash-confirm" role="group" aria-labelledby="revoke-question" data-testid="revoke-confirm">
                        <p id="revoke-question">{format!("Revoke {}? Every request with it will be refused at once. This cannot be undone.", prefix.get_value())}</p>
                        <button type="button" class="dash-button dash-danger" on:click=confirm>"Revoke key"</button>
                        <button type="button" class="dash-button dash-secondary" id="revoke-cancel" on:click=cancel>"Cancel"</button>
                    </div>
                </Show>
            </td>
        </tr>
    }
}
