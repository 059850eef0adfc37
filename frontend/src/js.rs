//! The wire types read from and written to JSON with the browser's own `JSON` and plain object
//! access, instead of serde: serde_json and the derived (de)serialisers were about a quarter of
//! the modal's WASM (docs/BENCHMARKS.md). The shapes are the ones `portico-wire` pins with serde
//! in its tests; the codes and message types come from `wire`'s enums and constants.

use js_sys::{Array, Object, Reflect, JSON};
use portico_wire::message::{kind, FromSignIn, SessionOptions, ToLoader, ToModal};
use portico_wire::{
    AttemptStatus, AuthKind, AuthWindow, ConnectionStatus, ConnectionView, CreateConnectionRequest, ErrorCode,
    ErrorDetail, FormField, IntegrationCard, OAuthAttemptStarted, OAuthAttemptView, SessionView, StartOAuthRequest,
    Theme,
};
use wasm_bindgen::JsValue;

pub fn parse(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok().filter(JsValue::is_object)
}

pub fn stringify(value: &JsValue) -> String {
    JSON::stringify(value).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn string(value: &JsValue, key: &str) -> Option<String> {
    get(value, key).as_string()
}

fn text(value: &JsValue, key: &str) -> String {
    string(value, key).unwrap_or_default()
}

fn number(value: &JsValue, key: &str) -> i64 {
    get(value, key).as_f64().unwrap_or(0.0) as i64
}

fn flag(value: &JsValue, key: &str, default: bool) -> bool {
    get(value, key).as_bool().unwrap_or(default)
}

fn object(value: &JsValue, key: &str) -> Option<JsValue> {
    Some(get(value, key)).filter(JsValue::is_object)
}

fn list<T>(value: &JsValue, key: &str, item: fn(&JsValue) -> Option<T>) -> Vec<T> {
    let found = get(value, key);
    if !Array::is_array(&found) {
        return Vec::new();
    }
    Array::from(&found).iter().filter_map(|v| item(&v)).collect()
}

fn strings(value: &JsValue, key: &str) -> Vec<String> {
    list(value, key, |v| v.as_string())
}

pub fn error_detail(value: &JsValue) -> Option<ErrorDetail> {
    let code = ErrorCode::parse(&string(value, "code")?);
    Some(ErrorDetail { code, message: text(value, "message") })
}

/// `{"error":{"code","message"}}`.
pub fn error_body(value: &JsValue) -> Option<ErrorDetail> {
    error_detail(&object(value, "error")?)
}

fn form_field(value: &JsValue) -> Option<FormField> {
    Some(FormField {
        name: string(value, "name")?,
        label: text(value, "label"),
        help: string(value, "help"),
        secret: flag(value, "secret", false),
        required: flag(value, "required", true),
        pattern: string(value, "pattern"),
        example: string(value, "example"),
    })
}

fn integration_card(value: &JsValue) -> Option<IntegrationCard> {
    Some(IntegrationCard {
        platform: string(value, "platform")?,
        name: text(value, "name"),
        categories: strings(value, "categories"),
        logo_url: text(value, "logoUrl"),
        auth_kind: AuthKind::parse(&text(value, "authKind"))?,
        docs_url: string(value, "docsUrl"),
        fields: list(value, "fields", form_field),
    })
}

pub fn connection_view(value: &JsValue) -> Option<ConnectionView> {
    Some(ConnectionView {
        id: string(value, "id")?,
        key: string(value, "key")?,
        platform: text(value, "platform"),
        environment: text(value, "environment"),
        identity: string(value, "identity"),
        identity_type: string(value, "identityType"),
        name: text(value, "name"),
        tags: strings(value, "tags"),
        active: flag(value, "active", true),
        status: ConnectionStatus::parse(&text(value, "status")),
        created_at: number(value, "createdAt"),
        updated_at: number(value, "updatedAt"),
    })
}

pub fn session_view(value: &JsValue) -> Option<SessionView> {
    Some(SessionView {
        workspace_name: string(value, "workspaceName")?,
        environment: text(value, "environment"),
        identity: text(value, "identity"),
        identity_type: text(value, "identityType"),
        expires_at: number(value, "expiresAt"),
        integrations: list(value, "integrations", integration_card),
        connections: list(value, "connections", connection_view),
    })
}

pub fn attempt_started(value: &JsValue) -> Option<OAuthAttemptStarted> {
    Some(OAuthAttemptStarted {
        attempt_id: string(value, "attemptId")?,
        start_url: string(value, "startUrl")?,
        start_secret: string(value, "startSecret")?,
        expires_at: number(value, "expiresAt"),
    })
}

pub fn attempt_view(value: &JsValue) -> Option<OAuthAttemptView> {
    Some(OAuthAttemptView {
        attempt_id: string(value, "attemptId")?,
        platform: text(value, "platform"),
        status: AttemptStatus::parse(&string(value, "status")?),
        connection: object(value, "connection").as_ref().and_then(connection_view),
        error: object(value, "error").as_ref().and_then(error_detail),
    })
}

fn session_options(value: Option<JsValue>) -> SessionOptions {
    let Some(value) = value else {
        return SessionOptions::default();
    };
    SessionOptions {
        selected_integration: string(&value, "selectedIntegration"),
        theme: string(&value, "theme").map(|t| Theme::parse(&t)),
        locale: string(&value, "locale"),
        auth_window: string(&value, "authWindow").map(|w| AuthWindow::parse(&w)).unwrap_or_default(),
        return_to: string(&value, "returnTo"),
        resume_attempt: string(&value, "resumeAttempt"),
    }
}

/// A loader → modal message, or `None` for anything else.
pub fn to_modal(value: &JsValue) -> Option<ToModal> {
    let kind = string(value, "type")?;
    Some(match kind.as_str() {
        kind::SESSION => {
            ToModal::Session { token: string(value, "token")?, options: session_options(object(value, "options")) }
        }
        kind::SESSION_ERROR => {
            ToModal::SessionError { code: ErrorCode::parse(&text(value, "code")), message: text(value, "message") }
        }
        kind::RESET => ToModal::Reset,
        kind::SHOWN => ToModal::Shown,
        _ => return None,
    })
}

/// The sign-in window's report, or `None` for anything else.
pub fn from_sign_in(value: &JsValue) -> Option<FromSignIn> {
    if string(value, "type")?.as_str() != kind::OAUTH_RESULT {
        return None;
    }
    Some(FromSignIn::OAuthResult {
        attempt_id: string(value, "attemptId"),
        status: AttemptStatus::parse(&string(value, "status")?),
        connection: object(value, "connection").as_ref().and_then(connection_view),
        error: object(value, "error").as_ref().and_then(error_detail),
    })
}

/// A plain object built key by key.
pub struct Obj(Object);

impl Obj {
    pub fn new() -> Self {
        Obj(Object::new())
    }

    pub fn set(self, key: &str, value: impl Into<JsValue>) -> Self {
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value.into());
        self
    }

    pub fn value(self) -> JsValue {
        self.0.into()
    }
}

fn optional(value: &Option<String>) -> JsValue {
    value.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

pub fn connection_js(c: &ConnectionView) -> JsValue {
    let tags: Array = c.tags.iter().map(|t| JsValue::from_str(t)).collect();
    Obj::new()
        .set("id", c.id.as_str())
        .set("key", c.key.as_str())
        .set("platform", c.platform.as_str())
        .set("environment", c.environment.as_str())
        .set("identity", optional(&c.identity))
        .set("identityType", optional(&c.identity_type))
        .set("name", c.name.as_str())
        .set("tags", tags)
        .set("active", c.active)
        .set("status", c.status.as_str())
        .set("createdAt", c.created_at as f64)
        .set("updatedAt", c.updated_at as f64)
        .value()
}

/// A modal → loader message (`Event` goes through [`event`]: its data is free-form).
pub fn to_loader(message: &ToLoader) -> JsValue {
    let with_type = |k: &str| Obj::new().set("type", k);
    match message {
        ToLoader::Ready => with_type(kind::READY),
        ToLoader::Success { connection } => with_type(kind::SUCCESS).set("connection", connection_js(connection)),
        ToLoader::Error { code, message } => {
            with_type(kind::ERROR).set("code", code.as_str()).set("message", message.as_str())
        }
        ToLoader::Close => with_type(kind::CLOSE),
        ToLoader::Event { name, .. } => with_type(kind::EVENT).set("name", name.as_str()).set("data", Object::new()),
        ToLoader::StartSignIn { url, attempt, secret } => with_type(kind::START_SIGN_IN)
            .set("url", url.as_str())
            .set("attempt", attempt.as_str())
            .set("secret", secret.as_str()),
    }
    .value()
}

/// `onEvent({name, data})` with string-valued data.
pub fn event(name: &str, data: &[(&str, &str)]) -> JsValue {
    let data = data.iter().fold(Obj::new(), |o, (k, v)| o.set(k, *v));
    Obj::new().set("type", kind::EVENT).set("name", name).set("data", data.value()).value()
}

pub fn create_connection_body(request: &CreateConnectionRequest) -> String {
    let fields = request.fields.iter().fold(Obj::new(), |o, (k, v)| o.set(k, v.as_str()));
    stringify(&Obj::new().set("platform", request.platform.as_str()).set("fields", fields.value()).value())
}

pub fn start_oauth_body(request: &StartOAuthRequest) -> String {
    let mut body = Obj::new().set("platform", request.platform.as_str());
    if let Some(id) = &request.connection_id {
        body = body.set("connectionId", id.as_str());
    }
    if let Some(mode) = request.mode {
        body = body.set("mode", mode.as_str());
    }
    if let Some(return_to) = &request.return_to {
        body = body.set("returnTo", return_to.as_str());
    }
    stringify(&body.value())
}

pub fn link_body(link: &str) -> String {
    stringify(&Obj::new().set("link", link).value())
}
