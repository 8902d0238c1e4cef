//! The secret an HJ 212 data logger proves with the `PW` field of every
//! packet, stored only as a salted keyed hash.
//!
//! HJ 212 sends the password in clear in every packet, so the platform
//! checks it once per packet: hundreds of loggers a minute in normal
//! operation, and as many as an attacker cares to send. The check is
//! therefore a fast keyed hash, HMAC-SHA256 keyed by a random per-station
//! salt, not a deliberately slow one such as argon2 (used for staff
//! passwords): at tens of milliseconds and megabytes per check, every
//! forged packet would cost ingest what a login costs, which turns the
//! check itself into a way to exhaust the listener. What the hash protects
//! against is someone reading the database: they learn no secret to replay.
//! How hard the secret is to guess offline depends on its length, so a
//! secret is at least [`MIN_SECRET_LEN`] characters, and longer ones are
//! better wherever the logger accepts them (the standard allows 6, many
//! devices take 24 or more).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Bytes of random salt per station.
pub const SALT_LEN: usize = 16;

/// Bytes of an HMAC-SHA256 output.
pub const MAC_LEN: usize = 32;

/// The shortest secret accepted: HJ 212-2017 §6.3.2 gives PW six characters.
pub const MIN_SECRET_LEN: usize = 6;

/// The longest secret accepted; devices have been seen with 24.
pub const MAX_SECRET_LEN: usize = 64;

type HmacSha256 = Hmac<Sha256>;

/// A station's logger secret as stored: the salt and HMAC-SHA256(salt,
/// secret). Its `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash {
    salt: [u8; SALT_LEN],
    mac: [u8; MAC_LEN],
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Why a secret cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Shorter than [`MIN_SECRET_LEN`] or longer than [`MAX_SECRET_LEN`].
    #[error("the secret must be {MIN_SECRET_LEN} to {MAX_SECRET_LEN} characters long")]
    Length,
    /// A character a PW field cannot carry.
    #[error(
        "the secret may hold only printable ASCII other than ';', ',', '&', '=' and '#', which delimit HJ 212 fields"
    )]
    Character,
    /// The system's random source failed.
    #[error("cannot draw a random salt: {0}")]
    Random(String),
}

/// Checks that `secret` can be sent as an HJ 212 `PW` value: 6 to 64
/// printable ASCII characters, none of the field delimiters.
///
/// # Errors
/// [`SecretError::Length`] or [`SecretError::Character`].
pub fn check_secret(secret: &str) -> Result<(), SecretError> {
    if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&secret.len()) {
        return Err(SecretError::Length);
    }
    let usable = |b: u8| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'&' | b'=' | b'#');
    if !secret.bytes().all(usable) {
        return Err(SecretError::Character);
    }
    Ok(())
}

impl SecretHash {
    /// Hashes a new secret under a fresh random salt.
    ///
    /// # Errors
    /// When the secret is not usable ([`check_secret`]) or the system's
    /// random source fails.
    pub fn new(secret: &str) -> Result<Self, SecretError> {
        check_secret(secret)?;
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|e| SecretError::Random(e.to_string()))?;
        Ok(Self::with_salt(salt, secret))
    }

    /// The hash of `secret` under `salt`.
    pub fn with_salt(salt: [u8; SALT_LEN], secret: &str) -> Self {
        let mac = keyed(&salt, secret).finalize().into_bytes().into();
        Self { salt, mac }
    }

    /// A stored hash, from its salt and MAC; `None` when their lengths are
    /// wrong.
    pub fn from_parts(salt: &[u8], mac: &[u8]) -> Option<Self> {
        Some(Self {
            salt: salt.try_into().ok()?,
            mac: mac.try_into().ok()?,
        })
    }

    /// The salt, for storage.
    pub fn salt(&self) -> &[u8; SALT_LEN] {
        &self.salt
    }

    /// HMAC-SHA256(salt, secret), for storage.
    pub fn mac(&self) -> &[u8; MAC_LEN] {
        &self.mac
    }

    /// Whether `candidate` is the secret, compared in constant time.
    pub fn verify(&self, candidate: &str) -> bool {
        keyed(&self.salt, candidate).verify_slice(&self.mac).is_ok()
    }
}

fn keyed(salt: &[u8; SALT_LEN], secret: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(salt).expect("HMAC takes a key of any length");
    mac.update(secret.as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::hex;

    #[test]
    fn the_hash_is_hmac_sha256_of_the_secret_keyed_by_the_salt() {
        // Computed independently, by Python's hmac module:
        // hmac.new(bytes(range(16)), b"s3cret-PW", "sha256").hexdigest()
        let salt: [u8; 16] = std::array::from_fn(|i| u8::try_from(i).unwrap());
        let hash = SecretHash::with_salt(salt, "s3cret-PW");
        assert_eq!(
            hex::encode(hash.mac()),
            "cbefb29e5bec0b1c607aa5bd8fb8d3e48036e9be6d32760a0dc44400c2de4db2"
        );
    }

    #[test]
    fn only_the_secret_itself_verifies() {
        let hash = SecretHash::new("Tr0ub4dor-3").unwrap();
        assert!(hash.verify("Tr0ub4dor-3"));
        for wrong in [
            "",
            "Tr0ub4dor-",
            "tr0ub4dor-3",
            "Tr0ub4dor-3 ",
            "Tr0ub4dor-33",
        ] {
            assert!(!hash.verify(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn each_station_gets_its_own_salt_so_equal_secrets_hash_differently() {
        let a = SecretHash::new("same-secret").unwrap();
        let b = SecretHash::new("same-secret").unwrap();
        assert_ne!(a.salt(), b.salt());
        assert_ne!(a.mac(), b.mac());
        assert!(a.verify("same-secret") && b.verify("same-secret"));
    }

    #[test]
    fn stored_parts_round_trip_and_wrong_lengths_are_refused() {
        let hash = SecretHash::new("123456").unwrap();
        let back = SecretHash::from_parts(hash.salt(), hash.mac()).unwrap();
        assert_eq!(back, hash);
        assert!(back.verify("123456"));
        assert_eq!(SecretHash::from_parts(&[0; 15], hash.mac()), None);
        assert_eq!(SecretHash::from_parts(hash.salt(), &[0; 31]), None);
    }

    #[test]
    fn secrets_must_fit_a_pw_field() {
        assert_eq!(check_secret("12345"), Err(SecretError::Length));
        assert_eq!(check_secret(&"a".repeat(65)), Err(SecretError::Length));
        assert_eq!(check_secret("123456"), Ok(()));
        assert_eq!(check_secret(&"a".repeat(64)), Ok(()));
        for bad in [
            "abc;def",
            "abc,def",
            "abc&&def",
            "abc=def",
            "abc##def",
            "abc def",
            "密码密码密码",
        ] {
            assert!(check_secret(bad).is_err(), "{bad:?}");
        }
        assert!(SecretHash::new("abc;def").is_err());
    }

    #[test]
    fn debug_shows_neither_salt_nor_mac() {
        let hash = SecretHash::with_salt([7; 16], "123456");
        assert_eq!(format!("{hash:?}"), "SecretHash(..)");
    }
}
