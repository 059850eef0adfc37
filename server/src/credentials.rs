//! A connection's credentials as sealed in the vault, and the names of the values Portico itself
//! keeps among them (tokens and their times). Everything else in them comes from the connect form
//! (`apiKey`, `username`, `connectionConfig.<name>`…), named by the catalog.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// The names of the values Portico writes into credentials (the catalog's templates read them as
/// `${accessToken}`…).
pub mod field {
    pub const ACCESS_TOKEN: &str = "accessToken";
    pub const REFRESH_TOKEN: &str = "refreshToken";
    pub const TOKEN_TYPE: &str = "tokenType";
    pub const SCOPE: &str = "scope";
    /// When the access token expires, Unix ms.
    pub const EXPIRES_AT: &str = "expiresAt";
    /// When the access token was obtained, Unix ms.
    pub const OBTAINED_AT: &str = "obtainedAt";
    /// A client-credentials platform's client, as the user entered it.
    pub const CLIENT_ID: &str = "clientId";
    pub const CLIENT_SECRET: &str = "clientSecret";
}

/// A connection's credentials and settings, as sealed in the vault: `apiKey`, `username`,
/// `password`, `accessToken`, `connectionConfig.<name>`…  Wiped from memory when dropped; never
/// printed.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Credentials(BTreeMap<String, String>);

impl Credentials {
    pub fn new(values: BTreeMap<String, String>) -> Self {
        Credentials(values)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_string(), value.into());
    }

    pub fn remove(&mut self, name: &str) {
        if let Some(mut old) = self.0.remove(name) {
            old.zeroize();
        }
    }

    /// A whole-number field (`expiresAt`, `obtainedAt`).
    pub fn get_i64(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.parse().ok())
    }

    /// When the access token expires (Unix ms), if it does.
    pub fn expires_at(&self) -> Option<i64> {
        self.get_i64(field::EXPIRES_AT)
    }

    pub fn access_token(&self) -> Option<&str> {
        self.get(field::ACCESS_TOKEN)
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.get(field::REFRESH_TOKEN)
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        for value in self.0.values_mut() {
            value.zeroize();
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()?;
        f.write_str(" (values redacted)")
    }
}
