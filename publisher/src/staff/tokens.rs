//! Session and API token values: 32 random bytes shown once, stored only as
//! their SHA-256, so a leaked table logs no one in.

use envmon_core::alert::hex;
use sha2::{Digest, Sha256};

/// A new random token, hex.
pub(crate) fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(&bytes))
}

/// What is stored for `token`.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes()))
}
