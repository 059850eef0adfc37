//! `GET /v1/events`: what happened to this environment's connections (`connection.created`,
//! `connection.deleted`, `connection.refresh_failed`, `connection.reauthorized`), newest first.
//! Events never carry secrets.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::Json;
use portico_wire::ErrorBody;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::events::Event;
use crate::keys::SecretKeyAuth;
use crate::query::whole_number;
use crate::store::events::EventRow;
use crate::store::StoreError;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct EventView {
    /// The sequence number (pass as `before` to page back).
    id: i64,
    /// The event's public id, `evt_…` (absent on events recorded before it existed).
    event_id: Option<String>,
    name: String,
    connection_id: Option<String>,
    #[schema(value_type = Object)]
    data: serde_json::Value,
    created_at: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct EventList {
    #[serde(rename = "type")]
    kind: &'static str,
    rows: Vec<EventView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    next_before: Option<i64>,
}

/// List events, newest first.
#[utoipa::path(get, path = "/v1/events", tag = "Events",
    operation_id = "list_events",
    security(("secret_key" = [])),
    params(
        ("connectionId" = Option<String>, Query, description = "Only this connection's events"),
        ("before" = Option<i64>, Query, description = "Events older than this id"),
        ("limit" = Option<i64>, Query, description = "1 to 100, default 50"),
    ),
    responses((status = 200, body = EventList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(workspace = %auth.scope.workspace_id))]
async fn list_events(
    State(state): State<AppState>,
    auth: SecretKeyAuth,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<EventList>> {
    let limit = whole_number(&query, "limit", 1, 100)?.unwrap_or(50);
    let before = whole_number(&query, "before", 1, i64::MAX)?;
    let connection_id = query.get("connectionId").map(String::as_str).filter(|c| !c.is_empty());
    let rows = state.store.list_events(&auth.scope, connection_id, before, limit).await?;
    let next_before = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id)).flatten();
    Ok(Json(EventList { kind: "Events", rows: rows.into_iter().map(view).collect::<Result<_, _>>()?, next_before }))
}

/// An event as listed, read back through [`Event`] so only well-formed events leave the server.
fn view(row: EventRow) -> Result<EventView, StoreError> {
    let event = Event::from_stored(&row.name, row.data)?;
    Ok(EventView {
        id: row.id,
        event_id: row.event_id,
        name: event.name().to_string(),
        connection_id: row.connection_id,
        data: event.data(),
        created_at: row.created_at,
    })
}
