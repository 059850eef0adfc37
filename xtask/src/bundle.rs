//! The modal's bundle as browsers get it: content-hashed file names (so they can be cached for a
//! year, `immutable`), gzip and brotli copies beside each file (served as they are, no compression
//! per request), a `manifest.json` the server reads to name them in the page, and the size budget
//! of everything a browser downloads before the list shows.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{root, Result};

/// Issue 15's budget: HTML + JS + WASM + CSS, gzip, before the integration list is visible.
pub const MODAL_BUDGET: u64 = 80 * 1024;
/// What `cargo xtask test` holds the bundle to until it fits the budget: the figure measured
/// when the check was added, rounded up, so it can only shrink. Lower it as the bundle shrinks.
/// Raised once, from 150 KiB, by the languages (docs/BENCHMARKS.md): the first load now counts a
/// non-English page's table of words (2 KB) and the WASM its English words and their code (6 KB).
pub const MODAL_CEILING: u64 = 155 * 1024;

const STEM_JS: &str = "portico_modal";
const STEM_WASM: &str = "portico_modal_bg";
const STEM_CSS: &str = "modal";
/// One language's screen words, and its error wordings (fetched after the first screen).
const STEM_MESSAGES: &str = "messages";
const STEM_ERRORS: &str = "errors";

fn io(path: &Path) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// FNV-1a over the bytes: enough to change the name whenever the content changes.
fn content_hash(parts: &[&[u8]]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut child = std::process::Command::new("gzip")
        .args(["-9c", "-n"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("gzip: {e}"))?;
    child.stdin.take().ok_or("gzip: no stdin")?.write_all(data).map_err(|e| format!("gzip: {e}"))?;
    let out = child.wait_with_output().map_err(|e| format!("gzip: {e}"))?;
    Ok(out.stdout)
}

fn brotli(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).map_err(|e| format!("brotli: {e}"))?;
    Ok(out)
}

/// Writes `file` and its `.gz` and `.br` copies.
fn write_compressed(file: &Path, data: &[u8]) -> Result<()> {
    fs::write(file, data).map_err(io(file))?;
    let gz = file.with_extension(format!("{}.gz", ext(file)));
    fs::write(&gz, gzip(data)?).map_err(io(&gz))?;
    let br = file.with_extension(format!("{}.br", ext(file)));
    fs::write(&br, brotli(data)?).map_err(io(&br))
}

fn ext(file: &Path) -> String {
    file.extension().and_then(|e| e.to_str()).unwrap_or_default().to_string()
}

/// Renames wasm-bindgen's `portico_modal.js` / `portico_modal_bg.wasm` in `dir` to hashed names,
/// compresses them, removes older builds' files and writes `manifest.json`.
pub fn finish(dir: &Path) -> Result<()> {
    let js_path = dir.join(format!("{STEM_JS}.js"));
    let wasm_path = dir.join(format!("{STEM_WASM}.wasm"));
    let js = fs::read(&js_path).map_err(io(&js_path))?;
    let wasm = fs::read(&wasm_path).map_err(io(&wasm_path))?;
    let css_path = root().join("style/modal.css");
    let css = fs::read(&css_path).map_err(io(&css_path))?;
    let hash = content_hash(&[&js, &wasm, &css]);
    for entry in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if [STEM_JS, STEM_WASM, STEM_CSS, STEM_MESSAGES, STEM_ERRORS]
            .iter()
            .any(|stem| name.starts_with(&format!("{stem}-")))
        {
            fs::remove_file(entry.path()).map_err(io(&entry.path()))?;
        }
    }
    let js_name = format!("{STEM_JS}-{hash}.js");
    let wasm_name = format!("{STEM_WASM}-{hash}.wasm");
    write_compressed(&dir.join(&js_name), &js)?;
    write_compressed(&dir.join(&wasm_name), &wasm)?;
    let css_name = format!("{STEM_CSS}-{hash}.css");
    write_compressed(&dir.join(&css_name), &css)?;
    fs::remove_file(&js_path).map_err(io(&js_path))?;
    fs::remove_file(&wasm_path).map_err(io(&wasm_path))?;
    let i18n = write_messages(dir)?;
    let manifest = dir.join("manifest.json");
    let text = format!(
        "{{\"js\":\"{js_name}\",\"wasm\":\"{wasm_name}\",\"css\":\"{css_name}\",\
         \"messages\":\"{STEM_MESSAGES}-{{lang}}-{i18n}.json\",\"errors\":\"{STEM_ERRORS}-{{lang}}-{i18n}.json\"}}\n"
    );
    fs::write(&manifest, text).map_err(io(&manifest))
}

/// The message tables of `i18n/`, one per language.
fn message_tables() -> Result<Vec<(String, String)>> {
    let source = root().join("i18n");
    let mut tables = Vec::new();
    for entry in fs::read_dir(&source).map_err(io(&source))?.flatten() {
        let path = entry.path();
        if let Some(lang) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json")) {
            tables.push((lang.to_string(), fs::read_to_string(&path).map_err(io(&path))?));
        }
    }
    tables.sort();
    Ok(tables)
}

/// Splits each language's table into the screens' words and the error wordings (the page's own
/// `boot.*` words stay on the server) and writes both under one content hash, which it returns.
fn write_messages(dir: &Path) -> Result<String> {
    let tables = message_tables()?;
    let hash = content_hash(&tables.iter().map(|(_, text)| text.as_bytes()).collect::<Vec<_>>());
    for (lang, text) in &tables {
        let table: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("i18n/{lang}.json: {e}"))?;
        let (errors, messages): (serde_json::Map<_, _>, serde_json::Map<_, _>) =
            table.into_iter().filter(|(k, _)| !k.starts_with("boot.")).partition(|(k, _)| k.starts_with("error."));
        for (stem, part) in [(STEM_MESSAGES, messages), (STEM_ERRORS, errors)] {
            let json = serde_json::Value::Object(part).to_string();
            write_compressed(&dir.join(format!("{stem}-{lang}-{hash}.json")), json.as_bytes())?;
        }
    }
    Ok(hash)
}

/// The built bundle's files (JS, WASM, CSS), from its manifest.
fn bundle_files(dir: &Path) -> Result<[PathBuf; 3]> {
    let manifest = dir.join("manifest.json");
    let text =
        fs::read_to_string(&manifest).map_err(|e| format!("{}: {e} (run cargo xtask build)", manifest.display()))?;
    let field = |key: &str| {
        let start = text.find(&format!("\"{key}\":\""))? + key.len() + 4;
        let end = start + text[start..].find('"')?;
        Some(dir.join(&text[start..end]))
    };
    let [Some(js), Some(wasm), Some(css)] = [field("js"), field("wasm"), field("css")] else {
        return Err(format!("{}: js, wasm or css missing", manifest.display()));
    };
    Ok([js, wasm, css])
}

/// One row of the first-load table: a name, raw bytes, gzip bytes.
pub type Row = (String, u64, u64);

/// Everything the modal's page downloads before the list is visible, gzip -9 each, in the
/// language whose screen words are the largest (English has none to fetch; the error wordings
/// come after the first screen).
pub fn first_load(dir: &Path) -> Result<Vec<Row>> {
    let [js, wasm, css] = bundle_files(dir)?;
    let mut messages = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{STEM_MESSAGES}-")) && name.ends_with(".json") {
            let data = fs::read(entry.path()).map_err(io(&entry.path()))?;
            messages.push((gzip(&data)?.len(), name, data));
        }
    }
    let largest = messages.into_iter().max().ok_or("no message tables (run cargo xtask build)")?;
    let lang = largest.1.split('-').nth(1).unwrap_or_default().to_string();
    let page = fs::read_to_string(root().join("frontend/modal.html")).map_err(|e| format!("modal.html: {e}"))?;
    let page = page
        .replace("{lang}", &lang)
        .replace("{dir}", "ltr")
        .replace("{mode}", "embedded")
        .replace("{js}", &format!("/modal/pkg/{}", file_name(&js)))
        .replace("{wasm}", &format!("/modal/pkg/{}", file_name(&wasm)))
        .replace("{css}", &format!("/modal/pkg/{}", file_name(&css)))
        .replace(
            "{preload_messages}",
            &format!("<link rel=\"preload\" href=\"/modal/pkg/{}\" as=\"fetch\" crossorigin>", largest.1),
        );
    let mut rows = vec![row("page (HTML)", page.into_bytes())?];
    for (name, path) in
        [("boot.js", root().join("frontend/boot.js")), ("CSS", css), ("bundle JS", js), ("bundle WASM", wasm)]
    {
        rows.push(row(name, fs::read(&path).map_err(io(&path))?)?);
    }
    rows.push(row(&format!("messages ({lang})"), largest.2)?);
    Ok(rows)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn row(name: &str, data: Vec<u8>) -> Result<Row> {
    Ok((name.to_string(), data.len() as u64, gzip(&data)?.len() as u64))
}

/// Prints the first-load table; fails when its gzip total passes `limit`.
pub fn check(dir: &Path, limit: u64, what: &str) -> Result<()> {
    let rows = first_load(dir)?;
    println!("{:<26} {:>12} {:>12}", "modal first load", "raw bytes", "gzip -9");
    for (name, raw, gz) in &rows {
        println!("{name:<26} {raw:>12} {gz:>12}");
    }
    let total: u64 = rows.iter().map(|r| r.2).sum();
    println!("{:<26} {:>12} {total:>12}  ({what}: {limit})", "total", rows.iter().map(|r| r.1).sum::<u64>());
    if total > limit {
        return Err(format!("the modal downloads {total} bytes gzip before its list shows; the {what} is {limit}"));
    }
    Ok(())
}
