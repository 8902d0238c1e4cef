//! Password hashing: argon2id with the crate's defaults (19 MiB, 2 passes,
//! one lane: the OWASP minimum), a fresh 16-byte salt per password, stored
//! as a PHC string. Hashing is slow on purpose, so callers on the runtime
//! use [`hash_blocking`] and [`verify_blocking`].

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// A hash that matches no password, verified against for unknown users so
/// that a wrong name takes as long as a wrong password.
const DECOY: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZW52bW9uZGVjb3lzYWx0$2ciUQoMYNHbA9l0xzjUz7iuEuY8k7yQjS4Nn1J1Yq9A";

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The system's random source failed.
    #[error("no randomness for the salt: {0}")]
    Random(String),
    /// Argon2 refused (password too long, bad parameters).
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// The hashing task did not finish.
    #[error("the hashing task failed")]
    Task,
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The argon2id PHC string of `password`.
///
/// # Errors
/// When the random source or argon2 fails.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches `phc` (a malformed hash matches nothing).
pub(crate) fn verify(password: &str, phc: Option<&str>) -> bool {
    let phc = phc.unwrap_or(DECOY);
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// [`hash`] off the async runtime.
pub(crate) async fn hash_blocking(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|_| PasswordError::Task)?
}

/// [`verify`] off the async runtime.
pub(crate) async fn verify_blocking(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify(&password, phc.as_deref()))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&phc)));
        assert!(!verify("correct horse batterx", Some(&phc)));
        assert!(!verify("anything", None));
        assert!(!verify("anything", Some("not a hash")));
    }

    #[test]
    fn the_decoy_is_a_real_argon2id_hash_with_the_default_cost() {
        // Otherwise an unknown name would be answered faster than a wrong password.
        let decoy = PasswordHash::new(DECOY).unwrap();
        let real = hash("whatever password").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(decoy.algorithm, real.algorithm);
        assert_eq!(decoy.params, real.params);
        assert_eq!(decoy.hash.unwrap().len(), real.hash.unwrap().len());
    }
}
