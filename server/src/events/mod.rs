//! What happened to connections, as typed [`Event`]s: built here from the connection (never from
//! its credentials), recorded by [`record`] in the same transaction as the change they describe
//! (see [`crate::lifecycle`]), and listed by `GET /v1/events` ([`api`]).
//!
//! Each stored event has a public id (`evt_…`), a time and a sequence number (the row id, rising),
//! which is what an outbox delivering signed webhooks needs.

pub mod api;
pub mod log;

use portico_wire::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::store::connections::ConnectionRow;
use crate::store::events::NewEvent;
use crate::store::StoreError;
use crate::tenancy::Scope;

/// The connection an event is about, as hosts may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRef {
    pub connection_id: String,
    pub connection_key: String,
    pub platform: String,
    #[serde(default)]
    pub identity: Option<String>,
    #[serde(default)]
    pub identity_type: Option<String>,
}

impl ConnectionRef {
    pub fn of(row: &ConnectionRow) -> Self {
        ConnectionRef {
            connection_id: row.id.clone(),
            connection_key: row.connection_key.clone(),
            platform: row.platform.clone(),
            identity: row.identity.clone(),
            identity_type: row.identity_type.clone(),
        }
    }
}

/// A change an operator made to a workspace's settings, and who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingChange {
    pub platform: String,
    pub operator_id: String,
    pub operator_email: String,
}

/// Who made a change: an operator in the dashboard, a secret key through the API, or the
/// command line (`portico key …`, `portico workspace create`, `portico demo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum Actor {
    Operator { operator_id: String, operator_email: String },
    SecretKey { key_id: String },
    CommandLine,
}

/// A secret key that was created or revoked (never the key: its display prefix), and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyChange {
    pub key_id: String,
    pub display_prefix: String,
    #[serde(default)]
    pub label: Option<String>,
    pub by: Actor,
}

/// Everything Portico records. The JSON is `{"name": "connection.created", "data": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "data")]
pub enum Event {
    #[serde(rename = "connection.created")]
    ConnectionCreated(ConnectionRef),
    /// The user signed in again and the connection got a fresh grant, under the same key.
    #[serde(rename = "connection.reauthorized")]
    ConnectionReauthorized(ConnectionRef),
    #[serde(rename = "connection.refresh_failed", rename_all = "camelCase")]
    ConnectionRefreshFailed {
        #[serde(flatten)]
        connection: ConnectionRef,
        reason: ErrorCode,
        /// Failures in a row so far.
        failures: i64,
        /// Whether the connection now needs its user.
        needs_reauth: bool,
    },
    #[serde(rename = "connection.deleted", rename_all = "camelCase")]
    ConnectionDeleted {
        #[serde(flatten)]
        connection: ConnectionRef,
        /// Whether the provider confirmed it revoked the grant.
        revoked_at_provider: bool,
        /// Who deleted it (absent on events recorded before this was kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<Actor>,
    },
    /// An operator offered a platform in the modal.
    #[serde(rename = "integration.enabled")]
    IntegrationEnabled(SettingChange),
    /// An operator stopped offering a platform in the modal.
    #[serde(rename = "integration.disabled")]
    IntegrationDisabled(SettingChange),
    /// An operator saved a platform's OAuth app (never its secret).
    #[serde(rename = "oauth_app.updated")]
    OAuthAppUpdated(SettingChange),
    #[serde(rename = "key.created")]
    KeyCreated(KeyChange),
    #[serde(rename = "key.revoked")]
    KeyRevoked(KeyChange),
}

/// Every event name, for filters.
pub const EVENT_NAMES: &[&str] = &[
    "connection.created",
    "connection.reauthorized",
    "connection.refresh_failed",
    "connection.deleted",
    "integration.enabled",
    "integration.disabled",
    "oauth_app.updated",
    "key.created",
    "key.revoked",
];

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::ConnectionCreated(_) => "connection.created",
            Event::ConnectionReauthorized(_) => "connection.reauthorized",
            Event::ConnectionRefreshFailed { .. } => "connection.refresh_failed",
            Event::ConnectionDeleted { .. } => "connection.deleted",
            Event::IntegrationEnabled(_) => "integration.enabled",
            Event::IntegrationDisabled(_) => "integration.disabled",
            Event::OAuthAppUpdated(_) => "oauth_app.updated",
            Event::KeyCreated(_) => "key.created",
            Event::KeyRevoked(_) => "key.revoked",
        }
    }

    /// The connection the event is about; `None` for settings changes.
    pub fn connection(&self) -> Option<&ConnectionRef> {
        match self {
            Event::ConnectionCreated(c) | Event::ConnectionReauthorized(c) => Some(c),
            Event::ConnectionRefreshFailed { connection, .. } | Event::ConnectionDeleted { connection, .. } => {
                Some(connection)
            }
            Event::IntegrationEnabled(_)
            | Event::IntegrationDisabled(_)
            | Event::OAuthAppUpdated(_)
            | Event::KeyCreated(_)
            | Event::KeyRevoked(_) => None,
        }
    }

    /// The settings change the event records, if it is one.
    pub fn setting_change(&self) -> Option<&SettingChange> {
        match self {
            Event::IntegrationEnabled(c) | Event::IntegrationDisabled(c) | Event::OAuthAppUpdated(c) => Some(c),
            _ => None,
        }
    }

    /// The secret key the event is about, if it is a key event.
    pub fn key_change(&self) -> Option<&KeyChange> {
        match self {
            Event::KeyCreated(k) | Event::KeyRevoked(k) => Some(k),
            _ => None,
        }
    }

    /// The event's payload (`data`).
    pub fn data(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(mut v) => v["data"].take(),
            Err(_) => serde_json::Value::Null,
        }
    }

    /// Reads a stored event back.
    pub fn from_stored(name: &str, data: serde_json::Value) -> Result<Self, StoreError> {
        serde_json::from_value(serde_json::json!({ "name": name, "data": data }))
            .map_err(|e| StoreError::Corrupt(format!("event {name}: {e}")))
    }
}

/// Records `event` inside the caller's transaction, so it exists exactly when the change does.
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    event: &Event,
    event_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    let new = NewEvent {
        event_id,
        name: event.name(),
        connection_id: event.connection().map(|c| c.connection_id.as_str()),
        data: event.data(),
        created_at: now,
    };
    crate::store::events::insert(conn, scope, &new).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn connection() -> ConnectionRef {
        ConnectionRef {
            connection_id: "conn_1".into(),
            connection_key: "test::mock::default::00|u".into(),
            platform: "mock".into(),
            identity: Some("u".into()),
            identity_type: Some("user".into()),
        }
    }

    #[test]
    fn payloads_keep_their_published_shape() {
        let deleted = Event::ConnectionDeleted { connection: connection(), revoked_at_provider: true, by: None };
        assert_eq!(deleted.name(), "connection.deleted");
        assert_eq!(
            deleted.data(),
            json!({"connectionId": "conn_1", "connectionKey": "test::mock::default::00|u", "platform": "mock",
                   "identity": "u", "identityType": "user", "revokedAtProvider": true})
        );
        let failed = Event::ConnectionRefreshFailed {
            connection: connection(),
            reason: ErrorCode::InvalidGrant,
            failures: 2,
            needs_reauth: true,
        };
        assert_eq!(failed.data()["reason"], "invalid_grant");
        assert_eq!(failed.data()["needsReauth"], true);
        assert_eq!(Event::ConnectionCreated(connection()).data()["connectionId"], "conn_1");
    }

    #[test]
    fn stored_events_read_back_including_older_payloads() {
        for event in [
            Event::ConnectionCreated(connection()),
            Event::ConnectionReauthorized(connection()),
            Event::ConnectionDeleted { connection: connection(), revoked_at_provider: false, by: None },
            Event::ConnectionDeleted {
                connection: connection(),
                revoked_at_provider: false,
                by: Some(Actor::SecretKey { key_id: "key_1".into() }),
            },
        ] {
            assert_eq!(Event::from_stored(event.name(), event.data()).unwrap(), event);
        }
        // Refresh failures recorded before identities were added to their payload.
        let old = json!({"connectionId": "c", "connectionKey": "k", "platform": "p", "reason": "provider_error",
                         "failures": 1, "needsReauth": false});
        assert!(Event::from_stored("connection.refresh_failed", old).is_ok());
        assert!(Event::from_stored("connection.teleported", json!({})).is_err());
        let change =
            SettingChange { platform: "mock".into(), operator_id: "op_1".into(), operator_email: "a@b.co".into() };
        let enabled = Event::IntegrationEnabled(change);
        assert_eq!(enabled.data(), json!({"platform": "mock", "operatorId": "op_1", "operatorEmail": "a@b.co"}));
        assert_eq!(Event::from_stored(enabled.name(), enabled.data()).unwrap(), enabled);
        assert!(enabled.connection().is_none());
    }

    #[test]
    fn key_events_name_who_did_it_and_never_the_key() {
        let by = Actor::Operator { operator_id: "op_1".into(), operator_email: "a@b.co".into() };
        let created = Event::KeyCreated(KeyChange {
            key_id: "key_1".into(),
            display_prefix: "sk_test_abcd…".into(),
            label: None,
            by,
        });
        assert_eq!(created.name(), "key.created");
        assert_eq!(
            created.data(),
            json!({"keyId": "key_1", "displayPrefix": "sk_test_abcd…", "label": null,
                   "by": {"kind": "operator", "operatorId": "op_1", "operatorEmail": "a@b.co"}})
        );
        assert_eq!(Event::from_stored(created.name(), created.data()).unwrap(), created);
        let revoked = Event::KeyRevoked(KeyChange {
            key_id: "key_1".into(),
            display_prefix: "sk_test_abcd…".into(),
            label: Some("ci".into()),
            by: Actor::CommandLine,
        });
        assert_eq!(revoked.data()["by"], json!({"kind": "command_line"}));
        assert_eq!(Event::from_stored(revoked.name(), revoked.data()).unwrap(), revoked);
        assert!(EVENT_NAMES.contains(&created.name()) && EVENT_NAMES.contains(&revoked.name()));
    }
}
