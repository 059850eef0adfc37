//! Messages between the embed loader (host page), the modal (Portico's iframe) and the OAuth
//! sign-in window, sent with `postMessage` and an exact target origin. Each is JSON
//! `{"type": "portico:…", …}`; the receivers also check `event.origin` and `event.source`.
//!
//! The loader is plain JavaScript (`public/embed.js`) and writes the same shapes by hand; the
//! tests in this module pin them.

use serde::{Deserialize, Serialize};

use crate::{AttemptStatus, AuthWindow, ConnectionView, ErrorCode, ErrorDetail, Theme};

/// The `type` of every message. The modal reads and writes messages with the browser's own JSON
/// (serde_json would double its download) and the loader is JavaScript: both use these names,
/// which the tests below hold equal to serde's.
pub mod kind {
    pub const SESSION: &str = "portico:session";
    pub const SESSION_ERROR: &str = "portico:session-error";
    pub const RESET: &str = "portico:reset";
    pub const SHOWN: &str = "portico:shown";
    pub const READY: &str = "portico:ready";
    pub const SUCCESS: &str = "portico:success";
    pub const ERROR: &str = "portico:error";
    pub const CLOSE: &str = "portico:close";
    pub const EVENT: &str = "portico:event";
    pub const START_SIGN_IN: &str = "portico:start-sign-in";
    pub const OAUTH_RESULT: &str = "portico:oauth-result";
}

/// loader → modal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ToModal {
    /// The host's backend minted a token: start.
    #[serde(rename = "portico:session")]
    Session {
        token: String,
        #[serde(default)]
        options: SessionOptions,
    },
    /// The host's token endpoint failed (the loader already told the host).
    #[serde(rename = "portico:session-error")]
    SessionError { code: ErrorCode, message: String },
    /// The host closed the modal: forget the session.
    #[serde(rename = "portico:reset")]
    Reset,
    /// The loader has shown the frame and focused it: the modal moves focus to its first control
    /// (a cross-origin frame's `autofocus` is blocked by browsers).
    #[serde(rename = "portico:shown")]
    Shown,
}

/// What the host passed to `Portico.create`, as the modal needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionOptions {
    #[serde(default)]
    pub selected_integration: Option<String>,
    /// Absent (or unknown): the system's preference.
    #[serde(default)]
    pub theme: Option<Theme>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub auth_window: AuthWindow,
    /// The host page to come back to after a same-window sign-in.
    #[serde(default)]
    pub return_to: Option<String>,
    /// A same-window sign-in to finish (its attempt id).
    #[serde(default)]
    pub resume_attempt: Option<String>,
}

/// modal → loader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ToLoader {
    /// The modal has loaded and waits for a token.
    #[serde(rename = "portico:ready")]
    Ready,
    /// `onSuccess(connection)`.
    #[serde(rename = "portico:success")]
    Success { connection: ConnectionView },
    /// `onError({code, message})`.
    #[serde(rename = "portico:error")]
    Error { code: ErrorCode, message: String },
    /// The user closed the modal: `onClose()`.
    #[serde(rename = "portico:close")]
    Close,
    /// `onEvent({name, data})`.
    #[serde(rename = "portico:event")]
    Event { name: String, data: serde_json::Value },
    /// Send the host page to Portico's sign-in start (redirect mode): a cross-origin frame cannot
    /// navigate the top window without user activation; the loader can. It submits a form `POST`
    /// of `attempt` and `secret` to `url`, only ever on Portico's own origin; the host page's
    /// `Origin` is what binds the sign-in to this page.
    #[serde(rename = "portico:start-sign-in")]
    StartSignIn { url: String, attempt: String, secret: String },
}

/// sign-in window → modal: how the sign-in ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum FromSignIn {
    #[serde(rename = "portico:oauth-result")]
    OAuthResult {
        attempt_id: Option<String>,
        status: AttemptStatus,
        #[serde(default)]
        connection: Option<ConnectionView>,
        #[serde(default)]
        error: Option<ErrorDetail>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn type_of(value: impl Serialize) -> String {
        serde_json::to_value(value).unwrap()["type"].as_str().unwrap().to_string()
    }

    #[test]
    fn kind_constants_are_the_serde_names() {
        let options = SessionOptions::default();
        assert_eq!(type_of(ToModal::Session { token: "t".into(), options }), kind::SESSION);
        let code = ErrorCode::NetworkError;
        assert_eq!(type_of(ToModal::SessionError { code, message: "m".into() }), kind::SESSION_ERROR);
        assert_eq!(type_of(ToModal::Reset), kind::RESET);
        assert_eq!(type_of(ToModal::Shown), kind::SHOWN);
        assert_eq!(type_of(ToLoader::Ready), kind::READY);
        assert_eq!(type_of(ToLoader::Error { code, message: "m".into() }), kind::ERROR);
        assert_eq!(type_of(ToLoader::Close), kind::CLOSE);
        assert_eq!(type_of(ToLoader::Event { name: "n".into(), data: json!({}) }), kind::EVENT);
        assert_eq!(
            type_of(ToLoader::StartSignIn { url: "u".into(), attempt: "a".into(), secret: "s".into() }),
            kind::START_SIGN_IN
        );
        let result =
            FromSignIn::OAuthResult { attempt_id: None, status: AttemptStatus::Failed, connection: None, error: None };
        assert_eq!(type_of(result), kind::OAUTH_RESULT);
        let success = serde_json::to_string(&ToLoader::Success { connection: crate::tests::connection() }).unwrap();
        assert!(success.contains(kind::SUCCESS));
    }

    #[test]
    fn loader_messages_have_the_shapes_embed_js_writes() {
        let session: ToModal = serde_json::from_value(json!({
            "type": "portico:session",
            "token": "akt_test_x",
            "options": {"selectedIntegration": null, "theme": "dark", "locale": null,
                        "authWindow": "redirect", "returnTo": "https://app.example/x", "resumeAttempt": null}
        }))
        .unwrap();
        let ToModal::Session { token, options } = session else { panic!("not a session") };
        assert_eq!(token, "akt_test_x");
        assert_eq!(options.auth_window, AuthWindow::Redirect);
        assert_eq!(options.theme, Some(Theme::Dark));
        assert_eq!(serde_json::from_value::<ToModal>(json!({"type": "portico:reset"})).unwrap(), ToModal::Reset);
        let failed: ToModal = serde_json::from_value(
            json!({"type": "portico:session-error", "code": "token_request_failed", "message": "down"}),
        )
        .unwrap();
        assert_eq!(failed, ToModal::SessionError { code: ErrorCode::TokenRequestFailed, message: "down".into() });
    }

    #[test]
    fn modal_messages_have_the_shapes_embed_js_reads() {
        assert_eq!(serde_json::to_value(ToLoader::Ready).unwrap(), json!({"type": "portico:ready"}));
        assert_eq!(
            serde_json::to_value(ToLoader::Error { code: ErrorCode::PopupBlocked, message: "m".into() }).unwrap(),
            json!({"type": "portico:error", "code": "popup_blocked", "message": "m"})
        );
        assert_eq!(
            serde_json::to_value(ToLoader::StartSignIn {
                url: "https://p/oauth/start".into(),
                attempt: "att_1".into(),
                secret: "s3".into()
            })
            .unwrap(),
            json!({"type": "portico:start-sign-in", "url": "https://p/oauth/start", "attempt": "att_1", "secret": "s3"})
        );
        assert_eq!(
            serde_json::to_value(ToLoader::Event { name: "oauth_started".into(), data: json!({"platform": "x"}) })
                .unwrap(),
            json!({"type": "portico:event", "name": "oauth_started", "data": {"platform": "x"}})
        );
    }

    #[test]
    fn sign_in_results_are_camel_case() {
        let result = FromSignIn::OAuthResult {
            attempt_id: Some("att_1".into()),
            status: AttemptStatus::Failed,
            connection: None,
            error: Some(ErrorDetail { code: ErrorCode::AccessDenied, message: "no".into() }),
        };
        assert_eq!(
            serde_json::to_value(&result).unwrap(),
            json!({"type": "portico:oauth-result", "attemptId": "att_1", "status": "failed", "connection": null,
                   "error": {"code": "access_denied", "message": "no"}})
        );
    }
}
