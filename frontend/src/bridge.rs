//! The modal's side of the postMessage channel with the embed loader on the host page.
//!
//! Messages go only to the exact host origin the loader named in `?parent=`; incoming messages are
//! accepted only from that origin *and* from the parent window itself, so another frame on the
//! page cannot hand the modal a token or read what it sends.

use portico_wire::message;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// modal → loader: `{url}`, send the host page to Portico's OAuth start page (redirect mode). A
/// cross-origin frame cannot navigate the top window without user activation; the loader can, and
/// it only ever goes to Portico's own origin.
pub const NAVIGATE: &str = "portico:navigate";

#[derive(Debug, Clone)]
pub struct Bridge {
    /// `None` on the hosted connect page, which has no host page to talk to.
    pub parent_origin: Option<String>,
}

impl Bridge {
    pub fn post(&self, value: Value) {
        let (Some(origin), Some(window)) = (&self.parent_origin, web_sys::window()) else {
            return;
        };
        let Ok(Some(parent)) = window.parent() else {
            return;
        };
        if let Ok(data) = js_sys::JSON::parse(&value.to_string()) {
            let _ = parent.post_message(&data, origin);
        }
    }

    pub fn ready(&self) {
        self.post(json!({ "type": message::READY }));
    }

    pub fn success(&self, connection: &portico_wire::ConnectionView) {
        self.post(json!({ "type": message::SUCCESS, "connection": connection }));
    }

    pub fn error(&self, code: &str, text: &str) {
        self.post(json!({ "type": message::ERROR, "code": code, "message": text }));
    }

    pub fn close(&self) {
        self.post(json!({ "type": message::CLOSE }));
    }

    pub fn navigate(&self, url: &str) {
        self.post(json!({ "type": NAVIGATE, "url": url }));
    }

    pub fn event(&self, name: &str, data: Value) {
        self.post(json!({ "type": message::EVENT, "name": name, "data": data }));
    }

    /// Calls `handler` with each message from the parent window at the parent origin.
    pub fn listen(&self, handler: impl Fn(Value) + 'static) {
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
            let text = js_sys::JSON::stringify(&event.data()).ok().and_then(|s| s.as_string());
            if let Some(value) = text.and_then(|t| serde_json::from_str::<Value>(&t).ok()) {
                handler(value);
            }
        });
        let _ = window.add_event_listener_with_callback("message", closure.as_ref().unchecked_ref());
        // The listener lives as long as the page.
        closure.forget();
    }
}
