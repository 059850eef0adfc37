//! Serving from one single-threaded runtime per core ([`Application::run_on_workers`]), each with
//! a listening socket of its own on the shared port.

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::routes::build_router;
use crate::startup::{bind_listener, flush_call_log, Application, StartupError};
use crate::state::AppState;
use crate::store::{self, Store};

impl Application {
    /// Serves on `config.workers` threads until `shutdown` resolves, the way nginx's workers do:
    /// each thread runs a single-threaded runtime with a listening socket of its own on the same
    /// port (`SO_REUSEPORT`: the kernel spreads new connections evenly across them) and a
    /// passthrough client of its own, and serves its connections to the end. A passthrough call,
    /// its pooled upstream connection and the answer then stay on one core; on a work-stealing
    /// runtime they hop between cores, which costs more CPU per call than the call's own work.
    ///
    /// On PostgreSQL each thread also has a database pool of its own ([`Store::for_worker`]),
    /// closed when the thread ends: a connection's socket belongs to the runtime that opened it.
    /// Background work (the call log's writer, the refresh sweep, rate-limit syncing) stays on the
    /// runtime that built the application, with the main pool; that runtime must outlive this
    /// call. With one worker (or off Unix) this is [`Application::run_until`] on the caller's
    /// runtime.
    pub async fn run_on_workers(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let addr = self.local_addr();
        let listen_error = move |source| StartupError::Listen { addr, source };
        let workers = self.state.config.workers;
        if workers <= 1 || cfg!(not(unix)) {
            return self.run_until(shutdown).await.map_err(listen_error);
        }
        let (stop, stopped) = tokio::sync::watch::channel(false);
        // A worker that fails stops the others, as the shutdown signal does.
        let (failed, mut failure) = tokio::sync::mpsc::unbounded_channel::<StartupError>();
        let mut first_listener = Some(self.listener.into_std().map_err(listen_error)?);
        let mut threads = Vec::with_capacity(workers);
        for index in 0..workers {
            let listener = first_listener.take();
            let state = self.state.clone();
            let mut stopped = stopped.clone();
            let failed = failed.clone();
            let thread = std::thread::Builder::new()
                .name(format!("portico-w{index}"))
                .spawn(move || {
                    let serve = async move {
                        let (state, own_store) = worker_state(&state)?;
                        let listener = match listener {
                            Some(listener) => TcpListener::from_std(listener),
                            None => bind_listener(addr, true),
                        }
                        .map_err(listen_error)?;
                        let mut limits = state.config.connections;
                        limits.max_connections = (limits.max_connections / workers).max(1);
                        let stop = async move {
                            let _ = stopped.wait_for(|stop| *stop).await;
                        };
                        let served = crate::serve::serve(listener, build_router(state), limits, stop)
                            .await
                            .map_err(listen_error);
                        if let Some(store) = own_store {
                            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), store.close()).await;
                        }
                        served
                    };
                    let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(listen_error)
                            .and_then(|runtime| runtime.block_on(serve))
                    }))
                    .unwrap_or_else(|_| {
                        Err(listen_error(std::io::Error::other(format!("serving thread {index} panicked"))))
                    });
                    if let Err(e) = served {
                        let _ = failed.send(e);
                    }
                })
                .map_err(listen_error)?;
            threads.push(thread);
        }
        drop(failed);
        let result = tokio::select! {
            () = shutdown => Ok(()),
            Some(e) = failure.recv() => Err(e),
        };
        let _ = stop.send(true);
        // Panics were caught in the threads and reported above: joining only waits for them.
        let _ = tokio::task::spawn_blocking(move || threads.into_iter().for_each(|t| drop(t.join()))).await;
        flush_call_log(&self.state).await;
        result
    }
}

/// A serving thread's state: a passthrough client (so an upstream connection pool) of its own
/// and, where the backend needs it, a database pool of its own, which is also returned so the
/// thread can close it when it ends. Called on the thread's runtime.
fn worker_state(state: &AppState) -> Result<(AppState, Option<Store>), StartupError> {
    let workers = u32::try_from(state.config.workers).unwrap_or(u32::MAX).max(1);
    let own_store = state.shared.store.for_worker((store::POSTGRES_CONNECTIONS / workers).max(2));
    let worker = AppState {
        shared: state.shared.clone(),
        passthrough: Arc::new(crate::startup::passthrough_client(&state.config, &state.private_allow)?),
        store: own_store.clone().unwrap_or_else(|| state.shared.store.clone()),
    };
    Ok((worker, own_store))
}
