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
    let key = stdout_json(&portico(dir.path(), &["key", "create", "--workspace", id, "--environment", "live", "--label", "ci", "--json"]));
    assert!(key["secretKey"].as_str().unwrap().starts_with("sk_live_"));
    let key_id = key["id"].as_str().unwrap();
    let revoked = stdout_json(&portico(dir.path(), &["key", "revoke", "--workspace", id, "--environment", "live", key_id, "--json"]));
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
    let enabled = stdout_json(&portico(dir.path(), &["integration", "enable", "--workspace", id, "--environment", "test", "mock", "--json"]));
    assert_eq!(enabled["enabled"][0], "mock");
    let unknown = portico(dir.path(), &["integration", "enable", "--workspace", id, "--environment", "test", "no-such-platform"]);
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
