//! `include_dir!` embeds `platforms/` but cannot tell cargo to rebuild when a file there is
//! added or edited (that needs a nightly-only API), so a new platform file would be missing from
//! the binary until something else changed. Cargo scans a directory named here for changes.
fn main() {
    println!("cargo:rerun-if-changed=platforms");
}
