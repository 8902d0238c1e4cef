//! Ed25519 signatures of public notices and of other published documents
//! (the audit chain's head).
//!
//! A signature covers the canonical form ([`super::canonical`], RFC 8785)
//! of the document's JSON with the `signature` member removed, so it
//! verifies wherever the document travelled and however it was
//! re-serialised, and any change to any other member (a severity, a time, a
//! word) makes it fail. Verification is always against keys the verifier
//! trusts ([`TrustedKeys`]), never against the key a document names.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::PublicNotice;
use super::canonical::canonical_json;
use super::hex;
use super::trust::TrustedKeys;

/// The only algorithm used.
pub const ALGORITHM: &str = "Ed25519";

/// A document's signature, carried inside the document as `signature`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeSignature {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The signer's public key, hex: tells which trusted key to check
    /// against (the check itself uses a key the verifier trusts).
    pub public_key: String,
    /// The 64-byte signature, hex.
    pub value: String,
}

/// Holds the private key and signs notices.
pub struct NoticeSigner {
    key: SigningKey,
}

impl std::fmt::Debug for NoticeSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoticeSigner")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

impl NoticeSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The public key, hex.
    pub fn public_key_hex(&self) -> String {
        hex::encode(&self.public_key())
    }

    /// Sets `notice.signature` to a signature over its canonical form.
    pub fn sign(&self, notice: &mut PublicNotice) {
        notice.signature = None;
        notice.signature = Some(self.signature_of(&to_value(notice)));
    }

    /// Sets the `signature` member of the JSON object `document` to a
    /// signature over its canonical form without that member.
    pub fn sign_document(&self, document: &mut Value) {
        let signature = self.signature_of(document);
        if let Value::Object(map) = document {
            map.insert(
                "signature".to_owned(),
                serde_json::to_value(signature).unwrap_or(Value::Null),
            );
        }
    }

    /// Whether `notice` carries a signature made with this key.
    pub fn signed_it(&self, notice: &PublicNotice) -> bool {
        notice
            .signature
            .as_ref()
            .is_some_and(|s| s.public_key.eq_ignore_ascii_case(&self.public_key_hex()))
    }

    fn signature_of(&self, document: &Value) -> NoticeSignature {
        let signature = self.key.sign(signed_bytes(document).as_bytes());
        NoticeSignature {
            algorithm: ALGORITHM.to_owned(),
            public_key: self.public_key_hex(),
            value: hex::encode(&signature.to_bytes()),
        }
    }
}

fn to_value(notice: &PublicNotice) -> Value {
    // A struct of strings, numbers and maps always serialises.
    serde_json::to_value(notice).unwrap_or(Value::Null)
}

/// The bytes that are signed: the canonical document without `signature`.
fn signed_bytes(document: &Value) -> String {
    let mut document = document.clone();
    if let Value::Object(map) = &mut document {
        map.remove("signature");
    }
    canonical_json(&document)
}

/// Why a document does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The text is not a JSON object.
    #[error("not a JSON document: {0}")]
    NotJson(String),
    /// There is no usable `signature` member.
    #[error("the document carries no Ed25519 signature")]
    Unsigned,
    /// The trusted key is malformed.
    #[error("the public key is not 32 bytes of hex")]
    BadKey,
    /// The document names a key that is not trusted.
    #[error("the document names public key {found}, which is not a trusted key")]
    OtherKey {
        /// The key the document names.
        found: String,
    },
    /// The key is trusted, but not at this time.
    #[error("public key {key} is trusted only from {not_before} to {not_after}, not at {at}")]
    OutsideValidity {
        /// The key.
        key: String,
        /// The start of its validity, or `-` for none.
        not_before: String,
        /// The end of its validity, or `-` for none.
        not_after: String,
        /// The time the check was made for.
        at: DateTime<Utc>,
    },
    /// The signature does not match the document: it was changed.
    #[error("the signature does not match the document: it has been altered")]
    Mismatch,
}

/// The signature a document carries, if it carries a usable one.
pub(crate) fn signature_in(document: &Value) -> Result<NoticeSignature, VerifyError> {
    if !document.is_object() {
        return Err(VerifyError::NotJson("not an object".into()));
    }
    let signature: NoticeSignature = document
        .get("signature")
        .cloned()
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or(VerifyError::Unsigned)?;
    if signature.algorithm != ALGORITHM {
        return Err(VerifyError::Unsigned);
    }
    Ok(signature)
}

/// Checks `document`'s signature with `key` (already chosen as trusted).
pub(crate) fn check_with(
    document: &Value,
    signature: &NoticeSignature,
    key: &[u8; 32],
) -> Result<(), VerifyError> {
    let key = VerifyingKey::from_bytes(key).map_err(|_| VerifyError::BadKey)?;
    let bytes = hex::decode::<64>(&signature.value).ok_or(VerifyError::Mismatch)?;
    key.verify_strict(
        signed_bytes(document).as_bytes(),
        &Signature::from_bytes(&bytes),
    )
    .map_err(|_| VerifyError::Mismatch)
}

/// Checks a notice's signature against one trusted public key, with no
/// validity period (`envmon alerts verify --public-key`).
///
/// # Errors
/// When the text is not a signed notice, names another key, or was altered.
pub fn verify_notice(json: &str, trusted_key: &[u8; 32]) -> Result<(), VerifyError> {
    let document: Value =
        serde_json::from_str(json).map_err(|e| VerifyError::NotJson(e.to_string()))?;
    TrustedKeys::single(*trusted_key)
        .verify(&document, Utc::now())
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::NoticeStatus;
    use crate::alert::notice::tests::content;
    use chrono::{TimeZone, Utc};

    fn notice() -> PublicNotice {
        PublicNotice {
            id: "AN-2026-00001".into(),
            version: 1,
            version_id: "AN-2026-00001.v1".into(),
            status: NoticeStatus::Published,
            content: content(),
            published_at: Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap(),
            references: None,
            cap_url: "http://x/a.cap".into(),
            signature: None,
        }
    }

    #[test]
    fn a_signed_notice_verifies_even_reformatted() {
        let signer = NoticeSigner::from_seed(&[7; 32]);
        let mut notice = notice();
        signer.sign(&mut notice);
        let pretty = serde_json::to_string_pretty(&notice).unwrap();
        assert!(verify_notice(&pretty, &signer.public_key()).is_ok());
    }

    #[test]
    fn any_change_or_another_key_fails() {
        let signer = NoticeSigner::from_seed(&[7; 32]);
        let mut notice = notice();
        signer.sign(&mut notice);
        let json = serde_json::to_string(&notice).unwrap();
        let tampered = json.replace("\"orange\"", "\"blue\"");
        assert_ne!(tampered, json);
        assert!(matches!(
            verify_notice(&tampered, &signer.public_key()),
            Err(VerifyError::Mismatch)
        ));
        let other = NoticeSigner::from_seed(&[8; 32]);
        assert!(matches!(
            verify_notice(&json, &other.public_key()),
            Err(VerifyError::OtherKey { .. })
        ));
        let unsigned = serde_json::to_string(&self::notice()).unwrap();
        assert!(matches!(
            verify_notice(&unsigned, &signer.public_key()),
            Err(VerifyError::Unsigned)
        ));
    }

    /// A notice signed while the canonical form sorted keys by UTF-8 bytes
    /// and wrote numbers as serde_json does (with escapes, Chinese text and
    /// an emoji in it): the JCS form gives the same bytes, so it verifies.
    #[test]
    fn a_notice_signed_before_jcs_still_verifies() {
        let signer = NoticeSigner::from_seed(&[7; 32]);
        let old = include_str!("fixtures/notice-signed-before-jcs.json");
        assert!(verify_notice(old, &signer.public_key()).is_ok());
        let altered = old.replace("back\\\\slash", "back slash");
        assert_ne!(altered, old);
        assert!(verify_notice(&altered, &signer.public_key()).is_err());
    }
}
