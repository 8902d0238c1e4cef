//! What staff write: the area, and for each of the next days (or parts of
//! them) the expected AQI range, the primary pollutants and a text in both
//! languages; and the checks it must pass before anyone may approve it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::alert::Bilingual;

/// The furthest day a forecast may speak of, counted from the Beijing day it
/// is issued on: the bureau's forecasts cover the next three days.
pub const MAX_DAYS_AHEAD: i64 = 3;

/// The pollutants that can be primary in a daily AQI (HJ 633 Table 1's daily
/// columns; `o3_8h` is the daily maximum 8-hour ozone, `o3` its 1-hour maximum).
pub const PRIMARY_POLLUTANTS: [&str; 7] = ["pm25", "pm10", "o3_8h", "o3", "no2", "so2", "co"];

/// The highest AQI a range may reach: HJ 633 levels end at 500.
const AQI_MAX: u16 = 500;
/// The widest range accepted: a range wider than two levels says nothing.
const RANGE_WIDTH_MAX: u16 = 100;
/// Longest text of a day, in characters.
const TEXT_MAX: usize = 600;
/// At most three days, each whole or in three parts.
const ENTRIES_MAX: usize = 9;

/// Part of a day a forecast entry covers; absent for the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayPart {
    /// 上午, 06:00–12:00.
    Morning,
    /// 下午, 12:00–18:00.
    Afternoon,
    /// 夜间, 18:00–06:00.
    Night,
}

impl DayPart {
    /// The lowercase name used in JSON and CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Morning => "morning",
            Self::Afternoon => "afternoon",
            Self::Night => "night",
        }
    }
}

/// One day (or part of a day) of a forecast as staff write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastDay {
    /// The Beijing calendar day.
    pub day: NaiveDate,
    /// The part of the day; absent for the whole day (the only entries scored,
    /// since the observed AQI is daily).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<DayPart>,
    /// The lowest AQI expected.
    pub aqi_low: u16,
    /// The highest AQI expected; at least `aqi_low`.
    pub aqi_high: u16,
    /// Expected primary pollutants (codes of [`PRIMARY_POLLUTANTS`]); none
    /// when the whole range is at most 50, as HJ 633 names none then.
    #[serde(default)]
    pub primary: Vec<String>,
    /// What to expect, in both languages.
    pub text: Bilingual,
}

/// What staff write: everything in a forecast that a person decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastContent {
    /// The area's id from the registry's `[[area]]` entries: the city
    /// (`shanghai`) or a district (`pudong`).
    pub area: String,
    /// The days, in order.
    pub days: Vec<ForecastDay>,
}

/// Why a forecast cannot be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForecastError {
    /// The area is not one of the registry's.
    #[error("area {0:?} is not an area of the registry")]
    UnknownArea(String),
    /// No day at all.
    #[error("a forecast needs at least one day")]
    NoDays,
    /// More entries than three days in three parts.
    #[error("a forecast has at most {ENTRIES_MAX} entries")]
    TooManyEntries,
    /// A day before tomorrow or after the third day ahead.
    #[error("day {day} is {days_ahead} days after the issue day; it must be 1 to {MAX_DAYS_AHEAD}")]
    DaysAhead {
        /// The day.
        day: NaiveDate,
        /// How far ahead it is.
        days_ahead: i64,
    },
    /// The same day (and part) twice.
    #[error("day {0} appears more than once")]
    Duplicate(String),
    /// Days not in order.
    #[error("days must be in order")]
    Order,
    /// `aqi_low` above `aqi_high`.
    #[error("day {day}: aqi_low {low} is above aqi_high {high}")]
    RangeInverted {
        /// The day.
        day: NaiveDate,
        /// The low end.
        low: u16,
        /// The high end.
        high: u16,
    },
    /// An AQI beyond 500 or a range wider than two levels.
    #[error("day {day}: the range must lie within 0–{AQI_MAX} and span at most {RANGE_WIDTH_MAX}")]
    RangeImplausible {
        /// The day.
        day: NaiveDate,
    },
    /// A pollutant that cannot be primary.
    #[error("day {day}: {code:?} is not a pollutant that can be primary")]
    UnknownPollutant {
        /// The day.
        day: NaiveDate,
        /// The code given.
        code: String,
    },
    /// Primary pollutants named where HJ 633 names none, or none named where
    /// the whole range is polluted enough to have one, or one named twice.
    #[error(
        "day {day}: primary pollutants must be given when the AQI is above 50 and only then, each once"
    )]
    Primary {
        /// The day.
        day: NaiveDate,
    },
    /// A text empty, too long, or holding a control character.
    #[error("day {day}: text.{lang} must be 1 to {TEXT_MAX} characters without control characters")]
    Text {
        /// The day.
        day: NaiveDate,
        /// `zh` or `en`.
        lang: &'static str,
    },
}

impl ForecastContent {
    /// Checks what a schema cannot: the area is one of `known_areas`, each
    /// day is 1 to [`MAX_DAYS_AHEAD`] days after `issue_day` (Beijing), in
    /// order and once, each range sane, primary pollutants known, texts
    /// present and bounded.
    ///
    /// # Errors
    /// The first problem found.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use envmon_core::alert::Bilingual;
    /// use envmon_core::forecast::{ForecastContent, ForecastDay};
    ///
    /// let today = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
    /// let text = Bilingual { zh: "良".into(), en: "Good".into() };
    /// let day = |d: u32, low, high| ForecastDay {
    ///     day: NaiveDate::from_ymd_opt(2026, 12, d).unwrap(), part: None,
    ///     aqi_low: low, aqi_high: high, primary: vec!["pm25".into()], text: text.clone(),
    /// };
    /// let forecast = ForecastContent { area: "shanghai".into(), days: vec![day(9, 92, 112)] };
    /// assert!(forecast.validate(today, &["shanghai"]).is_ok());
    /// let backwards = ForecastContent { area: "shanghai".into(), days: vec![day(9, 112, 92)] };
    /// assert!(backwards.validate(today, &["shanghai"]).is_err());
    /// ```
    pub fn validate(
        &self,
        issue_day: NaiveDate,
        known_areas: &[&str],
    ) -> Result<(), ForecastError> {
        if !known_areas.contains(&self.area.as_str()) {
            return Err(ForecastError::UnknownArea(self.area.clone()));
        }
        if self.days.is_empty() {
            return Err(ForecastError::NoDays);
        }
        if self.days.len() > ENTRIES_MAX {
            return Err(ForecastError::TooManyEntries);
        }
        let mut previous: Option<(NaiveDate, Option<DayPart>)> = None;
        for entry in &self.days {
            let key = (entry.day, entry.part);
            if let Some(before) = previous {
                if before == key {
                    return Err(ForecastError::Duplicate(entry.day.to_string()));
                }
                if before > key {
                    return Err(ForecastError::Order);
                }
            }
            previous = Some(key);
            entry.validate(issue_day)?;
        }
        Ok(())
    }

    /// The last day it speaks of: until that day is over it is current.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.days.iter().map(|d| d.day).max()
    }
}

impl ForecastDay {
    fn validate(&self, issue_day: NaiveDate) -> Result<(), ForecastError> {
        let day = self.day;
        let days_ahead = (day - issue_day).num_days();
        if !(1..=MAX_DAYS_AHEAD).contains(&days_ahead) {
            return Err(ForecastError::DaysAhead { day, days_ahead });
        }
        let (low, high) = (self.aqi_low, self.aqi_high);
        if low > high {
            return Err(ForecastError::RangeInverted { day, low, high });
        }
        if high > AQI_MAX || high - low > RANGE_WIDTH_MAX {
            return Err(ForecastError::RangeImplausible { day });
        }
        if let Some(code) = self
            .primary
            .iter()
            .find(|c| !PRIMARY_POLLUTANTS.contains(&c.as_str()))
        {
            return Err(ForecastError::UnknownPollutant {
                day,
                code: code.clone(),
            });
        }
        let mut codes = self.primary.clone();
        codes.sort();
        codes.dedup();
        let named_twice = codes.len() != self.primary.len();
        let needs_none = high <= 50 && !self.primary.is_empty();
        let needs_some = low > 50 && self.primary.is_empty();
        if named_twice || needs_none || needs_some {
            return Err(ForecastError::Primary { day });
        }
        for (lang, text) in [("zh", &self.text.zh), ("en", &self.text.en)] {
            let bad_char = text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t');
            if text.trim().is_empty() || text.chars().count() > TEXT_MAX || bad_char {
                return Err(ForecastError::Text { day, lang });
            }
        }
        Ok(())
    }
}
