//! What the public receives: each published version of a notice, where it
//! stands, and the links it may carry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::super::link::is_safe_link;
use super::super::signing::NoticeSignature;
use super::content::NoticeContent;

/// A notice carries a link that is neither http(s) nor a path on the site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be an http(s) URL or a path starting with /")]
pub struct UnsafeLink {
    /// `cap_url` or `evidence_url`.
    pub field: &'static str,
}

/// Where a notice stands, as the public sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeStatus {
    /// Written, not yet approved; never public.
    Draft,
    /// The first issued version.
    Published,
    /// A later version replacing an earlier one.
    Updated,
    /// Withdrawn.
    Cancelled,
    /// Past its `expires` time.
    Expired,
}

impl NoticeStatus {
    /// The lowercase name used in JSON and SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Updated => "updated",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }
}

/// The public notice: the JSON on `{prefix}live/alert/{id}`, at
/// `/api/v1/alerts`, and the document that is signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicNotice {
    /// The notice, stable across its versions, e.g. `AN-2026-00007`.
    pub id: String,
    /// 1 for the first issue, increasing with each update or cancellation.
    pub version: i32,
    /// This version's own identifier (the CAP `identifier`), `{id}.v{version}`.
    pub version_id: String,
    /// Published, updated, cancelled or expired.
    pub status: NoticeStatus,
    /// Everything staff wrote.
    #[serde(flatten)]
    pub content: NoticeContent,
    /// When this version was issued.
    pub published_at: DateTime<Utc>,
    /// The version this one replaces, or null for the first.
    pub references: Option<String>,
    /// The CAP 1.2 document of this version.
    pub cap_url: String,
    /// Ed25519 signature over the canonical document without this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<NoticeSignature>,
}

impl PublicNotice {
    /// The version identifier of `version` of notice `id`.
    pub fn version_id_of(id: &str, version: i32) -> String {
        format!("{id}.v{version}")
    }

    /// Whether every link it carries (`cap_url`, `evidence_url`) is one a
    /// notice may carry ([`is_safe_link`]); names the first that is not.
    ///
    /// # Errors
    /// The field holding a link that is not http(s) or a path on the site.
    pub fn check_links(&self) -> Result<(), UnsafeLink> {
        if !is_safe_link(&self.cap_url) {
            return Err(UnsafeLink { field: "cap_url" });
        }
        match &self.content.evidence_url {
            Some(url) if !is_safe_link(url) => Err(UnsafeLink {
                field: "evidence_url",
            }),
            _ => Ok(()),
        }
    }

    /// Whether the public should act on it at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        matches!(self.status, NoticeStatus::Published | NoticeStatus::Updated)
            && self.content.expires > now
    }

    /// The CAP `msgType`: the first issue is an Alert, a cancellation a
    /// Cancel, every other later version an Update.
    pub fn cap_msg_type(&self) -> &'static str {
        match self.status {
            NoticeStatus::Cancelled => "Cancel",
            _ if self.version > 1 => "Update",
            _ => "Alert",
        }
    }
}
