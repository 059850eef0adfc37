//! Hashes of presented secrets (secret keys, AuthKit tokens, connect-link codes, OAuth `state`):
//! SHA-256 with a domain prefix, so a value of one kind can never match a stored hash of another.
//! Stored hashes only ever come from here.

use sha2::{Digest, Sha256};

/// What a hashed secret is; each kind is its own hash domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    SecretKey,
    AuthkitToken,
    ConnectLink,
    OauthState,
    /// The one-time secret that lets the window which created an OAuth attempt start it.
    OauthStart,
    /// A dashboard operator's session cookie.
    DashboardSession,
    /// The CSRF token derived from a dashboard session (see `operators::sessions`).
    DashboardCsrf,
    AgentToken,
}

impl SecretKind {
    fn domain(self) -> &'static [u8] {
        match self {
            SecretKind::SecretKey => b"portico secret key\0",
            SecretKind::AuthkitToken => b"portico authkit token\0",
            SecretKind::ConnectLink => b"portico connect link\0",
            SecretKind::OauthState => b"portico oauth state\0",
            SecretKind::OauthStart => b"portico oauth start\0",
            SecretKind::DashboardSession => b"portico dashboard session\0",
            SecretKind::DashboardCsrf => b"portico dashboard csrf\0",
            SecretKind::AgentToken => b"portico agent token\0",
        }
    }
}

/// `SHA-256("portico <kind>\0" ‖ text)`.
pub fn hash_secret(kind: SecretKind, text: &str) -> [u8; 32] {
    Sha256::new_with_prefix(kind.domain()).chain_update(text.as_bytes()).finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_separate_domains() {
        let a = hash_secret(SecretKind::AuthkitToken, "x");
        assert_ne!(a, hash_secret(SecretKind::ConnectLink, "x"));
        assert_ne!(a, hash_secret(SecretKind::SecretKey, "x"));
        assert_eq!(a, hash_secret(SecretKind::AuthkitToken, "x"));
    }

    #[test]
    fn the_domain_is_the_stored_one() {
        // Stored hashes must stay valid across releases: pin one.
        assert_eq!(
            hex::encode(hash_secret(SecretKind::OauthState, "abc")),
            hex::encode(Sha256::new_with_prefix(b"portico oauth state\0").chain_update(b"abc").finalize())
        );
    }
}
