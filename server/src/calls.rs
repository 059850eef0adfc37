//! The passthrough call log: every call that reached a connection is recorded (platform, action,
//! method, path without query, status, latency, attempts — never a header or a body) for the
//! dashboard's log and `GET /v1/passthrough-calls`.
//!
//! Records go through a bounded channel to a writer that inserts them in batches, so logging never
//! waits on the database inside a call. If the database falls behind and the channel fills,
//! records are dropped and counted rather than slowing passthrough down.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::Json;
use portico_wire::ErrorBody;
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::keys::SecretKeyAuth;
use crate::store::calls::CallRecord;
use crate::store::Store;
use crate::AppState;

const CHANNEL: usize = 10_000;
const BATCH: usize = 500;

#[derive(Clone)]
pub struct CallLog {
    tx: mpsc::Sender<CallRecord>,
    dropped: Arc<AtomicU64>,
}

impl CallLog {
    /// Starts the writer task.
    pub fn spawn(store: Store) -> Self {
        let (tx, mut rx) = mpsc::channel::<CallRecord>(CHANNEL);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                // Let a burst gather into one transaction.
                tokio::time::sleep(Duration::from_millis(20)).await;
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(record) => batch.push(record),
                        Err(_) => break,
                    }
                }
                if let Err(e) = store.insert_calls(&batch).await {
                    tracing::warn!(error = %e, records = batch.len(), "could not write the passthrough call log");
                }
                batch.clear();
            }
        });
        CallLog { tx, dropped: Arc::new(AtomicU64::new(0)) }
    }

    pub fn record(&self, record: CallRecord) {
        if self.tx.try_send(record).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "the passthrough call log is falling behind; records dropped");
            }
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_calls))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CallView {
    id: i64,
    connection_id: String,
    platform: String,
    action_id: Option<String>,
    method: String,
    path: String,
    status: i64,
    error_code: Option<String>,
    attempts: i64,
    latency_ms: i64,
    created_at: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CallList {
    #[serde(rename = "type")]
    kind: &'static str,
    rows: Vec<CallView>,
}

/// Recent passthrough calls, newest first.
#[utoipa::path(get, path = "/v1/passthrough-calls", tag = "Passthrough",
    operation_id = "list_passthrough_calls",
    security(("secret_key" = [])),
    params(
        ("connectionId" = Option<String>, Query, description = "Only this connection's calls"),
        ("before" = Option<i64>, Query, description = "Only calls older than this call id, for paging"),
        ("limit" = Option<i64>, Query, description = "1 to 200, default 50"),
    ),
    responses((status = 200, body = CallList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_calls(
    State(state): State<AppState>,
    auth: SecretKeyAuth,
    Query(query): Query<BTreeMap<String, String>>,
) -> ApiResult<Json<CallList>> {
    let number = |name: &str, min: i64, max: i64| -> ApiResult<Option<i64>> {
        query
            .get(name)
            .map(|v| {
                v.parse::<i64>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                    ApiError::unprocessable("invalid_query", format!("`{name}` must be a whole number from {min} to {max}."))
                })
            })
            .transpose()
    };
    let limit = number("limit", 1, 200)?.unwrap_or(50);
    let before = number("before", 0, i64::MAX)?;
    let rows = state
        .store
        .list_calls(&auth.scope, query.get("connectionId").map(String::as_str), before, limit)
        .await?;
    Ok(Json(CallList {
        kind: "Passthrough Calls",
        rows: rows
            .into_iter()
            .map(|r| CallView {
                id: r.id,
                connection_id: r.connection_id,
                platform: r.platform,
                action_id: r.action_id,
                method: r.method,
                path: r.path,
                status: r.status,
                error_code: r.error_code,
                attempts: r.attempts,
                latency_ms: r.latency_ms,
                created_at: r.created_at,
            })
            .collect(),
    }))
}
