//! One module a screen, and the chrome they share.

pub mod chrome;
pub mod connection;
pub mod connections;
pub mod events;
pub mod home;
pub mod integrations;
pub mod keys;
pub mod oauth_panel;
pub mod origins;
pub mod sign_in;
