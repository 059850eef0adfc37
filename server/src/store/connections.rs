//! Connections: one identity's account on one platform. Credentials are a vault envelope; the row
//! also names the vault key that sealed them so rotation can count what is left.

use portico_wire::ConnectionStatus;
use sqlx::Row;

use super::{bind_all, Arg, Store, StoreError};
use crate::tenancy::Scope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRow {
    pub id: String,
    pub platform: String,
    pub config_key: String,
    pub connection_key: String,
    pub identity: Option<String>,
    pub identity_type: Option<String>,
    pub name: String,
    pub tags: Vec<String>,
    pub status: ConnectionStatus,
    pub active: bool,
    pub credentials: Vec<u8>,
    pub vault_key_id: String,
    /// When the access token expires (OAuth connections), Unix ms.
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Filters of `GET /v1/vault/connections`; every one narrows.
#[derive(Debug, Clone, Default)]
pub struct ConnectionFilter {
    pub identity: Option<String>,
    pub identity_type: Option<String>,
    pub platform: Option<String>,
    /// Any of these connection keys.
    pub keys: Vec<String>,
    /// All of these tags.
    pub tags: Vec<String>,
    pub active: Option<bool>,
    pub status: Option<ConnectionStatus>,
}

const COLUMNS: &str = "id, platform, config_key, connection_key, identity, identity_type, name, tags, \
                       status, active, credentials, vault_key_id, expires_at, created_at, updated_at";

fn connection_from(row: &sqlx::any::AnyRow) -> Result<ConnectionRow, StoreError> {
    let tags: String = row.try_get("tags")?;
    let active: i64 = row.try_get("active")?;
    Ok(ConnectionRow {
        id: row.try_get("id")?,
        platform: row.try_get("platform")?,
        config_key: row.try_get("config_key")?,
        connection_key: row.try_get("connection_key")?,
        identity: row.try_get("identity")?,
        identity_type: row.try_get("identity_type")?,
        name: row.try_get("name")?,
        tags: serde_json::from_str(&tags).map_err(|_| StoreError::Corrupt("connections.tags".into()))?,
        status: ConnectionStatus::parse(&row.try_get::<String, _>("status")?),
        active: active != 0,
        credentials: row.try_get("credentials")?,
        vault_key_id: row.try_get("vault_key_id")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Inserts a connection as it is, with no event: for seeding benchmarks and tests. The server
    /// creates connections through [`crate::lifecycle`].
    pub async fn insert_connection(&self, scope: &Scope, c: &ConnectionRow) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert(&mut tx, scope, c).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Inserts a connection row, its tags and its count.
pub async fn insert(conn: &mut sqlx::AnyConnection, scope: &Scope, c: &ConnectionRow) -> Result<(), StoreError> {
    sqlx::query(
            "INSERT INTO connections (id, workspace_id, environment, platform, config_key, connection_key, \
             identity, identity_type, name, tags, status, active, credentials, vault_key_id, created_at, updated_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(c.id.as_str())
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(c.platform.as_str())
        .bind(c.config_key.as_str())
        .bind(c.connection_key.as_str())
        .bind(c.identity.as_deref())
        .bind(c.identity_type.as_deref())
        .bind(c.name.as_str())
        .bind(serde_json::to_string(&c.tags).unwrap_or_else(|_| "[]".into()))
        .bind(c.status.as_str())
        .bind(i64::from(c.active))
        .bind(c.credentials.as_slice())
        .bind(c.vault_key_id.as_str())
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.expires_at)
        .execute(&mut *conn)
        .await?;
    write_tags(conn, scope, &c.id, &c.tags, c.created_at).await?;
    adjust_count(conn, scope, &c.platform, 1).await
}

/// Replaces a connection's rows in `connection_tags`.
async fn write_tags(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    connection_id: &str,
    tags: &[String],
    created_at: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM connection_tags WHERE connection_id = $1").bind(connection_id).execute(&mut *conn).await?;
    for tag in tags {
        sqlx::query(
            "INSERT INTO connection_tags (workspace_id, environment, tag, connection_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(tag.as_str())
        .bind(connection_id)
        .bind(created_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Keeps `connection_counts` in step; always called inside the writing transaction.
async fn adjust_count(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    platform: &str,
    delta: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO connection_counts (workspace_id, environment, platform, n) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (workspace_id, environment, platform) DO UPDATE SET n = connection_counts.n + excluded.n",
    )
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .bind(platform)
    .bind(delta)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn find_connection(&self, scope: &Scope, id: &str) -> Result<Option<ConnectionRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM connections WHERE workspace_id = $1 AND environment = $2 AND id = $3"
        ))
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .map(|r| connection_from(&r))
        .transpose()
    }

    pub async fn find_connection_by_key(
        &self,
        scope: &Scope,
        connection_key: &str,
    ) -> Result<Option<ConnectionRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM connections WHERE workspace_id = $1 AND environment = $2 AND connection_key = $3"
        ))
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(connection_key)
        .fetch_optional(self.pool())
        .await?
        .map(|r| connection_from(&r))
        .transpose()
    }

    /// One page of connections, newest first, and the total matching the filter.
    ///
    /// The page's ids come from an index alone (the listing indexes carry `id`), then only those
    /// rows are read, so a deep page skips index entries, not rows. A tag filter drives the query
    /// from `connection_tags` in its own time order: a tag holds far fewer rows than a scope.
    pub async fn list_connections(
        &self,
        scope: &Scope,
        filter: &ConnectionFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ConnectionRow>, i64), StoreError> {
        let query = ListingQuery::new(scope, filter);
        let total = self.count_listing(scope, filter, &query).await?;
        if total == 0 || offset >= total {
            return Ok((Vec::new(), total));
        }
        let ids = self.listing_page_ids(&query, limit, offset).await?;
        Ok((self.connections_by_ids(scope, ids).await?, total))
    }

    /// How many connections match: from the per-platform counts when only a platform (or
    /// nothing) filters, which is O(platforms), not O(rows).
    async fn count_listing(
        &self,
        scope: &Scope,
        filter: &ConnectionFilter,
        query: &ListingQuery,
    ) -> Result<i64, StoreError> {
        let counted_by_platform_only = filter.identity.is_none()
            && filter.identity_type.is_none()
            && filter.keys.is_empty()
            && filter.tags.is_empty()
            && filter.active.is_none()
            && filter.status.is_none();
        if !counted_by_platform_only {
            let count_sql = format!("SELECT COUNT(*) AS total FROM {} {}", query.from, query.sql);
            return Ok(bind_all(sqlx::query(&count_sql), &query.args)
                .fetch_one(self.pool())
                .await?
                .try_get("total")?);
        }
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS total FROM connection_counts \
             WHERE workspace_id = $1 AND environment = $2 AND ($3 = '' OR platform = $3)",
        )
        .bind(scope.workspace_id.as_str())
        .bind(scope.environment.as_str())
        .bind(filter.platform.as_deref().unwrap_or(""))
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get("total")?)
    }

    /// The ids of one page, from the indexes alone.
    async fn listing_page_ids(&self, query: &ListingQuery, limit: i64, offset: i64) -> Result<Vec<String>, StoreError> {
        let n = query.args.len();
        let ids_sql = format!(
            "SELECT {} AS id FROM {} {} ORDER BY {} LIMIT ${} OFFSET ${}",
            query.id_column,
            query.from,
            query.sql,
            query.order,
            n + 1,
            n + 2
        );
        let mut page_args = query.args.clone();
        page_args.push(Arg::Int(limit));
        page_args.push(Arg::Int(offset));
        bind_all(sqlx::query(&ids_sql), &page_args)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.try_get("id").map_err(StoreError::from))
            .collect()
    }

    /// Whole rows for `ids`, newest first.
    async fn connections_by_ids(&self, scope: &Scope, ids: Vec<String>) -> Result<Vec<ConnectionRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 3)).collect();
        let rows_sql = format!(
            "SELECT {COLUMNS} FROM connections WHERE workspace_id = $1 AND environment = $2 AND id IN ({}) \
             ORDER BY created_at DESC, id DESC",
            placeholders.join(", ")
        );
        let mut row_args =
            vec![Arg::Text(scope.workspace_id.as_str().to_string()), Arg::Text(scope.environment.as_str().to_string())];
        row_args.extend(ids.into_iter().map(Arg::Text));
        let rows = bind_all(sqlx::query(&rows_sql), &row_args).fetch_all(self.pool()).await?;
        rows.iter().map(connection_from).collect()
    }
}

/// The `FROM … WHERE …` of a listing and its bound values (`$1`, `$2` are the scope).
struct ListingQuery {
    from: &'static str,
    id_column: &'static str,
    order: &'static str,
    sql: String,
    args: Vec<Arg>,
}

impl ListingQuery {
    fn new(scope: &Scope, filter: &ConnectionFilter) -> Self {
        let mut query = Self::driven_by(scope, filter);
        query.add_filters(filter);
        query
    }

    /// Which table drives the listing. Only tags to filter on: everything comes from the tag
    /// table and its indexes. Tags and other filters: the tag table drives, joined to the
    /// connections for the rest. No tags: the connections.
    fn driven_by(scope: &Scope, filter: &ConnectionFilter) -> Self {
        let mut args =
            vec![Arg::Text(scope.workspace_id.as_str().to_string()), Arg::Text(scope.environment.as_str().to_string())];
        let tags_only = filter.identity.is_none()
            && filter.identity_type.is_none()
            && filter.platform.is_none()
            && filter.active.is_none()
            && filter.status.is_none()
            && filter.keys.is_empty();
        let (from, id_column, order, sql) = match filter.tags.first() {
            Some(first) => {
                args.push(Arg::Text(first.clone()));
                let tag_where = "WHERE t.workspace_id = $1 AND t.environment = $2 AND t.tag = $3";
                if tags_only {
                    (
                        "connection_tags t",
                        "t.connection_id",
                        "t.created_at DESC, t.connection_id DESC",
                        tag_where.to_string(),
                    )
                } else {
                    (
                        "connection_tags t JOIN connections c ON c.id = t.connection_id",
                        "t.connection_id",
                        "t.created_at DESC, t.connection_id DESC",
                        format!("{tag_where} AND c.workspace_id = $1 AND c.environment = $2"),
                    )
                }
            }
            None => (
                "connections c",
                "c.id",
                "c.created_at DESC, c.id DESC",
                String::from("WHERE c.workspace_id = $1 AND c.environment = $2"),
            ),
        };
        ListingQuery { from, id_column, order, sql, args }
    }

    /// Narrows by every filter but the first tag.
    fn add_filters(&mut self, filter: &ConnectionFilter) {
        let ListingQuery { sql, args, .. } = self;
        let mut push = |sql: &mut String, clause: &str, arg: Arg| {
            args.push(arg);
            sql.push_str(&clause.replace("$?", &format!("${}", args.len())));
        };
        for tag in filter.tags.iter().skip(1) {
            push(
                sql,
                " AND EXISTS (SELECT 1 FROM connection_tags x WHERE x.workspace_id = $1 AND x.environment = $2 \
                 AND x.tag = $? AND x.connection_id = t.connection_id)",
                Arg::Text(tag.clone()),
            );
        }
        if let Some(identity) = &filter.identity {
            push(sql, " AND c.identity = $?", Arg::Text(identity.clone()));
        }
        if let Some(kind) = &filter.identity_type {
            push(sql, " AND c.identity_type = $?", Arg::Text(kind.clone()));
        }
        if let Some(platform) = &filter.platform {
            push(sql, " AND c.platform = $?", Arg::Text(platform.clone()));
        }
        if let Some(active) = filter.active {
            push(sql, " AND c.active = $?", Arg::Int(i64::from(active)));
        }
        if let Some(status) = &filter.status {
            push(sql, " AND c.status = $?", Arg::Text(status.as_str().to_string()));
        }
        if !filter.keys.is_empty() {
            sql.push_str(" AND c.connection_key IN (");
            for (i, key) in filter.keys.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                push(sql, "$?", Arg::Text(key.clone()));
            }
            sql.push(')');
        }
    }
}

/// Replaces a connection's tags; `false` when it does not exist in `scope`.
pub async fn update_tags(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    id: &str,
    tags: &[String],
    now: i64,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE connections SET tags = $1, updated_at = $2 WHERE workspace_id = $3 AND environment = $4 AND id = $5 \
         RETURNING created_at",
    )
    .bind(serde_json::to_string(tags).unwrap_or_else(|_| "[]".into()))
    .bind(now)
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = updated else {
        return Ok(false);
    };
    write_tags(conn, scope, id, tags, row.try_get("created_at")?).await?;
    Ok(true)
}

/// Deletes a connection (its tags go with it); `false` when it does not exist in `scope`.
pub async fn delete(conn: &mut sqlx::AnyConnection, scope: &Scope, id: &str) -> Result<bool, StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM connections WHERE workspace_id = $1 AND environment = $2 AND id = $3 RETURNING platform",
    )
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = deleted else {
        return Ok(false);
    };
    let platform: String = row.try_get("platform")?;
    adjust_count(conn, scope, &platform, -1).await?;
    Ok(true)
}

/// Stores refreshed (or re-authorised) credentials: the connection is active again and its
/// failure count cleared.
pub async fn store_tokens(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    id: &str,
    sealed: &[u8],
    vault_key_id: &str,
    expires_at: Option<i64>,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE connections SET credentials = $1, vault_key_id = $2, expires_at = $3, refresh_failures = 0, \
         retry_refresh_at = NULL, status = 'active', active = 1, updated_at = $4 \
         WHERE workspace_id = $5 AND environment = $6 AND id = $7",
    )
    .bind(sealed)
    .bind(vault_key_id)
    .bind(expires_at)
    .bind(now)
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a failed refresh; at `limit` consecutive failures (or when `fatal`) the connection
/// needs its user. Returns the failure count and whether the connection now needs reauth.
pub async fn record_refresh_failure(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    id: &str,
    fatal: bool,
    limit: i64,
    retry_at: i64,
    now: i64,
) -> Result<(i64, bool), StoreError> {
    let row = sqlx::query(
        "UPDATE connections SET refresh_failures = refresh_failures + 1, retry_refresh_at = $1, updated_at = $2, \
         status = CASE WHEN $3 = 1 OR refresh_failures + 1 >= $4 THEN 'needs_reauth' ELSE status END \
         WHERE workspace_id = $5 AND environment = $6 AND id = $7 RETURNING refresh_failures, status",
    )
    .bind(retry_at)
    .bind(now)
    .bind(i64::from(fatal))
    .bind(limit)
    .bind(scope.workspace_id.as_str())
    .bind(scope.environment.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => {
            let status: String = r.try_get("status")?;
            Ok((r.try_get("refresh_failures")?, ConnectionStatus::parse(&status) == ConnectionStatus::NeedsReauth))
        }
        None => Ok((0, false)),
    }
}
