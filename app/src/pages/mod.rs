//! One module a screen, and the chrome they share.

pub mod chrome;
pub mod home;
pub mod integrations;
pub mod oauth_panel;
pub mod sign_in;
