//! Which edition of HJ 633 judges a value.
//!
//! HJ 633-2026 replaced HJ 633-2012 on 2026-03-01 (its foreword: "自本标准实施之日起，
//! HJ 633—2012 废止"). A value is judged by the edition in force during its averaging period,
//! not by when it is published: the national platform computed the hour stamped
//! 2026-03-01T00:00 (23:00–24:00 of 28 February) with HJ 633-2012 and the hour stamped 01:00
//! with HJ 633-2026 (reference README §5.1, OBSERVED).

use std::fmt;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

/// 2026-03-01T00:00+08:00 = 2026-02-28T16:00Z, in nanoseconds since the Unix epoch.
const HJ633_2026_EFFECTIVE_NANOS: i64 = 1_772_294_400 * 1_000_000_000;

/// An edition of HJ 633 环境空气质量指数（AQI）技术规定.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Edition {
    /// HJ 633-2012, in force until 2026-02-28 24:00 Beijing time.
    Hj633_2012,
    /// HJ 633-2026, in force from 2026-03-01 00:00 Beijing time.
    Hj633_2026,
}

impl Edition {
    /// The instant HJ 633-2026 took effect: 2026-03-01T00:00+08:00 (2026-02-28T16:00Z).
    pub const HJ633_2026_EFFECTIVE: DateTime<Utc> =
        DateTime::from_timestamp_nanos(HJ633_2026_EFFECTIVE_NANOS);

    /// The edition in force at the start of an averaging period.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use envmon_core::aqi::Edition;
    ///
    /// let start = Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap(); // 03-01 00:00 +08:00
    /// assert_eq!(Edition::for_period_start(start), Edition::Hj633_2026);
    /// ```
    pub fn for_period_start(start: DateTime<Utc>) -> Edition {
        if start >= Self::HJ633_2026_EFFECTIVE {
            Edition::Hj633_2026
        } else {
            Edition::Hj633_2012
        }
    }

    /// The edition for an hourly mean labelled by the end of its hour, the national convention
    /// (the value labelled 16:00 is the mean over 15:00–16:00).
    ///
    /// ```
    /// use chrono::DateTime;
    /// use envmon_core::aqi::Edition;
    ///
    /// let label = |s| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
    /// assert_eq!(Edition::for_hour_ending(label("2026-03-01T00:00:00+08:00")), Edition::Hj633_2012);
    /// assert_eq!(Edition::for_hour_ending(label("2026-03-01T01:00:00+08:00")), Edition::Hj633_2026);
    /// ```
    pub fn for_hour_ending(label: DateTime<Utc>) -> Edition {
        Self::for_period_start(label - TimeDelta::hours(1))
    }

    /// The edition for a daily value of a Beijing calendar day (00:00–24:00 +08:00).
    pub fn for_beijing_day(day: NaiveDate) -> Edition {
        Self::for_period_start(beijing_midnight(day))
    }

    /// The standard's code: `HJ 633-2012` or `HJ 633-2026`.
    pub fn code(self) -> &'static str {
        match self {
            Edition::Hj633_2012 => "HJ 633-2012",
            Edition::Hj633_2026 => "HJ 633-2026",
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The instant a Beijing calendar day starts.
fn beijing_midnight(day: NaiveDate) -> DateTime<Utc> {
    // Beijing midnight is 16:00 UTC of the previous day; no DST, so this is exact.
    day.and_time(chrono::NaiveTime::MIN).and_utc()
        - TimeDelta::seconds(crate::beijing::OFFSET_SECONDS.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn effective_instant_is_beijing_midnight_of_march_first() {
        assert_eq!(
            Edition::HJ633_2026_EFFECTIVE,
            at("2026-03-01T00:00:00+08:00")
        );
        assert_eq!(Edition::HJ633_2026_EFFECTIVE, at("2026-02-28T16:00:00Z"));
    }

    #[test]
    fn hour_labelled_midnight_of_march_first_is_still_2012() {
        // Reference README §5.1: the hour stamped 2026-03-01T0000 covers 23:00–24:00 of 28 Feb.
        assert_eq!(
            Edition::for_hour_ending(at("2026-03-01T00:00:00+08:00")),
            Edition::Hj633_2012
        );
        assert_eq!(
            Edition::for_hour_ending(at("2026-03-01T01:00:00+08:00")),
            Edition::Hj633_2026
        );
        assert_eq!(
            Edition::for_hour_ending(at("2026-02-28T16:59:59Z")),
            Edition::Hj633_2012
        );
        assert_eq!(
            Edition::for_hour_ending(at("2026-02-28T17:00:00Z")),
            Edition::Hj633_2026
        );
    }

    #[test]
    fn period_starting_at_the_switch_is_2026() {
        let switch = at("2026-03-01T00:00:00+08:00");
        assert_eq!(Edition::for_period_start(switch), Edition::Hj633_2026);
        assert_eq!(
            Edition::for_period_start(switch - TimeDelta::nanoseconds(1)),
            Edition::Hj633_2012
        );
    }

    #[test]
    fn beijing_days_switch_on_march_first() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            Edition::for_beijing_day(day(2026, 2, 28)),
            Edition::Hj633_2012
        );
        assert_eq!(
            Edition::for_beijing_day(day(2026, 3, 1)),
            Edition::Hj633_2026
        );
        assert_eq!(
            beijing_midnight(day(2026, 3, 1)),
            Edition::HJ633_2026_EFFECTIVE
        );
    }

    #[test]
    fn edition_serialises_as_snake_case_and_displays_its_code() {
        assert_eq!(
            serde_json::to_string(&Edition::Hj633_2026).unwrap(),
            "\"hj633_2026\""
        );
        assert_eq!(Edition::Hj633_2012.to_string(), "HJ 633-2012");
    }
}
