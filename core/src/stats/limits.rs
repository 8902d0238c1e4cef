//! GB 3095-2026 环境空气质量标准 Table 1: the concentration limits of the basic items, against
//! which attainment (达标) is judged. Written by hand from `reference/gb3095_2026_limits.csv`;
//! the tests compare every number with that file.
//!
//! - Grade 1 limits apply to class-1 areas (nature reserves, national parks and other specially
//!   protected areas), grade 2 to class-2 areas (residential, commercial, traffic, cultural,
//!   industrial and rural areas) (§4.1–4.2).
//! - The basic items have transitional limits from 2026-03-01 to 2030-12-31 and final limits
//!   from 2031-01-01 (§4.4).
//! - A period is judged by the limits in force on its last day. Periods that end before
//!   2026-03-01 fall under GB 3095-2012, whose table is not in envmon's reference set, so they
//!   get no limit rather than a guessed one.

use chrono::NaiveDate;
use serde::Serialize;

use crate::Parameter;

/// The averaging a limit is stated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitAveraging {
    /// 年平均.
    Annual,
    /// 24 小时平均.
    Daily,
    /// 1 小时平均.
    OneHour,
    /// 日最大 8 小时平均 (O3).
    DailyMax8h,
}

/// The area class of GB 3095-2026 §4.1, which picks the grade of limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaClass {
    /// 一类区: grade 1 limits.
    One,
    /// 二类区: grade 2 limits; every city district is one.
    Two,
}

/// Which set of GB 3095-2026 limits is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitPhase {
    /// 2026-03-01 to 2030-12-31 (§4.4).
    Transitional,
    /// From 2031-01-01.
    Final,
}

impl LimitPhase {
    /// The phase in force on `day`; `None` before GB 3095-2026 took effect (2026-03-01).
    pub fn on(day: NaiveDate) -> Option<Self> {
        if day < effective() {
            None
        } else if day < final_from() {
            Some(Self::Transitional)
        } else {
            Some(Self::Final)
        }
    }
}

fn effective() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()
}

fn final_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2031, 1, 1).unwrap_or_default()
}

/// One row of Table 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limit {
    pub pollutant: Parameter,
    pub averaging: LimitAveraging,
    /// Grade 1 and grade 2 until 2030-12-31.
    pub transitional: [f64; 2],
    /// Grade 1 and grade 2 from 2031-01-01.
    pub final_limits: [f64; 2],
}

use LimitAveraging::{Annual, Daily, DailyMax8h, OneHour};
use Parameter::{Co, No2, O3, Pm10, Pm25, So2};

/// GB 3095-2026 Table 1, in the CSV's order. Units are canonical: CO mg/m³, the rest µg/m³.
pub const TABLE_1: [Limit; 14] = [
    row(So2, Annual, [20.0, 60.0], [20.0, 20.0]),
    row(So2, Daily, [50.0, 150.0], [50.0, 50.0]),
    row(So2, OneHour, [150.0, 500.0], [150.0, 150.0]),
    row(No2, Annual, [40.0, 40.0], [30.0, 30.0]),
    row(No2, Daily, [80.0, 80.0], [50.0, 50.0]),
    row(No2, OneHour, [200.0, 200.0], [200.0, 200.0]),
    row(Co, Daily, [4.0, 4.0], [4.0, 4.0]),
    row(Co, OneHour, [10.0, 10.0], [10.0, 10.0]),
    row(O3, DailyMax8h, [100.0, 160.0], [100.0, 160.0]),
    row(O3, OneHour, [160.0, 200.0], [160.0, 200.0]),
    row(Pm10, Annual, [40.0, 60.0], [20.0, 50.0]),
    row(Pm10, Daily, [50.0, 120.0], [50.0, 100.0]),
    row(Pm25, Annual, [15.0, 30.0], [10.0, 25.0]),
    row(Pm25, Daily, [35.0, 60.0], [25.0, 50.0]),
];

const fn row(
    pollutant: Parameter,
    averaging: LimitAveraging,
    transitional: [f64; 2],
    final_limits: [f64; 2],
) -> Limit {
    Limit {
        pollutant,
        averaging,
        transitional,
        final_limits,
    }
}

/// The limit for `pollutant` at `averaging` in an area of `class`, in force on `day`.
///
/// ```
/// use chrono::NaiveDate;
/// use envmon_core::Parameter;
/// use envmon_core::stats::{AreaClass, LimitAveraging, limit};
///
/// let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// let pm25 = |on| limit(Parameter::Pm25, LimitAveraging::Annual, AreaClass::Two, on);
/// assert_eq!(pm25(day(2030, 12, 31)), Some(30.0)); // transitional
/// assert_eq!(pm25(day(2031, 1, 1)), Some(25.0)); // final
/// assert_eq!(pm25(day(2026, 2, 28)), None); // GB 3095-2012 was in force
/// ```
pub fn limit(
    pollutant: Parameter,
    averaging: LimitAveraging,
    class: AreaClass,
    day: NaiveDate,
) -> Option<f64> {
    let phase = LimitPhase::on(day)?;
    let row = TABLE_1
        .iter()
        .find(|l| l.pollutant == pollutant && l.averaging == averaging)?;
    let grades = match phase {
        LimitPhase::Transitional => row.transitional,
        LimitPhase::Final => row.final_limits,
    };
    Some(match class {
        AreaClass::One => grades[0],
        AreaClass::Two => grades[1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = include_str!("reference/gb3095_2026_limits.csv");

    #[test]
    fn table_1_matches_the_reference_csv_row_by_row() {
        let mut reader = csv::Reader::from_reader(CSV.as_bytes());
        let rows: Vec<csv::StringRecord> = reader
            .records()
            .map(Result::unwrap)
            .filter(|r| &r[0] == "1")
            .collect();
        assert_eq!(rows.len(), TABLE_1.len());
        for (csv_row, limit) in rows.iter().zip(TABLE_1.iter()) {
            let pollutant = match &csv_row[1] {
                "SO2" => So2,
                "NO2" => No2,
                "CO" => Co,
                "O3" => O3,
                "PM10" => Pm10,
                "PM2.5" => Pm25,
                other => panic!("unexpected pollutant {other}"),
            };
            let averaging = match &csv_row[2] {
                "annual" => Annual,
                "daily" => Daily,
                "1h" => OneHour,
                "daily_max_8h" => DailyMax8h,
                other => panic!("unexpected averaging {other}"),
            };
            let number = |i: usize| csv_row[i].parse::<f64>().unwrap();
            assert_eq!(limit.pollutant, pollutant);
            assert_eq!(limit.averaging, averaging);
            assert_eq!(limit.transitional, [number(4), number(5)], "{csv_row:?}");
            assert_eq!(limit.final_limits, [number(6), number(7)], "{csv_row:?}");
            let unit = if pollutant == Co { "mg/m3" } else { "ug/m3" };
            assert_eq!(&csv_row[3], unit);
        }
    }

    #[test]
    fn phases_switch_on_their_days() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(LimitPhase::on(day(2026, 2, 28)), None);
        assert_eq!(
            LimitPhase::on(day(2026, 3, 1)),
            Some(LimitPhase::Transitional)
        );
        assert_eq!(
            LimitPhase::on(day(2030, 12, 31)),
            Some(LimitPhase::Transitional)
        );
        assert_eq!(LimitPhase::on(day(2031, 1, 1)), Some(LimitPhase::Final));
    }

    #[test]
    fn grade_follows_the_area_class() {
        let on = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
        assert_eq!(limit(So2, Annual, AreaClass::One, on), Some(20.0));
        assert_eq!(limit(So2, Annual, AreaClass::Two, on), Some(60.0));
        assert_eq!(
            limit(Co, Annual, AreaClass::Two, on),
            None,
            "CO has no annual limit"
        );
    }
}
