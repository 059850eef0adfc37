//! What reaches the database: credentials only as vault envelopes, secrets only as hashes.

use sqlx::Row;

use crate::helpers::{Backend, TestApp, API_KEY};
use crate::on_both_backends;

on_both_backends!(no_secret_is_stored_in_clear);

/// Every byte the database holds, as one buffer: the SQLite file and its WAL, or every row of every
/// table of the PostgreSQL database as text (bytea appears hex-encoded, so both spellings are
/// searched by the caller).
pub(crate) async fn database_bytes(app: &TestApp) -> Vec<u8> {
    match app.backend {
        Backend::Sqlite => {
            // Checkpoint so everything is in the main file too, then read both.
            sqlx::query("PRAGMA wal_checkpoint(FULL)").execute(app.store.pool()).await.unwrap();
            let db = app.dir.path().join("portico.db");
            let mut bytes = std::fs::read(&db).expect("the database file exists");
            if let Ok(wal) = std::fs::read(db.with_extension("db-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
        Backend::Postgres => {
            let tables = sqlx::query("SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(app.store.pool())
                .await
                .unwrap();
            let mut text = String::new();
            for table in tables {
                let name: String = table.try_get("tablename").unwrap();
                let rows = sqlx::query(&format!("SELECT t::text AS row FROM {name} t"))
                    .fetch_all(app.store.pool())
                    .await
                    .unwrap();
                for row in rows {
                    text.push_str(&row.try_get::<String, _>("row").unwrap());
                    text.push('\n');
                }
            }
            text.into_bytes()
        }
    }
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn no_secret_is_stored_in_clear(app: TestApp) {
    let token = app.mint_token(&app.workspace.test_key, "u1").await;
    let connection = app.submit_mock_form(&token, API_KEY).await;
    assert_eq!(connection.status(), reqwest::StatusCode::CREATED);
    let bytes = database_bytes(&app).await;
    assert!(bytes.len() > 1000, "the scan read the database ({} bytes)", bytes.len());
    // A sabotage check: the connection's own (non-secret) key is there, so the scan can see rows.
    assert!(contains(&bytes, b"test::mock::default::"), "the scan sees stored rows");
    let secrets = [API_KEY.to_string(), app.workspace.test_key.clone(), app.workspace.live_key.clone(), token];
    for secret in &secrets {
        assert!(!contains(&bytes, secret.as_bytes()), "a secret is stored in clear");
        assert!(!contains(&bytes, hex(secret.as_bytes()).as_bytes()), "a secret is stored hex-encoded");
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
