//! Wire types shared by the server, the modal (WASM) and the dashboard (WASM).
//!
//! This crate is compiled into the browser bundles, so it depends on serde alone: no tokio, no
//! crypto, no database. Field names follow DESIGN.md (camelCase JSON, Pica-compatible shapes).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod codes;
pub mod locale;
pub mod message;

pub use codes::{AttemptStatus, AuthWindow, ConnectionStatus, ErrorCode, Theme};

/// Every error the API returns: `{"error":{"code","message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable snake_case code a program can branch on (`token_expired`, `invalid_credentials`…).
    pub code: ErrorCode,
    /// A sentence a person can read.
    pub message: String,
}

/// How a platform authenticates its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    Oauth2,
    Oauth2ClientCredentials,
    ApiKey,
    Basic,
}

impl AuthKind {
    pub const ALL: [AuthKind; 4] =
        [AuthKind::Oauth2, AuthKind::Oauth2ClientCredentials, AuthKind::ApiKey, AuthKind::Basic];

    /// The JSON name (serde's, pinned by a test).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthKind::Oauth2 => "oauth2",
            AuthKind::Oauth2ClientCredentials => "oauth2_client_credentials",
            AuthKind::ApiKey => "api_key",
            AuthKind::Basic => "basic",
        }
    }

    pub fn parse(text: &str) -> Option<AuthKind> {
        AuthKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the connect flow is a form the user fills in (as opposed to an OAuth redirect).
    pub fn uses_form(self) -> bool {
        !matches!(self, AuthKind::Oauth2)
    }
}

/// `201` answer of `POST /v1/authkit/token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub token: String,
    /// Milliseconds since the Unix epoch.
    pub expires_at: i64,
    pub connect_link: String,
}

/// One field of a connect form, as the catalog defines it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FormField {
    /// The template name the value fills: `apiKey`, `username`, `password`, or
    /// `connectionConfig.<name>` for per-connection settings such as a subdomain.
    pub name: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Secret fields are typed into a password input and never shown again.
    #[serde(default)]
    pub secret: bool,
    #[serde(default = "default_true")]
    pub required: bool,
    /// A regular expression the whole value must match (checked by the server; the modal uses it
    /// as a hint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
}

fn default_true() -> bool {
    true
}

/// An integration as the modal shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IntegrationCard {
    pub platform: String,
    pub name: String,
    pub categories: Vec<String>,
    pub logo_url: String,
    pub auth_kind: AuthKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    #[serde(default)]
    pub fields: Vec<FormField>,
}

/// A connection as listings and the modal show it. Never holds credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    pub id: String,
    pub key: String,
    pub platform: String,
    pub environment: String,
    pub identity: Option<String>,
    pub identity_type: Option<String>,
    pub name: String,
    pub tags: Vec<String>,
    pub active: bool,
    pub status: ConnectionStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What the modal learns about its session once it holds a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub workspace_name: String,
    pub environment: String,
    pub identity: String,
    pub identity_type: String,
    pub expires_at: i64,
    pub integrations: Vec<IntegrationCard>,
    pub connections: Vec<ConnectionView>,
}

/// Body of `POST /v1/authkit/connections`: the values of a connect form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateConnectionRequest {
    pub platform: String,
    pub fields: BTreeMap<String, String>,
}

/// Body of `POST /v1/authkit/oauth/attempts`: begin an OAuth sign-in for one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StartOAuthRequest {
    pub platform: String,
    /// Reconnect this connection (one of the session's identity) in place, keeping its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// `popup` (default) or `redirect` (the whole host page goes to the provider and comes back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<AuthWindow>,
    /// Redirect mode: the host page to come back to; its origin must be one the workspace allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

/// `201` answer of `POST /v1/authkit/oauth/attempts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OAuthAttemptStarted {
    pub attempt_id: String,
    /// Where the sign-in starts: a form `POST` of `attempt` and `secret`, sent from Portico's own
    /// origin (the modal, into the pop-up) or, in redirect mode, from the host page. Opening it
    /// anywhere else (a forwarded link) does not reach the provider.
    pub start_url: String,
    /// The one-time secret the start needs. Never put it in a URL.
    pub start_secret: String,
    pub expires_at: i64,
}

/// `GET /v1/authkit/oauth/attempts/{id}`: where an OAuth sign-in stands, as the server recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OAuthAttemptView {
    pub attempt_id: String,
    pub platform: String,
    pub status: AttemptStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<ConnectionView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// `GET /v1/vault/connections` envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConnectionList {
    #[serde(rename = "type")]
    pub kind: String,
    pub rows: Vec<ConnectionView>,
    pub total: i64,
    pub pages: i64,
    pub page: i64,
}

/// A catalog entry as the dashboard and `GET /v1/integrations` list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PlatformSummary {
    pub platform: String,
    pub name: String,
    pub categories: Vec<String>,
    pub auth_kind: AuthKind,
    pub logo_url: String,
    pub action_count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ErrorBody { error: ErrorDetail { code: ErrorCode::TokenExpired, message: "Expired.".into() } };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"error": {"code": "token_expired", "message": "Expired."}})
        );
    }

    pub(crate) fn connection() -> ConnectionView {
        ConnectionView {
            id: "c1".into(),
            key: "test::mock::default::00|u".into(),
            platform: "mock".into(),
            environment: "test".into(),
            identity: Some("u".into()),
            identity_type: Some("user".into()),
            name: "Mock".into(),
            tags: vec![],
            active: true,
            status: ConnectionStatus::Active,
            created_at: 1,
            updated_at: 2,
        }
    }

    #[test]
    fn auth_kind_names_are_serdes() {
        for kind in AuthKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.as_str()));
            assert_eq!(AuthKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AuthKind::parse("carrier_pigeon"), None);
    }

    #[test]
    fn connection_view_uses_camel_case() {
        let view = connection();
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["identityType"], "user");
        assert_eq!(json["createdAt"], 1);
        assert!(json.get("identity_type").is_none());
    }

    #[test]
    fn form_fields_are_required_unless_said_otherwise() {
        let field: FormField = serde_json::from_str(r#"{"name":"apiKey","label":"API key"}"#).unwrap();
        assert!(field.required);
        assert!(!field.secret);
    }
}
