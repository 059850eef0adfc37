//! Who owns what: workspaces, their two environments, and the identities inside them.
//!
//! A [`Scope`] (workspace + environment) is the first argument of every store method, so no code
//! path can load a connection, a setting or a token without naming the tenant it acts for. The
//! only way to get a `Scope` in a handler is to authenticate (a secret key or an AuthKit token).

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Test,
    Live,
}

impl Environment {
    pub const ALL: [Environment; 2] = [Environment::Test, Environment::Live];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(Environment::Test),
            "live" => Some(Environment::Live),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Live => "live",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ws_` followed by 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct WorkspaceId(String);

impl WorkspaceId {
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix("ws_")?;
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            .then(|| WorkspaceId(s.to_string()))
    }

    pub fn generate(entropy: &dyn crate::clock::Entropy) -> Self {
        WorkspaceId(format!("ws_{}", crate::clock::random_hex(entropy, 16)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant: one environment of one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub workspace_id: WorkspaceId,
    pub environment: Environment,
}

/// Who owns a connection, exactly as the host names them: at most 128 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Identity(String);

pub const MAX_IDENTITY_LEN: usize = 128;

impl Identity {
    /// Takes the identity exactly as sent. Whitespace (anywhere, leading and trailing included),
    /// `:` (connection keys use `::`), `|` and control characters are refused, never rewritten:
    /// rewriting made `team:42`, `team 42` and `team_42` one identity, so one host user could
    /// reach another's connections.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("identity must not be empty".into());
        }
        if raw.chars().any(char::is_whitespace) {
            return Err("identity must not contain spaces or other whitespace".into());
        }
        if let Some(c) = raw.chars().find(|c| c.is_control() || matches!(c, ':' | '|')) {
            return Err(match c {
                ':' => "identity must not contain `:`".into(),
                '|' => "identity must not contain `|`".into(),
                _ => "identity must not contain control characters".into(),
            });
        }
        if raw.chars().count() > MAX_IDENTITY_LEN {
            return Err(format!("identity must be at most {MAX_IDENTITY_LEN} characters"));
        }
        Ok(Identity(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityType {
    User,
    Team,
    Organization,
    Project,
}

impl IdentityType {
    pub const EXPECTED: &'static str = "one of user, team, organization, project";

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(IdentityType::User),
            "team" => Some(IdentityType::Team),
            "organization" => Some(IdentityType::Organization),
            "project" => Some(IdentityType::Project),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityType::User => "user",
            IdentityType::Team => "team",
            IdentityType::Organization => "organization",
            IdentityType::Project => "project",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn identities_differing_only_in_whitespace_or_colons_never_collapse() {
        // Rewritten, `team:42`, `team 42` and `team_42` were one identity: one host user could
        // reach another's connections. They are refused instead, so each accepted one is as sent.
        for raw in ["team:42", "team 42", "  team_42  ", " alice", "alice ", "a\tb", "a\u{a0}b", "a::b"] {
            assert!(Identity::parse(raw).is_err(), "{raw:?} was accepted");
        }
        for exact in ["team_42", "user-123", "alice@example.com", "org/team.1"] {
            assert_eq!(Identity::parse(exact).unwrap().as_str(), exact);
        }
    }

    #[test]
    fn identity_refuses_empty_long_and_control() {
        assert!(Identity::parse("   ").is_err());
        assert!(Identity::parse(&"x".repeat(129)).is_err());
        assert!(Identity::parse(&"é".repeat(128)).is_ok(), "the limit counts characters");
        assert!(Identity::parse("a\u{0}b").is_err());
        assert!(Identity::parse("a|b").is_err());
    }

    #[test]
    fn identity_type_accepts_only_the_four_kinds() {
        for t in ["user", "team", "organization", "project"] {
            assert_eq!(IdentityType::parse(t).unwrap().as_str(), t);
        }
        assert!(IdentityType::parse("User").is_none());
        assert!(IdentityType::parse("org").is_none());
    }

    #[test]
    fn workspace_ids_are_checked() {
        assert!(WorkspaceId::parse("ws_0123456789abcdef0123456789abcdef").is_some());
        assert!(WorkspaceId::parse("ws_0123456789ABCDEF0123456789abcdef").is_none());
        assert!(WorkspaceId::parse("ws_123").is_none());
        assert!(WorkspaceId::parse("0123456789abcdef0123456789abcdef").is_none());
    }

    proptest! {
        #[test]
        fn a_parsed_identity_is_stable_and_safe_in_keys(raw in ".{0,200}") {
            if let Ok(identity) = Identity::parse(&raw) {
                let s = identity.as_str();
                prop_assert!(!s.contains(':') && !s.contains('|'));
                prop_assert!(s.chars().count() <= MAX_IDENTITY_LEN);
                prop_assert_eq!(Identity::parse(s).unwrap(), identity.clone());
            }
        }
    }
}
