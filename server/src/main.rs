//! The `portico` binary: a shim over the library's command line.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    portico::cli::main()
}
