//! `GET /v1/events`: what happened in this environment — to its connections
//! (`connection.created`, `.deleted`, `.refresh_failed`, `.reauthorized`), its settings and its
//! secret keys (`key.created`, `key.revoked`) — newest first, read by [`super::log`]. Events
//! never carry secrets.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::Json;
use portico_wire::{ErrorBody, ErrorCode};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::events::log::LoggedEvent;
use crate::keys::SecretKeyAuth;
use crate::query::whole_number;
use crate::store::events::EventFilter;
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
        ("name" = Option<String>, Query, description = "Only events of this name, e.g. key.revoked"),
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
    let name = query.get("name").map(String::as_str).filter(|c| !c.is_empty());
    if let Some(name) = name {
        if !super::EVENT_NAMES.contains(&name) {
            let names = super::EVENT_NAMES.join(", ");
            return Err(ApiError::unprocessable(ErrorCode::InvalidQuery, format!("`name` must be one of {names}.")));
        }
    }
    let page = super::log::read(&state.store, &auth.scope, EventFilter { connection_id, name }, before, limit).await?;
    Ok(Json(EventList {
        kind: "Events",
        rows: page.rows.into_iter().map(view).collect(),
        next_before: page.next_before,
    }))
}

fn view(logged: LoggedEvent) -> EventView {
    EventView {
        id: logged.id,
        event_id: logged.event_id,
        name: logged.event.name().to_string(),
        connection_id: logged.connection_id,
        data: logged.event.data(),
        created_at: logged.created_at,
    }
}
