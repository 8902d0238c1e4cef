//! The keys a verifier trusts, each for a period: key rotation without a
//! gap. The publisher trusts its own signing key always and the keys in
//! `[publisher.staff] trusted_keys` within their validity; the same list is
//! published at `/api/v1/alerts/public-key`, so browsers judge alike.
//!
//! A key retired with a `not_after` verifies nothing checked after that
//! time, whatever a document claims about itself: a signed `published_at`
//! is the signer's word, and a leaked retired key could backdate it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::hex;
use super::signing::{VerifyError, check_with, signature_in};

/// One trusted public key and when it may be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "KeyText", into = "KeyText")]
pub struct TrustedKey {
    /// The Ed25519 public key.
    pub public_key: [u8; 32],
    /// Trusted from this time on; none: from always.
    pub not_before: Option<DateTime<Utc>>,
    /// Trusted until this time; none: for ever.
    pub not_after: Option<DateTime<Utc>>,
}

/// A trusted key as written in settings and in the published key list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyText {
    /// 64 hex digits.
    public_key: String,
    #[serde(default)]
    not_before: Option<DateTime<Utc>>,
    #[serde(default)]
    not_after: Option<DateTime<Utc>>,
}

impl TryFrom<KeyText> for TrustedKey {
    type Error = String;

    fn try_from(text: KeyText) -> Result<Self, Self::Error> {
        let public_key = hex::decode::<32>(&text.public_key)
            .ok_or_else(|| format!("public_key {:?} is not 64 hex digits", text.public_key))?;
        if let (Some(from), Some(to)) = (text.not_before, text.not_after)
            && to < from
        {
            return Err(format!(
                "trusted key {}: not_after is before not_before",
                text.public_key
            ));
        }
        Ok(Self {
            public_key,
            not_before: text.not_before,
            not_after: text.not_after,
        })
    }
}

impl From<TrustedKey> for KeyText {
    fn from(key: TrustedKey) -> Self {
        Self {
            public_key: hex::encode(&key.public_key),
            not_before: key.not_before,
            not_after: key.not_after,
        }
    }
}

impl TrustedKey {
    /// A key trusted at every time.
    pub fn always(public_key: [u8; 32]) -> Self {
        Self {
            public_key,
            not_before: None,
            not_after: None,
        }
    }

    /// Whether the key may be used at `at`.
    pub fn is_valid_at(&self, at: DateTime<Utc>) -> bool {
        self.not_before.is_none_or(|from| from <= at) && self.not_after.is_none_or(|to| at <= to)
    }

    /// The public key, hex.
    pub fn public_key_hex(&self) -> String {
        hex::encode(&self.public_key)
    }
}

/// Every key a verifier trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    /// Trusts `keys`; a key listed twice is trusted whenever any of its
    /// entries says so.
    pub fn new(keys: impl IntoIterator<Item = TrustedKey>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// Trusts one key, always.
    pub fn single(public_key: [u8; 32]) -> Self {
        Self::new([TrustedKey::always(public_key)])
    }

    /// The keys, in the order given.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// Checks that `document` carries a valid signature by a key trusted
    /// at `at`; returns that key.
    ///
    /// # Errors
    /// Unsigned, signed by a key not trusted (or not trusted at `at`), or
    /// altered.
    pub fn verify(&self, document: &Value, at: DateTime<Utc>) -> Result<[u8; 32], VerifyError> {
        let signature = signature_in(document)?;
        let named = hex::decode::<32>(&signature.public_key).ok_or(VerifyError::OtherKey {
            found: signature.public_key.clone(),
        })?;
        let entries: Vec<&TrustedKey> =
            self.keys.iter().filter(|k| k.public_key == named).collect();
        let Some(first) = entries.first() else {
            return Err(VerifyError::OtherKey {
                found: signature.public_key,
            });
        };
        if !entries.iter().any(|k| k.is_valid_at(at)) {
            let show =
                |t: Option<DateTime<Utc>>| t.map_or_else(|| "-".to_owned(), |t| t.to_rfc3339());
            return Err(VerifyError::OutsideValidity {
                key: first.public_key_hex(),
                not_before: show(first.not_before),
                not_after: show(first.not_after),
                at,
            });
        }
        check_with(document, &signature, &named)?;
        Ok(named)
    }

    /// [`Self::verify`] on JSON text.
    ///
    /// # Errors
    /// As [`Self::verify`], or the text is not JSON.
    pub fn verify_text(&self, json: &str, at: DateTime<Utc>) -> Result<[u8; 32], VerifyError> {
        let document: Value =
            serde_json::from_str(json).map_err(|e| VerifyError::NotJson(e.to_string()))?;
        self.verify(&document, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::NoticeSigner;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap()
    }

    fn signed_by(signer: &NoticeSigner) -> Value {
        let mut document = serde_json::json!({"type": "test", "n": 1});
        signer.sign_document(&mut document);
        document
    }

    #[test]
    fn a_rotated_key_verifies_within_its_validity_and_not_after() {
        let old = NoticeSigner::from_seed(&[1; 32]);
        let new = NoticeSigner::from_seed(&[2; 32]);
        let keys = TrustedKeys::new([
            TrustedKey::always(new.public_key()),
            TrustedKey {
                public_key: old.public_key(),
                not_before: Some(at(1)),
                not_after: Some(at(10)),
            },
        ]);
        let document = signed_by(&old);
        assert_eq!(keys.verify(&document, at(5)), Ok(old.public_key()));
        assert_eq!(keys.verify(&document, at(10)), Ok(old.public_key()));
        assert!(matches!(
            keys.verify(&document, at(11)),
            Err(VerifyError::OutsideValidity { .. })
        ));
        assert_eq!(keys.verify(&signed_by(&new), at(11)), Ok(new.public_key()));
    }

    #[test]
    fn an_unknown_key_or_an_altered_document_fails() {
        let trusted = NoticeSigner::from_seed(&[1; 32]);
        let stranger = NoticeSigner::from_seed(&[3; 32]);
        let keys = TrustedKeys::single(trusted.public_key());
        assert!(matches!(
            keys.verify(&signed_by(&stranger), at(1)),
            Err(VerifyError::OtherKey { .. })
        ));
        let mut altered = signed_by(&trusted);
        altered["n"] = serde_json::json!(2);
        assert_eq!(keys.verify(&altered, at(1)), Err(VerifyError::Mismatch));
        // A stranger's signature relabelled with the trusted key's name.
        let mut relabelled = signed_by(&stranger);
        relabelled["signature"]["public_key"] = serde_json::json!(trusted.public_key_hex());
        assert_eq!(keys.verify(&relabelled, at(1)), Err(VerifyError::Mismatch));
        assert_eq!(
            keys.verify(&serde_json::json!({"n": 1}), at(1)),
            Err(VerifyError::Unsigned)
        );
    }

    #[test]
    fn keys_read_from_settings_are_checked() {
        let good: TrustedKey = serde_json::from_value(serde_json::json!({
            "public_key": "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
            "not_after": "2026-12-01T00:00:00Z"
        }))
        .unwrap();
        assert_eq!(good.not_before, None);
        assert!(good.is_valid_at(at(30)));
        assert!(
            serde_json::from_value::<TrustedKey>(serde_json::json!({"public_key": "abc"})).is_err()
        );
        assert!(
            serde_json::from_value::<TrustedKey>(serde_json::json!({
                "public_key": "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
                "not_before": "2026-12-01T00:00:00Z", "not_after": "2026-11-01T00:00:00Z"
            }))
            .is_err()
        );
    }
}
