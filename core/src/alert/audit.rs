//! The audit chain: every staff action is one entry whose hash covers the
//! entry and the hash of the entry before it. Changing, removing or
//! reordering any entry breaks every hash after it, so [`verify_chain`]
//! finds the first entry that is not what was written.
//!
//! Someone able to rewrite the whole table could recompute every hash from
//! the first entry on, and the chain would verify again. So the publisher
//! signs the chain's head ([`AuditHead`]: the last entry's sequence number
//! and hash) and publishes it; anyone who kept an earlier head can check
//! with [`verify_chain_against`] that the chain still passes through it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::hex;
use super::signing::{NoticeSigner, VerifyError};
use super::trust::TrustedKeys;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One recorded staff action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When, to the microsecond (what PostgreSQL keeps).
    pub at: DateTime<Utc>,
    /// The user, or `-` for an anonymous attempt.
    pub actor: String,
    /// What was done, e.g. `notice.approve`.
    pub action: String,
    /// What it was done to, e.g. a notice id; may be empty.
    pub subject: String,
    /// Details as a JSON text, hashed as stored.
    pub detail: String,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry, given its fields and `prev_hash`.
    pub fn expected_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for field in [
            self.prev_hash.as_str(),
            &self.seq.to_string(),
            &self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
        ] {
            // Length-prefixed, so no two field splits hash alike.
            hasher.update((field.len() as u64).to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hex::encode(&hasher.finalize())
    }
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// An entry is missing or out of order.
    #[error("entry {found} follows entry {previous}: an entry is missing or reordered")]
    Gap {
        /// The sequence number before.
        previous: i64,
        /// The one found.
        found: i64,
    },
    /// An entry does not link to the one before.
    #[error("entry {seq} does not link to the entry before it")]
    Unlinked {
        /// The entry.
        seq: i64,
    },
    /// An entry's content does not match its hash: it was altered.
    #[error("entry {seq} has been altered: its hash does not match its content")]
    Altered {
        /// The entry.
        seq: i64,
    },
}

/// Checks `entries` (in `seq` order, from the first) link up and match
/// their hashes; returns how many were checked.
///
/// # Errors
/// The first break found.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<u64, ChainBreak> {
    let mut previous_seq = 0;
    let mut previous_hash = GENESIS.to_owned();
    let mut count = 0;
    for entry in entries {
        if entry.seq != previous_seq + 1 {
            return Err(ChainBreak::Gap {
                previous: previous_seq,
                found: entry.seq,
            });
        }
        if entry.prev_hash != previous_hash {
            return Err(ChainBreak::Unlinked { seq: entry.seq });
        }
        if entry.expected_hash() != entry.hash {
            return Err(ChainBreak::Altered { seq: entry.seq });
        }
        previous_seq = entry.seq;
        previous_hash.clone_from(&entry.hash);
        count += 1;
    }
    Ok(count)
}

/// The `type` member of a signed audit head.
pub const HEAD_TYPE: &str = "envmon.audit.head";

/// The chain's head at a moment: what a third party keeps to detect a
/// rewrite later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    /// The last entry's sequence number (0 for an empty chain).
    pub seq: i64,
    /// The last entry's hash ([`GENESIS`] for an empty chain).
    pub hash: String,
    /// When the head was read and signed.
    pub signed_at: DateTime<Utc>,
}

/// Why a kept head cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// Not a head document.
    #[error("not an audit head: {0}")]
    Shape(String),
    /// Its signature does not verify.
    #[error("the audit head's signature does not verify: {0}")]
    Signature(#[from] VerifyError),
}

impl AuditHead {
    /// The head after `last` (none: the empty chain).
    pub fn after(last: Option<&AuditEntry>, signed_at: DateTime<Utc>) -> Self {
        match last {
            Some(entry) => Self {
                seq: entry.seq,
                hash: entry.hash.clone(),
                signed_at,
            },
            None => Self {
                seq: 0,
                hash: GENESIS.to_owned(),
                signed_at,
            },
        }
    }

    /// The head as a signed JSON document (`type`, `seq`, `hash`,
    /// `signed_at`, `signature`), signed like a notice.
    pub fn signed(&self, signer: &NoticeSigner) -> Value {
        let mut document = serde_json::json!({
            "type": HEAD_TYPE,
            "seq": self.seq,
            "hash": self.hash,
            "signed_at": self.signed_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        });
        signer.sign_document(&mut document);
        document
    }

    /// Reads a signed head and checks its signature with a key that was
    /// trusted when it was signed (a head is kept for a long time, so its
    /// own time is the one that counts; a forged head could only make a
    /// check fail, never pass).
    ///
    /// # Errors
    /// Not a head, or not signed by a trusted key.
    pub fn from_signed(json: &str, keys: &TrustedKeys) -> Result<Self, HeadError> {
        let document: Value =
            serde_json::from_str(json).map_err(|e| HeadError::Shape(e.to_string()))?;
        if document.get("type").and_then(Value::as_str) != Some(HEAD_TYPE) {
            return Err(HeadError::Shape(format!("its type is not {HEAD_TYPE:?}")));
        }
        let mut fields = document.clone();
        if let Value::Object(map) = &mut fields {
            map.remove("type");
            map.remove("signature");
        }
        let head: Self =
            serde_json::from_value(fields).map_err(|e| HeadError::Shape(e.to_string()))?;
        keys.verify(&document, head.signed_at)?;
        Ok(head)
    }
}

/// Why the stored chain does not pass through a kept head.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnchorBreak {
    /// The chain itself is broken.
    #[error(transparent)]
    Broken(#[from] ChainBreak),
    /// The chain ends before the head: entries were removed.
    #[error(
        "the kept head names entry {head_seq}, but the chain ends at entry {last_seq}: entries were removed"
    )]
    Truncated {
        /// The head's sequence number.
        head_seq: i64,
        /// The chain's last.
        last_seq: i64,
    },
    /// The entry the head names has another hash: the table was rewritten
    /// up to there (and re-hashed to look whole).
    #[error(
        "entry {seq} does not have the hash the kept head names: the chain was rewritten at or before it"
    )]
    Rewritten {
        /// The head's sequence number.
        seq: i64,
    },
}

/// Checks `entries` as [`verify_chain`] does, and that the chain passes
/// through `head`; returns how many entries were checked.
///
/// # Errors
/// The first break, or the head not on the chain.
pub fn verify_chain_against<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    head: &AuditHead,
) -> Result<u64, AnchorBreak> {
    let entries: Vec<&AuditEntry> = entries.into_iter().collect();
    let count = verify_chain(entries.iter().copied())?;
    if head.seq == 0 {
        return if head.hash == GENESIS {
            Ok(count)
        } else {
            Err(AnchorBreak::Rewritten { seq: 0 })
        };
    }
    let last_seq = entries.last().map_or(0, |e| e.seq);
    let entry = entries
        .iter()
        .find(|e| e.seq == head.seq)
        .ok_or(AnchorBreak::Truncated {
            head_seq: head.seq,
            last_seq,
        })?;
    if entry.hash == head.hash {
        Ok(count)
    } else {
        Err(AnchorBreak::Rewritten { seq: head.seq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut entry = AuditEntry {
                    seq,
                    at: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
                    actor: "alice".into(),
                    action: "notice.draft".into(),
                    subject: format!("AN-2026-{seq:05}"),
                    detail: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                entry.hash = entry.expected_hash();
                prev.clone_from(&entry.hash);
                entry
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(5));
    }

    #[test]
    fn altered_removed_or_relinked_entries_are_found() {
        let mut altered = chain(5);
        altered[2].actor = "mallory".into();
        assert_eq!(verify_chain(&altered), Err(ChainBreak::Altered { seq: 3 }));

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(
            verify_chain(&removed),
            Err(ChainBreak::Gap {
                previous: 1,
                found: 3
            })
        );

        // Rewriting an entry and its own hash still breaks the next link.
        let mut rehashed = chain(5);
        rehashed[2].detail = r#"{"forged":true}"#.into();
        rehashed[2].hash = rehashed[2].expected_hash();
        assert_eq!(
            verify_chain(&rehashed),
            Err(ChainBreak::Unlinked { seq: 4 })
        );
    }

    #[test]
    fn a_kept_head_detects_a_rewrite_beneath_it() {
        let signer = NoticeSigner::from_seed(&[5; 32]);
        let keys = TrustedKeys::single(signer.public_key());
        let original = chain(5);
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        let kept = AuditHead::after(original.get(2), at)
            .signed(&signer)
            .to_string();
        let head = AuditHead::from_signed(&kept, &keys).unwrap();
        assert_eq!((head.seq, head.signed_at), (3, at));
        assert_eq!(verify_chain_against(&original, &head), Ok(5));

        // The whole table rewritten from entry 2 on and re-hashed: the
        // chain verifies by itself, but not through the kept head.
        let mut rewritten = original.clone();
        rewritten[1].actor = "mallory".into();
        for i in 1..rewritten.len() {
            rewritten[i].prev_hash = rewritten[i - 1].hash.clone();
            rewritten[i].hash = rewritten[i].expected_hash();
        }
        assert_eq!(verify_chain(&rewritten), Ok(5));
        assert_eq!(
            verify_chain_against(&rewritten, &head),
            Err(AnchorBreak::Rewritten { seq: 3 })
        );
        // Cut back below the head.
        assert_eq!(
            verify_chain_against(&original[..2], &head),
            Err(AnchorBreak::Truncated {
                head_seq: 3,
                last_seq: 2
            })
        );
        // A rewrite above the head is not the head's to see.
        let mut later = original.clone();
        later[4].detail = "{}".into();
        later[4].actor = "x".into();
        later[4].hash = later[4].expected_hash();
        assert_eq!(verify_chain_against(&later, &head), Ok(5));
    }

    #[test]
    fn a_forged_or_altered_head_is_refused() {
        let signer = NoticeSigner::from_seed(&[5; 32]);
        let keys = TrustedKeys::single(signer.public_key());
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        let mut head = AuditHead::after(chain(3).last(), at).signed(&signer);
        head["seq"] = serde_json::json!(2);
        assert!(matches!(
            AuditHead::from_signed(&head.to_string(), &keys),
            Err(HeadError::Signature(VerifyError::Mismatch))
        ));
        let stranger = NoticeSigner::from_seed(&[6; 32]);
        let forged = AuditHead::after(None, at).signed(&stranger).to_string();
        assert!(matches!(
            AuditHead::from_signed(&forged, &keys),
            Err(HeadError::Signature(VerifyError::OtherKey { .. }))
        ));
        assert!(matches!(
            AuditHead::from_signed(r#"{"type":"other"}"#, &keys),
            Err(HeadError::Shape(_))
        ));
    }
}
