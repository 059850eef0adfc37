//! The connect modal: what a host's user sees when they click "Connect". Client-side Leptos in an
//! iframe on Portico's origin, so the host page's CSS cannot break it and its scripts cannot read
//! a key the user types.
//!
//! Embedded mode: the loader on the host page hands over a session token by postMessage
//! ([`bridge`]); the modal lists the integrations that token may offer, runs the connect form or
//! the OAuth sign-in ([`oauth`]), and reports success, errors and closing back. Page mode (`/connect/{link}`): the hosted connect
//! link, for hosts without a web frontend; same screens, no host page.
#![forbid(unsafe_code)]

mod api;
mod bridge;
mod form;
mod i18n;
mod js;
mod keys;
mod logo;
mod oauth;

use std::collections::BTreeSet;

use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portico_wire::message::ToModal;
use portico_wire::{
    AuthKind, AuthWindow, ConnectionStatus, ConnectionView, ErrorCode, IntegrationCard, SessionView, Theme,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{Api, Failure};
use crate::bridge::Bridge;
use crate::i18n::{t, tf, tp};
use crate::oauth::OAuthStage;

#[derive(Debug, Clone, PartialEq)]
enum Screen {
    WaitingForSession,
    Loading,
    List,
    Form(IntegrationCard),
    /// An OAuth sign-in; `reconnect` is the id of the connection it repairs.
    OAuth {
        card: IntegrationCard,
        reconnect: Option<String>,
        stage: OAuthStage,
    },
    /// Back from a same-window sign-in: asking the server how it ended.
    Resuming,
    Connected {
        connection: ConnectionView,
        name: String,
    },
    Failed(Failure),
    /// Page mode, after the user closed: nothing left to do here.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Embedded,
    Page,
}

/// What the loader passed along with the token.
#[derive(Debug, Clone, Default)]
struct SessionOptions {
    /// `authWindow: 'redirect'`: OAuth takes the host page instead of a pop-up.
    redirect: bool,
    /// The host page's address, where a same-window sign-in comes back to.
    return_to: Option<String>,
}

/// Everything the screens share; `Copy` handles into the reactive arena.
#[derive(Clone, Copy)]
struct Modal {
    mode: Mode,
    screen: RwSignal<Screen>,
    session: RwSignal<Option<SessionView>>,
    api: StoredValue<Option<Api>>,
    bridge: StoredValue<Bridge>,
    options: StoredValue<SessionOptions>,
    oauth: StoredValue<oauth::Flow, LocalStorage>,
    /// The loader has shown the frame (always, on the hosted page): screens take focus.
    shown: StoredValue<bool>,
    /// The language whose words are in ([`i18n`]); the screens are drawn again when it changes.
    language: RwSignal<String>,
}

impl Modal {
    fn fail(&self, failure: Failure) {
        self.bridge.with_value(|b| b.error(failure.code, &failure.message));
        self.screen.set(Screen::Failed(failure));
    }

    fn close(&self) {
        self.stop_oauth();
        self.bridge.with_value(Bridge::close);
        match self.mode {
            // The loader hides the frame; the next open() brings a new session.
            Mode::Embedded => {
                self.shown.set_value(false);
                self.screen.set(Screen::WaitingForSession);
                self.session.set(None);
                self.api.set_value(None);
            }
            Mode::Page => self.screen.set(Screen::Closed),
        }
    }

    /// Shows `failure` once the words to say it in are in; `report`: tell the host too.
    fn fail_when_ready(&self, failure: Failure, report: bool) {
        let modal = *self;
        spawn_local(async move {
            i18n::ready().await;
            i18n::load_errors().await;
            if report {
                modal.fail(failure);
            } else {
                modal.screen.set(Screen::Failed(failure));
            }
        });
    }

    /// The screen for one integration: its form, or its sign-in.
    fn open_card(&self, card: IntegrationCard) {
        self.screen.set(if card.auth_kind == AuthKind::Oauth2 {
            let reconnect = oauth::reconnect_target(self, &card);
            Screen::OAuth { card, reconnect, stage: OAuthStage::Intro }
        } else {
            Screen::Form(card)
        });
    }

    /// Loads the session for `api` and shows the list (or the preselected integration, or how a
    /// same-window sign-in ended).
    fn start(&self, api: Api, selected: Option<String>, resume: Option<String>) {
        let modal = *self;
        modal.stop_oauth();
        modal.api.set_value(Some(api.clone()));
        modal.screen.set(Screen::Loading);
        spawn_local(async move {
            match api.session().await {
                Ok(session) => {
                    let preselected = selected
                        .as_deref()
                        .and_then(|slug| session.integrations.iter().find(|c| c.platform == slug).cloned());
                    i18n::ready().await;
                    modal.session.set(Some(session));
                    modal.bridge.with_value(|b| b.event("opened", &[]));
                    match (resume, preselected) {
                        (Some(attempt), _) => modal.resume_oauth(attempt),
                        (None, Some(card)) => modal.open_card(card),
                        (None, None) => modal.screen.set(Screen::List),
                    }
                    // The error wordings are not needed before the first screen.
                    spawn_local(i18n::load_errors());
                }
                Err(failure) => modal.fail_when_ready(failure, true),
            }
        });
    }
}

fn query_param(name: &str) -> Option<String> {
    let search = window().location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
}

/// `light`, `dark`, or anything else (`system`, the default): the system's preference.
fn set_theme(theme: Theme) {
    let dark = match theme {
        Theme::Dark => true,
        Theme::Light => false,
        _ => window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches()),
    };
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
    }
}

#[wasm_bindgen(start)]
pub fn start() {
    let Some(root) = document().get_element_by_id("portico-root") else {
        return;
    };
    root.set_inner_html("");
    let root: web_sys::HtmlElement = root.unchecked_into();
    leptos::mount::mount_to(root, App).forget();
}

#[component]
fn App() -> impl IntoView {
    let mode = match document().body().and_then(|b| b.get_attribute("data-mode")).as_deref() {
        Some("page") => Mode::Page,
        _ => Mode::Embedded,
    };
    let parent_origin = match mode {
        Mode::Embedded => query_param("parent"),
        Mode::Page => None,
    };
    let modal = Modal {
        mode,
        screen: RwSignal::new(Screen::WaitingForSession),
        session: RwSignal::new(None),
        api: StoredValue::new(None),
        bridge: StoredValue::new(Bridge { parent_origin: parent_origin.clone() }),
        options: StoredValue::new(SessionOptions::default()),
        oauth: StoredValue::new_local(oauth::Flow::default()),
        shown: StoredValue::new(mode == Mode::Page),
        language: RwSignal::new(portico_wire::locale::DEFAULT.to_string()),
    };
    i18n::switch(i18n::choose(query_param("locale").as_deref()), modal.language);
    // Each new screen puts focus on its first control, once it is on the page.
    Effect::new(move |_| {
        modal.screen.track();
        if modal.shown.get_value() {
            request_animation_frame(keys::focus_first_control);
        }
    });

    match mode {
        Mode::Embedded => {
            if parent_origin.is_none() {
                modal.screen.set(Screen::Failed(Failure::local(ErrorCode::ModalMisconfigured)));
            }
            modal.bridge.with_value(|bridge| {
                let origin = parent_origin.clone();
                bridge.listen(move |msg: ToModal| match msg {
                    ToModal::Session { token, options } => {
                        set_theme(options.theme.unwrap_or_default());
                        if let Some(locale) = options.locale.as_deref() {
                            i18n::switch(i18n::choose(Some(locale)), modal.language);
                        }
                        modal.options.set_value(SessionOptions {
                            redirect: options.auth_window == AuthWindow::Redirect,
                            return_to: options.return_to,
                        });
                        let resume = options.resume_attempt.filter(|id| oauth::valid_attempt_id(id));
                        let api = Api { token, parent_origin: origin.clone() };
                        modal.start(api, options.selected_integration, resume);
                    }
                    ToModal::SessionError { code, message } => {
                        // The loader already reported this to the host; only show it.
                        modal.screen.set(Screen::Loading);
                        modal.fail_when_ready(Failure::new(code, &message), false);
                    }
                    ToModal::Reset => {
                        modal.shown.set_value(false);
                        modal.stop_oauth();
                        modal.screen.set(Screen::WaitingForSession);
                    }
                    ToModal::Shown => {
                        modal.shown.set_value(true);
                        keys::focus_first_control();
                    }
                });
                bridge.ready();
            });
        }
        Mode::Page => {
            set_theme(query_param("theme").map(|t| Theme::parse(&t)).unwrap_or_default());
            let link = window().location().pathname().ok().and_then(|p| p.rsplit('/').next().map(str::to_string));
            spawn_local(async move {
                match api::exchange_link(link.as_deref().unwrap_or_default()).await {
                    Ok(token) => modal.start(Api { token, parent_origin: None }, query_param("integration"), None),
                    Err(failure) => modal.fail_when_ready(failure, true),
                }
            });
        }
    }

    // The OAuth sign-in window reports back by postMessage (checked in `on_window_message`).
    let _oauth_result = window_event_listener(ev::message, move |e: web_sys::MessageEvent| modal.on_window_message(&e));

    let _escape = window_event_listener(ev::keydown, move |e: ev::KeyboardEvent| {
        if e.key() == "Escape" && !matches!(modal.screen.get_untracked(), Screen::Closed) {
            modal.close();
        } else {
            keys::on_keydown(&e);
        }
    });

    let subtitle = move || {
        modal.language.track();
        let workspace = modal.session.with(|s| s.as_ref().map(|s| s.workspace_name.clone()));
        workspace.map(|w| tf("dialog.subtitle", &[("workspace", &w)])).unwrap_or_default()
    };
    let text = move |key: &'static str| {
        move || {
            modal.language.track();
            t(key)
        }
    };
    view! {
        <div class="pm-backdrop">
            <div class="pm-dialog" role="dialog" aria-modal="true" aria-labelledby="pm-title">
                <header class="pm-header">
                    <div>
                        <h1 id="pm-title">{text("dialog.title")}</h1>
                        <p class="pm-subtitle">{subtitle}</p>
                    </div>
                    <Show when=move || !matches!(modal.screen.get(), Screen::Closed)>
                        <button class="pm-close" aria-label=text("dialog.close") data-testid="close" on:click=move |_| modal.close()>
                            "×"
                        </button>
                    </Show>
                </header>
                <div class="pm-body">{move || screen_view(modal)}</div>
                <footer class="pm-footer">{text("dialog.footer")}</footer>
            </div>
        </div>
    }
}

fn screen_view(modal: Modal) -> AnyView {
    modal.language.track();
    match modal.screen.get() {
        Screen::WaitingForSession => busy("busy.starting").into_any(),
        Screen::Loading => busy("busy.loading").into_any(),
        Screen::List => list_view(modal).into_any(),
        Screen::Form(card) => form::form_view(modal, card).into_any(),
        Screen::OAuth { card, reconnect, stage } => oauth::oauth_view(modal, card, reconnect, stage),
        Screen::Resuming => busy("busy.resuming").into_any(),
        Screen::Connected { connection, name } => connected_view(modal, connection, name).into_any(),
        Screen::Failed(failure) => view! {
            <div class="pm-center pm-failed" role="alert" data-testid="fatal-error" data-code=failure.code.as_str()>
                <div class="pm-icon pm-icon-error" aria-hidden="true">"!"</div>
                <h2>{t("failed.title")}</h2>
                <p>{i18n::failure_text(&failure)}</p>
                <button class="pm-primary" on:click=move |_| modal.close()>{t("dialog.close")}</button>
            </div>
        }
        .into_any(),
        Screen::Closed => view! {
            <div class="pm-center" data-testid="closed">
                <p>{t("closed.text")}</p>
            </div>
        }
        .into_any(),
    }
}

fn busy(key: &'static str) -> impl IntoView {
    view! {
        <div class="pm-center" role="status" data-testid="busy">
            <div class="pm-spinner" aria-hidden="true"></div>
            <p>{t(key)}</p>
        </div>
    }
}

/// A broken connection outranks a working one: it is the one the user has to act on. The badge's
/// message key and class.
fn connection_badge(session: &SessionView, platform: &str) -> Option<(&'static str, &'static str)> {
    let mine: Vec<_> = session.connections.iter().filter(|c| c.platform == platform).collect();
    if mine.iter().any(|c| c.status == ConnectionStatus::NeedsReauth) {
        Some(("badge.needs_reauth", "pm-badge pm-badge-warn"))
    } else if mine.iter().any(|c| c.status == ConnectionStatus::Active) {
        Some(("badge.connected", "pm-badge pm-badge-ok"))
    } else if !mine.is_empty() {
        Some(("badge.needs_reauth", "pm-badge pm-badge-warn"))
    } else {
        None
    }
}

/// Lower case by the browser's own Unicode tables (Rust's would add kilobytes to the download).
fn lower(text: &str) -> String {
    js_sys::JsString::from(text).to_lower_case().into()
}

/// Case-insensitive match on the name, slug or a category (its slug or its name in this language).
fn card_matches(card: &IntegrationCard, query: &str, category: Option<&str>) -> bool {
    let q = lower(query.trim());
    let text_ok = q.is_empty()
        || lower(&card.name).contains(&q)
        || card.platform.contains(&q)
        || card.categories.iter().any(|c| c.contains(&q) || lower(&i18n::category(c)).contains(&q));
    let category_ok = category.is_none_or(|c| card.categories.iter().any(|x| x == c));
    text_ok && category_ok
}

/// `developer-tools` → "Developer tools", `ai` → "AI". Category slugs are ASCII.
fn pretty_category(slug: &str) -> String {
    const ACRONYMS: [&str; 8] = ["ai", "crm", "hr", "api", "erp", "sms", "seo", "it"];
    let mut out = String::new();
    for (i, word) in slug.split('-').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let start = out.len();
        out.push_str(word);
        if ACRONYMS.contains(&word) {
            out[start..].make_ascii_uppercase();
        } else if i == 0 {
            out[start..start + word.len().min(1)].make_ascii_uppercase();
        }
    }
    out
}

fn list_view(modal: Modal) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let category = RwSignal::new(None::<String>);
    let session = modal.session.get_untracked().unwrap_or_else(|| SessionView {
        workspace_name: String::new(),
        environment: String::new(),
        identity: String::new(),
        identity_type: String::new(),
        expires_at: 0,
        integrations: vec![],
        connections: vec![],
    });
    let categories: Vec<String> =
        session.integrations.iter().flat_map(|c| c.categories.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let nothing_enabled = session.integrations.is_empty();
    let session = StoredValue::new(session);
    let matching = move || {
        session.with_value(|s| {
            s.integrations
                .iter()
                .filter(|c| card_matches(c, &query.get(), category.get().as_deref()))
                .cloned()
                .collect::<Vec<_>>()
        })
    };

    let chips = categories
        .into_iter()
        .map(|c| {
            let value = c.clone();
            let pressed = move || category.get().as_deref() == Some(value.as_str());
            let chosen = c.clone();
            view! {
                <button
                    class="pm-chip"
                    aria-pressed=move || pressed().to_string()
                    on:click=move |_| {
                        if category.get_untracked().as_deref() == Some(chosen.as_str()) {
                            category.set(None)
                        } else {
                            category.set(Some(chosen.clone()))
                        }
                    }
                >
                    {i18n::category(&c)}
                </button>
            }
        })
        .collect_view();

    view! {
        <div class="pm-list-view">
            <input
                class="pm-search"
                type="search"
                placeholder=t("list.search")
                aria-label=t("list.search")
                data-testid="search"
                prop:value=query
                on:input=move |e| query.set(event_target_value(&e))
            />
            <div class="pm-chips" role="group" aria-label=t("list.categories")>
                <button class="pm-chip" aria-pressed=move || category.get().is_none().to_string() on:click=move |_| category.set(None)>
                    {t("list.all")}
                </button>
                {chips}
            </div>
            <ul class="pm-list" data-testid="integrations">
                {move || {
                    matching()
                        .into_iter()
                        .map(|card| {
                            let badge = session.with_value(|s| connection_badge(s, &card.platform));
                            let category = card.categories.first().map(|c| i18n::category(c)).unwrap_or_default();
                            let open = card.clone();
                            view! {
                                <li>
                                    <button class="pm-item" data-platform=card.platform.clone() on:click=move |_| modal.open_card(open.clone())>
                                        {logo::logo(card.logo_url.clone(), &card.name, 32)}
                                        <span class="pm-item-text">
                                            <span class="pm-item-name">{card.name.clone()}</span>
                                            <span class="pm-item-category">{category}</span>
                                        </span>
                                        {badge.map(|(key, class)| view! { <span class=class>{t(key)}</span> })}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <Show when=move || matching().is_empty()>
                <p class="pm-empty" data-testid="empty">
                    {move || if nothing_enabled {
                        t("list.none_enabled")
                    } else {
                        tf("list.no_match", &[("query", query.get().trim())])
                    }}
                </p>
            </Show>
        </div>
    }
}

fn connected_view(modal: Modal, connection: ConnectionView, name: String) -> impl IntoView {
    view! {
        <div class="pm-center pm-success" data-testid="success" data-connection-key=connection.key.clone()>
            <div class="pm-icon pm-icon-ok" aria-hidden="true">"✓"</div>
            <h2>{tp("success.title", &name)}</h2>
            <p class="pm-muted">{t("success.text")}</p>
            <button class="pm-primary" data-testid="done" on:click=move |_| modal.close()>{t("success.done")}</button>
        </div>
    }
}
