//! Short-lived caches that keep the database off passthrough's hot path.
//!
//! Secret-key lookups and connection rows are cached for `PORTICO_CACHE_TTL_MS` (2 s by default;
//! 0 turns caching off). Writes through this process (revoking a key, deleting or re-tagging a
//! connection, refreshing its credentials) invalidate at once; another replica's write is seen
//! within the TTL. Only found rows are cached, never misses, so guessing keys cannot fill memory;
//! the size is bounded and a full cache starts over.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;

const MAX_ENTRIES: usize = 100_000;

pub struct TtlCache<K, V> {
    entries: Mutex<HashMap<K, (V, i64)>>,
    ttl_ms: i64,
    clock: Arc<dyn Clock>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl_ms: i64, clock: Arc<dyn Clock>) -> Self {
        TtlCache { entries: Mutex::new(HashMap::new()), ttl_ms, clock }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        if self.ttl_ms <= 0 {
            return None;
        }
        let now = self.clock.now_ms();
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(_, at)| now - at < self.ttl_ms).map(|(v, _)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        if self.ttl_ms <= 0 {
            return;
        }
        let now = self.clock.now_ms();
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.retain(|_, (_, at)| now - *at < self.ttl_ms);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, (value, now));
        }
    }

    /// Drops one entry.
    pub fn remove(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    /// Drops every entry whose value matches (used where the key is not at hand).
    pub fn remove_where(&self, stale: impl Fn(&V) -> bool) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (v, _)| !stale(v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn entries_expire_and_can_be_dropped() {
        let clock = ManualClock::starting_now();
        let cache: TtlCache<&str, i32> = TtlCache::new(1000, clock.clone());
        cache.put("a", 1);
        assert_eq!(cache.get(&"a"), Some(1));
        clock.advance_ms(999);
        assert_eq!(cache.get(&"a"), Some(1));
        clock.advance_ms(1);
        assert_eq!(cache.get(&"a"), None, "expired");
        cache.put("b", 2);
        cache.remove_where(|v| *v == 2);
        assert_eq!(cache.get(&"b"), None, "invalidated");
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache: TtlCache<&str, i32> = TtlCache::new(0, ManualClock::starting_now());
        cache.put("a", 1);
        assert_eq!(cache.get(&"a"), None);
    }
}
