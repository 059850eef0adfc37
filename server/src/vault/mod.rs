//! The vault: AES-256-GCM envelopes for every secret Portico keeps (credentials, OAuth client
//! secrets, PKCE verifiers).
//!
//! Each encryption uses a fresh random 96-bit nonce. The associated data binds a ciphertext to the
//! row and field it belongs to (workspace, environment, table, record id, field), so a ciphertext
//! copied into another row fails to decrypt. Every envelope names the key that sealed it, so keys
//! can rotate: the ring holds one active key and any number of retired keys that still decrypt.
//!
//! Envelope layout: `0x01 | key-id length (1 byte) | key id (ASCII) | nonce (12) | ciphertext+tag`.

pub mod rotation;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::clock::Entropy;
use crate::tenancy::Scope;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the envelope is malformed")]
    Malformed,
    #[error("the envelope was sealed with vault key {0}, which is not in the key ring")]
    UnknownKey(String),
    #[error("the envelope does not decrypt: wrong key, wrong row, or tampered")]
    Tampered,
    #[error("encryption failed")]
    Encrypt,
}

/// What a ciphertext is bound to. Changing any part makes decryption fail.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub scope: &'a Scope,
    pub table: &'a str,
    pub record_id: &'a str,
    pub field: &'a str,
}

impl Binding<'_> {
    fn associated_data(&self) -> Vec<u8> {
        let parts = [
            "portico-vault-v1",
            self.scope.workspace_id.as_str(),
            self.scope.environment.as_str(),
            self.table,
            self.record_id,
            self.field,
        ];
        // Length-prefixed, so ("ab","c") and ("a","bc") differ.
        let mut out = Vec::with_capacity(128);
        for part in parts {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

struct RingKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The key ring: one active key that seals, all keys open.
#[derive(Clone)]
pub struct Vault {
    active: Arc<RingKey>,
    keys: Arc<HashMap<String, Arc<RingKey>>>,
    entropy: Arc<dyn Entropy>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<_> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("Vault").field("active", &self.active.id).field("keys", &ids).finish()
    }
}

/// A key's public name: a fingerprint, so the configuration never has to name keys and a wrong
/// key is recognised as unknown rather than failing as tampering.
pub fn key_id(key: &[u8; 32]) -> String {
    let digest = Sha256::new_with_prefix(b"portico vault key id\0").chain_update(key).finalize();
    hex::encode(&digest[..8])
}

impl Vault {
    pub fn new(active: &[u8; 32], retired: &[&[u8; 32]], entropy: Arc<dyn Entropy>) -> Self {
        let make =
            |k: &[u8; 32]| Arc::new(RingKey { id: key_id(k), cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(k)) });
        let active = make(active);
        let mut keys = HashMap::new();
        keys.insert(active.id.clone(), active.clone());
        for k in retired {
            let key = make(k);
            keys.entry(key.id.clone()).or_insert(key);
        }
        Vault { active, keys: Arc::new(keys), entropy }
    }

    pub fn active_key_id(&self) -> &str {
        &self.active.id
    }

    pub fn knows_key(&self, id: &str) -> bool {
        self.keys.contains_key(id)
    }

    /// Every key id in the ring, sorted.
    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.keys.keys().cloned().collect();
        ids.sort();
        ids
    }

    pub fn seal(&self, binding: Binding<'_>, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.entropy.fill(&mut nonce);
        let aad = binding.associated_data();
        let ciphertext = self
            .active
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
            .map_err(|_| VaultError::Encrypt)?;
        let id = self.active.id.as_bytes();
        let mut out = Vec::with_capacity(2 + id.len() + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.push(id.len() as u8);
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    pub fn open(&self, binding: Binding<'_>, envelope: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let parsed = Envelope::decode(envelope)?;
        let key = self.keys.get(parsed.key_id).ok_or_else(|| VaultError::UnknownKey(parsed.key_id.to_string()))?;
        let aad = binding.associated_data();
        key.cipher
            .decrypt(Nonce::from_slice(parsed.nonce), Payload { msg: parsed.ciphertext, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Tampered)
    }

    /// Seals a JSON value (credentials are small JSON objects).
    pub fn seal_json<T: serde::Serialize>(&self, binding: Binding<'_>, value: &T) -> Result<Vec<u8>, VaultError> {
        let plaintext = Zeroizing::new(serde_json::to_vec(value).map_err(|_| VaultError::Encrypt)?);
        self.seal(binding, &plaintext)
    }

    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        binding: Binding<'_>,
        envelope: &[u8],
    ) -> Result<T, VaultError> {
        let plaintext = self.open(binding, envelope)?;
        serde_json::from_slice(&plaintext).map_err(|_| VaultError::Malformed)
    }
}

/// A decoded envelope, borrowing from its bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub key_id: &'a str,
    pub nonce: &'a [u8],
    pub ciphertext: &'a [u8],
}

impl<'a> Envelope<'a> {
    pub fn decode(bytes: &'a [u8]) -> Result<Self, VaultError> {
        let (&version, rest) = bytes.split_first().ok_or(VaultError::Malformed)?;
        if version != VERSION {
            return Err(VaultError::Malformed);
        }
        let (&id_len, rest) = rest.split_first().ok_or(VaultError::Malformed)?;
        let id_len = id_len as usize;
        if id_len == 0 || rest.len() < id_len + NONCE_LEN + TAG_LEN {
            return Err(VaultError::Malformed);
        }
        let (id, rest) = rest.split_at(id_len);
        let key_id = std::str::from_utf8(id).map_err(|_| VaultError::Malformed)?;
        if !key_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(VaultError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        Ok(Envelope { key_id, nonce, ciphertext })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::OsEntropy;
    use crate::tenancy::{Environment, WorkspaceId};
    use proptest::prelude::*;

    fn scope(ws: &str, env: Environment) -> Scope {
        Scope { workspace_id: WorkspaceId::parse(ws).unwrap(), environment: env }
    }

    const WS_A: &str = "ws_0123456789abcdef0123456789abcdef";
    const WS_B: &str = "ws_fedcba9876543210fedcba9876543210";

    fn vault() -> Vault {
        Vault::new(&[7u8; 32], &[], Arc::new(OsEntropy))
    }

    #[test]
    fn round_trips_and_names_its_key() {
        let v = vault();
        let s = scope(WS_A, Environment::Test);
        let b = Binding { scope: &s, table: "connections", record_id: "c1", field: "credentials" };
        let sealed = v.seal(b, b"secret").unwrap();
        assert_eq!(Envelope::decode(&sealed).unwrap().key_id, v.active_key_id());
        assert_eq!(&*v.open(b, &sealed).unwrap(), b"secret");
    }

    #[test]
    fn same_plaintext_seals_differently_each_time() {
        let v = vault();
        let s = scope(WS_A, Environment::Test);
        let b = Binding { scope: &s, table: "t", record_id: "r", field: "f" };
        assert_ne!(v.seal(b, b"x").unwrap(), v.seal(b, b"x").unwrap());
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_tenant_fails() {
        let v = vault();
        let a = scope(WS_A, Environment::Test);
        let b = Binding { scope: &a, table: "connections", record_id: "c1", field: "credentials" };
        let sealed = v.seal(b, b"secret").unwrap();
        let other_row = Binding { record_id: "c2", ..b };
        let other_field = Binding { field: "other", ..b };
        let live = scope(WS_A, Environment::Live);
        let other_env = Binding { scope: &live, ..b };
        let ws_b = scope(WS_B, Environment::Test);
        let other_ws = Binding { scope: &ws_b, ..b };
        for wrong in [other_row, other_field, other_env, other_ws] {
            assert_eq!(v.open(wrong, &sealed).unwrap_err(), VaultError::Tampered);
        }
    }

    #[test]
    fn retired_keys_still_open_and_unknown_keys_are_named() {
        let old = Vault::new(&[1u8; 32], &[], Arc::new(OsEntropy));
        let s = scope(WS_A, Environment::Test);
        let b = Binding { scope: &s, table: "t", record_id: "r", field: "f" };
        let sealed = old.seal(b, b"v").unwrap();
        let rotated = Vault::new(&[2u8; 32], &[&[1u8; 32]], Arc::new(OsEntropy));
        assert_eq!(&*rotated.open(b, &sealed).unwrap(), b"v");
        assert_ne!(rotated.active_key_id(), old.active_key_id());
        let without_old = Vault::new(&[2u8; 32], &[], Arc::new(OsEntropy));
        assert_eq!(without_old.open(b, &sealed).unwrap_err(), VaultError::UnknownKey(old.active_key_id().to_string()));
    }

    #[test]
    fn associated_data_is_unambiguous() {
        let s = scope(WS_A, Environment::Test);
        let one = Binding { scope: &s, table: "ab", record_id: "c", field: "f" };
        let two = Binding { scope: &s, table: "a", record_id: "bc", field: "f" };
        assert_ne!(one.associated_data(), two.associated_data());
    }

    /// NIST SP 800-38D / McGrew–Viega GCM spec test case 16 (AES-256, 96-bit IV, with AAD).
    #[test]
    fn aes_256_gcm_known_answer() {
        let key = hex::decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308").unwrap();
        let iv = hex::decode("cafebabefacedbaddecaf888").unwrap();
        let pt = hex::decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39").unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let expected_ct = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
        let expected_tag = "76fc6ece0f4e1768cddf8853bb2d551b";
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let out = cipher.encrypt(Nonce::from_slice(&iv), Payload { msg: &pt, aad: &aad }).unwrap();
        let (ct, tag) = out.split_at(out.len() - 16);
        assert_eq!(hex::encode(ct), expected_ct);
        assert_eq!(hex::encode(tag), expected_tag);
    }

    proptest! {
        #[test]
        fn open_inverts_seal(plaintext in proptest::collection::vec(any::<u8>(), 0..512)) {
            let v = vault();
            let s = scope(WS_A, Environment::Test);
            let b = Binding { scope: &s, table: "t", record_id: "r", field: "f" };
            let sealed = v.seal(b, &plaintext).unwrap();
            prop_assert_eq!(&*v.open(b, &sealed).unwrap(), &plaintext[..]);
        }

        #[test]
        fn any_bit_flip_fails(plaintext in proptest::collection::vec(any::<u8>(), 1..64), bit in any::<usize>()) {
            let v = vault();
            let s = scope(WS_A, Environment::Test);
            let b = Binding { scope: &s, table: "t", record_id: "r", field: "f" };
            let mut sealed = v.seal(b, &plaintext).unwrap();
            let header = 2 + v.active_key_id().len();
            // Flip a bit in the nonce, the ciphertext or the tag.
            let i = header * 8 + bit % ((sealed.len() - header) * 8);
            sealed[i / 8] ^= 1 << (i % 8);
            prop_assert!(v.open(b, &sealed).is_err());
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let _ = Envelope::decode(&bytes);
            let v = vault();
            let s = scope(WS_A, Environment::Test);
            let b = Binding { scope: &s, table: "t", record_id: "r", field: "f" };
            prop_assert!(v.open(b, &bytes).is_err());
        }
    }
}
