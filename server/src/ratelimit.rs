//! Rate limits that hold across replicas without a database write per request.
//!
//! Fixed one-minute windows per bucket (`key:<id>`, `conn:<id>`, `mint:<key id>`,
//! `form:<token id>`). Each replica decides locally from the last global count it learned plus what
//! it counted since, and every 250 ms adds its new counts to a shared row in the database and reads
//! the total back; a bucket new to a replica in a window starts from the shared count. Across
//! replicas a bucket can overshoot by what the others admitted since their last sync (≤ 250 ms of
//! traffic); within one replica it is exact.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Clock;
use crate::store::Store;

pub const WINDOW_MS: i64 = 60_000;
pub const SYNC_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Default)]
struct Bucket {
    window: i64,
    /// Counted by this replica in this window.
    local: i64,
    /// The part of `local` already added to the shared counter.
    synced: i64,
    /// The shared counter's total when last read (includes `synced`).
    global: i64,
}

impl Bucket {
    fn estimate(&self) -> i64 {
        self.global.max(self.synced) + (self.local - self.synced)
    }
}

/// One limit to check: at most `per_minute` in `bucket` (0 = unlimited).
#[derive(Debug, Clone)]
pub struct Limit {
    pub bucket: String,
    pub per_minute: u64,
}

/// A refusal, with when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceeded {
    pub retry_after_secs: u64,
}

pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
    store: Store,
    clock: Arc<dyn Clock>,
}

impl RateLimiter {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(RateLimiter { buckets: Mutex::new(HashMap::new()), store, clock })
    }

    /// Admits one request against every limit, or none: a request refused by one bucket is not
    /// counted in the others. The first time this replica meets a bucket in a window it reads the
    /// shared count (one query per bucket per minute), so what other replicas admitted counts.
    /// That query runs on `store`, the caller's (a serving thread's own pool, see
    /// [`Store::for_worker`]).
    pub async fn check(&self, store: &Store, limits: &[Limit]) -> Result<(), Exceeded> {
        let now = self.clock.now_ms();
        let window = now.div_euclid(WINDOW_MS);
        let unseen: Vec<&str> = match self.buckets.lock() {
            Ok(buckets) => limits
                .iter()
                .filter(|l| l.per_minute > 0)
                .filter(|l| buckets.get(&l.bucket).is_none_or(|b| b.window != window))
                .map(|l| l.bucket.as_str())
                .collect(),
            Err(_) => return Ok(()), // a poisoned lock must not take passthrough down
        };
        for name in unseen {
            let global = match Box::pin(store.add_to_rate_counter(name, window * WINDOW_MS, 0)).await {
                Ok(total) => total,
                Err(e) => {
                    tracing::warn!(error = %e, "rate-limit read failed; deciding locally");
                    0
                }
            };
            if let Ok(mut buckets) = self.buckets.lock() {
                let bucket = buckets.entry(name.to_string()).or_default();
                if bucket.window != window {
                    *bucket = Bucket { window, global, ..Bucket::default() };
                }
            }
        }
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        for limit in limits.iter().filter(|l| l.per_minute > 0) {
            let bucket = buckets.entry(limit.bucket.clone()).or_default();
            if bucket.window != window {
                *bucket = Bucket { window, ..Bucket::default() };
            }
            if bucket.estimate() >= limit.per_minute as i64 {
                let window_end = (window + 1) * WINDOW_MS;
                let retry_after_secs = ((window_end - now) as u64).div_ceil(1000).max(1);
                return Err(Exceeded { retry_after_secs });
            }
        }
        for limit in limits.iter().filter(|l| l.per_minute > 0) {
            if let Some(bucket) = buckets.get_mut(&limit.bucket) {
                bucket.local += 1;
            }
        }
        Ok(())
    }

    /// Adds this replica's new counts to the shared counters and learns the totals.
    pub async fn sync(&self) {
        let window = self.clock.now_ms().div_euclid(WINDOW_MS);
        let pending: Vec<(String, i64, i64)> = match self.buckets.lock() {
            Ok(mut buckets) => {
                buckets.retain(|_, b| b.window == window);
                buckets.iter().map(|(name, b)| (name.clone(), b.window, b.local - b.synced)).collect()
            }
            Err(_) => return,
        };
        for (name, bucket_window, delta) in pending {
            let total = match self.store.add_to_rate_counter(&name, bucket_window * WINDOW_MS, delta).await {
                Ok(total) => total,
                Err(e) => {
                    tracing::warn!(error = %e, "rate-limit sync failed; deciding locally until it recovers");
                    return;
                }
            };
            if let Ok(mut buckets) = self.buckets.lock() {
                if let Some(b) = buckets.get_mut(&name).filter(|b| b.window == bucket_window) {
                    b.synced += delta;
                    b.global = total;
                }
            }
        }
    }

    /// Forgets shared counters of windows long gone.
    pub async fn prune(&self) {
        let window = self.clock.now_ms().div_euclid(WINDOW_MS);
        if let Err(e) = self.store.delete_rate_counters_before((window - 2) * WINDOW_MS).await {
            tracing::warn!(error = %e, "pruning rate counters failed");
        }
    }

    /// Syncs every 250 ms and prunes every minute, until the runtime stops.
    pub fn spawn_sync(limiter: Arc<Self>) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SYNC_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut n: u64 = 0;
            loop {
                tick.tick().await;
                limiter.sync().await;
                n += 1;
                if n.is_multiple_of(240) {
                    limiter.prune().await;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_estimates_from_the_global_count_and_its_unsynced_part() {
        let b = Bucket { window: 1, local: 5, synced: 3, global: 10 };
        assert_eq!(b.estimate(), 12);
        let fresh = Bucket { window: 1, local: 2, synced: 0, global: 0 };
        assert_eq!(fresh.estimate(), 2);
    }
}
