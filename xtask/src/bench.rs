//! `cargo xtask bench`: passthrough side by side, in one run, against the same local upstream
//! (the mock provider's `GET /api/me`, which checks an API key and answers JSON):
//! (a) direct calls, (b) nginx `proxy_pass` injecting the key, (c) Portico passthrough on SQLite
//! and on PostgreSQL. wrk drives each at concurrency 1 (latency) and 64 (throughput) for 10 s.
//!
//! Everything shares this machine's two cores with wrk, and the machine's other services wake up
//! now and then: the same build measured twice differs by a third. So the setups take turns, in
//! `PORTICO_BENCH_ROUNDS` rounds (default 3), and each ratio to nginx is taken within a round,
//! between runs seconds apart; the tables give the medians. Then, when valgrind is installed,
//! callgrind counts the user-space instructions of one passthrough call — a figure that does not
//! move with the machine's load, for comparing builds.

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{apt_install, cmd, output, postgres_reachable, root, run, target_dir, Result, DEFAULT_TEST_POSTGRES};

const MOCK: &str = "127.0.0.1:19010";
const NGINX: &str = "127.0.0.1:19020";
/// One Portico per backend, all running for the whole benchmark so that rounds can alternate.
const PORTICO_PORTS: [u16; 2] = [19030, 19031];
/// The Portico run under callgrind.
const PORTICO_COUNTED: &str = "127.0.0.1:19032";
const API_KEY: &str = "mock_demo_key_2026";
const SECONDS: u32 = 10;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SIGTERM first: nginx's master then stops its workers, which a SIGKILL would orphan
        // (still holding the port for the next run).
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(addr: &str) -> Result<()> {
    // Generous: a server started under valgrind takes a while.
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("nothing listens on {addr} after 30 s"))
}

#[derive(Debug)]
struct Measure {
    label: String,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// CPU time the proxy itself spent per request (user + system, from /proc), when measured:
    /// unlike requests/s, it hardly depends on what else the machine is doing.
    cpu_us: Option<f64>,
}

/// User + system CPU time of these processes so far, in microseconds.
fn cpu_time_us(pids: &[u32]) -> f64 {
    let ticks_per_sec = 100.0; // USER_HZ on Linux
    pids.iter()
        .filter_map(|pid| fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| {
            // Fields after the command name (which may contain spaces) start after the last ')'.
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            (ticks(11) + ticks(12)) / ticks_per_sec * 1e6 // utime, stime
        })
        .sum()
}

/// The processes doing a proxy's work: nginx's master and workers.
fn child_pids(parent: u32) -> Vec<u32> {
    let children = output(Command::new("pgrep").args(["-P", &parent.to_string()])).unwrap_or_default();
    let mut pids: Vec<u32> = children.split_whitespace().filter_map(|p| p.parse().ok()).collect();
    pids.push(parent);
    pids
}

fn to_ms(text: &str) -> f64 {
    let text = text.trim();
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    number.trim().parse::<f64>().unwrap_or(f64::NAN) * factor
}

fn wrk(label: &str, url: &str, headers: &[(&str, &str)], connections: u32, proxy: &[u32]) -> Result<Measure> {
    let cpu_before = cpu_time_us(proxy);
    let threads = connections.min(2);
    let mut c = Command::new("wrk");
    c.args(["-t", &threads.to_string(), "-c", &connections.to_string(), "-d", &format!("{SECONDS}s"), "--latency"]);
    for (name, value) in headers {
        c.args(["-H", &format!("{name}: {value}")]);
    }
    c.arg(url);
    let out = output(&mut c).ok_or_else(|| format!("wrk failed for {label}"))?;
    let line = |prefix: &str| out.lines().find(|l| l.trim_start().starts_with(prefix)).map(str::to_string);
    let rps = line("Requests/sec:")
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .ok_or_else(|| format!("no Requests/sec in wrk's output for {label}:\n{out}"))?;
    let pct = |p: &str| line(p).and_then(|l| l.split_whitespace().nth(1).map(to_ms)).unwrap_or(f64::NAN);
    if out.contains("Non-2xx") || out.contains("Socket errors") {
        return Err(format!("{label}: wrk saw non-2xx answers:\n{out}"));
    }
    let requests = rps * f64::from(SECONDS);
    let cpu_us = (!proxy.is_empty() && requests > 0.0).then(|| (cpu_time_us(proxy) - cpu_before) / requests);
    let m = Measure { label: format!("{label}, c={connections}"), rps, p50_ms: pct("50%"), p99_ms: pct("99%"), cpu_us };
    eprintln!(
        "xtask: {:<44} {:>9.0} req/s  p50 {:>6.3} ms  p99 {:>6.3} ms  cpu {}",
        m.label,
        m.rps,
        m.p50_ms,
        m.p99_ms,
        m.cpu_us.map(|c| format!("{c:.1} µs/req")).unwrap_or_else(|| "-".into())
    );
    Ok(m)
}

fn nginx_conf(dir: &Path) -> Result<PathBuf> {
    let conf = format!(
        "worker_processes auto;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\ndaemon off;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {dir};\n  proxy_temp_path {dir};\n  fastcgi_temp_path {dir};\n  uwsgi_temp_path {dir};\n  scgi_temp_path {dir};\n\
           upstream mock {{ server {MOCK}; keepalive 64; }}\n\
           server {{\n    listen {NGINX};\n    location / {{\n      proxy_pass http://mock;\n      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n      proxy_set_header Authorization \"Bearer {API_KEY}\";\n    }}\n  }}\n}}\n",
        dir = dir.display()
    );
    let path = dir.join("nginx.conf");
    fs::write(&path, conf).map_err(|e| e.to_string())?;
    Ok(path)
}

fn curl_json(args: &[&str]) -> Result<String> {
    output(Command::new("curl").args(["-sS", "--fail-with-body"]).args(args))
        .ok_or_else(|| format!("curl {args:?} failed"))
}

/// A string field of a JSON object (compact or pretty-printed); enough for our own answers.
fn json_field(json: &str, field: &str) -> Result<String> {
    let needle = format!("\"{field}\"");
    let after = json.find(&needle).ok_or_else(|| format!("no {field} in {json}"))? + needle.len();
    let rest = json[after..].trim_start().strip_prefix(':').ok_or_else(|| format!("no value for {field}"))?;
    let rest = rest.trim_start().strip_prefix('"').ok_or_else(|| format!("{field} is not a string"))?;
    let end = rest.find('"').ok_or("unterminated")?;
    Ok(rest[..end].to_string())
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A running Portico with a workspace whose test secret key owns one connection to the mock.
struct Portico {
    server: Running,
    addr: String,
    secret: String,
    key: String,
}

/// Starts `portico serve` on `database_url` (under `wrapper`, e.g. valgrind, when given) and
/// connects the mock through it.
fn start_portico(bin: &Path, dir: &Path, database_url: &str, addr: &str, wrapper: &[&str]) -> Result<Portico> {
    fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let env: Vec<(&str, String)> = vec![
        ("DATABASE_URL", database_url.to_string()),
        ("PORTICO_DATA_DIR", dir.display().to_string()),
        ("PORTICO_VAULT_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string()),
        ("PORTICO_LISTEN", addr.to_string()),
        ("PORTICO_MOCK_PROVIDER_URL", format!("http://{MOCK}")),
        ("PORTICO_PASSTHROUGH_ALLOW_PRIVATE", format!("http://{MOCK}")),
        ("PORTICO_RATE_LIMIT_CONNECTION_PER_MINUTE", "0".to_string()),
        ("PORTICO_RATE_LIMIT_KEY_PER_MINUTE", "0".to_string()),
        ("PORTICO_LOG", "warn".to_string()),
    ];
    let with_env = |c: &mut Command| {
        for (k, v) in &env {
            c.env(k, v);
        }
    };
    let mut create = Command::new(bin);
    create.args(["workspace", "create", "--name", "bench", "--json"]);
    with_env(&mut create);
    let created = output(&mut create).ok_or("workspace create failed")?;
    let workspace = json_field(&created, "workspaceId")?;
    let secret = json_field(&created, "testSecretKey")?;
    let mut enable = Command::new(bin);
    enable.args(["integration", "enable", "--workspace", &workspace, "--environment", "test", "mock"]);
    with_env(&mut enable);
    output(&mut enable).ok_or("integration enable failed")?;
    let mut serve = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    serve.arg("serve").stdout(Stdio::null()).stderr(Stdio::null());
    with_env(&mut serve);
    let server = Running(serve.spawn().map_err(|e| e.to_string())?);
    wait_for(addr)?;
    let minted = curl_json(&[
        "-X",
        "POST",
        &format!("http://{addr}/v1/authkit/token"),
        "-H",
        &format!("x-portico-secret: {secret}"),
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"identity":"bench-user","identityType":"user"}"#,
    ])?;
    let token = json_field(&minted, "token")?;
    let connection = curl_json(&[
        "-X",
        "POST",
        &format!("http://{addr}/v1/authkit/connections"),
        "-H",
        &format!("authorization: Bearer {token}"),
        "-H",
        "content-type: application/json",
        "-d",
        &format!(r#"{{"platform":"mock","fields":{{"apiKey":"{API_KEY}"}}}}"#),
    ])?;
    let key = json_field(&connection, "key")?;
    Ok(Portico { server, addr: addr.to_string(), secret, key })
}

/// Sends `n` passthrough calls one after another on one kept-alive connection, checking each
/// answer is a 200.
fn call_sequentially(portico: &Portico, n: usize) -> Result<()> {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut stream = TcpStream::connect(&portico.addr).map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let request = format!(
        "GET /v1/passthrough/me HTTP/1.1\r\nhost: {}\r\nx-portico-secret: {}\r\nx-portico-connection-key: {}\r\n\r\n",
        portico.addr, portico.secret, portico.key
    );
    let mut line = String::new();
    for _ in 0..n {
        stream.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        line.clear();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        if !line.starts_with("HTTP/1.1 200") {
            return Err(format!("passthrough answered {}", line.trim()));
        }
        let mut length = None;
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(|e| e.to_string())?;
            let header = line.trim().to_ascii_lowercase();
            if header.is_empty() {
                break;
            }
            if let Some(v) = header.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            }
        }
        let length = length.ok_or("the answer has no content-length")?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// User-space instructions of one passthrough call (SQLite), counted by callgrind: the server
/// runs N calls and then 3N, each time from a fresh start, and the difference is divided by 2N,
/// so start-up and shutdown cancel out. Unlike timings, the count does not move with the load.
fn instructions_per_call(bin: &Path, dir: &Path) -> Result<f64> {
    const N: usize = 300;
    let mut totals = Vec::new();
    for calls in [N, 3 * N] {
        let run_dir = dir.join(format!("callgrind-{calls}"));
        let out = run_dir.join("callgrind.out");
        let out_arg = format!("--callgrind-out-file={}", out.display());
        let database = format!("sqlite://{}/counted.db?mode=rwc", run_dir.display());
        let portico =
            start_portico(bin, &run_dir, &database, PORTICO_COUNTED, &["valgrind", "--tool=callgrind", &out_arg])?;
        call_sequentially(&portico, calls)?;
        // SIGINT: the server shuts down gracefully and callgrind writes its counts.
        run("stopping the counted server", Command::new("kill").args(["-INT", &portico.server.0.id().to_string()]))?;
        let mut server = portico.server;
        let _ = server.0.wait();
        let text = fs::read_to_string(&out).map_err(|e| format!("no callgrind output: {e}"))?;
        let total = text
            .lines()
            .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or("no total in the callgrind output")?;
        totals.push(total);
    }
    Ok((totals[1] - totals[0]) / (2 * N) as f64)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

pub fn passthrough() -> Result<()> {
    let missing: Vec<&str> = ["nginx", "wrk", "curl"]
        .into_iter()
        .filter(|tool| output(Command::new("sh").args(["-c", &format!("command -v {tool}")])).is_none())
        .collect();
    if !missing.is_empty() {
        apt_install(&missing)?;
    }
    run("building portico (release)", cmd("cargo").args(["build", "--release", "-p", "portico"]).current_dir(root()))?;
    let bin = target_dir().join("release").join("portico");
    let dir = std::env::temp_dir().join(format!("portico-bench-{}", std::process::id()));
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;

    let _mock = Running(
        Command::new(&bin)
            .args(["mock-provider", "--listen", MOCK])
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?,
    );
    wait_for(MOCK)?;
    let conf = nginx_conf(&dir)?;
    let nginx = Running(
        Command::new("nginx").arg("-c").arg(&conf).arg("-p").arg(&dir).spawn().map_err(|e| format!("nginx: {e}"))?,
    );
    wait_for(NGINX)?;
    std::thread::sleep(Duration::from_millis(300)); // let the workers start
    let nginx_pids = child_pids(nginx.0.id());
    if nginx_pids.len() < 2 {
        return Err("nginx started no worker processes".into());
    }

    let mut backends = vec![("SQLite".to_string(), format!("sqlite://{}/bench.db?mode=rwc", dir.display()))];
    let pg = std::env::var("PORTICO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_TEST_POSTGRES.to_string());
    let mut pg_database = None;
    if postgres_reachable(&pg) {
        let name = format!("portico_bench_{}", std::process::id());
        run(
            "creating a PostgreSQL database",
            Command::new("psql").args([&pg, "-qc", &format!("CREATE DATABASE {name}")]),
        )?;
        let (prefix, _) = pg.rsplit_once('/').ok_or("bad PostgreSQL URL")?;
        backends.push(("PostgreSQL".to_string(), format!("{prefix}/{name}")));
        pg_database = Some(name);
    } else {
        eprintln!("xtask: NOTICE: PostgreSQL not reachable; Portico is measured on SQLite only");
    }
    let mut porticos = Vec::new();
    for ((label, url), port) in backends.iter().zip(PORTICO_PORTS) {
        let addr = format!("127.0.0.1:{port}");
        porticos.push((label.clone(), start_portico(&bin, &dir.join(label), url, &addr, &[])?));
    }

    let rounds: usize =
        std::env::var("PORTICO_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(3);
    let auth = format!("Bearer {API_KEY}");
    // (setup, concurrency) -> one measure per round.
    let mut results: Vec<((String, u32), Vec<Measure>)> = Vec::new();
    let mut record = |setup: &str, c: u32, m: Measure| match results.iter_mut().find(|(k, _)| k.0 == setup && k.1 == c)
    {
        Some((_, list)) => list.push(m),
        None => results.push(((setup.to_string(), c), vec![m])),
    };
    for round in 1..=rounds {
        eprintln!("xtask: round {round} of {rounds}");
        for c in [1, 64] {
            record("direct", c, wrk("direct", &format!("http://{MOCK}/api/me"), &[("Authorization", &auth)], c, &[])?);
            record(
                "nginx proxy_pass",
                c,
                wrk("nginx proxy_pass", &format!("http://{NGINX}/api/me"), &[], c, &nginx_pids)?,
            );
            for (label, p) in &porticos {
                let setup = format!("Portico passthrough ({label})");
                let headers = [("x-portico-secret", p.secret.as_str()), ("x-portico-connection-key", p.key.as_str())];
                let m = wrk(&setup, &format!("http://{}/v1/passthrough/me", p.addr), &headers, c, &[p.server.0.id()])?;
                record(&setup, c, m);
            }
        }
    }
    let memory: Vec<String> = porticos
        .iter()
        .map(|(label, p)| {
            let pid = p.server.0.id();
            format!(
                "Portico ({label}) after load: RSS {} MiB, peak {} MiB",
                rss_kib(pid, "VmRSS:") / 1024,
                rss_kib(pid, "VmHWM:") / 1024
            )
        })
        .collect();
    drop(porticos);

    println!("\nMedians of {rounds} rounds:\n\n| setup | concurrency | requests/s | p50 | p99 | proxy CPU per request |\n|---|---|---|---|---|---|");
    for ((setup, c), list) in &results {
        let med = |f: fn(&Measure) -> f64| median(list.iter().map(f).collect());
        let cpu = med(|m| m.cpu_us.unwrap_or(f64::NAN));
        let cpu = if cpu.is_finite() { format!("{cpu:.1} µs") } else { "-".into() };
        println!(
            "| {setup} | {c} | {:.0} | {:.3} ms | {:.3} ms | {cpu} |",
            med(|m| m.rps),
            med(|m| m.p50_ms),
            med(|m| m.p99_ms)
        );
    }
    let find = |setup: &str, c: u32| results.iter().find(|(k, _)| k.0 == setup && k.1 == c).map(|(_, list)| list);
    for (label, _) in &backends {
        let setup = format!("Portico passthrough ({label})");
        if let (Some(direct), Some(p1), Some(nginx), Some(p64)) =
            (find("direct", 1), find(&setup, 1), find("nginx proxy_pass", 64), find(&setup, 64))
        {
            let added: Vec<f64> = direct.iter().zip(p1).map(|(d, p)| p.p50_ms - d.p50_ms).collect();
            let ratios: Vec<f64> = nginx.iter().zip(p64).map(|(n, p)| 100.0 * p.rps / n.rps).collect();
            let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.0}%")).collect();
            println!(
                "\n{label}: Portico adds {:.3} ms at p50 (c=1, median); its throughput is {:.0}% of nginx's (c=64, median of the rounds: {}); CPU per request {:.1} µs vs nginx's {:.1} µs (medians).",
                median(added),
                median(ratios),
                shown.join(", "),
                median(p64.iter().map(|m| m.cpu_us.unwrap_or(f64::NAN)).collect()),
                median(nginx.iter().map(|m| m.cpu_us.unwrap_or(f64::NAN)).collect()),
            );
        }
    }
    for line in memory {
        println!("{line}");
    }
    if output(Command::new("sh").args(["-c", "command -v valgrind"])).is_some() {
        eprintln!("xtask: counting instructions per call under callgrind (about a minute)");
        match instructions_per_call(&bin, &dir) {
            Ok(count) => println!("\nInstructions per passthrough call (SQLite, user space, callgrind): {count:.0}"),
            Err(e) => eprintln!("xtask: NOTICE: instruction count failed: {e}"),
        }
    } else {
        eprintln!("xtask: NOTICE: valgrind is not installed; no instruction count");
    }
    if let Some(name) = pg_database {
        let _ = Command::new("psql").args([&pg, "-qc", &format!("DROP DATABASE IF EXISTS {name}")]).status();
    }
    let _ = fs::remove_dir_all(&dir);
    Ok(())
}
