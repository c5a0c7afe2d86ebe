//! Stable pseudonyms for identifiers in logs.
//!
//! A keyed hash (HMAC-SHA256) lets an operator correlate one user's log lines
//! across instances without the log revealing who the user is; without the
//! key, the pseudonym cannot be reversed by hashing guesses.

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;

static KEY: OnceLock<Vec<u8>> = OnceLock::new();

/// Sets the process-wide key (from `LOG_HASH_KEY`); the first call wins.
pub fn set_log_hash_key(key: &[u8]) {
    let _ = KEY.set(key.to_vec());
}

/// A 16-hex-character pseudonym of `value` under `key`.
pub fn hash_for_log(key: &[u8], value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(value.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// The pseudonym to log in place of a user id, e.g. `user = %hash_user_id(id)`.
pub fn hash_user_id(user_id: impl std::fmt::Display) -> String {
    let key = KEY.get().map(Vec::as_slice).unwrap_or(b"frontdesk-unkeyed");
    format!("u_{}", hash_for_log(key, &user_id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_per_key_and_distinct_across_keys_and_values() {
        let a = hash_for_log(
            b"key-one-0123456789",
            "0192f1a4-7b3c-7d1e-8f00-123456789abc",
        );
        assert_eq!(
            a,
            hash_for_log(
                b"key-one-0123456789",
                "0192f1a4-7b3c-7d1e-8f00-123456789abc"
            )
        );
        assert_eq!(a.len(), 16);
        assert_ne!(
            a,
            hash_for_log(
                b"key-two-0123456789",
                "0192f1a4-7b3c-7d1e-8f00-123456789abc"
            )
        );
        assert_ne!(
            a,
            hash_for_log(
                b"key-one-0123456789",
                "0192f1a4-7b3c-7d1e-8f00-123456789abd"
            )
        );
    }

    #[test]
    fn user_pseudonym_does_not_contain_the_id() {
        let id = "0192f1a4-7b3c-7d1e-8f00-123456789abc";
        let h = hash_user_id(id);
        assert!(h.starts_with("u_") && !h.contains(id));
    }
}
