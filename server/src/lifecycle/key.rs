//! Connection keys: `{env}::{platform}::{configKey}::{32 hex}` then `|` and the identity, e.g.
//! `test::github::default::af92aee9cbcd4aae904b9b01d3c75c40|user-123` (no `|…` when the
//! connection has no identity).

use std::fmt;

use portico_catalog::is_slug;

use crate::tenancy::{Environment, MAX_IDENTITY_LEN};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionKey {
    pub environment: Environment,
    pub platform: String,
    pub config_key: String,
    pub id_hex: String,
    pub identity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the connection key is malformed: {0}")]
pub struct ConnectionKeyError(pub &'static str);

const MAX_LEN: usize = 512;

impl ConnectionKey {
    pub fn parse(text: &str) -> Result<Self, ConnectionKeyError> {
        if text.len() > MAX_LEN {
            return Err(ConnectionKeyError("too long"));
        }
        let (head, identity) = match text.split_once('|') {
            Some((head, identity)) => (head, Some(identity)),
            None => (text, None),
        };
        let mut parts = head.split("::");
        let (Some(env), Some(platform), Some(config_key), Some(id_hex), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ConnectionKeyError("expected env::platform::configKey::id"));
        };
        let environment = Environment::parse(env).ok_or(ConnectionKeyError("unknown environment"))?;
        if !is_slug(platform) {
            return Err(ConnectionKeyError("bad platform"));
        }
        if !is_slug(config_key) {
            return Err(ConnectionKeyError("bad config key"));
        }
        if id_hex.len() != 32 || !id_hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(ConnectionKeyError("the id must be 32 lowercase hex digits"));
        }
        if let Some(identity) = identity {
            if identity.is_empty()
                || identity.chars().count() > MAX_IDENTITY_LEN
                || identity.chars().any(|c| c.is_control() || c == '|')
            {
                return Err(ConnectionKeyError("bad identity"));
            }
        }
        Ok(ConnectionKey {
            environment,
            platform: platform.to_string(),
            config_key: config_key.to_string(),
            id_hex: id_hex.to_string(),
            identity: identity.map(str::to_string),
        })
    }
}

impl fmt::Display for ConnectionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}::{}::{}::{}", self.environment, self.platform, self.config_key, self.id_hex)?;
        if let Some(identity) = &self.identity {
            write!(f, "|{identity}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_documented_example() {
        let key = ConnectionKey::parse("test::github::default::af92aee9cbcd4aae904b9b01d3c75c40|user-123").unwrap();
        assert_eq!(key.environment, Environment::Test);
        assert_eq!(key.platform, "github");
        assert_eq!(key.config_key, "default");
        assert_eq!(key.identity.as_deref(), Some("user-123"));
        assert_eq!(key.to_string(), "test::github::default::af92aee9cbcd4aae904b9b01d3c75c40|user-123");
    }

    #[test]
    fn the_identity_part_is_optional() {
        let key = ConnectionKey::parse("live::slack::default::00000000000000000000000000000000").unwrap();
        assert_eq!(key.identity, None);
    }

    #[test]
    fn refuses_malformed_keys() {
        for bad in [
            "",
            "test::github::default",
            "prod::github::default::af92aee9cbcd4aae904b9b01d3c75c40",
            "test::GitHub::default::af92aee9cbcd4aae904b9b01d3c75c40",
            "test::github::default::AF92AEE9CBCD4AAE904B9B01D3C75C40",
            "test::github::default::af92",
            "test::github::default::af92aee9cbcd4aae904b9b01d3c75c40::x",
            "test::github::default::af92aee9cbcd4aae904b9b01d3c75c40|",
            "test::github::default::af92aee9cbcd4aae904b9b01d3c75c40|a|b",
            "test::github::default::af92aee9cbcd4aae904b9b01d3c75c40|a\nb",
        ] {
            assert!(ConnectionKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(s in ".{0,300}") {
            if let Ok(key) = ConnectionKey::parse(&s) {
                prop_assert_eq!(key.to_string(), s);
            }
        }
    }
}
