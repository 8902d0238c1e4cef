//! VAPID (RFC 8292): the publisher's P-256 key that identifies it to push
//! services, and the short-lived ES256 JWT each push request carries.
//!
//! The key lives in a file of its own (base64url of the 32-byte scalar,
//! mode 0600), created on first start: browsers bind their subscriptions to
//! its public half, so losing it orphans every push subscription.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use p256::SecretKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToSec1Point;

/// RFC 8292 §2: a JWT valid no more than 24 hours; 12 leaves room for clock skew.
const TOKEN_LIFETIME_HOURS: i64 = 12;

/// Why the VAPID key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum VapidError {
    /// The key file cannot be read or written.
    #[error("cannot use the VAPID key file {path}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no valid P-256 private key.
    #[error("the VAPID key file {0} holds no P-256 private key")]
    Invalid(String),
}

/// The application server's key pair.
pub(crate) struct VapidKey {
    signing: SigningKey,
    /// The public key, uncompressed and base64url: the browser's
    /// `applicationServerKey` and the `k` of every request.
    public_b64: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public_b64)
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    /// The key of `secret`.
    pub(crate) fn from_secret(secret: &SecretKey) -> Self {
        let public = secret.public_key().to_sec1_point(false);
        Self {
            signing: SigningKey::from(secret),
            public_b64: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        }
    }

    /// Reads the key at `path`, creating it first when absent.
    ///
    /// # Errors
    /// When the file cannot be read or created, or holds no key.
    pub(crate) fn load_or_create(path: &str) -> Result<Self, VapidError> {
        let io = |source| VapidError::Io {
            path: path.to_owned(),
            source,
        };
        let file = Path::new(path);
        if !file.exists() {
            create(file).map_err(io)?;
        }
        let text = std::fs::read_to_string(file).map_err(io)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| VapidError::Invalid(path.to_owned()))?;
        let secret =
            SecretKey::from_slice(&bytes).map_err(|_| VapidError::Invalid(path.to_owned()))?;
        Ok(Self::from_secret(&secret))
    }

    /// The public key as browsers take it (`applicationServerKey`).
    pub(crate) fn public_key(&self) -> &str {
        &self.public_b64
    }

    /// The `Authorization` header for a request to `endpoint_origin`
    /// (scheme, host and port of the push service), naming `subject` (a
    /// `mailto:` or `https:` contact) as RFC 8292 §2.1 asks.
    pub(crate) fn authorization(
        &self,
        endpoint_origin: &str,
        subject: &str,
        now: DateTime<Utc>,
    ) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": endpoint_origin,
            "exp": (now + Duration::hours(TOKEN_LIFETIME_HOURS)).timestamp(),
            "sub": subject,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        // JWS ES256 (RFC 7518 §3.4): r and s, 32 bytes each.
        let signature: Signature = self.signing.sign(signed.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(signature.to_bytes());
        format!("vapid t={signed}.{signature}, k={}", self.public_b64)
    }
}

/// Writes a fresh key, readable by the owner only; never overwrites one.
/// The key is written to a file of its own, then linked into place, so a
/// publisher starting at the same moment reads either no file or the whole
/// key, never a half-written one.
fn create(file: &Path) -> std::io::Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let secret = loop {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        if let Ok(secret) = SecretKey::from_slice(&bytes) {
            break secret;
        }
    };
    let mut draft = file.as_os_str().to_owned();
    draft.push(format!(".{}.new", std::process::id()));
    let draft = Path::new(&draft);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(draft)
        .and_then(|mut out| writeln!(out, "{}", URL_SAFE_NO_PAD.encode(secret.to_bytes())));
    let linked = written.and_then(|()| std::fs::hard_link(draft, file));
    let _ = std::fs::remove_file(draft);
    match linked {
        // Another publisher wrote it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    use super::*;

    #[test]
    fn a_new_key_file_is_private_and_read_back_the_same() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("envmon-vapid-{}", std::process::id()));
        let path = dir.join("vapid.key");
        let first = VapidKey::load_or_create(path.to_str().unwrap()).unwrap();
        let again = VapidKey::load_or_create(path.to_str().unwrap()).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_token_verifies_with_the_published_key() {
        let secret = SecretKey::from_slice(&[7u8; 32]).unwrap();
        let key = VapidKey::from_secret(&secret);
        let header = key.authorization(
            "https://push.example.net",
            "mailto:ops@example.org",
            Utc::now(),
        );
        let (token, k) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap();
        assert_eq!(k, key.public_key());
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let public = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
        public.verify(signed.as_bytes(), &signature).unwrap();
        let claims = signed.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net");
    }
}
