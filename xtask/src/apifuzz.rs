//! Schema-driven API fuzzing (review issue 16): schemathesis, from PyPI, generates requests from the
//! OpenAPI document Portico serves and checks every answer: no 5xx, the documented status codes,
//! content types and response schemas. It runs against a real `portico serve` on a throwaway
//! SQLite file, with a valid secret key, a bounded number of examples per operation and a time cap,
//! so the test command stays inside its budget.

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use crate::{cmd, output, root, run, target_dir, Result};

const SCHEMATHESIS: &str = "4.32.5";
const PORT: u16 = 18490;
/// Examples per operation, and the whole run's cap.
const MAX_EXAMPLES: &str = "10";
const MAX_SECONDS: &str = "60";
/// What every answer is checked for.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance,negative_data_rejection";
/// A throwaway vault key: the database it protects is deleted after the run.
const VAULT_KEY: &str = "YXBpZnV6ei1vbmx5LXRocm93YXdheS12YXVsdC1rZXk=";

fn venv() -> PathBuf {
    target_dir().join("tools").join(format!("schemathesis-{SCHEMATHESIS}"))
}

/// Installs schemathesis into its own virtualenv under `target/tools`, once.
pub fn setup() -> Result<()> {
    let bin = venv().join("bin").join("schemathesis");
    if output(cmd(&bin.to_string_lossy()).arg("--version")).is_some_and(|v| v.contains(SCHEMATHESIS)) {
        eprintln!("xtask: ✓ schemathesis {SCHEMATHESIS}");
        return Ok(());
    }
    run("creating the schemathesis virtualenv", cmd("python3").args(["-m", "venv"]).arg(venv()))?;
    run(
        &format!("installing schemathesis {SCHEMATHESIS} from PyPI"),
        cmd(&venv().join("bin").join("pip").to_string_lossy()).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("schemathesis=={SCHEMATHESIS}"),
        ]),
    )
}

/// A `portico` process that is killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn portico(bin: &Path, dir: &Path) -> std::process::Command {
    let mut c = cmd(&bin.to_string_lossy());
    c.env("DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.join("portico.db").display()))
        .env("PORTICO_DATA_DIR", dir)
        .env("PORTICO_VAULT_KEY", VAULT_KEY)
        .env("PORTICO_LISTEN", format!("127.0.0.1:{PORT}"))
        .env("PORTICO_PUBLIC_URL", format!("http://127.0.0.1:{PORT}"))
        .env("PORTICO_LOG_FORMAT", "json")
        .current_dir(root());
    c
}

/// The test secret key from `portico workspace create --json`.
fn secret_key(json: &str) -> Option<String> {
    let after = json.split("\"testSecretKey\"").nth(1)?;
    Some(after.split('"').nth(1)?.to_string())
}

fn wait_until_listening() -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if TcpStream::connect(("127.0.0.1", PORT)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("portico did not listen on {PORT} within 30 s"))
}

/// Runs schemathesis against a fresh server; fails on any finding or on a panic in its log.
pub fn run_against(bin: &Path) -> Result<()> {
    let dir = target_dir().join(format!("apifuzz-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let created = output(portico(bin, &dir).args(["workspace", "create", "--name", "API fuzzing", "--json"]))
        .ok_or("portico workspace create failed")?;
    let key = secret_key(&created).ok_or("no test secret key in the workspace's JSON")?;
    let log = fs::File::create(dir.join("portico.log")).map_err(|e| e.to_string())?;
    let child = portico(bin, &dir)
        .arg("serve")
        // The fuzzer should reach the handlers, not the limiter.
        .env("PORTICO_RATE_LIMIT_ADDRESS_PER_MINUTE", "0")
        .env("PORTICO_RATE_LIMIT_TOKENS_PER_MINUTE", "0")
        .env("PORTICO_RATE_LIMIT_FORMS_PER_MINUTE", "0")
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start portico: {e}"))?;
    let server = Server(child);
    wait_until_listening()?;
    let result = run(
        "schemathesis against /openapi.json (bounded)",
        cmd(&venv().join("bin").join("schemathesis").to_string_lossy())
            .args(["run", &format!("http://127.0.0.1:{PORT}/openapi.json")])
            .args(["--header", &format!("x-portico-secret: {key}")])
            .args(["--checks", CHECKS])
            .args(["--max-examples", MAX_EXAMPLES, "--max-time", MAX_SECONDS, "--workers", "2"])
            .args(["--seed", "20261203", "--generation-database", "none", "--no-color"])
            .args(["--report", "junit", "--report-dir"])
            .arg(dir.join("report"))
            .current_dir(&dir),
    );
    drop(server);
    let log = fs::read_to_string(dir.join("portico.log")).unwrap_or_default();
    if log.contains("panicked") {
        return Err(format!("portico panicked during API fuzzing; see {}", dir.join("portico.log").display()));
    }
    result?;
    let _ = fs::remove_dir_all(&dir);
    Ok(())
}
