//! Codes, statuses and modes that cross a boundary (server ↔ modal ↔ dashboard ↔ host). Each is
//! an enum here, so the server and the browser bundles match on variants, never on strings.

use serde::{Deserialize, Serialize};

/// Declares a string-valued enum: serde names, `as_str`, `Display`, and an unknown-value fallback
/// so a newer peer's value never breaks a whole message.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }
        fallback $fallback:ident = $fallback_text:literal
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)*
            /// A value this build does not know (sent by a newer or foreign peer).
            #[serde(other, rename = $fallback_text)]
            $fallback,
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                    $name::$fallback => $fallback_text,
                }
            }

            /// The variant named `text`, or the fallback.
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)*
                    _ => $name::$fallback,
                }
            }
        }

        /// The values as sent (a derived schema would name the Rust variants: utoipa does not
        /// read a `rename` that comes through a macro), without the fallback, which is never sent.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text,)*]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// Every error code Portico's API, the modal and the loader report (`{"error":{"code",…}}`,
    /// `onError({code, message})`). Stable: hosts branch on them.
    ErrorCode {
        // Requests and their bodies.
        InvalidJson = "invalid_json",
        InvalidRequest = "invalid_request",
        InvalidBody = "invalid_body",
        UnsupportedMediaType = "unsupported_media_type",
        InvalidQuery = "invalid_query",
        InvalidIdentity = "invalid_identity",
        InvalidIdentityType = "invalid_identity_type",
        InvalidAllowedIntegrations = "invalid_allowed_integrations",
        InvalidTags = "invalid_tags",
        InvalidFields = "invalid_fields",
        InvalidMode = "invalid_mode",
        InvalidReturnTo = "invalid_return_to",
        InvalidPath = "invalid_path",
        InvalidConnectionKey = "invalid_connection_key",
        InvalidRetries = "invalid_retries",
        UnknownAction = "unknown_action",
        ActionMismatch = "action_mismatch",
        NotFound = "not_found",
        ConnectionNotFound = "connection_not_found",
        IntegrationNotFound = "integration_not_found",
        PlatformUnavailable = "platform_unavailable",
        IntegrationDisabled = "integration_disabled",
        MissingConnectionKey = "missing_connection_key",
        ConnectionInactive = "connection_inactive",
        RetryBodyTooLarge = "retry_body_too_large",
        MethodNotAllowed = "method_not_allowed",
        // Authentication.
        MissingSecretKey = "missing_secret_key",
        InvalidSecretKey = "invalid_secret_key",
        MissingToken = "missing_token",
        InvalidToken = "invalid_token",
        TokenExpired = "token_expired",
        TokenRevoked = "token_revoked",
        InvalidLink = "invalid_link",
        LinkUsed = "link_used",
        OriginNotAllowed = "origin_not_allowed",
        RateLimited = "rate_limited",
        // Connecting.
        InvalidCredentials = "invalid_credentials",
        OauthRequired = "oauth_required",
        NotOauth = "not_oauth",
        OauthAppMissing = "oauth_app_missing",
        AccessDenied = "access_denied",
        InvalidClient = "invalid_client",
        InvalidGrant = "invalid_grant",
        TokenExchangeFailed = "token_exchange_failed",
        StateExpired = "state_expired",
        StateUsed = "state_used",
        StateInvalid = "state_invalid",
        IssuerMismatch = "issuer_mismatch",
        Unsupported = "unsupported",
        OauthFailed = "oauth_failed",
        // Connections in use.
        NeedsReauth = "needs_reauth",
        RefreshFailed = "refresh_failed",
        // Providers and upstreams.
        ProviderError = "provider_error",
        ProviderUnreachable = "provider_unreachable",
        UpstreamUnreachable = "upstream_unreachable",
        UpstreamForbidden = "upstream_forbidden",
        UpstreamTimeout = "upstream_timeout",
        // Portico itself.
        NotReady = "not_ready",
        InternalError = "internal_error",
        // Reported by the modal and the loader in the browser.
        NetworkError = "network_error",
        ServerError = "server_error",
        BadResponse = "bad_response",
        BadRequest = "bad_request",
        TokenMissing = "token_missing",
        TokenRequestFailed = "token_request_failed",
        ModalMisconfigured = "modal_misconfigured",
        ModalUnavailable = "modal_unavailable",
        NavigationRefused = "navigation_refused",
        PopupBlocked = "popup_blocked",
        PopupClosed = "popup_closed",
        RedirectUnavailable = "redirect_unavailable",
        RedirectFailed = "redirect_failed",
        AttemptNotFound = "attempt_not_found",
        OauthIncomplete = "oauth_incomplete",
    }
    fallback Unknown = "error"
}

impl ErrorCode {
    /// The session token can no longer be used: nothing in the modal can work any more.
    pub fn ends_session(self) -> bool {
        matches!(
            self,
            ErrorCode::TokenExpired | ErrorCode::InvalidToken | ErrorCode::TokenRevoked | ErrorCode::TokenMissing
        )
    }

    /// Worth asking again in a moment.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::NetworkError | ErrorCode::ServerError | ErrorCode::RateLimited | ErrorCode::InternalError
        )
    }
}

string_enum! {
    /// Whether a connection can be used.
    #[derive(Default)]
    ConnectionStatus {
        #[default]
        Active = "active",
        /// The provider no longer honours the grant: only the user can fix it by reconnecting.
        NeedsReauth = "needs_reauth",
    }
    fallback Unknown = "unknown"
}

string_enum! {
    /// Where an OAuth sign-in happens: a pop-up from the user's click, or the host's whole tab.
    #[derive(Default)]
    AuthWindow {
        #[default]
        Popup = "popup",
        Redirect = "redirect",
    }
    fallback Unknown = "unknown"
}

string_enum! {
    /// The modal's colours (`Portico.create({theme})`): `system` follows `prefers-color-scheme`.
    #[derive(Default)]
    Theme {
        Light = "light",
        Dark = "dark",
        #[default]
        System = "system",
    }
    fallback Unknown = "unknown"
}

string_enum! {
    /// Where an OAuth sign-in attempt stands, as the modal sees it.
    AttemptStatus {
        /// Created; the sign-in window has not opened it yet.
        Pending = "pending",
        /// At the provider.
        Started = "started",
        Succeeded = "succeeded",
        Failed = "failed",
    }
    fallback Unknown = "unknown"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_snake_case_names() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::Value::String(code.as_str().into()));
            assert_eq!(ErrorCode::parse(code.as_str()), *code);
            let back: ErrorCode = serde_json::from_value(serde_json::json!(code.as_str())).unwrap();
            assert_eq!(back, *code);
        }
    }

    #[test]
    fn an_unknown_code_is_read_not_refused() {
        let code: ErrorCode = serde_json::from_str("\"some_future_code\"").unwrap();
        assert_eq!(code, ErrorCode::Unknown);
        let status: ConnectionStatus = serde_json::from_str("\"paused\"").unwrap();
        assert_eq!(status, ConnectionStatus::Unknown);
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
        }
    }
}
