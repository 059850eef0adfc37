//! `include_dir!` embeds `public/` (the loader, logos) but cannot tell cargo to rebuild when a
//! file there is added or changed (that needs a nightly-only API), so a regenerated logo would be
//! served stale until something else changed. Cargo scans a directory named here for changes.
fn main() {
    println!("cargo:rerun-if-changed=../public");
}
