//! The passthrough call log: every call that reached a connection is recorded (platform, action,
//! method, path without query, status, latency, attempts — never a header or a body) for the
//! dashboard's log and `GET /v1/passthrough-calls`.
//!
//! Records go through a bounded channel to a writer that inserts them in batches, so logging never
//! waits on the database inside a call. If the database falls behind and the channel fills,
//! records are dropped and counted rather than slowing passthrough down. A server that stops
//! gracefully flushes the log first ([`CallLog::flush`]), so a restart loses no records.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::Json;
use portico_wire::ErrorBody;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::keys::SecretKeyAuth;
use crate::query::whole_number;
use crate::store::calls::CallRecord;
use crate::store::Store;
use crate::AppState;

const CHANNEL: usize = 10_000;
const BATCH: usize = 500;

/// What the writer receives: a call to record, or a request to write what it holds now.
#[allow(
    clippy::large_enum_variant,
    reason = "a boxed record would cost an allocation per call; an entry is moved once, into the channel"
)]
enum Entry {
    Call(CallRecord),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct CallLog {
    tx: mpsc::Sender<Entry>,
    dropped: Arc<AtomicU64>,
}

impl CallLog {
    /// Starts the writer task.
    pub fn spawn(store: Store) -> Self {
        let (tx, mut rx) = mpsc::channel::<Entry>(CHANNEL);
        tokio::spawn(async move {
            let mut received = Vec::with_capacity(BATCH);
            let mut batch = Vec::with_capacity(BATCH);
            let mut flushed = Vec::new();
            while rx.recv_many(&mut received, BATCH).await > 0 {
                // Let a burst gather into one transaction, unless someone waits for the write.
                if !received.iter().any(|e| matches!(e, Entry::Flush(_))) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    while received.len() < BATCH {
                        match rx.try_recv() {
                            Ok(entry) => received.push(entry),
                            Err(_) => break,
                        }
                    }
                }
                for entry in received.drain(..) {
                    match entry {
                        Entry::Call(record) => batch.push(record),
                        Entry::Flush(done) => flushed.push(done),
                    }
                }
                if !batch.is_empty() {
                    if let Err(e) = store.insert_calls(&batch).await {
                        tracing::warn!(error = %e, records = batch.len(), "could not write the passthrough call log");
                    }
                    batch.clear();
                }
                for done in flushed.drain(..) {
                    let _ = done.send(());
                }
            }
        });
        CallLog { tx, dropped: Arc::new(AtomicU64::new(0)) }
    }

    pub fn record(&self, record: CallRecord) {
        if self.tx.try_send(Entry::Call(record)).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(dropped, "the passthrough call log is falling behind; records dropped");
            }
        }
    }

    /// Waits until every call recorded before this one is written (or its write failed): a
    /// server that stops calls it so a graceful shutdown loses no records.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(Entry::Flush(done)).await.is_ok() {
            let _ = written.await;
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
    let limit = whole_number(&query, "limit", 1, 200)?.unwrap_or(50);
    let before = whole_number(&query, "before", 0, i64::MAX)?;
    let rows =
        state.store.list_calls(&auth.scope, query.get("connectionId").map(String::as_str), before, limit).await?;
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
