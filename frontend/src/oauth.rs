//! Connecting a platform by OAuth sign-in, from the modal.
//!
//! Popup mode: the click opens a window *synchronously* (browsers block pop-ups opened after an
//! `await`), the attempt is created, and the modal submits a form `POST` of the attempt and its
//! one-time secret into that window (`startUrl`); Portico checks both the secret and that the
//! form came from its own origin, so a forwarded start link cannot sign anyone in. The outcome arrives by
//! whichever comes first: the callback page's `postMessage` (checked: our own origin, our own
//! popup, our attempt) or the server's record of the attempt, polled every second. Polling is
//! what makes COOP, storage partitioning or a window closed at the wrong moment harmless.
//!
//! Redirect mode (`authWindow: 'redirect'`, or the user's choice when the pop-up was blocked): the
//! attempt carries `returnTo`, the host page's address, and the loader sends the whole page to the
//! provider; back on the host page the loader reopens the modal with `resumeAttempt`, and the
//! modal learns the outcome from the server as above.
//!
//! Each sign-in gets a generation number; cancelling, closing the modal or starting again bumps
//! it, so a late answer from an earlier sign-in can never change the screen.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use leptos::prelude::*;
use leptos::task::spawn_local;
use portico_wire::message::FromSignIn;
use portico_wire::{
    AttemptStatus, AuthKind, AuthWindow, ConnectionStatus, ConnectionView, ErrorCode, ErrorDetail, IntegrationCard,
    OAuthAttemptStarted, OAuthAttemptView, StartOAuthRequest,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{Api, Failure};
use crate::i18n::{self, t, tp};
use crate::{Modal, Mode, Screen};

/// The window name, so a second sign-in reuses the first one's window instead of stacking them.
const POPUP_NAME: &str = "portico-oauth";
const POPUP_WIDTH: i32 = 520;
const POPUP_HEIGHT: i32 = 680;
/// What the callback page posts to its opener.
/// Polls while the sign-in window is open.
const POLL_MS: i32 = 1000;
/// Polls after the window closed unfinished: the attempt may still finish (a provider page with
/// COOP makes an open window look closed), and its success should not be lost.
const LATE_POLL_MS: i32 = 2000;
const LATE_POLLS: u32 = 300;
/// Consecutive polls that may fail to reach the server before the user is told.
const MAX_MISSES: u32 = 8;
/// Back from redirect mode, an attempt that is still unfinished after this many polls was abandoned.
const RESUME_POLLS: u32 = 5;
/// Redirect mode: how long the modal waits for the loader to take the page away.
const REDIRECT_WATCHDOG_MS: i32 = 30_000;

/// Where one OAuth screen stands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OAuthStage {
    /// What will happen, and the button that starts it.
    Intro,
    /// The sign-in window is open.
    Waiting,
    /// `window.open` returned nothing.
    Blocked,
    /// Redirect mode: waiting for the loader to send the page to the provider.
    Redirecting,
    Failed(Failure),
}

/// The sign-in under way, if any. Lives in local (non-`Send`) storage: it holds a `Window`.
#[derive(Default)]
pub(crate) struct Flow {
    generation: u32,
    attempt_id: Option<String>,
    popup: Option<web_sys::Window>,
    card: Option<IntegrationCard>,
    reconnect: Option<String>,
}

/// An attempt id as it may arrive from a URL: the shape Portico issues, nothing else.
pub(crate) fn valid_attempt_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The connection of this identity on `platform` that needs the user to sign in again.
pub(crate) fn reconnect_target(modal: &Modal, card: &IntegrationCard) -> Option<String> {
    if card.auth_kind != AuthKind::Oauth2 {
        return None;
    }
    modal.session.with_untracked(|s| {
        s.as_ref()?
            .connections
            .iter()
            .find(|c| c.platform == card.platform && c.status == ConnectionStatus::NeedsReauth)
            .map(|c| c.id.clone())
    })
}

fn failure_from(error: Option<ErrorDetail>, name: &str) -> Failure {
    match error {
        Some(e) => Failure::new(e.code, &e.message),
        None => Failure::local(ErrorCode::OauthFailed),
    }
    .about(name)
}

/// A timer as a future, so a polling loop reads top to bottom (no extra crate for one timeout).
pub(crate) struct Sleep(Rc<RefCell<(bool, Option<Waker>)>>);

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.0.borrow_mut();
        if state.0 {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

pub(crate) fn sleep(ms: i32) -> Sleep {
    let state = Rc::new(RefCell::new((false, None::<Waker>)));
    let fired = state.clone();
    let callback = Closure::once_into_js(move || {
        let waker = {
            let mut s = fired.borrow_mut();
            s.0 = true;
            s.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    if window().set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms).is_err() {
        state.borrow_mut().0 = true;
    }
    Sleep(state)
}

/// Opens the sign-in window, centred on the browser window. Must run inside the click handler.
fn open_popup(name: &str) -> Option<web_sys::Window> {
    let win = window();
    let number = |v: Result<JsValue, JsValue>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as i32;
    let left = number(win.screen_x()) + (number(win.outer_width()) - POPUP_WIDTH).max(0) / 2;
    let top = number(win.screen_y()) + (number(win.outer_height()) - POPUP_HEIGHT).max(0) / 3;
    let features = format!("popup=yes,width={POPUP_WIDTH},height={POPUP_HEIGHT},left={left},top={top}");
    let popup = win.open_with_url_and_target_and_features("about:blank", POPUP_NAME, &features).ok().flatten()?;
    // The blank window is ours (same origin) until it navigates: say what is happening meanwhile.
    if let Some(document) = popup.document() {
        document.set_title(&tp("oauth.popup_title", name));
        if let Some(body) = document.body() {
            body.set_text_content(Some(&tp("oauth.popup_opening", name)));
            let _ = body.set_attribute("style", "font:16px system-ui,sans-serif;margin:2rem;color:#555");
        }
    }
    Some(popup)
}

/// Starts the sign-in in the window named `target`: a form `POST` of the attempt and its one-time
/// secret, from this (Portico's) origin, which is what `/oauth/start` checks. Never a URL with
/// the secret in it.
fn submit_start(started: &OAuthAttemptStarted, target: &str) {
    let Some(document) = window().document() else {
        return;
    };
    let Ok(form) = document.create_element("form") else {
        return;
    };
    let form: web_sys::HtmlFormElement = form.unchecked_into();
    form.set_method("post");
    form.set_action(&started.start_url);
    form.set_target(target);
    form.set_hidden(true);
    for (name, value) in [("attempt", started.attempt_id.as_str()), ("secret", started.start_secret.as_str())] {
        if let Ok(input) = document.create_element("input") {
            let _ = input.set_attribute("type", "hidden");
            let _ = input.set_attribute("name", name);
            let _ = input.set_attribute("value", value);
            let _ = form.append_child(&input);
        }
    }
    let Some(body) = document.body() else {
        return;
    };
    if body.append_child(&form).is_ok() {
        let _ = form.submit();
        form.remove();
    }
}

fn close_popup(popup: &web_sys::Window) {
    if !popup.closed().unwrap_or(true) {
        let _ = popup.close();
    }
}

impl Modal {
    /// Whether OAuth sign-ins take the whole host page instead of a pop-up.
    pub(crate) fn redirects(&self) -> bool {
        self.mode == Mode::Embedded && self.options.with_value(|o| o.redirect)
    }

    fn is_current(&self, generation: u32) -> bool {
        self.oauth.try_with_value(|f| f.generation == generation).unwrap_or(false)
    }

    /// Ends whatever sign-in is under way: its answers are ignored from now on and its window
    /// closes. Returns the new generation.
    pub(crate) fn stop_oauth(&self) -> u32 {
        let (generation, popup) = self
            .oauth
            .try_update_value(|f| {
                f.generation = f.generation.wrapping_add(1);
                f.attempt_id = None;
                (f.generation, f.popup.take())
            })
            .unwrap_or_default();
        if let Some(popup) = popup {
            close_popup(&popup);
        }
        generation
    }

    fn oauth_screen(&self, stage: OAuthStage) {
        let (card, reconnect) = self.oauth.with_value(|f| (f.card.clone(), f.reconnect.clone()));
        match card {
            Some(card) => self.screen.set(Screen::OAuth { card, reconnect, stage }),
            None => {
                if let OAuthStage::Failed(failure) = stage {
                    self.screen.set(Screen::Failed(failure));
                }
            }
        }
    }

    fn card_name(&self) -> String {
        self.oauth.with_value(|f| f.card.as_ref().map(|c| c.name.clone())).unwrap_or_else(|| t("platform.unknown"))
    }

    /// "Continue with {name}" / "Try again": a pop-up, or the same window in redirect mode.
    /// Runs synchronously inside the click so the browser lets the window open.
    pub(crate) fn begin_oauth(&self, card: IntegrationCard, reconnect: Option<String>) {
        if self.redirects() {
            self.redirect_oauth(card, reconnect);
            return;
        }
        let (generation, previous) = self
            .oauth
            .try_update_value(|f| {
                f.generation = f.generation.wrapping_add(1);
                f.attempt_id = None;
                f.card = Some(card.clone());
                f.reconnect = reconnect.clone();
                (f.generation, f.popup.take())
            })
            .unwrap_or_default();
        let popup = open_popup(&card.name);
        // Same name, so usually the same window; close the old one only if it is another.
        if let Some(previous) = previous {
            if popup.as_ref().is_none_or(|p| !js_sys::Object::is(p, &previous)) {
                close_popup(&previous);
            }
        }
        let Some(popup) = popup else {
            self.oauth_screen(OAuthStage::Blocked);
            let failure = Failure::local(ErrorCode::PopupBlocked);
            self.bridge.with_value(|b| b.error(failure.code, &failure.message));
            return;
        };
        self.oauth.update_value(|f| f.popup = Some(popup.clone()));
        let Some(api) = self.api.get_value() else {
            self.oauth_failed(generation, Failure::local(ErrorCode::TokenMissing));
            return;
        };
        self.oauth_screen(OAuthStage::Waiting);
        self.bridge.with_value(|b| {
            b.event("oauth_started", &[("platform", &card.platform), ("mode", AuthWindow::Popup.as_str())])
        });
        let modal = *self;
        spawn_local(async move {
            let request = StartOAuthRequest {
                platform: card.platform.clone(),
                connection_id: reconnect,
                mode: Some(AuthWindow::Popup),
                return_to: None,
            };
            let started = match api.start_oauth(&request).await {
                Ok(started) => started,
                Err(failure) => {
                    modal.oauth_failed(generation, failure);
                    return;
                }
            };
            if !modal.is_current(generation) {
                return;
            }
            modal.oauth.update_value(|f| f.attempt_id = Some(started.attempt_id.clone()));
            // A window the user already closed ignores this; the next poll notices it closed.
            submit_start(&started, POPUP_NAME);
            modal.watch(generation, api, started.attempt_id, Some(popup)).await;
        });
    }

    /// Redirect mode: create the attempt with the host page as `returnTo`, then have the loader
    /// take the page to the provider.
    pub(crate) fn redirect_oauth(&self, card: IntegrationCard, reconnect: Option<String>) {
        let generation = self.stop_oauth();
        self.oauth.update_value(|f| {
            f.card = Some(card.clone());
            f.reconnect = reconnect.clone();
        });
        let return_to = self.options.with_value(|o| o.return_to.clone());
        let (Some(return_to), Mode::Embedded) = (return_to, self.mode) else {
            self.oauth_failed(generation, Failure::local(ErrorCode::RedirectUnavailable));
            return;
        };
        let Some(api) = self.api.get_value() else {
            self.oauth_failed(generation, Failure::local(ErrorCode::TokenMissing));
            return;
        };
        self.oauth_screen(OAuthStage::Redirecting);
        let modal = *self;
        spawn_local(async move {
            let request = StartOAuthRequest {
                platform: card.platform.clone(),
                connection_id: reconnect,
                mode: Some(AuthWindow::Redirect),
                return_to: Some(return_to),
            };
            match api.start_oauth(&request).await {
                Ok(started) if modal.is_current(generation) => {
                    modal.bridge.with_value(|b| {
                        b.event(
                            "oauth_started",
                            &[("platform", &card.platform), ("mode", AuthWindow::Redirect.as_str())],
                        );
                        b.start_sign_in(&started);
                    });
                    // The page normally goes away now; if it does not, say so instead of spinning.
                    sleep(REDIRECT_WATCHDOG_MS).await;
                    if modal.is_current(generation) {
                        modal.oauth_failed(generation, Failure::local(ErrorCode::RedirectFailed).about(&card.name));
                    }
                }
                Ok(_) => {}
                Err(failure) => modal.oauth_failed(generation, failure),
            }
        });
    }

    /// Back from redirect mode: learn how the attempt ended.
    pub(crate) fn resume_oauth(&self, attempt_id: String) {
        let generation = self.stop_oauth();
        self.oauth.update_value(|f| {
            f.attempt_id = Some(attempt_id.clone());
            f.card = None;
            f.reconnect = None;
        });
        let Some(api) = self.api.get_value() else {
            return;
        };
        self.screen.set(Screen::Resuming);
        let modal = *self;
        spawn_local(async move { modal.watch(generation, api, attempt_id, None).await });
    }

    /// Cancel while waiting: the window closes and the user is back where they started.
    pub(crate) fn cancel_oauth(&self) {
        let platform = self.oauth.with_value(|f| f.card.as_ref().map(|c| c.platform.clone()));
        self.stop_oauth();
        self.oauth_screen(OAuthStage::Intro);
        self.bridge
            .with_value(|b| b.event("oauth_cancelled", &[("platform", platform.as_deref().unwrap_or_default())]));
    }

    pub(crate) fn focus_popup(&self) {
        self.oauth.with_value(|f| {
            if let Some(popup) = &f.popup {
                let _ = popup.focus();
            }
        });
    }

    /// Asks the server until the attempt has ended (or the sign-in is abandoned or superseded).
    async fn watch(self, generation: u32, api: Api, attempt_id: String, popup: Option<web_sys::Window>) {
        let resuming = popup.is_none();
        let mut closed_reported = false;
        let mut misses = 0;
        let mut polls = 0;
        loop {
            if !(resuming && polls == 0) {
                sleep(if closed_reported { LATE_POLL_MS } else { POLL_MS }).await;
            }
            polls += 1;
            if !self.is_current(generation) {
                return;
            }
            // Read before asking, so "closed" means closed before the server's answer was made.
            let closed = popup.as_ref().is_some_and(|p| p.closed().unwrap_or(true));
            let view: OAuthAttemptView = match api.oauth_attempt(&attempt_id).await {
                Ok(view) => {
                    misses = 0;
                    view
                }
                // The user has already been told this sign-in did not finish; stop quietly.
                Err(_) if closed_reported => return,
                Err(failure) if failure.code == ErrorCode::NotFound => {
                    self.oauth_failed(generation, Failure::local(ErrorCode::AttemptNotFound));
                    return;
                }
                Err(failure) if failure.ends_session() || !failure.is_transient() || misses >= MAX_MISSES => {
                    self.oauth_failed(generation, failure);
                    return;
                }
                Err(_) => {
                    misses += 1;
                    continue;
                }
            };
            if !self.is_current(generation) {
                return;
            }
            self.learn_card(&view.platform);
            match view.status {
                AttemptStatus::Succeeded => {
                    match view.connection {
                        Some(connection) => self.oauth_succeeded(generation, connection),
                        // The server said the sign-in worked but sent no connection.
                        None => self.oauth_failed(generation, Failure::local(ErrorCode::BadResponse)),
                    }
                    return;
                }
                AttemptStatus::Failed => {
                    if !closed_reported {
                        self.oauth_failed(generation, failure_from(view.error, &self.card_name()));
                    }
                    return;
                }
                _ if resuming && polls >= RESUME_POLLS => {
                    let failure = Failure::local(ErrorCode::OauthIncomplete).about(&self.card_name());
                    self.oauth_failed(generation, failure);
                    return;
                }
                _ if closed && !closed_reported => {
                    closed_reported = true;
                    polls = 0;
                    let failure = Failure::local(ErrorCode::PopupClosed);
                    self.bridge.with_value(|b| b.error(failure.code, &failure.message));
                    self.oauth_screen(OAuthStage::Failed(failure));
                }
                _ if closed_reported && polls >= LATE_POLLS => return,
                _ => {}
            }
        }
    }

    /// Back from redirect mode the modal learns the platform from the attempt.
    fn learn_card(&self, platform: &str) {
        if self.oauth.with_value(|f| f.card.is_some()) {
            return;
        }
        let card = self
            .session
            .with_untracked(|s| {
                s.as_ref().and_then(|s| s.integrations.iter().find(|c| c.platform == platform).cloned())
            })
            .unwrap_or_else(|| IntegrationCard {
                platform: platform.to_string(),
                name: platform.to_string(),
                categories: vec![],
                logo_url: format!("/logos/{platform}.svg"),
                auth_kind: AuthKind::Oauth2,
                docs_url: None,
                fields: vec![],
            });
        self.oauth.update_value(|f| f.card = Some(card));
    }

    fn oauth_succeeded(&self, generation: u32, connection: ConnectionView) {
        if !self.is_current(generation) {
            return;
        }
        let name = self.card_name();
        self.stop_oauth();
        self.session.update(|s| {
            if let Some(s) = s {
                match s.connections.iter_mut().find(|c| c.id == connection.id) {
                    Some(existing) => *existing = connection.clone(),
                    None => s.connections.push(connection.clone()),
                }
            }
        });
        self.bridge.with_value(|b| b.success(&connection));
        self.screen.set(Screen::Connected { connection, name });
    }

    fn oauth_failed(&self, generation: u32, failure: Failure) {
        if !self.is_current(generation) {
            return;
        }
        self.stop_oauth();
        self.bridge.with_value(|b| b.error(failure.code, &failure.message));
        if failure.ends_session() {
            self.screen.set(Screen::Failed(failure));
        } else {
            self.oauth_screen(OAuthStage::Failed(failure));
        }
    }

    /// A message from the sign-in window's last page. Only our own popup, on our own origin,
    /// about the attempt under way, counts.
    pub(crate) fn on_window_message(&self, event: &web_sys::MessageEvent) {
        if window().location().origin().ok().as_deref() != Some(event.origin().as_str()) {
            return;
        }
        let Some(source) = event.source() else {
            return;
        };
        let (from_popup, attempt_id, generation) = self.oauth.with_value(|f| {
            let from_popup = f.popup.as_ref().is_some_and(|p| js_sys::Object::is(p, &source));
            (from_popup, f.attempt_id.clone(), f.generation)
        });
        if !from_popup || attempt_id.is_none() {
            return;
        }
        // What the callback page posts: `{type, attemptId, status, connection?, error?}`.
        let Some(FromSignIn::OAuthResult { attempt_id: from, status, connection, error }) =
            crate::js::from_sign_in(&event.data())
        else {
            return;
        };
        if from != attempt_id {
            return;
        }
        match (status, connection) {
            (AttemptStatus::Succeeded, Some(connection)) => self.oauth_succeeded(generation, connection),
            (AttemptStatus::Failed, _) => self.oauth_failed(generation, failure_from(error, &self.card_name())),
            // Anything else (a success without a readable connection included): the server's
            // record, polled, decides.
            _ => {}
        }
    }
}

/// Focuses the screen's main button once it is on the page, so Enter and Space work at once.
fn focus_on_mount(node: NodeRef<leptos::html::Button>) {
    Effect::new(move |_| {
        if let Some(button) = node.get() {
            let _ = button.focus();
        }
    });
}

pub(crate) fn oauth_view(modal: Modal, card: IntegrationCard, reconnect: Option<String>, stage: OAuthStage) -> AnyView {
    let name = card.name.clone();
    let primary = NodeRef::<leptos::html::Button>::new();
    focus_on_mount(primary);
    let again = {
        let (card, reconnect) = (card.clone(), reconnect.clone());
        move |_| modal.begin_oauth(card.clone(), reconnect.clone())
    };
    let back_visible = modal.session.with_untracked(|s| s.as_ref().is_some_and(|s| s.integrations.len() > 1));
    let back = move || {
        back_visible.then(|| {
            view! {
                <button class="pm-secondary" data-testid="oauth-back" on:click=move |_| modal.screen.set(Screen::List)>
                    {t("nav.all")}
                </button>
            }
        })
    };
    match stage {
        OAuthStage::Intro => {
            let reconnecting = reconnect.is_some();
            let title = tp(if reconnecting { "oauth.reconnect" } else { "form.title" }, &name);
            let action = tp(if reconnecting { "oauth.reconnect" } else { "oauth.continue" }, &name);
            let how = tp(if modal.redirects() { "oauth.how_redirect" } else { "oauth.how_popup" }, &name);
            view! {
                <div class="pm-form-view" data-testid="oauth" data-platform=card.platform.clone()>
                    {back_visible.then(|| view! {
                        <button class="pm-back" on:click=move |_| modal.screen.set(Screen::List)>{t("nav.back")}</button>
                    })}
                    <div class="pm-form-head">
                        {crate::logo::logo(card.logo_url.clone(), &card.name, 40)}
                        <h2>{title}</h2>
                    </div>
                    {reconnecting.then(|| view! {
                        <p class="pm-notice" data-testid="reauth-notice">
                            {tp("oauth.reauth_notice", &name)}
                        </p>
                    })}
                    <p class="pm-muted">{how}</p>
                    <p class="pm-muted">{tp("oauth.privacy", &name)}</p>
                    <button class="pm-primary" data-testid="oauth-continue" node_ref=primary on:click=again>{action}</button>
                </div>
            }
            .into_any()
        }
        OAuthStage::Waiting => view! {
            <div class="pm-center" role="status" aria-live="polite" data-testid="oauth-waiting">
                <div class="pm-spinner" aria-hidden="true"></div>
                <p><strong>{tp("oauth.waiting", &name)}</strong></p>
                <p class="pm-muted">{t("oauth.behind")}</p>
                <div class="pm-actions">
                    <button class="pm-secondary" data-testid="oauth-focus" on:click=move |_| modal.focus_popup()>{t("oauth.show_window")}</button>
                    <button class="pm-secondary" data-testid="oauth-cancel" node_ref=primary on:click=move |_| modal.cancel_oauth()>{t("oauth.cancel")}</button>
                </div>
            </div>
        }
        .into_any(),
        OAuthStage::Redirecting => view! {
            <div class="pm-center" role="status" aria-live="polite" data-testid="oauth-redirecting">
                <div class="pm-spinner" aria-hidden="true"></div>
                <p>{tp("oauth.redirecting", &name)}</p>
            </div>
        }
        .into_any(),
        OAuthStage::Blocked => {
            let can_redirect = modal.mode == Mode::Embedded;
            let redirect = {
                let (card, reconnect) = (card.clone(), reconnect.clone());
                move |_| modal.redirect_oauth(card.clone(), reconnect.clone())
            };
            view! {
                <div class="pm-center pm-failed" role="alert" data-testid="oauth-blocked" data-code="popup_blocked">
                    <div class="pm-icon pm-icon-error" aria-hidden="true">"!"</div>
                    <h2>{t("error.popup_blocked")}</h2>
                    <p>{if can_redirect { tp("oauth.blocked_redirect", &name) } else { t("oauth.blocked_page") }}</p>
                    <div class="pm-actions">
                        <button class="pm-primary" data-testid="oauth-retry" node_ref=primary on:click=again>{t("oauth.retry")}</button>
                        {can_redirect.then(|| view! {
                            <button class="pm-secondary" data-testid="oauth-redirect" on:click=redirect>{t("oauth.in_this_window")}</button>
                        })}
                    </div>
                </div>
            }
            .into_any()
        }
        OAuthStage::Failed(failure) => view! {
            <div class="pm-center pm-failed" role="alert" data-testid="oauth-error" data-code=failure.code.as_str()>
                <div class="pm-icon pm-icon-error" aria-hidden="true">"!"</div>
                <h2>{tp("oauth.failed_title", &name)}</h2>
                <p>{i18n::failure_text(&failure.clone().about(&name))}</p>
                <div class="pm-actions">
                    <button class="pm-primary" data-testid="oauth-retry" node_ref=primary on:click=again>{t("oauth.retry")}</button>
                    {back}
                </div>
            </div>
        }
        .into_any(),
    }
}
