//! The `portico` binary: a shim over the library's command line.
#![forbid(unsafe_code)]

// mimalloc: passthrough allocates per request (headers, URLs, bodies in flight); glibc's
// allocator showed up at ~12% of a passthrough profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    portico::cli::main()
}
