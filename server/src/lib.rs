//! Portico's server: the HTTP API, the modal's pages, the vault, the store and passthrough.
//!
//! `Application::build(Config)` wires everything; `main.rs` is a shim over [`cli`]. Tests start an
//! `Application` on port 0 with a fresh database. ARCHITECTURE.md maps these modules to the flow.
#![forbid(unsafe_code)]

pub mod address_budget;
pub mod agents;
pub mod apidoc;
pub mod authkit;
pub mod cache;
pub mod calls;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod credentials;
pub mod dashboard;
pub mod demo;
pub mod digest;
pub mod error;
pub mod events;
pub mod form;
pub mod housekeeping;
pub mod i18n;
pub mod keys;
pub mod lifecycle;
pub mod oauth;
pub mod operators;
pub mod passthrough;
pub mod query;
pub mod ratelimit;
mod routes;
pub mod serve;
pub mod session;
mod startup;
mod state;
pub mod store;
pub mod telemetry;
pub mod tenancy;
pub mod upstream;
pub mod vault;
pub mod web;
mod workers;
pub mod workspaces;

pub use routes::{api, ApiDoc};
pub use startup::{load_vault, write_private_file, Application, StartupError};
pub use state::{AppState, AppStateInner, KeyCache};
