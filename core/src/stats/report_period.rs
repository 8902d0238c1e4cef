//! The periods drinking-water reports cover: a calendar month or quarter in
//! Beijing time, named as bulletins name them (`2026-Q3`, `2026-07`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::{Serialize, Serializer};

use crate::beijing;

/// A month or a quarter of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportPeriod {
    /// Quarter 1–4.
    Quarter { year: i32, quarter: u32 },
    /// Month 1–12.
    Month { year: i32, month: u32 },
}

/// Why a period name cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("period {0:?} is not a quarter like 2026-Q3 or a month like 2026-07")]
pub struct ReportPeriodError(pub String);

impl ReportPeriod {
    /// The first Beijing day of the period.
    pub fn first_day(self) -> NaiveDate {
        let (year, month) = match self {
            Self::Quarter { year, quarter } => (year, 3 * quarter - 2),
            Self::Month { year, month } => (year, month),
        };
        NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The first Beijing day after the period.
    pub fn end_day(self) -> NaiveDate {
        let months = match self {
            Self::Quarter { .. } => 3,
            Self::Month { .. } => 1,
        };
        self.first_day()
            .checked_add_months(chrono::Months::new(months))
            .unwrap_or(NaiveDate::MAX)
    }

    /// `[start, end)` as instants: Beijing midnights.
    pub fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let midnight = |day: NaiveDate| {
            beijing::offset()
                .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                .single()
                .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
        };
        (midnight(self.first_day()), midnight(self.end_day()))
    }

    /// The quarter containing `day`.
    pub fn quarter_of(day: NaiveDate) -> Self {
        Self::Quarter {
            year: day.year(),
            quarter: (day.month() - 1) / 3 + 1,
        }
    }

    /// The period before this one, of the same length.
    pub fn previous(self) -> Self {
        match self {
            Self::Quarter { year, quarter: 1 } => Self::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Self::Quarter { year, quarter } => Self::Quarter {
                year,
                quarter: quarter - 1,
            },
            Self::Month { year, month: 1 } => Self::Month {
                year: year - 1,
                month: 12,
            },
            Self::Month { year, month } => Self::Month {
                year,
                month: month - 1,
            },
        }
    }

    /// The name in Chinese, e.g. `2026年第三季度`, `2026年7月`.
    pub fn label_zh(self) -> String {
        const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];
        match self {
            Self::Quarter { year, quarter } => {
                let n = QUARTERS.get(quarter as usize - 1).copied().unwrap_or("?");
                format!("{year}年第{n}季度")
            }
            Self::Month { year, month } => format!("{year}年{month}月"),
        }
    }

    /// The name in English, e.g. `Q3 2026`, `July 2026`.
    pub fn label_en(self) -> String {
        match self {
            Self::Quarter { year, quarter } => format!("Q{quarter} {year}"),
            Self::Month { .. } => self.first_day().format("%B %Y").to_string(),
        }
    }
}

impl fmt::Display for ReportPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
            Self::Month { year, month } => write!(f, "{year}-{month:02}"),
        }
    }
}

impl FromStr for ReportPeriod {
    type Err = ReportPeriodError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ReportPeriodError(text.to_owned());
        let (year, rest) = text.split_once('-').ok_or_else(error)?;
        if year.len() != 4 {
            return Err(error());
        }
        let year: i32 = year.parse().map_err(|_| error())?;
        if !(2000..=2100).contains(&year) {
            return Err(error());
        }
        if let Some(q) = rest.strip_prefix('Q').or_else(|| rest.strip_prefix('q')) {
            match q.parse() {
                Ok(quarter @ 1..=4) if q.len() == 1 => return Ok(Self::Quarter { year, quarter }),
                _ => return Err(error()),
            }
        }
        match rest.parse() {
            Ok(month @ 1..=12) if rest.len() == 2 => Ok(Self::Month { year, month }),
            _ => Err(error()),
        }
    }
}

impl Serialize for ReportPeriod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_runs_between_beijing_midnights() {
        let q3: ReportPeriod = "2026-Q3".parse().unwrap();
        let (start, end) = q3.bounds();
        assert_eq!(start.to_rfc3339(), "2026-06-30T16:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-09-30T16:00:00+00:00");
        assert_eq!(q3.to_string(), "2026-Q3");
        assert_eq!(q3.label_zh(), "2026年第三季度");
        assert_eq!(q3.label_en(), "Q3 2026");
        assert_eq!(
            ReportPeriod::Quarter {
                year: 2026,
                quarter: 1
            }
            .previous()
            .to_string(),
            "2025-Q4"
        );
    }

    #[test]
    fn a_month_reads_and_writes_the_same() {
        let july: ReportPeriod = "2026-07".parse().unwrap();
        assert_eq!(july.to_string(), "2026-07");
        assert_eq!(july.label_en(), "July 2026");
        assert_eq!(july.end_day(), NaiveDate::from_ymd_opt(2026, 8, 1).unwrap());
        assert_eq!(
            ReportPeriod::quarter_of(NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()).to_string(),
            "2026-Q4"
        );
    }

    #[test]
    fn malformed_periods_are_refused() {
        for bad in [
            "2026", "2026-Q5", "2026-Q0", "2026-7", "2026-13", "26-Q1", "2026-Q12", "x-Q1",
        ] {
            assert!(bad.parse::<ReportPeriod>().is_err(), "{bad}");
        }
    }
}
