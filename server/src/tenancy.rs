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

/// Who owns a connection, as the host names them: at most 128 characters once normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Identity(String);

pub const MAX_IDENTITY_LEN: usize = 128;

impl Identity {
    /// Trims, then replaces each run of whitespace and each `:` with `_`: connection keys use `::`
    /// as a separator, and Pica advises against both characters in identities. Control characters
    /// and `|` are refused rather than rewritten, since no host means them.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("identity must not be empty".into());
        }
        let mut out = String::with_capacity(trimmed.len());
        let mut in_space = false;
        for c in trimmed.chars() {
            if c.is_control() && !c.is_whitespace() {
                return Err("identity must not contain control characters".into());
            }
            if c == '|' {
                return Err("identity must not contain `|`".into());
            }
            if c.is_whitespace() {
                if !in_space {
                    out.push('_');
                }
                in_space = true;
                continue;
            }
            in_space = false;
            out.push(if c == ':' { '_' } else { c });
        }
        if out.chars().count() > MAX_IDENTITY_LEN {
            return Err(format!("identity must be at most {MAX_IDENTITY_LEN} characters"));
        }
        Ok(Identity(out))
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
    fn identity_normalises_spaces_and_colons() {
        assert_eq!(Identity::parse("  team:42  alpha ").unwrap().as_str(), "team_42_alpha");
        assert_eq!(Identity::parse("user-123").unwrap().as_str(), "user-123");
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
