//! The vault's key ring in a running deployment: online rotation and the start-up check.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use portico::config::{VaultKeyMaterial, VaultKeys};
use portico::vault::rotation;
use reqwest::StatusCode;
use zeroize::Zeroizing;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    rotation_keeps_every_connection_working_while_serving,
    start_up_refuses_a_database_sealed_under_an_unknown_key,
    a_stale_ciphertext_is_never_swapped_in,
);

const KEY_1: [u8; 32] = [42u8; 32]; // the TestApp default
const KEY_2: [u8; 32] = [7u8; 32];

fn keys(active: [u8; 32], retired: &[[u8; 32]]) -> VaultKeys {
    VaultKeys::Configured {
        active: VaultKeyMaterial(Zeroizing::new(active)),
        retired: retired.iter().map(|k| VaultKeyMaterial(Zeroizing::new(*k))).collect(),
    }
}

async fn passthrough_me(client: &reqwest::Client, base: &str, secret: &str, connection_key: &str) -> StatusCode {
    client
        .get(format!("{base}/v1/passthrough/me"))
        .header("x-portico-secret", secret)
        .header("x-portico-connection-key", connection_key)
        .send()
        .await
        .map(|r| r.status())
        .unwrap_or(StatusCode::BAD_GATEWAY)
}

async fn rotation_keeps_every_connection_working_while_serving(app: TestApp) {
    let secret = app.workspace.test_key.clone();
    let mut connection_keys = Vec::new();
    for i in 0..25 {
        connection_keys.push(app.connect_mock(&secret, &format!("user-{i}")).await.key);
    }
    let old_id = portico::vault::key_id(&KEY_1);
    let new_id = portico::vault::key_id(&KEY_2);

    // The rolling restart: servers now seal with key 2 and can still open key 1.
    let replica = app.spawn_replica(|c| c.vault_keys = keys(KEY_2, &[KEY_1])).await.expect("replica starts");
    let before = rotation::status(&replica.state.store, &replica.state.vault).await.unwrap();
    assert!(before.keys.iter().any(|k| k.key_id == old_id && k.records == 25 && k.state == "retired"), "{before:?}");

    // Traffic through the replica for the whole rotation.
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let traffic = {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        let (client, url, secret, keys) =
            (app.client.clone(), replica.url.clone(), secret.clone(), connection_keys.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                for key in &keys {
                    match passthrough_me(&client, &url, &secret, key).await {
                        StatusCode::OK => ok.fetch_add(1, Ordering::SeqCst),
                        _ => failed.fetch_add(1, Ordering::SeqCst),
                    };
                }
            }
        })
    };
    let report = rotation::rotate(&replica.state.store, &replica.state.vault, 7).await.expect("rotation");
    stop.store(true, Ordering::SeqCst);
    traffic.await.unwrap();
    assert_eq!(report.reencrypted, 25);
    assert!(ok.load(Ordering::SeqCst) >= 25, "traffic ran during the rotation");
    assert_eq!(failed.load(Ordering::SeqCst), 0, "no call failed during the rotation");

    let after = rotation::status(&replica.state.store, &replica.state.vault).await.unwrap();
    let records = |id: &str| after.keys.iter().find(|k| k.key_id == id).map(|k| k.records);
    assert_eq!(records(&old_id), Some(0), "{after:?}");
    assert_eq!(records(&new_id), Some(25), "{after:?}");

    // Key 1 retired for good: start without it, and everything still works.
    let only_new = app.spawn_replica(|c| c.vault_keys = keys(KEY_2, &[])).await.expect("starts without key 1");
    for key in &connection_keys {
        assert_eq!(passthrough_me(&app.client, &only_new.url, &secret, key).await, StatusCode::OK);
    }
}

async fn start_up_refuses_a_database_sealed_under_an_unknown_key(app: TestApp) {
    app.connect_mock(&app.workspace.test_key, "u1").await;
    let error = match app.spawn_replica(|c| c.vault_keys = keys(KEY_2, &[])).await {
        Ok(_) => panic!("started without the key that sealed the data"),
        Err(e) => e.to_string(),
    };
    assert!(error.contains(&portico::vault::key_id(&KEY_1)), "{error}");
    assert!(error.contains("PORTICO_VAULT_RETIRED_KEYS"), "{error}");
}

async fn a_stale_ciphertext_is_never_swapped_in(app: TestApp) {
    let connection = app.connect_mock(&app.workspace.test_key, "u1").await;
    let column = &portico::store::SEALED_COLUMNS[0];
    let id = connection.id.as_str();
    let swapped = app.store.swap_sealed(column, id, b"not what is stored", b"new", "k").await.unwrap();
    assert!(!swapped, "a compare-and-set against a stale value must not write");
    assert_eq!(passthrough_me(&app.client, &app.url, &app.workspace.test_key, &connection.key).await, StatusCode::OK);
}
