//! The modal's side of the postMessage channel with the embed loader on the host page.
//!
//! Messages go only to the exact host origin the loader named in `?parent=`; incoming messages are
//! accepted only from that origin *and* from the parent window itself, so another frame on the
//! page cannot hand the modal a token or read what it sends.

use portico_wire::message::{ToLoader, ToModal};
use portico_wire::{ConnectionView, ErrorCode, OAuthAttemptStarted};

use crate::js;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Debug, Clone)]
pub struct Bridge {
    /// `None` on the hosted connect page, which has no host page to talk to.
    pub parent_origin: Option<String>,
}

impl Bridge {
    pub fn post(&self, message: &ToLoader) {
        self.post_value(&js::to_loader(message));
    }

    fn post_value(&self, data: &JsValue) {
        let (Some(origin), Some(window)) = (&self.parent_origin, web_sys::window()) else {
            return;
        };
        if let Ok(Some(parent)) = window.parent() {
            let _ = parent.post_message(data, origin);
        }
    }

    pub fn ready(&self) {
        self.post(&ToLoader::Ready);
    }

    pub fn success(&self, connection: &ConnectionView) {
        self.post(&ToLoader::Success { connection: connection.clone() });
    }

    pub fn error(&self, code: ErrorCode, text: &str) {
        self.post(&ToLoader::Error { code, message: text.to_string() });
    }

    pub fn close(&self) {
        self.post(&ToLoader::Close);
    }

    pub fn start_sign_in(&self, started: &OAuthAttemptStarted) {
        self.post(&ToLoader::StartSignIn {
            url: started.start_url.clone(),
            attempt: started.attempt_id.clone(),
            secret: started.start_secret.clone(),
        });
    }

    /// `onEvent({name, data})`.
    pub fn event(&self, name: &str, data: &[(&str, &str)]) {
        self.post_value(&js::event(name, data));
    }

    /// Calls `handler` with each well-formed message from the parent window at the parent origin.
    pub fn listen(&self, handler: impl Fn(ToModal) + 'static) {
        let (Some(origin), Some(window)) = (self.parent_origin.clone(), web_sys::window()) else {
            return;
        };
        let parent = window.parent().ok().flatten();
        let closure = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            if event.origin() != origin {
                return;
            }
            let from_parent = match (&parent, event.source()) {
                (Some(parent), Some(source)) => js_sys::Object::is(parent.as_ref(), source.as_ref()),
                _ => false,
            };
            if !from_parent {
                return;
            }
            if let Some(message) = js::to_modal(&event.data()) {
                handler(message);
            }
        });
        let _ = window.add_event_listener_with_callback("message", closure.as_ref().unchecked_ref());
        // The listener lives as long as the page.
        closure.forget();
    }
}
