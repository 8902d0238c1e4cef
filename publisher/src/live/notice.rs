//! Public alert notices as they arrive on `{prefix}live/alert/{id}`
//! (retained, QoS 1): the fields the live feed needs to relay them, keep the
//! active set and filter them, with the whole notice kept as it came.
//!
//! The alerts work owns the notice's content; the feed only checks the
//! fields it acts on, so a new field in a notice passes through untouched.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::filter::Scope;

/// A notice as relayed: its identity, version and status, and the JSON the
/// alerts work published.
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

/// Why a payload on an alert topic was not relayed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NoticeError {
    /// Not JSON of the notice's shape.
    #[error("not a notice: {0}")]
    Shape(#[from] serde_json::Error),
    /// The payload's id is not the topic's.
    #[error("notice id {in_payload:?} does not match topic id {in_topic:?}")]
    IdMismatch {
        in_topic: String,
        in_payload: String,
    },
}

#[derive(Deserialize)]
struct Head {
    id: String,
    version: i64,
    status: NoticeStatus,
    expires: DateTime<Utc>,
    #[serde(default)]
    area: Area,
}

#[derive(Default, Deserialize)]
struct Area {
    #[serde(default)]
    districts: Vec<String>,
    #[serde(default)]
    stations: Vec<String>,
}

impl Notice {
    /// Reads a notice published under `topic_id`.
    ///
    /// # Errors
    /// The payload is not a notice, or names another id than its topic.
    pub(crate) fn parse(topic_id: &str, payload: &[u8]) -> Result<Self, NoticeError> {
        let body: Value = serde_json::from_slice(payload)?;
        let head = Head::deserialize(&body)?;
        if head.id != topic_id {
            return Err(NoticeError::IdMismatch {
                in_topic: topic_id.to_owned(),
                in_payload: head.id,
            });
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
mod tests {
    use super::*;

    fn payload(id: &str, status: &str, expires: &str) -> String {
        serde_json::json!({
            "id": id, "version": 2, "status": status, "severity": "orange",
            "headline": {"zh": "重污染天气橙色预警", "en": "Orange alert: heavy pollution"},
            "description": {"zh": "", "en": ""}, "instruction": {"zh": "", "en": ""},
            "area": {"districts": ["普陀区"], "stations": []},
            "effective": "2026-11-25T08:00:00Z", "expires": expires,
            "published_at": "2026-11-25T08:00:00Z", "references": null, "cap_url": "/x"
        })
        .to_string()
    }

    #[test]
    fn a_published_notice_is_active_until_it_expires() {
        let notice = Notice::parse(
            "n1",
            payload("n1", "published", "2026-11-26T00:00:00Z").as_bytes(),
        )
        .unwrap();
        let before: DateTime<Utc> = "2026-11-25T12:00:00Z".parse().unwrap();
        let after: DateTime<Utc> = "2026-11-26T00:00:01Z".parse().unwrap();
        assert!(notice.is_active(before));
        assert!(!notice.is_active(after));
        assert_eq!(notice.body["headline"]["zh"], "重污染天气橙色预警");
        assert_eq!(notice.districts, ["普陀区"]);
    }

    #[test]
    fn a_cancelled_notice_is_not_active() {
        let notice = Notice::parse(
            "n1",
            payload("n1", "cancelled", "2099-01-01T00:00:00Z").as_bytes(),
        )
        .unwrap();
        assert!(!notice.is_active(Utc::now()));
    }

    #[test]
    fn a_notice_under_another_id_or_malformed_is_refused() {
        let wrong = Notice::parse(
            "n2",
            payload("n1", "published", "2099-01-01T00:00:00Z").as_bytes(),
        );
        assert!(matches!(wrong, Err(NoticeError::IdMismatch { .. })));
        assert!(Notice::parse("n1", b"{\"id\":\"n1\"}").is_err());
        assert!(Notice::parse("n1", b"\xff").is_err());
    }
}
