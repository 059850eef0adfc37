//! Reading the event log back, one page at a time, newest first: what `GET /v1/events` and the
//! dashboard's events page both show. Every row is read back through [`Event`], so only
//! well-formed events leave the server.

use super::Event;
use crate::store::events::EventFilter;
use crate::store::{Store, StoreError};
use crate::tenancy::Scope;

/// One stored event, read back.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    /// The sequence number (pass as `before` to page back).
    pub id: i64,
    pub event_id: Option<String>,
    pub connection_id: Option<String>,
    pub event: Event,
    pub created_at: i64,
}

/// One page of events and where the next (older) one starts.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub rows: Vec<LoggedEvent>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// Up to `limit` of `scope`'s events matching `filter`, older than `before`.
pub async fn read(
    store: &Store,
    scope: &Scope,
    filter: EventFilter<'_>,
    before: Option<i64>,
    limit: i64,
) -> Result<EventPage, StoreError> {
    let rows = store.list_events(scope, filter, before, limit).await?;
    let next_before = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id)).flatten();
    let rows = rows
        .into_iter()
        .map(|row| {
            Ok(LoggedEvent {
                event: Event::from_stored(&row.name, row.data)?,
                id: row.id,
                event_id: row.event_id,
                connection_id: row.connection_id,
                created_at: row.created_at,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(EventPage { rows, next_before })
}
