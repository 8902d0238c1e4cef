//! What staff write: the notice's content, the checks it must pass before it
//! is issued, and the hash an approver names to say which text they reviewed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::super::link::is_safe_link;
use super::lang::{Bilingual, Lang};
use super::severity::{Certainty, Severity, Urgency};

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
    let canonical = super::super::canonical::canonical_json(content);
    super::super::hex::encode(&Sha256::digest(canonical.as_bytes()))
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
