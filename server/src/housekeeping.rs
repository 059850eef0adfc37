//! Background upkeep: every [`PRUNE_EVERY`], expired tokens, links, attempts, sessions and
//! lock-out windows are deleted ([`crate::store::prune`]). Each replica runs it; the deletes are
//! idempotent, so replicas racing do no harm.

use std::time::Duration;

use crate::operators::sessions::IDLE_MS;
use crate::AppState;

pub const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// One pass, logged when it deleted anything.
pub async fn prune_once(state: &AppState) {
    match state.store.prune_expired(state.clock.now_ms(), IDLE_MS).await {
        Ok(pruned) if pruned.total() > 0 => tracing::info!(?pruned, "expired rows pruned"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not prune expired rows"),
    }
}

/// Runs [`prune_once`] on a schedule until the process ends (the first pass soon after start).
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PRUNE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            prune_once(&state).await;
        }
    });
}
