//! [`AppState`]: everything a handler may use, shared by every serving thread (with, per
//! thread, an upstream client and, on PostgreSQL, a database pool of its own).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use portico_catalog::Catalog;

use crate::clock::{Clock, Entropy};
use crate::config::Config;
use crate::store::Store;
use crate::upstream::{self, PrivateAllowList};
use crate::vault::Vault;
use crate::{cache, calls, oauth, ratelimit, store, tenancy};

/// Everything a handler may use. Time and randomness come from here so tests control them.
/// Cloned per request by axum, so it is two `Arc`s: a clone is two atomic increments.
#[derive(Clone)]
pub struct AppState {
    pub(crate) shared: Arc<AppStateInner>,
    /// For passthrough. Each serving thread has its own (see [`Application::run_on_workers`]),
    /// so a call and its pooled upstream connection stay on one core.
    pub passthrough: Arc<upstream::PassthroughClient>,
    /// The database, for handlers. A serving thread may have a pool of its own (see
    /// [`Store::for_worker`]); background tasks use the main one, `AppStateInner::store`.
    pub store: Store,
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.shared
    }
}

/// Secret-key rows (with the stored hash) by the presented key's hash.
pub type KeyCache = cache::TtlCache<[u8; 32], Arc<(store::secret_keys::SecretKeyRow, Vec<u8>)>>;

pub struct AppStateInner {
    pub config: Arc<Config>,
    pub store: Store,
    pub vault: Vault,
    pub catalog: Arc<Catalog>,
    /// For verification requests and token exchanges.
    pub http: reqwest::Client,
    pub private_allow: Arc<PrivateAllowList>,
    /// The catalog's API bases that need no connection settings, parsed once.
    pub api_bases: upstream::FixedBases,
    pub clock: Arc<dyn Clock>,
    pub entropy: Arc<dyn Entropy>,
    pub rate_limiter: Arc<ratelimit::RateLimiter>,
    pub call_log: calls::CallLog,
    /// Secret-key rows by key hash, with the stored hash.
    pub key_cache: Arc<KeyCache>,
    /// When this process last recorded each key's use (`last_used_at` is written once a minute).
    pub key_touches: Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>,
    /// Connection rows by scope and connection key (passthrough's lookups).
    pub connection_cache: Arc<cache::TtlCache<(tenancy::Scope, String), Arc<store::connections::ConnectionRow>>>,
    /// The integrations each scope has turned on (passthrough's and the agent tools' check).
    pub enabled_cache: Arc<cache::TtlCache<tenancy::Scope, Arc<std::collections::BTreeSet<String>>>>,
    /// Single-flight OAuth token refreshes.
    pub refresher: Arc<oauth::refresh::Refresher>,
    pub leptos: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
