//! Integration tests: the real server on a loopback port, against a real SQLite file and a real
//! PostgreSQL database (a fresh one per test), with the project's mock provider as the upstream.
//! Every test runs on both backends; PostgreSQL is skipped with a notice when unreachable.

mod helpers;

mod abuse;
mod agents;
mod authkit;
mod caching;
mod catalog;
mod connections;
mod dashboard;
mod dashboard_pages;
mod isolation;
mod limits;
mod oauth;
mod oauth_binding;
mod openapi;
mod passthrough;
mod shapes;
mod slow_clients;
mod storage;
mod upstream;
mod vault;
mod web;
mod workers;
