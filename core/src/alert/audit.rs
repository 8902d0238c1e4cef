//! The audit chain: every staff action is one entry whose hash covers the
//! entry and the hash of the entry before it. Changing, removing or
//! reordering any entry breaks every hash after it, so [`verify_chain`]
//! finds the first entry that is not what was written.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

use super::hex;

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
}
