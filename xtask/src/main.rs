//! `cargo xtask`: the README's two commands and what they need.
//!
//!   cargo xtask demo    set up, build, and run the demo (Portico + mock provider + demo host)
//!   cargo xtask test    set up, build, check the modal's size, and run every test (cargo tests on
//!                       SQLite and PostgreSQL, schemathesis against the served OpenAPI document,
//!                       then Playwright in headless Chromium)
//!   cargo xtask setup   only install what is missing (each step skipped when satisfied)
//!   cargo xtask lint    the style gate `test` runs first: `cargo fmt --check`, and clippy with
//!                       `-D warnings` on the native crates and on the modal for wasm32
//!   cargo xtask build   set up, then build the two WASM bundles and the `portico` binary
//!   cargo xtask sizes [--check]  print the bundles' raw and gzip sizes and what the modal
//!                       downloads before its list shows; `--check` fails past the 80 KB budget
//!                       (`test` fails past the lower-as-you-go ceiling in bundle.rs)
//!   cargo xtask bench   passthrough side by side: direct vs nginx proxy_pass vs Portico (SQLite,
//!                       PostgreSQL), with wrk; installs nginx and wrk from Debian when missing
//!   cargo xtask fuzz [SECONDS]  run every cargo-fuzz target for SECONDS each (default 60; needs
//!                       the nightly toolchain and cargo-fuzz, installed when missing)
//!   cargo xtask logos   regenerate public/logos/ from the catalog (simple-icons or a monogram)
//!
//! Set-up installs, only when missing: the wasm32 target, cargo-leptos and the wasm-bindgen CLI
//! pinned to the versions this workspace needs, npm `binaryen` (wasm-opt) and the end-to-end
//! suite's npm packages, schemathesis (PyPI, in a virtualenv under `target/tools`), and Debian's
//! Chromium. Nothing is downloaded from GitHub at run time.
#![forbid(unsafe_code)]
// The server's bans on reading the clock and on `thread::sleep` (clippy.toml) keep time a
// parameter of request handling; this is a synchronous command-line tool that waits for processes.
#![allow(clippy::disallowed_methods)]

use std::env;
use std::ffi::OsString;
use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

mod apifuzz;
mod bench;
mod bundle;

const CARGO_LEPTOS_VERSION: &str = "0.3.10";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub(crate) const DEFAULT_TEST_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

pub(crate) type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let started = Instant::now();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("build") => setup().and_then(|_| build_assets()).and_then(|_| build_server()),
        Some("demo") => {
            setup().and_then(|_| build_assets()).and_then(|_| build_server()).and_then(|_| demo(&args[1..]))
        }
        Some("test") => setup()
            .and_then(|_| lint())
            .and_then(|_| build_assets())
            .and_then(|_| bundle::check(&site_dir().join("modal"), bundle::MODAL_CEILING, "ceiling"))
            .and_then(|_| test()),
        Some("lint") => lint(),
        Some("sizes") => sizes().and_then(|_| match args.get(1).map(String::as_str) {
            Some("--check") => bundle::check(&site_dir().join("modal"), bundle::MODAL_BUDGET, "budget"),
            _ => Ok(()),
        }),
        Some("fuzz") => fuzz(args.get(1).map(String::as_str)),
        Some("bench") => bench::passthrough(),
        Some("logos") => logos(),
        _ => {
            eprintln!("usage: cargo xtask <demo|test|setup|lint|build|sizes [--check]|fuzz [SECONDS]|bench|logos>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => {
            eprintln!("xtask: done in {:.0?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

pub(crate) fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root().join(dir)
            }
        }
        None => root().join("target"),
    }
}

/// Where the browser assets end up (cargo-leptos's `site-root`, relative to the workspace).
fn site_dir() -> PathBuf {
    root().join("target").join("site")
}

fn cargo_home_bin() -> PathBuf {
    env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
}

/// PATH with npm's binaryen and cargo's bin first: cargo-leptos takes wasm-opt and wasm-bindgen
/// from PATH, and Debian's binaryen must never win.
fn tool_path() -> OsString {
    let mut dirs = vec![root().join("xtask/node_modules/.bin"), cargo_home_bin()];
    if let Some(path) = env::var_os("PATH") {
        dirs.extend(env::split_paths(&path));
    }
    env::join_paths(dirs).unwrap_or_default()
}

pub(crate) fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("PATH", tool_path());
    c
}

pub(crate) fn run(what: &str, command: &mut Command) -> Result<()> {
    eprintln!("xtask: {what}");
    let status = command.status().map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: failed ({status})"))
    }
}

pub(crate) fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The wasm-bindgen version Cargo.lock resolved; the CLI must match it exactly.
fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = ")) {
                return Ok(version.trim_matches('"').to_string());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

fn setup() -> Result<()> {
    let started = Instant::now();
    // 1. The wasm target.
    let targets = output(cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if targets.lines().any(|l| l.trim() == WASM_TARGET) {
        eprintln!("xtask: ✓ rust target {WASM_TARGET}");
    } else {
        run("installing the wasm32 target", cmd("rustup").args(["target", "add", WASM_TARGET]))?;
    }

    // 1b. rustfmt and clippy, for the style gate.
    let components = output(cmd("rustup").args(["component", "list", "--installed"])).unwrap_or_default();
    for component in ["rustfmt", "clippy"] {
        if components.lines().any(|l| l.trim().starts_with(component)) {
            eprintln!("xtask: ✓ {component}");
        } else {
            run(&format!("installing {component}"), cmd("rustup").args(["component", "add", component]))?;
        }
    }

    // 2. cargo-leptos, pinned (0.3.11 needs a newer rustc).
    let have = output(cmd("cargo").args(["leptos", "--version"])).unwrap_or_default();
    if have.contains(CARGO_LEPTOS_VERSION) {
        eprintln!("xtask: ✓ cargo-leptos {CARGO_LEPTOS_VERSION}");
    } else {
        install_crate("cargo-leptos", CARGO_LEPTOS_VERSION, true)?;
    }

    // 3. The wasm-bindgen CLI, exactly the library's version.
    let wanted = locked_wasm_bindgen_version()?;
    let have = output(cmd("wasm-bindgen").arg("--version")).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(wanted.as_str()) {
        eprintln!("xtask: ✓ wasm-bindgen {wanted}");
    } else {
        // Without --locked: the CLI's own lockfile wants a crate version the registry lacks.
        install_crate("wasm-bindgen-cli", &wanted, false)?;
    }

    // 4. npm packages: wasm-opt for the build, Playwright for the end-to-end suite.
    npm_ci(&root().join("xtask"))?;
    npm_ci(&root().join("end2end"))?;

    // 5. schemathesis (PyPI), in its own virtualenv, for the API fuzzing step.
    apifuzz::setup()?;

    // 6. Chromium from Debian (Playwright cannot download its own browser here).
    if Path::new("/usr/bin/chromium").exists() {
        eprintln!("xtask: ✓ chromium");
    } else {
        apt_install(&["chromium"])?;
    }
    eprintln!("xtask: set-up complete in {:.0?}", started.elapsed());
    Ok(())
}

/// Installs Debian packages, as root or through passwordless sudo.
pub(crate) fn apt_install(packages: &[&str]) -> Result<()> {
    let root_user = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = if root_user {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.args(["-n", "apt-get"]);
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run("apt-get update", &mut apt(&["update", "-q"]))?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend_from_slice(packages);
    run(&format!("installing {}", packages.join(", ")), &mut apt(&install))
}

fn install_crate(name: &str, version: &str, locked: bool) -> Result<()> {
    if output(cmd("cargo").args(["binstall", "--version"])).is_some() {
        let spec = format!("{name}@{version}");
        if run(&format!("cargo binstall {spec}"), cmd("cargo").args(["binstall", "-y", "--no-confirm", &spec])).is_ok()
        {
            return Ok(());
        }
        eprintln!("xtask: cargo binstall failed; building {name} from source instead");
    }
    let mut c = cmd("cargo");
    c.args(["install", name, "--version", version]);
    if locked {
        c.arg("--locked");
    }
    run(&format!("installing {name} {version} (a one-time build of several minutes)"), &mut c)
}

/// `npm ci` when node_modules is missing or older than the lockfile.
fn npm_ci(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let stamp = dir.join("node_modules/.package-lock.json");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = matches!((modified(&lock), modified(&stamp)), (Some(l), Some(s)) if s >= l);
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if fresh {
        eprintln!("xtask: ✓ npm packages in {name}/");
        return Ok(());
    }
    run(
        &format!("npm ci in {name}/"),
        cmd("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(dir),
    )
}

/// Vendors one SVG logo per catalog platform into public/logos/ (docs/catalog.md, "Logos"):
/// the brand mark from the pinned npm `simple-icons` package where xtask/logos.mjs maps one, a
/// generated monogram otherwise. Run after adding a platform; commit the result.
fn logos() -> Result<()> {
    npm_ci(&root().join("xtask"))?;
    run(
        "writing public/logos/ from catalog/platforms/",
        cmd("node")
            .arg(root().join("xtask/logos.mjs"))
            .arg(root().join("catalog/platforms"))
            .arg(root().join("public/logos")),
    )
}

/// The two browser bundles. The dashboard (app/: SSR + hydrate) goes through cargo-leptos; the
/// server binary is built by plain cargo (`build_server`, or `cargo test`, which builds it for the
/// integration tests and so serves the end-to-end suite too without a second compile).
fn build_assets() -> Result<()> {
    run(
        "building the dashboard bundle (cargo leptos build --release --frontend-only)",
        cmd("cargo").args(["leptos", "build", "--release", "--frontend-only"]).current_dir(root()),
    )?;
    build_modal()
}

fn build_server() -> Result<()> {
    run("building the portico binary", cmd("cargo").args(["build", "-p", "portico"]).current_dir(root()))
}

/// The modal (frontend/: client-side only), which cargo-leptos does not build: cargo for wasm32
/// in its own target directory (its Leptos features must not mix with the dashboard's), then
/// wasm-bindgen and wasm-opt.
fn build_modal() -> Result<()> {
    let root = root();
    let wasm_target_dir = target_dir().join("modal-wasm");
    run(
        "building the modal bundle (frontend/)",
        cmd("cargo")
            .args(["build", "-p", "portico-modal", "--lib", "--target", WASM_TARGET, "--profile", "wasm-release"])
            .arg("--target-dir")
            .arg(&wasm_target_dir)
            .current_dir(&root),
    )?;
    let wasm = wasm_target_dir.join(WASM_TARGET).join("wasm-release").join("portico_modal.wasm");
    let out = site_dir().join("modal");
    fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    run(
        "wasm-bindgen (modal)",
        cmd("wasm-bindgen")
            .args(["--target", "web", "--no-typescript", "--out-name", "portico_modal", "--out-dir"])
            .arg(&out)
            .arg(&wasm),
    )?;
    let bundle = out.join("portico_modal_bg.wasm");
    run(
        "wasm-opt -Oz (modal)",
        cmd("wasm-opt")
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-reference-types",
                "--enable-multivalue",
                "--enable-mutable-globals",
                "-o",
            ])
            .arg(&bundle)
            .arg(&bundle),
    )?;
    bundle::finish(&out)
}

fn portico_bin() -> PathBuf {
    target_dir().join("debug").join("portico")
}

fn demo(args: &[String]) -> Result<()> {
    let mut c = cmd(&portico_bin().to_string_lossy());
    c.arg("demo").args(args).current_dir(root());
    c.env("PORTICO_SITE_DIR", site_dir());
    run("starting the demo", &mut c)
}

pub(crate) fn postgres_reachable(url: &str) -> bool {
    let host_port = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap_or("127.0.0.1:5432");
    host_port
        .parse::<SocketAddr>()
        .ok()
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok())
}

/// The style gate: formatting, then clippy with warnings as errors, on the native crates (all
/// targets: tests, benches, examples) and on the modal for the browser, in the modal's own target
/// directory so its Leptos features never mix with the server's.
fn lint() -> Result<()> {
    let root = root();
    run("cargo fmt --check", cmd("cargo").args(["fmt", "--all", "--", "--check"]).current_dir(&root))?;
    run(
        "clippy -D warnings (native crates, all targets)",
        cmd("cargo").args(["clippy", "--all-targets", "--", "-D", "warnings"]).current_dir(&root),
    )?;
    run(
        "clippy -D warnings (the modal, wasm32)",
        cmd("cargo")
            .args(["clippy", "-p", "portico-modal", "--lib", "--target", WASM_TARGET, "--target-dir"])
            .arg(target_dir().join("modal-wasm"))
            .args(["--", "-D", "warnings"])
            .current_dir(&root),
    )
}

fn test() -> Result<()> {
    let root = root();
    let postgres = env::var("PORTICO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.to_string());
    let mut cargo_test = cmd("cargo");
    cargo_test.arg("test").current_dir(&root);
    if postgres_reachable(&postgres) {
        eprintln!("xtask: PostgreSQL reachable: the integration tests run on SQLite and PostgreSQL");
        cargo_test.env("PORTICO_TEST_POSTGRES_URL", &postgres);
    } else {
        eprintln!(
            "xtask: NOTICE: PostgreSQL is not reachable at {postgres}; its half of the integration tests is skipped"
        );
        cargo_test.env("PORTICO_TEST_POSTGRES_URL", "off");
    }
    // Also builds target/debug/portico, which the end-to-end suite runs.
    run("cargo test (unit + integration)", &mut cargo_test)?;
    apifuzz::run_against(&portico_bin())?;
    run(
        "Playwright end-to-end suite (headless Chromium)",
        cmd("npx")
            .args(["playwright", "test"])
            .current_dir(root.join("end2end"))
            .env("PORTICO_BIN", portico_bin())
            .env("PORTICO_SITE_DIR", site_dir()),
    )?;
    Ok(())
}

/// Runs every fuzz target in `fuzz/` for a bounded time. Findings are left in
/// `fuzz/artifacts/<target>/` and make the command fail.
fn fuzz(seconds: Option<&str>) -> Result<()> {
    let seconds: u64 = seconds.unwrap_or("60").parse().map_err(|_| "SECONDS must be a number".to_string())?;
    let toolchains = output(cmd("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|l| l.starts_with("nightly")) {
        run(
            "installing the nightly toolchain",
            cmd("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]),
        )?;
    }
    if output(cmd("cargo").args(["fuzz", "--version"])).is_none() {
        run("installing cargo-fuzz (once)", cmd("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let dir = root().join("fuzz");
    let targets =
        output(cmd("cargo").args(["+nightly", "fuzz", "list"]).current_dir(&dir)).ok_or("cargo fuzz list failed")?;
    for target in targets.lines().map(str::trim).filter(|t| !t.is_empty()) {
        run(
            &format!("fuzzing {target} for {seconds}s"),
            cmd("cargo")
                .args(["+nightly", "fuzz", "run", target, "--", &format!("-max_total_time={seconds}")])
                .current_dir(&dir),
        )?;
    }
    Ok(())
}

fn gzip_size(path: &Path) -> Option<u64> {
    let out = Command::new("gzip").arg("-9c").arg(path).output().ok()?;
    Some(out.stdout.len() as u64)
}

fn sizes() -> Result<()> {
    let site = site_dir();
    let files = [
        ("dashboard wasm", site.join("pkg/portico.wasm")),
        ("dashboard js", site.join("pkg/portico.js")),
        ("dashboard css", site.join("pkg/portico.css")),
        ("portico binary (debug)", portico_bin()),
        ("portico binary (release)", target_dir().join("release/portico")),
    ];
    println!("{:<26} {:>12} {:>12}", "artifact", "raw bytes", "gzip -9");
    for (name, path) in files {
        match fs::metadata(&path) {
            Ok(meta) => {
                let gz = if name.contains("binary") { None } else { gzip_size(&path) };
                println!(
                    "{name:<26} {:>12} {:>12}",
                    meta.len(),
                    gz.map(|g| g.to_string()).unwrap_or_else(|| "-".into())
                );
            }
            Err(_) => println!("{name:<26} {:>12}", "(not built)"),
        }
    }
    println!();
    for (name, raw, gz) in bundle::first_load(&site.join("modal"))? {
        println!("modal {name:<20} {raw:>12} {gz:>12}");
    }
    Ok(())
}
