//! The events page's server side: the environment's log as [`crate::events::log`] reads it for
//! `GET /v1/events`, each event put in words — what it is about and who or what did it.

use portico_app::api::{DashboardError, Environment as DashEnv, EventLine, EventQuery, EventRows, EVENTS_PAGE_SIZE};

use super::backend::{environment, invalid, unavailable, OperatorBackend};
use crate::events::log::{self, LoggedEvent};
use crate::events::{Actor, ConnectionRef, Event, EVENT_NAMES};
use crate::store::events::EventFilter;

/// Who did something, in words.
pub(super) fn actor_words(actor: &Actor) -> String {
    match actor {
        Actor::Operator { operator_email, .. } => operator_email.clone(),
        Actor::SecretKey { key_id } => format!("secret key {key_id}"),
        Actor::CommandLine => "the command line".into(),
    }
}

fn connection_words(c: &ConnectionRef) -> String {
    format!("{} for {}", c.platform, c.identity.as_deref().unwrap_or("(no identity)"))
}

fn end_user(c: &ConnectionRef) -> String {
    format!("end user {}", c.identity.as_deref().unwrap_or("(no identity)"))
}

/// What an event is about, and who or what did it.
fn describe(event: &Event) -> (String, String) {
    match event {
        Event::ConnectionCreated(c) | Event::ConnectionReauthorized(c) => (connection_words(c), end_user(c)),
        Event::ConnectionRefreshFailed { connection, reason, failures, needs_reauth } => {
            let mut subject = format!("{}: {reason}, failure {failures} in a row", connection_words(connection));
            if *needs_reauth {
                subject.push_str("; needs its user to reconnect");
            }
            (subject, "Portico (token refresh)".into())
        }
        Event::ConnectionDeleted { connection, revoked_at_provider, by } => {
            let mut subject = connection_words(connection);
            if *revoked_at_provider {
                subject.push_str("; grant revoked at the provider");
            }
            (subject, by.as_ref().map_or_else(|| "not recorded".into(), actor_words))
        }
        Event::IntegrationEnabled(c) | Event::IntegrationDisabled(c) | Event::OAuthAppUpdated(c) => {
            (c.platform.clone(), c.operator_email.clone())
        }
        Event::KeyCreated(k) | Event::KeyRevoked(k) => {
            let subject = match &k.label {
                Some(label) => format!("{} ({label})", k.display_prefix),
                None => k.display_prefix.clone(),
            };
            (subject, actor_words(&k.by))
        }
    }
}

pub(super) fn line(logged: LoggedEvent) -> EventLine {
    let (subject, by) = describe(&logged.event);
    EventLine {
        id: logged.id,
        at_ms: logged.created_at,
        name: logged.event.name().to_string(),
        subject,
        by,
        connection_id: logged.connection_id,
    }
}

impl OperatorBackend {
    pub(super) async fn list_events_inner(
        &self,
        workspace: String,
        env: DashEnv,
        query: EventQuery,
    ) -> Result<EventRows, DashboardError> {
        let handle = self.handle(&workspace).await?;
        let name = Some(query.name.as_str()).filter(|n| !n.is_empty());
        if name.is_some_and(|n| !EVENT_NAMES.contains(&n)) {
            return Err(invalid("name", format!("There are no events named {}.", query.name)));
        }
        let connection_id = Some(query.connection_id.as_str()).filter(|c| !c.is_empty());
        let filter = EventFilter { connection_id, name };
        let scope = handle.scope(environment(env));
        let before = query.before.filter(|b| *b > 0);
        let page = log::read(&self.state.store, &scope, filter, before, EVENTS_PAGE_SIZE).await.map_err(unavailable)?;
        Ok(EventRows {
            rows: page.rows.into_iter().map(line).collect(),
            next_before: page.next_before,
            names: EVENT_NAMES.iter().map(|n| n.to_string()).collect(),
        })
    }
}
