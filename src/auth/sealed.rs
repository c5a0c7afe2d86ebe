//! Secrets kept at rest (two-factor secrets): AES-256-GCM with the key from
//! `ENCRYPTION_KEY`. Each sealed value is stored with the id of the key that
//! sealed it, so a key can be replaced: values sealed with another key are
//! refused by name until they are sealed again.

use aes_gcm::{
    aead::{Aead, AeadCore, KeyInit, OsRng},
    Aes256Gcm, Nonce,
};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

/// A 256-bit key; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SealingKey {
    bytes: [u8; 32],
    id: String,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the value was sealed with key '{0}', which is not the configured ENCRYPTION_KEY")]
    OtherKey(String),
    #[error("the sealed value is damaged")]
    Damaged,
}

impl SealingKey {
    /// From 64 hexadecimal characters (`openssl rand -hex 32`).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
        Some(Self::from_bytes(bytes))
    }

    /// The development key, derived from a fixed phrase: fine on a laptop,
    /// refused in production (see the configuration).
    pub fn development() -> Self {
        Self::from_bytes(Sha256::digest(b"frontdesk-development-encryption-key").into())
    }

    fn from_bytes(bytes: [u8; 32]) -> Self {
        let id = hex::encode(&Sha256::digest(bytes)[..4]);
        Self { bytes, id }
    }

    /// Stored beside each sealed value.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Nonce followed by the ciphertext and its tag.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new((&self.bytes).into());
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, plaintext)
            .expect("AES-GCM encrypts any input of this size");
        [nonce.as_slice(), &sealed].concat()
    }

    pub fn open(&self, sealed: &[u8], key_id: &str) -> Result<Vec<u8>, SealError> {
        if key_id != self.id {
            return Err(SealError::OtherKey(key_id.to_string()));
        }
        if sealed.len() < NONCE_LEN {
            return Err(SealError::Damaged);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        Aes256Gcm::new((&self.bytes).into())
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SealError::Damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_and_refuses_tampering_and_other_keys() {
        let key = SealingKey::from_hex(&"ab".repeat(32)).unwrap();
        let sealed = key.seal(b"JBSWY3DPEHPK3PXP");
        assert!(!sealed.windows(4).any(|w| w == b"JBSW"));
        assert_eq!(key.open(&sealed, key.id()).unwrap(), b"JBSWY3DPEHPK3PXP");
        // A fresh nonce each time.
        assert_ne!(key.seal(b"x"), key.seal(b"x"));
        let mut damaged = sealed.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(key.open(&damaged, key.id()), Err(SealError::Damaged));
        let other = SealingKey::development();
        assert!(matches!(
            other.open(&sealed, key.id()),
            Err(SealError::OtherKey(_))
        ));
        assert!(SealingKey::from_hex("abcd").is_none());
        assert!(!format!("{key:?}").contains("abab"));
    }
}
