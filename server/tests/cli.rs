//! The `portico` binary's command line, run as an operator would run it.

use std::process::{Command, Output};

use serde_json::Value;

fn portico(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portico"))
        .args(args)
        .current_dir(dir)
        .env_remove("PORTICO_VAULT_KEY")
        .env_remove("DATABASE_URL")
        .env("PORTICO_DATA_DIR", dir.join("data"))
        .env("PORTICO_LOG", "warn")
        .output()
        .expect("portico runs")
}

fn stdout_json(output: &Output) -> Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[test]
fn workspace_create_prints_its_keys_once_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let created = stdout_json(&portico(
        dir.path(),
        &["workspace", "create", "--name", "Acme", "--allowed-origin", "https://app.acme.test", "--json"],
    ));
    let id = created["workspaceId"].as_str().unwrap();
    assert!(id.starts_with("ws_") && id.len() == 35, "{created}");
    let test_key = created["testSecretKey"].as_str().unwrap();
    let live_key = created["liveSecretKey"].as_str().unwrap();
    assert!(test_key.starts_with("sk_test_") && test_key.len() == 8 + 43);
    assert!(live_key.starts_with("sk_live_"));
    assert_eq!(created["allowedOrigins"][0], "https://app.acme.test");
    assert!(dir.path().join("data/portico.db").exists(), "the SQLite file was created and migrated");

    // Listing never shows a secret again.
    let listed = portico(dir.path(), &["key", "list", "--workspace", id, "--environment", "test", "--json"]);
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    let keys = stdout_json(&listed);
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);
    assert!(!text.contains(test_key), "a listing shows the secret: {text}");
    assert!(keys["keys"][0]["displayPrefix"].as_str().unwrap().starts_with("sk_test_"));

    let workspaces = stdout_json(&portico(dir.path(), &["workspace", "list", "--json"]));
    assert_eq!(workspaces["workspaces"][0]["name"], "Acme");
}

#[test]
fn keys_can_be_created_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let created = stdout_json(&portico(dir.path(), &["workspace", "create", "--name", "K", "--json"]));
    let id = created["workspaceId"].as_str().unwrap();
    let key = stdout_json(&portico(
        dir.path(),
        &["key", "create", "--workspace", id, "--environment", "live", "--label", "ci", "--json"],
    ));
    assert!(key["secretKey"].as_str().unwrap().starts_with("sk_live_"));
    let key_id = key["id"].as_str().unwrap();
    let revoked = stdout_json(&portico(
        dir.path(),
        &["key", "revoke", "--workspace", id, "--environment", "live", key_id, "--json"],
    ));
    assert_eq!(revoked["revoked"], true);
    let again = portico(dir.path(), &["key", "revoke", "--workspace", id, "--environment", "live", key_id]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no active key"));
}

#[test]
fn integration_enable_checks_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let created = stdout_json(&portico(dir.path(), &["workspace", "create", "--name", "I", "--json"]));
    let id = created["workspaceId"].as_str().unwrap();
    let enabled = stdout_json(&portico(
        dir.path(),
        &["integration", "enable", "--workspace", id, "--environment", "test", "mock", "--json"],
    ));
    assert_eq!(enabled["enabled"][0], "mock");
    let unknown =
        portico(dir.path(), &["integration", "enable", "--workspace", id, "--environment", "test", "no-such-platform"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not in the catalog"));
}

#[test]
fn serve_refuses_to_start_without_a_vault_key_and_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let output = portico(dir.path(), &["serve"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PORTICO_VAULT_KEY is not set"), "{stderr}");
    assert!(stderr.contains("portico vault generate-key"), "{stderr}");
}

#[test]
fn serve_refuses_a_vault_key_of_the_wrong_length() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("serve")
        .current_dir(dir.path())
        .env("PORTICO_VAULT_KEY", "c2hvcnQ=")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PORTICO_VAULT_KEY") && stderr.contains("32 bytes"), "{stderr}");
}

#[test]
fn generated_vault_keys_are_32_random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let one = portico(dir.path(), &["vault", "generate-key"]);
    let two = portico(dir.path(), &["vault", "generate-key"]);
    let one = String::from_utf8(one.stdout).unwrap();
    let two = String::from_utf8(two.stdout).unwrap();
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(one.trim()).unwrap().len(), 32);
    assert_ne!(one, two);
}

#[test]
fn a_malformed_operator_catalog_file_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog");
    std::fs::create_dir(&catalog).unwrap();
    std::fs::write(catalog.join("broken.toml"), "slug = \"broken\"\nname = \n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_portico"))
        .arg("serve")
        .current_dir(dir.path())
        .env("PORTICO_VAULT_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        .env("PORTICO_DATA_DIR", dir.path().join("data"))
        .env("PORTICO_LISTEN", "127.0.0.1:0")
        .env("PORTICO_CATALOG_DIR", &catalog)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.toml:2"), "{stderr}");
}

/// Seeds one sealed connection under `key` into the SQLite database in `dir`, through the library.
async fn seed_connection(dir: &std::path::Path, key: [u8; 32]) {
    use portico::clock::OsEntropy;
    use portico::config::DatabaseUrl;
    use portico::store::connections::ConnectionRow;
    use portico::tenancy::{Environment, Scope, WorkspaceId};
    let store = portico::store::Store::connect(&DatabaseUrl::new(format!(
        "sqlite://{}?mode=rwc",
        dir.join("data/portico.db").display()
    )))
    .await
    .unwrap();
    let created = portico::workspaces::create_workspace(&store, &OsEntropy, 1, "Seed", &[]).await.unwrap();
    let scope =
        Scope { workspace_id: WorkspaceId::parse(&created.workspace_id).unwrap(), environment: Environment::Test };
    let vault = portico::vault::Vault::new(&key, &[], std::sync::Arc::new(OsEntropy));
    let id = "conn_0123456789abcdef0123456789abcdef";
    let sealed = vault.seal(portico::lifecycle::credentials_binding(&scope, id), b"{\"apiKey\":\"x\"}").unwrap();
    let row = ConnectionRow {
        id: id.into(),
        platform: "mock".into(),
        config_key: "default".into(),
        connection_key: "test::mock::default::0123456789abcdef0123456789abcdef|u".into(),
        identity: Some("u".into()),
        identity_type: Some("user".into()),
        name: "Mock".into(),
        tags: vec![],
        status: portico_wire::ConnectionStatus::Active,
        active: true,
        credentials: sealed,
        vault_key_id: vault.active_key_id().into(),
        expires_at: None,
        created_at: 1,
        updated_at: 1,
    };
    store.insert_connection(&scope, &row).await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn vault_status_and_rotate_report_what_each_key_protects() {
    use base64::Engine;
    let b64 = |k: [u8; 32]| base64::engine::general_purpose::STANDARD.encode(k);
    let (old, new) = ([1u8; 32], [2u8; 32]);
    let (old_id, new_id) = (portico::vault::key_id(&old), portico::vault::key_id(&new));
    let dir = tempfile::tempdir().unwrap();
    seed_connection(dir.path(), old).await;
    let run = |args: &[&str], retired: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
        command
            .args(args)
            .current_dir(dir.path())
            .env("PORTICO_DATA_DIR", dir.path().join("data"))
            .env("PORTICO_VAULT_KEY", b64(new))
            .env_remove("DATABASE_URL");
        if retired {
            command.env("PORTICO_VAULT_RETIRED_KEYS", b64(old));
        } else {
            command.env_remove("PORTICO_VAULT_RETIRED_KEYS");
        }
        command.output().unwrap()
    };
    let records = |status: &Value, id: &str| {
        status["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["keyId"] == id)
            .map(|k| (k["records"].as_i64().unwrap(), k["state"].as_str().unwrap().to_string()))
    };

    let unknown = stdout_json(&run(&["vault", "status", "--json"], false));
    assert_eq!(records(&unknown, &old_id), Some((1, "unknown".into())), "{unknown}");

    let before = stdout_json(&run(&["vault", "status", "--json"], true));
    assert_eq!(records(&before, &old_id), Some((1, "retired".into())));
    assert_eq!(records(&before, &new_id), Some((0, "active".into())));

    let rotated = stdout_json(&run(&["vault", "rotate", "--json"], true));
    assert_eq!(rotated["reencrypted"], 1);

    let after = stdout_json(&run(&["vault", "status", "--json"], false));
    assert_eq!(records(&after, &new_id), Some((1, "active".into())), "{after}");
    assert_eq!(records(&after, &old_id), None, "the old key protects nothing and is not configured");
}

#[test]
fn oauth_app_set_never_echoes_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_portico"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env("PORTICO_VAULT_KEY", key)
            .env("PORTICO_DATA_DIR", dir.path().join("data"))
            .env("PORTICO_PUBLIC_URL", "https://portico.acme.test")
            .env("PORTICO_LOG", "debug")
            .output()
            .expect("portico runs")
    };
    let created = stdout_json(&run(&["workspace", "create", "--name", "O", "--json"]));
    let id = created["workspaceId"].as_str().unwrap();
    let secret = "gh_secret_value_that_must_stay_hidden_42";
    std::fs::write(dir.path().join("secret.txt"), format!("{secret}\n")).unwrap();
    let scope = ["--workspace", id, "--environment", "live"];
    let set = run(&[
        &["oauth-app", "set"][..],
        &scope,
        &[
            "--platform",
            "github",
            "--client-id",
            "Iv1.abc123",
            "--client-secret-file",
            "secret.txt",
            "--scope",
            "repo",
            "--json",
        ],
    ]
    .concat());
    let everything = format!("{}{}", String::from_utf8_lossy(&set.stdout), String::from_utf8_lossy(&set.stderr));
    assert!(!everything.contains(secret), "the secret was printed: {everything}");
    let saved = stdout_json(&set);
    assert_eq!(saved["platform"], "github");
    assert_eq!(saved["clientId"], "Iv1.abc123");
    assert_eq!(saved["scopes"][0], "repo");
    assert_eq!(saved["redirectUri"], "https://portico.acme.test/oauth/callback", "the URI to register");
    let listed = run(&[&["oauth-app", "list"][..], &scope, &["--json"]].concat());
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(secret));
    assert_eq!(stdout_json(&listed)["apps"][0]["clientId"], "Iv1.abc123");
    // Not an OAuth platform, or not in the catalog: refused in words.
    let wrong = run(&[
        &["oauth-app", "set"][..],
        &scope,
        &["--platform", "stripe", "--client-id", "x", "--client-secret-file", "secret.txt"],
    ]
    .concat());
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("does not use an OAuth app"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    // The database holds no clear secret.
    let db = std::fs::read(dir.path().join("data/portico.db")).unwrap_or_default();
    let wal = std::fs::read(dir.path().join("data/portico.db-wal")).unwrap_or_default();
    let needle = secret.as_bytes();
    assert!(!db.windows(needle.len()).any(|w| w == needle) && !wal.windows(needle.len()).any(|w| w == needle));
    let removed =
        stdout_json(&run(&[&["oauth-app", "remove"][..], &scope, &["--platform", "github", "--json"]].concat()));
    assert_eq!(removed["removed"], true);
}
