//! Operator passwords: argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane), stored as
//! the PHC string (algorithm, parameters and salt travel with the hash).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::clock::Entropy;

/// Shortest password accepted (NIST SP 800-63B asks at least 8; we ask a little more).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted: bounds the work one sign-in can cause.
pub const MAX_PASSWORD_CHARS: usize = 256;

fn hasher() -> Result<Argon2<'static>, argon2::Error> {
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19_456, 2, 1, None)?))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("the password could not be hashed")]
    Hashing,
}

/// Checks the length rules the CLI and the sign-in form share.
pub fn check_rules(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// The PHC string of `password` with a fresh 16-byte salt.
pub fn hash_password(entropy: &dyn Entropy, password: &str) -> Result<String, PasswordError> {
    check_rules(password)?;
    let mut salt = [0u8; 16];
    entropy.fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|_| PasswordError::Hashing)?;
    let hasher = hasher().map_err(|_| PasswordError::Hashing)?;
    Ok(hasher.hash_password(password.as_bytes(), &salt).map_err(|_| PasswordError::Hashing)?.to_string())
}

/// Whether `password` matches the stored PHC string (compared in constant time by the crate).
/// Over-long passwords never match, so they cost no hashing.
pub fn verify_password(stored: &str, password: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    let (Ok(parsed), Ok(hasher)) = (PasswordHash::new(stored), hasher()) else {
        return false;
    };
    hasher.verify_password(password.as_bytes(), &parsed).is_ok()
}

/// A PHC string no password matches, verified against when the email is unknown so that an
/// unknown account takes as long to refuse as a wrong password.
pub const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$cG9ydGljbyBkZWNveSBzYQ$2cqGdB1i6x6DqJmYyU8eZrV9C0rS0dD5P8a1zq3r8oE";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OsEntropy;

    #[test]
    fn hashes_with_argon2id_and_owasp_parameters() {
        let hash = hash_password(&OsEntropy, "correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery!"));
    }

    #[test]
    fn rejects_short_passwords() {
        assert_eq!(hash_password(&OsEntropy, "short"), Err(PasswordError::TooShort));
    }

    #[test]
    fn the_decoy_is_well_formed_and_matches_nothing() {
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify_password(DECOY_HASH, "anything at all"));
    }
}
