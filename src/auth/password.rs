//! Password hashing with argon2id, off the async threads.
//!
//! Parameters follow OWASP's recommendation for argon2id (19 MiB, 2 passes,
//! 1 lane). A sign-in for an unknown email verifies against a dummy hash, so
//! it costs the same as a wrong password and timing does not reveal which
//! accounts exist.

use std::sync::LazyLock;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

use crate::domain::password::NewPassword;

pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("the hashing task did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody knows, for unknown accounts.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(b"frontdesk-no-such-account", &salt)
        .expect("hashing a constant succeeds")
        .to_string()
});

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) to store.
pub async fn hash(password: &NewPassword) -> Result<String, PasswordHashError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(PasswordHashError::Hash)
    })
    .await?
}

/// Whether `password` matches `stored`. With `stored = None` (no such
/// account) it does the same work and answers `false`.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, PasswordHashError> {
    let password = password.to_owned();
    let (stored, known) = match stored {
        Some(s) => (s.to_owned(), true),
        None => (DUMMY_HASH.clone(), false),
    };
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(PasswordHashError::Hash)?;
        let matches = argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && known)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        let stored = hash(&password).await.unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery", Some(&stored))
            .await
            .unwrap());
        assert!(!verify("correct horse batterY", Some(&stored))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        assert_ne!(
            hash(&password).await.unwrap(),
            hash(&password).await.unwrap()
        );
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        assert!(!verify("frontdesk-no-such-account", None).await.unwrap());
        assert!(!verify("anything at all", None).await.unwrap());
    }

    #[tokio::test]
    async fn a_malformed_stored_hash_is_an_error_not_a_match() {
        assert!(verify("x", Some("not-a-phc-string")).await.is_err());
    }
}
