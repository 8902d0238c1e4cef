//! The alert notice: what staff write ([`NoticeContent`]) and what the
//! public receives ([`PublicNotice`]).
//!
//! Severity follows the four colours of China's heavy-pollution weather
//! warnings (重污染天气预警: 蓝色, 黄色, 橙色, 红色). CAP 1.2 has its own
//! four-step severity; [`Severity::cap`] maps one onto the other, in order,
//! and docs/alerts.md states the mapping.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::link::is_safe_link;
use super::signing::NoticeSignature;

/// Heavy-pollution warning level, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// 蓝色预警.
    Blue,
    /// 黄色预警.
    Yellow,
    /// 橙色预警.
    Orange,
    /// 红色预警.
    Red,
}

impl Severity {
    /// The CAP 1.2 `severity` value: blue Minor, yellow Moderate, orange
    /// Severe, red Extreme (the order of both scales kept, one to one).
    pub fn cap(self) -> &'static str {
        match self {
            Self::Blue => "Minor",
            Self::Yellow => "Moderate",
            Self::Orange => "Severe",
            Self::Red => "Extreme",
        }
    }

    /// The colour's name as the public sees it.
    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::Blue, Lang::Zh) => "蓝色",
            (Self::Yellow, Lang::Zh) => "黄色",
            (Self::Orange, Lang::Zh) => "橙色",
            (Self::Red, Lang::Zh) => "红色",
            (Self::Blue, Lang::En) => "Blue",
            (Self::Yellow, Lang::En) => "Yellow",
            (Self::Orange, Lang::En) => "Orange",
            (Self::Red, Lang::En) => "Red",
        }
    }

    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Yellow => "yellow",
            Self::Orange => "orange",
            Self::Red => "red",
        }
    }
}

/// One of the two languages every public text is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, CAP `zh-CN`.
    Zh,
    /// English, CAP `en-US`.
    En,
}

impl Lang {
    /// Both, Chinese first.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The CAP `language` value.
    pub fn cap(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en-US",
        }
    }
}

/// CAP 1.2 urgency, spelled as CAP spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Urgency {
    /// Act now.
    Immediate,
    /// Act soon (within the next hour).
    Expected,
    /// Act in the near future.
    Future,
    /// No longer required.
    Past,
    /// Not known.
    Unknown,
}

/// CAP 1.2 certainty, spelled as CAP spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Certainty {
    /// Determined to have occurred or to be ongoing.
    Observed,
    /// Likely (p > ~50%).
    Likely,
    /// Possible but not likely.
    Possible,
    /// Not expected to occur.
    Unlikely,
    /// Not known.
    Unknown,
}

macro_rules! cap_name {
    ($ty:ty { $($variant:ident),* }) => {
        impl $ty {
            /// The CAP 1.2 value.
            pub fn cap(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant)),* }
            }
        }
    };
}
cap_name!(Urgency {
    Immediate,
    Expected,
    Future,
    Past,
    Unknown
});
cap_name!(Certainty {
    Observed,
    Likely,
    Possible,
    Unlikely,
    Unknown
});

/// A text in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    /// Simplified Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Bilingual {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Where a notice applies: district names and station codes (air stations,
/// river sections and drinking-water sources are all stations).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// District names as the public knows them, e.g. "浦东新区".
    #[serde(default)]
    pub districts: Vec<String>,
    /// Station codes.
    #[serde(default)]
    pub stations: Vec<String>,
}

/// What staff write: everything in a notice that a person decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeContent {
    /// Warning colour.
    pub severity: Severity,
    /// CAP urgency.
    pub urgency: Urgency,
    /// CAP certainty.
    pub certainty: Certainty,
    /// One line.
    pub headline: Bilingual,
    /// What is happening.
    pub description: Bilingual,
    /// What the public should do.
    pub instruction: Bilingual,
    /// Where.
    pub area: Area,
    /// From when the notice applies.
    pub effective: DateTime<Utc>,
    /// Until when; after this the notice is expired.
    pub expires: DateTime<Utc>,
    /// A link to the evidence (readings, charts); absolute http(s) or a
    /// path on this site.
    #[serde(default)]
    pub evidence_url: Option<String>,
}

/// Why content cannot be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    /// A required text is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// The field, e.g. `headline.en`.
        field: String,
    },
    /// A text is too long.
    #[error("{field} is longer than {max} characters")]
    TooLong {
        /// The field.
        field: String,
        /// Its limit.
        max: usize,
    },
    /// `expires` is not after `effective`.
    #[error("expires must be after effective")]
    ExpiresBeforeEffective,
    /// The area names nothing.
    #[error("area must name at least one district or station")]
    EmptyArea,
    /// The evidence link is not a web link.
    #[error("evidence_url must be an http(s) URL or a path starting with /")]
    EvidenceUrl,
    /// A text holds a control character (which XML 1.0 cannot carry).
    #[error("{field} contains a control character")]
    ControlCharacter {
        /// The field.
        field: String,
    },
}

/// Longest headline, in characters (CAP advises headlines under 160).
const HEADLINE_MAX: usize = 160;
/// Longest description or instruction, in characters.
const BODY_MAX: usize = 4000;
/// Longest district name or station code.
const AREA_ITEM_MAX: usize = 64;

impl NoticeContent {
    /// Checks what a schema cannot: texts present and bounded, times in
    /// order, an area, a web evidence link.
    ///
    /// # Errors
    /// The first problem found, naming its field.
    pub fn validate(&self) -> Result<(), ContentError> {
        for (name, text, max) in [
            ("headline", &self.headline, HEADLINE_MAX),
            ("description", &self.description, BODY_MAX),
            ("instruction", &self.instruction, BODY_MAX),
        ] {
            for lang in Lang::ALL {
                let field = format!("{name}.{}", if lang == Lang::Zh { "zh" } else { "en" });
                check_text(&field, text.get(lang), max)?;
            }
        }
        if self.expires <= self.effective {
            return Err(ContentError::ExpiresBeforeEffective);
        }
        if self.area.districts.is_empty() && self.area.stations.is_empty() {
            return Err(ContentError::EmptyArea);
        }
        for item in self.area.districts.iter().chain(&self.area.stations) {
            check_text("area", item, AREA_ITEM_MAX)?;
        }
        if let Some(url) = &self.evidence_url
            && !is_safe_link(url)
        {
            return Err(ContentError::EvidenceUrl);
        }
        Ok(())
    }
}

/// The SHA-256 (hex) of a notice content's canonical JSON (RFC 8785): what
/// an approver names to say which text they reviewed. A browser computes
/// the same with `crypto.subtle.digest` over the same canonical form.
pub fn content_hash(content: &serde_json::Value) -> String {
    let canonical = super::canonical::canonical_json(content);
    super::hex::encode(&Sha256::digest(canonical.as_bytes()))
}

fn check_text(field: &str, text: &str, max: usize) -> Result<(), ContentError> {
    if text.trim().is_empty() {
        return Err(ContentError::Empty {
            field: field.to_owned(),
        });
    }
    if text.chars().count() > max {
        return Err(ContentError::TooLong {
            field: field.to_owned(),
            max,
        });
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ContentError::ControlCharacter {
            field: field.to_owned(),
        });
    }
    Ok(())
}

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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A valid notice content for tests.
    pub(crate) fn content() -> NoticeContent {
        NoticeContent {
            severity: Severity::Orange,
            urgency: Urgency::Expected,
            certainty: Certainty::Likely,
            headline: Bilingual {
                zh: "重污染天气橙色预警".into(),
                en: "Orange warning: heavy air pollution".into(),
            },
            description: Bilingual {
                zh: "预计未来三天PM2.5浓度 > 150 µg/m³ & 持续".into(),
                en: "PM2.5 expected above 150 µg/m³ for three days <& so on>".into(),
            },
            instruction: Bilingual {
                zh: "减少户外活动".into(),
                en: "Reduce outdoor activity".into(),
            },
            area: Area {
                districts: vec!["浦东新区".into()],
                stations: vec!["1141A".into()],
            },
            effective: Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap(),
            expires: Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap(),
            evidence_url: Some("/api/v1/stations/1141A/latest".into()),
        }
    }

    #[test]
    fn the_content_hash_ignores_layout_and_sees_every_word() {
        let value = serde_json::to_value(content()).unwrap();
        let reordered: serde_json::Value =
            serde_json::from_str(&serde_json::to_string_pretty(&value).unwrap()).unwrap();
        assert_eq!(content_hash(&value), content_hash(&reordered));
        assert_eq!(content_hash(&value).len(), 64);
        let mut changed = value.clone();
        changed["instruction"]["en"] = "Reduce outdoor activity!".into();
        assert_ne!(content_hash(&value), content_hash(&changed));
        // `printf '{"a":"é"}' | sha256sum` (coreutils) gives the same.
        assert_eq!(
            content_hash(&serde_json::json!({"a": "é"})),
            "b3a092a6af48807fa9482b2ee140105575daa26d5b24b3c0e60a7e2dee6683b1"
        );
    }

    #[test]
    fn severity_maps_to_cap_in_order() {
        let mapped: Vec<_> = [
            Severity::Blue,
            Severity::Yellow,
            Severity::Orange,
            Severity::Red,
        ]
        .map(Severity::cap)
        .to_vec();
        assert_eq!(mapped, ["Minor", "Moderate", "Severe", "Extreme"]);
    }

    #[test]
    fn valid_content_passes_and_each_fault_is_named() {
        assert_eq!(content().validate(), Ok(()));
        let mut empty = content();
        empty.headline.en = "  ".into();
        assert_eq!(
            empty.validate(),
            Err(ContentError::Empty {
                field: "headline.en".into()
            })
        );
        let mut backwards = content();
        backwards.expires = backwards.effective;
        assert_eq!(
            backwards.validate(),
            Err(ContentError::ExpiresBeforeEffective)
        );
        let mut nowhere = content();
        nowhere.area = Area::default();
        assert_eq!(nowhere.validate(), Err(ContentError::EmptyArea));
        let mut script = content();
        script.evidence_url = Some("javascript:alert(1)".into());
        assert_eq!(script.validate(), Err(ContentError::EvidenceUrl));
        let mut control = content();
        control.instruction.zh = "a\u{0}b".into();
        assert!(matches!(
            control.validate(),
            Err(ContentError::ControlCharacter { .. })
        ));
    }

    #[test]
    fn public_json_has_the_shared_contract_fields() {
        let notice = PublicNotice {
            id: "AN-2026-00001".into(),
            version: 2,
            version_id: PublicNotice::version_id_of("AN-2026-00001", 2),
            status: NoticeStatus::Updated,
            content: content(),
            published_at: Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap(),
            references: Some("AN-2026-00001.v1".into()),
            cap_url: "http://x/api/v1/alerts/AN-2026-00001.v2.cap".into(),
            signature: None,
        };
        let json = serde_json::to_value(&notice).unwrap();
        for key in [
            "id",
            "version",
            "status",
            "severity",
            "headline",
            "description",
            "instruction",
            "area",
            "effective",
            "expires",
            "published_at",
            "references",
            "cap_url",
        ] {
            assert!(json.get(key).is_some(), "{key} missing from {json}");
        }
        assert_eq!(json["status"], "updated");
        assert_eq!(json["headline"]["zh"], "重污染天气橙色预警");
        assert_eq!(json["area"]["districts"][0], "浦东新区");
        assert_eq!(notice.cap_msg_type(), "Update");
        let back: PublicNotice = serde_json::from_value(json).unwrap();
        assert_eq!(back, notice);
    }
}
