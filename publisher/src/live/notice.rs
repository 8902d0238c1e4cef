//! Public alert notices as the live feed relays them: verified, not
//! believed. Anyone able to write `{prefix}live/alert/{id}` on the broker
//! could otherwise put words in the bureau's mouth, so a message becomes a
//! [`Notice`] only when its Ed25519 signature verifies against a key
//! trusted now, its id is its topic's, and its links are web links or
//! paths on the site. Notices read from the publisher's own database
//! ([`Notice::issued`]) are the truth and need no such check.
//!
//! Which of two versions of a notice wins is [`Notice::rank`]: the higher
//! version, and for one version `expired` over `published`/`updated` (an
//! expiry is announced under the version that expired). The hub keeps the
//! newest rank of every notice it has accepted, so a replayed older
//! version, signed though it is, changes nothing.

use chrono::{DateTime, Utc};
use envmon_core::alert::{PublicNotice, TrustedKeys, VerifyError, link::is_safe_link};
use serde::Deserialize;
use serde_json::Value;

use super::filter::Scope;

/// A notice as relayed: its identity, version and status, and the JSON
/// that was signed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Notice {
    pub(crate) id: String,
    pub(crate) version: i64,
    pub(crate) status: NoticeStatus,
    pub(crate) expires: DateTime<Utc>,
    pub(crate) districts: Vec<String>,
    pub(crate) stations: Vec<String>,
    /// The payload, unchanged.
    pub(crate) body: Value,
}

/// Where a notice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NoticeStatus {
    Published,
    Updated,
    Cancelled,
    Expired,
}

/// Why a message on an alert topic was not relayed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NoticeError {
    /// An empty (retained-clearing) message: it changes nothing.
    #[error("an empty message does not remove a notice")]
    Empty,
    /// Not JSON of the notice's shape.
    #[error("not a notice: {0}")]
    Shape(#[from] serde_json::Error),
    /// The payload's id is not the topic's.
    #[error("notice id {in_payload:?} does not match topic id {in_topic:?}")]
    IdMismatch {
        in_topic: String,
        in_payload: String,
    },
    /// The signature does not verify against a key trusted now.
    #[error(transparent)]
    Signature(#[from] VerifyError),
    /// A link that is neither http(s) nor a path on the site.
    #[error("{0} is not an http(s) URL or a path on the site")]
    Link(&'static str),
}

impl NoticeError {
    /// The reason label of `envmon_publisher_alert_notices_refused_total`.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Shape(_) | Self::IdMismatch { .. } => "malformed",
            Self::Signature(VerifyError::Unsigned | VerifyError::NotJson(_)) => "unsigned",
            Self::Signature(VerifyError::OtherKey { .. } | VerifyError::BadKey) => "untrusted_key",
            Self::Signature(VerifyError::OutsideValidity { .. }) => "key_not_valid_now",
            Self::Signature(VerifyError::Mismatch) => "bad_signature",
            Self::Link(_) => "unsafe_link",
        }
    }
}

#[derive(Deserialize)]
struct Head {
    id: String,
    version: i64,
    status: NoticeStatus,
    expires: DateTime<Utc>,
    #[serde(default)]
    area: Area,
    #[serde(default)]
    cap_url: Option<String>,
    #[serde(default)]
    evidence_url: Option<String>,
}

#[derive(Default, Deserialize)]
struct Area {
    #[serde(default)]
    districts: Vec<String>,
    #[serde(default)]
    stations: Vec<String>,
}

impl Notice {
    /// Reads a message published under `topic_id` and relays it only if it
    /// is signed by a key trusted at `now` and its links are safe.
    ///
    /// # Errors
    /// Empty, not a notice, another id than its topic's, not verified, or
    /// carrying an unsafe link.
    pub(crate) fn verified(
        topic_id: &str,
        payload: &[u8],
        keys: &TrustedKeys,
        now: DateTime<Utc>,
    ) -> Result<Self, NoticeError> {
        if payload.is_empty() {
            return Err(NoticeError::Empty);
        }
        let body: Value = serde_json::from_slice(payload)?;
        keys.verify(&body, now)?;
        let notice = Self::read(body)?;
        if notice.id != topic_id {
            return Err(NoticeError::IdMismatch {
                in_topic: topic_id.to_owned(),
                in_payload: notice.id,
            });
        }
        Ok(notice)
    }

    /// A notice this publisher issued, read from its database.
    pub(crate) fn issued(notice: &PublicNotice) -> Option<Self> {
        Self::read(serde_json::to_value(notice).ok()?).ok()
    }

    fn read(body: Value) -> Result<Self, NoticeError> {
        let head = Head::deserialize(&body)?;
        for (field, link) in [
            ("cap_url", &head.cap_url),
            ("evidence_url", &head.evidence_url),
        ] {
            if link.as_deref().is_some_and(|url| !is_safe_link(url)) {
                return Err(NoticeError::Link(field));
            }
        }
        Ok(Self {
            id: head.id,
            version: head.version,
            status: head.status,
            expires: head.expires,
            districts: head.area.districts,
            stations: head.area.stations,
            body,
        })
    }

    /// Which of two versions of a notice is the newer: the higher version;
    /// within one version an expiry, then a cancellation, over the issue.
    pub(crate) fn rank(&self) -> (i64, u8) {
        let step = match self.status {
            NoticeStatus::Published | NoticeStatus::Updated => 0,
            NoticeStatus::Expired => 1,
            NoticeStatus::Cancelled => 2,
        };
        (self.version, step)
    }

    /// Published or updated, and not yet expired at `now`.
    pub(crate) fn is_active(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status, NoticeStatus::Published | NoticeStatus::Updated) && self.expires > now
    }

    /// Where it applies, for filtering.
    pub(crate) fn scope(&self) -> Scope {
        Scope::Area {
            districts: self.districts.clone(),
            stations: self.stations.clone(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use envmon_core::alert::NoticeSigner;

    pub(crate) fn signer() -> NoticeSigner {
        NoticeSigner::from_seed(&[9; 32])
    }

    /// A notice body signed by `signer` (unsigned when none).
    pub(crate) fn body(
        id: &str,
        version: i64,
        status: &str,
        expires: &str,
        signer: Option<&NoticeSigner>,
    ) -> Value {
        let mut body = serde_json::json!({
            "id": id, "version": version, "status": status, "severity": "orange",
            "headline": {"zh": "重污染天气橙色预警", "en": "Orange alert: heavy pollution"},
            "description": {"zh": "", "en": ""}, "instruction": {"zh": "", "en": ""},
            "area": {"districts": ["普陀区"], "stations": []},
            "effective": "2026-11-25T08:00:00Z", "expires": expires,
            "published_at": "2026-11-25T08:00:00Z", "references": null, "cap_url": "/x"
        });
        if let Some(signer) = signer {
            signer.sign_document(&mut body);
        }
        body
    }

    fn keys() -> TrustedKeys {
        TrustedKeys::single(signer().public_key())
    }

    fn read(id: &str, body: &Value) -> Result<Notice, NoticeError> {
        Notice::verified(id, body.to_string().as_bytes(), &keys(), Utc::now())
    }

    #[test]
    fn a_signed_published_notice_is_active_until_it_expires() {
        let body = body(
            "n1",
            2,
            "published",
            "2026-11-26T00:00:00Z",
            Some(&signer()),
        );
        let notice = read("n1", &body).unwrap();
        let before: DateTime<Utc> = "2026-11-25T12:00:00Z".parse().unwrap();
        let after: DateTime<Utc> = "2026-11-26T00:00:01Z".parse().unwrap();
        assert!(notice.is_active(before));
        assert!(!notice.is_active(after));
        assert_eq!(notice.body["headline"]["zh"], "重污染天气橙色预警");
        assert_eq!(notice.districts, ["普陀区"]);
    }

    #[test]
    fn a_cancelled_notice_is_not_active_and_outranks_its_issue() {
        let cancelled = read(
            "n1",
            &body(
                "n1",
                3,
                "cancelled",
                "2099-01-01T00:00:00Z",
                Some(&signer()),
            ),
        )
        .unwrap();
        assert!(!cancelled.is_active(Utc::now()));
        let expired = read(
            "n1",
            &body("n1", 2, "expired", "2020-01-01T00:00:00Z", Some(&signer())),
        )
        .unwrap();
        let issued = read(
            "n1",
            &body("n1", 2, "updated", "2020-01-01T00:00:00Z", Some(&signer())),
        )
        .unwrap();
        assert!(issued.rank() < expired.rank() && expired.rank() < cancelled.rank());
    }

    #[test]
    fn unsigned_untrusted_altered_or_misplaced_notices_are_refused_by_name() {
        let future = "2099-01-01T00:00:00Z";
        let reason = |id: &str, body: &Value| read(id, body).unwrap_err().reason();
        assert_eq!(
            reason("n1", &body("n1", 1, "published", future, None)),
            "unsigned"
        );
        let stranger = NoticeSigner::from_seed(&[10; 32]);
        assert_eq!(
            reason("n1", &body("n1", 1, "published", future, Some(&stranger))),
            "untrusted_key"
        );
        let mut altered = body("n1", 1, "published", future, Some(&signer()));
        altered["severity"] = "red".into();
        assert_eq!(reason("n1", &altered), "bad_signature");
        let signed = body("n1", 1, "published", future, Some(&signer()));
        assert_eq!(reason("n2", &signed), "malformed");
        let empty = Notice::verified("n1", b"", &keys(), Utc::now()).unwrap_err();
        assert_eq!(empty.reason(), "empty");
        assert!(Notice::verified("n1", b"\xff", &keys(), Utc::now()).is_err());
    }

    #[test]
    fn a_signed_notice_with_a_script_link_is_refused() {
        let mut body = body("n1", 1, "published", "2099-01-01T00:00:00Z", None);
        body["cap_url"] = "javascript:alert(document.cookie)".into();
        signer().sign_document(&mut body);
        assert_eq!(read("n1", &body).unwrap_err().reason(), "unsafe_link");
    }
}
