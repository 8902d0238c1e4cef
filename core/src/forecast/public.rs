//! What the public receives: each issued version of a forecast, with the
//! HJ 633 levels its ranges span, its status and its signature.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::content::{DayPart, ForecastContent, ForecastDay};
use crate::alert::signing::NoticeSignature;
use crate::alert::{Bilingual, NoticeSigner};
use crate::aqi::{Edition, level_for};

/// Where a forecast stands, as the public sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForecastStatus {
    /// The first issued version.
    Published,
    /// A later version replacing an earlier one of the same forecast.
    Updated,
    /// Withdrawn by staff: shown nowhere as current.
    Withdrawn,
}

impl ForecastStatus {
    /// The lowercase name used in JSON and SQL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Updated => "updated",
            Self::Withdrawn => "withdrawn",
        }
    }
}

/// One day of a published forecast: what staff wrote, with the levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicForecastDay {
    /// The Beijing calendar day.
    pub day: NaiveDate,
    /// The part of the day, absent for the whole day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<DayPart>,
    /// Days after the issue day (1 is tomorrow).
    pub days_ahead: i64,
    /// The lowest AQI expected.
    pub aqi_low: u16,
    /// The highest AQI expected.
    pub aqi_high: u16,
    /// The HJ 633 levels (1–6) the range spans, lowest first: derived, never typed.
    pub levels: Vec<u8>,
    /// The HJ 633 edition the levels are judged by.
    pub edition: String,
    /// Expected primary pollutants.
    pub primary: Vec<String>,
    /// What to expect.
    pub text: Bilingual,
}

/// The public forecast: the JSON on `{prefix}live/forecast/{id}`, at
/// `/api/v1/forecasts`, and the document that is signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicForecast {
    /// The forecast, stable across its versions, e.g. `FC-2026-00007`.
    pub id: String,
    /// 1 for the first issue, increasing with each update or withdrawal.
    pub version: i32,
    /// This version's own identifier, `{id}.v{version}`.
    pub version_id: String,
    /// Published, updated or withdrawn.
    pub status: ForecastStatus,
    /// The area's registry id.
    pub area: String,
    /// The area's name, so the document reads on its own.
    pub area_name: Bilingual,
    /// When this version was issued.
    pub issued_at: DateTime<Utc>,
    /// The days, in order.
    pub days: Vec<PublicForecastDay>,
    /// The version this one replaces, or null for the first.
    pub references: Option<String>,
    /// Ed25519 signature over the canonical document without this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<NoticeSignature>,
}

/// The HJ 633 levels (1–6) an AQI range spans under `edition`, lowest first.
///
/// ```
/// use envmon_core::aqi::Edition;
/// use envmon_core::forecast::levels_for_range;
///
/// assert_eq!(levels_for_range(Edition::Hj633_2026, 92, 112), vec![2, 3]);
/// assert_eq!(levels_for_range(Edition::Hj633_2026, 60, 80), vec![2]);
/// ```
pub fn levels_for_range(edition: Edition, low: u16, high: u16) -> Vec<u8> {
    let first = level_for(edition, low).level;
    let last = level_for(edition, high.max(low)).level;
    (first..=last).collect()
}

impl PublicForecastDay {
    /// A written day with its levels, `issue_day` being the issue's Beijing day.
    pub fn from_written(day: &ForecastDay, issue_day: NaiveDate) -> Self {
        let edition = Edition::for_beijing_day(day.day);
        Self {
            day: day.day,
            part: day.part,
            days_ahead: (day.day - issue_day).num_days(),
            aqi_low: day.aqi_low,
            aqi_high: day.aqi_high,
            levels: levels_for_range(edition, day.aqi_low, day.aqi_high),
            edition: edition.code().to_owned(),
            primary: day.primary.clone(),
            text: day.text.clone(),
        }
    }

    /// Back to what staff wrote.
    pub fn written(&self) -> ForecastDay {
        ForecastDay {
            day: self.day,
            part: self.part,
            aqi_low: self.aqi_low,
            aqi_high: self.aqi_high,
            primary: self.primary.clone(),
            text: self.text.clone(),
        }
    }
}

impl PublicForecast {
    /// The version identifier of `version` of forecast `id`.
    pub fn version_id_of(id: &str, version: i32) -> String {
        format!("{id}.v{version}")
    }

    /// What staff wrote, read back from the document.
    pub fn content(&self) -> ForecastContent {
        ForecastContent {
            area: self.area.clone(),
            days: self.days.iter().map(PublicForecastDay::written).collect(),
        }
    }

    /// Sets `signature` to `signer`'s signature over the canonical document
    /// without it, exactly as notices are signed.
    pub fn sign(&mut self, signer: &NoticeSigner) {
        self.signature = None;
        // A struct of strings, numbers and lists always serialises.
        let mut document = serde_json::to_value(&*self).unwrap_or(serde_json::Value::Null);
        signer.sign_document(&mut document);
        self.signature = document
            .get("signature")
            .cloned()
            .and_then(|value| serde_json::from_value(value).ok());
    }

    /// Whether it carries a signature made with `signer`'s key.
    pub fn signed_by(&self, signer: &NoticeSigner) -> bool {
        self.signature
            .as_ref()
            .is_some_and(|s| s.public_key.eq_ignore_ascii_case(&signer.public_key_hex()))
    }

    /// The last day it speaks of.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.days.iter().map(|d| d.day).max()
    }

    /// Whether it is current on Beijing day `today`: issued (not withdrawn)
    /// and speaking of today or a later day. Of several current forecasts
    /// of one area, the public is shown the one issued last: a newer forecast
    /// supersedes an older one.
    pub fn is_current(&self, today: NaiveDate) -> bool {
        self.status != ForecastStatus::Withdrawn && self.last_day().is_some_and(|d| d >= today)
    }
}
