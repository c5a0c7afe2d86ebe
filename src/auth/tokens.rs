//! Secrets in links and keys: 256 random bits, stored only as a SHA-256 hash.
//!
//! A fast hash is enough here (unlike passwords): nobody can guess their way
//! through 2^256 candidates.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random token (64 hex characters) and the hash to store.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_to_what_is_stored() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_token(&a), hash_a);
        assert_ne!(hash_token(&b), hash_a);
    }
}
