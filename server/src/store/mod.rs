//! Persistence: one code base over SQLite (embedded default, zero set-up) and PostgreSQL (any
//! number of replicas), chosen by `DATABASE_URL` alone.
//!
//! Queries are runtime `sqlx::query` on an `AnyPool` with `$n` placeholders, which both backends
//! accept, so there is no build-time database and no second copy of each query. Column types are
//! the ones `Any` carries on both: TEXT, 64-bit integers (timestamps are Unix milliseconds) and
//! bytes. Every method that reads or writes tenant data takes the [`Scope`] first.

pub mod agent_tokens;
pub mod calls;
pub mod connections;
pub mod events;
pub mod integrations;
pub mod oauth;
pub mod operators;
pub mod prune;
pub mod sealed;
pub mod secret_keys;
pub mod tokens;
pub mod workspaces;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::config::DatabaseUrl;
pub use sealed::{SealedColumn, SealedRow, SEALED_COLUMNS};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the error is a violated unique constraint (a duplicate the caller may report).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// The size of a process's main pool on PostgreSQL. With several serving threads, each has a pool
/// of its own besides (see [`Store::for_worker`]), and they share out as many again.
pub const POSTGRES_CONNECTIONS: u32 = 16;

fn pool_options(max_connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new().max_connections(max_connections).acquire_timeout(Duration::from_secs(10))
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects and applies pending migrations. For SQLite the file (and its directory) is created
    /// when missing.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.is_postgres() { Backend::Postgres } else { Backend::Sqlite };
        if backend == Backend::Sqlite {
            if let Some(dir) = sqlite_file(url.expose()).and_then(|p| p.parent().map(Path::to_path_buf)) {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(&dir)
                        .map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
                }
            }
        }
        let options = AnyConnectOptions::from_str(url.expose())?;
        let pool = pool_options(if backend == Backend::Sqlite { 8 } else { POSTGRES_CONNECTIONS })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the one writer; NORMAL is durable in WAL
                        // mode except across power loss of the last transaction.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    /// The store a serving thread of [`crate::Application::run_on_workers`] uses, when it needs
    /// one of its own: on PostgreSQL a pool of `max_connections` opened lazily on the same
    /// database (already migrated), because a connection's socket belongs to the runtime that
    /// opened it and stops working when that thread's runtime ends, while a shared pool would
    /// hand it to others. On SQLite, `None`: its connections run on threads of their own and any
    /// runtime can use them.
    ///
    /// Must be called on the runtime that will use it (the pool's upkeep task starts there).
    pub fn for_worker(&self, max_connections: u32) -> Option<Store> {
        (self.backend == Backend::Postgres).then(|| Store {
            pool: pool_options(max_connections).connect_lazy_with((*self.pool.connect_options()).clone()),
            backend: self.backend,
        })
    }

    /// A transaction, for writes that must go together (a change and its event).
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// For `/readyz`: can we reach the database right now?
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The file path of a `sqlite:` URL, if it names a file.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// The tenant scope of a row that has `workspace_id` and `environment` columns.
pub(crate) fn scope_of(row: &sqlx::any::AnyRow) -> Result<crate::tenancy::Scope, StoreError> {
    use sqlx::Row;
    let ws: String = row.try_get("workspace_id")?;
    let env: String = row.try_get("environment")?;
    Ok(crate::tenancy::Scope {
        workspace_id: crate::tenancy::WorkspaceId::parse(&ws)
            .ok_or_else(|| StoreError::Corrupt(format!("workspace_id {ws}")))?,
        environment: crate::tenancy::Environment::parse(&env)
            .ok_or_else(|| StoreError::Corrupt(format!("environment {env}")))?,
    })
}

/// A value to bind in a query assembled at run time (filters).
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// Binds `args` in order onto a query whose SQL uses `$1..$n`.
pub(crate) fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Text(s) => query.bind(s.as_str()),
            Arg::Int(i) => query.bind(*i),
        };
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(sqlite_file("sqlite://data/p.db?mode=rwc").unwrap(), Path::new("data/p.db"));
        assert_eq!(sqlite_file("sqlite:/tmp/x.db").unwrap(), Path::new("/tmp/x.db"));
        assert!(sqlite_file("sqlite::memory:").is_none());
        assert!(sqlite_file("postgres://x").is_none());
    }
}
