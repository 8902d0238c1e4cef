//! The IAQI breakpoint tables of HJ 633-2012 (Table 1) and HJ 633-2026 (Table 3).
//!
//! Written by hand from `reference/hj633_iaqi_breakpoints.csv`; the tests parse that file and
//! compare every row, label and footnote, so a typo in either fails. The two editions share
//! every column except the 24-hour PM ones at IAQI 100: PM10 150 → 120 and PM2.5 75 → 60
//! µg/m³ (the GB 3095-2026 transitional grade-II daily limits).
//!
//! This module only holds the numbers; [`mod@super::iaqi`] applies them.

use std::fmt;

use serde::Serialize;

use super::Edition;
use crate::Parameter;
use Averaging::{Daily, EightHour, OneHour};
use Edition::{Hj633_2012 as E12, Hj633_2026 as E26};
use Parameter::{Co, No2, O3, Pm10, Pm25, So2};

/// The averaging period of a concentration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Averaging {
    /// A 1-hour mean (1小时平均).
    #[serde(rename = "1h")]
    OneHour,
    /// An 8-hour mean (8小时平均; for O3 the 8-hour moving average).
    #[serde(rename = "8h")]
    EightHour,
    /// A natural-day mean: HJ 633-2012's "24小时平均", HJ 633-2026's "日平均".
    #[serde(rename = "24h")]
    Daily,
}

impl Averaging {
    /// The short code used in CSV keys and the API: `1h`, `8h` or `24h`.
    pub fn code(self) -> &'static str {
        match self {
            Averaging::OneHour => "1h",
            Averaging::EightHour => "8h",
            Averaging::Daily => "24h",
        }
    }
}

impl fmt::Display for Averaging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Averaging::OneHour => "1-hour",
            Averaging::EightHour => "8-hour",
            Averaging::Daily => "24-hour",
        })
    }
}

/// One row of a breakpoint table: the concentration at which the IAQI reaches `iaqi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Breakpoint {
    /// The IAQI at this breakpoint: 0, 50, 100, 150, 200, 300, 400 or 500.
    pub iaqi: u16,
    /// The concentration in the table's unit. Every HJ 633 breakpoint is a whole number.
    pub concentration: u32,
}

/// One column of HJ 633's breakpoint table: a pollutant at one averaging period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BreakpointTable {
    /// The edition this column belongs to.
    pub edition: Edition,
    /// The reference CSV's key, e.g. `pm25_24h`.
    pub key: &'static str,
    /// The pollutant.
    pub pollutant: Parameter,
    /// The averaging period the column is printed for.
    pub averaging: Averaging,
    /// The column heading as printed in the standard.
    pub label_zh: &'static str,
    /// The unit: `mg/m3` for CO, `ug/m3` otherwise (the pollutant's canonical unit).
    pub unit: &'static str,
    /// The table's footnotes for this column, as worded in the reference CSV (empty if none).
    pub footnote: &'static str,
    /// Breakpoints by rising IAQI, starting at IAQI 0 = 0. Invariant: concentrations rise
    /// strictly, and there are at least two rows.
    pub rows: &'static [Breakpoint],
}

impl BreakpointTable {
    /// The table and clause the column comes from, e.g. `HJ 633-2026 Table 3`.
    pub fn source(&self) -> &'static str {
        match self.edition {
            Edition::Hj633_2012 => "HJ 633-2012 Table 1",
            Edition::Hj633_2026 => "HJ 633-2026 Table 3",
        }
    }
}

/// The column of `edition`'s table for `pollutant` at `averaging`, exactly as printed.
///
/// PM has no 1-hour column in either edition; [`super::iaqi()`] evaluates PM 1-hour values
/// against the 24-hour column, as the real-time report does.
pub fn breakpoint_table(
    edition: Edition,
    pollutant: Parameter,
    averaging: Averaging,
) -> Option<&'static BreakpointTable> {
    tables(edition)
        .iter()
        .find(|t| t.pollutant == pollutant && t.averaging == averaging)
}

/// Every column of `edition`'s breakpoint table, in the order the reference CSV lists them.
pub fn tables(edition: Edition) -> &'static [BreakpointTable] {
    match edition {
        Edition::Hj633_2012 => &HJ633_2012,
        Edition::Hj633_2026 => &HJ633_2026,
    }
}

/// The IAQI of each row, in order; columns that stop early (SO2 1h at 200, O3 8h at 300) use a
/// prefix.
const IAQI_STEPS: [u16; 8] = [0, 50, 100, 150, 200, 300, 400, 500];

/// Pairs concentrations with the IAQI steps 0, 50, 100, …
const fn ladder<const N: usize>(concentrations: [u32; N]) -> [Breakpoint; N] {
    let mut rows = [Breakpoint {
        iaqi: 0,
        concentration: 0,
    }; N];
    let mut i = 0;
    while i < N {
        rows[i] = Breakpoint {
            iaqi: IAQI_STEPS[i],
            concentration: concentrations[i],
        };
        i += 1;
    }
    rows
}

// Columns common to both editions (HJ 633-2012 Table 1 = HJ 633-2026 Table 3), µg/m³ or mg/m³.
const SO2_24H: [Breakpoint; 8] = ladder([0, 50, 150, 475, 800, 1600, 2100, 2620]);
const SO2_1H: [Breakpoint; 5] = ladder([0, 150, 500, 650, 800]);
const NO2_24H: [Breakpoint; 8] = ladder([0, 40, 80, 180, 280, 565, 750, 940]);
const NO2_1H: [Breakpoint; 8] = ladder([0, 100, 200, 700, 1200, 2340, 3090, 3840]);
const CO_24H: [Breakpoint; 8] = ladder([0, 2, 4, 14, 24, 36, 48, 60]);
const CO_1H: [Breakpoint; 8] = ladder([0, 5, 10, 35, 60, 90, 120, 150]);
const O3_1H: [Breakpoint; 8] = ladder([0, 160, 200, 300, 400, 800, 1000, 1200]);
const O3_8H: [Breakpoint; 6] = ladder([0, 100, 160, 215, 265, 800]);
// HJ 633-2012 Table 1: PM10 IAQI 100 = 150, PM2.5 IAQI 100 = 75 µg/m³.
const PM10_24H_2012: [Breakpoint; 8] = ladder([0, 50, 150, 250, 350, 420, 500, 600]);
const PM25_24H_2012: [Breakpoint; 8] = ladder([0, 35, 75, 115, 150, 250, 350, 500]);
// HJ 633-2026 Table 3: PM10 IAQI 100 = 120, PM2.5 IAQI 100 = 60 µg/m³.
const PM10_24H_2026: [Breakpoint; 8] = ladder([0, 50, 120, 250, 350, 420, 500, 600]);
const PM25_24H_2026: [Breakpoint; 8] = ladder([0, 35, 60, 115, 150, 250, 350, 500]);

// Footnotes, worded as in the reference CSV's `footnote` column.
const NOTE_2012_1: &str = "(1) SO2/NO2/CO 1-hour limits are used only for the real-time (hourly) report; the daily report uses the 24-hour limits.";
const NOTE_2012_1_2: &str = "(1) SO2/NO2/CO 1-hour limits are used only for the real-time (hourly) report; the daily report uses the 24-hour limits. (2) SO2 1-hour concentration > 800 ug/m3: no IAQI is computed from the 1-hour value; the SO2 IAQI is reported from the 24-hour average.";
const NOTE_2012_3: &str = "(3) O3 8-hour average > 800 ug/m3: no IAQI is computed from the 8-hour value; the O3 IAQI is reported from the 1-hour average.";
const NOTE_2026_A: &str =
    "a: SO2, NO2, CO and O3 1-hour limits are used only for the real-time report.";
const NOTE_2026_A_B: &str = "a: SO2, NO2, CO and O3 1-hour limits are used only for the real-time report. b: SO2 1-hour average > 800 ug/m3 -> IAQI is taken as 200.";
const NOTE_2026_C: &str = "c: O3 8-hour average > 800 ug/m3 -> IAQI is taken as 300.";
const NOTE_2026_PM: &str = "Real-time report: the PM10/PM2.5 1-hour average is evaluated against these daily-average breakpoints (HJ 633-2026 4.2.4, definitions of BPHi/BPLo).";

const UG: &str = "ug/m3";
const MG: &str = "mg/m3";

#[allow(clippy::too_many_arguments)]
const fn column(
    edition: Edition,
    key: &'static str,
    pollutant: Parameter,
    averaging: Averaging,
    label_zh: &'static str,
    unit: &'static str,
    footnote: &'static str,
    rows: &'static [Breakpoint],
) -> BreakpointTable {
    BreakpointTable {
        edition,
        key,
        pollutant,
        averaging,
        label_zh,
        unit,
        footnote,
        rows,
    }
}

/// HJ 633-2012 Table 1.
#[rustfmt::skip]
static HJ633_2012: [BreakpointTable; 10] = [
    column(E12, "so2_24h", So2, Daily, "二氧化硫（SO2）24小时平均", UG, "", &SO2_24H),
    column(E12, "so2_1h", So2, OneHour, "二氧化硫（SO2）1小时平均", UG, NOTE_2012_1_2, &SO2_1H),
    column(E12, "no2_24h", No2, Daily, "二氧化氮（NO2）24小时平均", UG, "", &NO2_24H),
    column(E12, "no2_1h", No2, OneHour, "二氧化氮（NO2）1小时平均", UG, NOTE_2012_1, &NO2_1H),
    column(E12, "pm10_24h", Pm10, Daily, "颗粒物（粒径小于等于10µm）24小时平均", UG, "", &PM10_24H_2012),
    column(E12, "co_24h", Co, Daily, "一氧化碳（CO）24小时平均", MG, "", &CO_24H),
    column(E12, "co_1h", Co, OneHour, "一氧化碳（CO）1小时平均", MG, NOTE_2012_1, &CO_1H),
    column(E12, "o3_1h", O3, OneHour, "臭氧（O3）1小时平均", UG, "", &O3_1H),
    column(E12, "o3_8h", O3, EightHour, "臭氧（O3）8小时滑动平均", UG, NOTE_2012_3, &O3_8H),
    column(E12, "pm25_24h", Pm25, Daily, "颗粒物（粒径小于等于2.5µm）24小时平均", UG, "", &PM25_24H_2012),
];

/// HJ 633-2026 Table 3.
#[rustfmt::skip]
static HJ633_2026: [BreakpointTable; 10] = [
    column(E26, "so2_24h", So2, Daily, "SO2 日平均", UG, "", &SO2_24H),
    column(E26, "so2_1h", So2, OneHour, "SO2 1小时平均", UG, NOTE_2026_A_B, &SO2_1H),
    column(E26, "no2_24h", No2, Daily, "NO2 日平均", UG, "", &NO2_24H),
    column(E26, "no2_1h", No2, OneHour, "NO2 1小时平均", UG, NOTE_2026_A, &NO2_1H),
    column(E26, "co_24h", Co, Daily, "CO 日平均", MG, "", &CO_24H),
    column(E26, "co_1h", Co, OneHour, "CO 1小时平均", MG, NOTE_2026_A, &CO_1H),
    column(E26, "o3_8h", O3, EightHour, "O3 8小时平均", UG, NOTE_2026_C, &O3_8H),
    column(E26, "o3_1h", O3, OneHour, "O3 1小时平均", UG, NOTE_2026_A, &O3_1H),
    column(E26, "pm10_24h", Pm10, Daily, "PM10 日平均", UG, NOTE_2026_PM, &PM10_24H_2026),
    column(E26, "pm25_24h", Pm25, Daily, "PM2.5 日平均", UG, NOTE_2026_PM, &PM25_24H_2026),
];

#[cfg(test)]
mod tests {
    use super::super::reference_csv::{self, BreakpointRow};
    use super::*;

    fn edition_of(row: &BreakpointRow) -> Edition {
        match row.standard.as_str() {
            "HJ 633-2012" => Edition::Hj633_2012,
            "HJ 633-2026" => Edition::Hj633_2026,
            other => panic!("unknown standard {other}"),
        }
    }

    #[test]
    fn every_csv_row_is_in_the_hand_written_tables() {
        let rows = reference_csv::breakpoint_rows();
        assert_eq!(rows.len(), 150, "75 rows per edition");
        for row in &rows {
            let edition = edition_of(row);
            let table = tables(edition)
                .iter()
                .find(|t| t.key == row.key)
                .unwrap_or_else(|| panic!("{} {} missing", row.standard, row.key));
            let cite = format!("{}, {}, IAQI {}", table.source(), row.key, row.iaqi);
            assert_eq!(table.pollutant.info().name_en, row.pollutant, "{cite}");
            assert_eq!(
                table.averaging,
                reference_csv::averaging(&row.averaging),
                "{cite}"
            );
            assert_eq!(table.label_zh, row.label_zh, "{cite}");
            assert_eq!(table.unit, row.unit, "{cite}");
            assert_eq!(table.footnote, row.footnote, "{cite}");
            let want = Breakpoint {
                iaqi: row.iaqi,
                concentration: row.concentration,
            };
            assert!(
                table.rows.contains(&want),
                "{cite}: {want:?} not in {:?}",
                table.rows
            );
        }
    }

    #[test]
    fn every_hand_written_row_is_in_the_csv() {
        let rows = reference_csv::breakpoint_rows();
        for edition in [Edition::Hj633_2012, Edition::Hj633_2026] {
            for table in tables(edition) {
                let csv: Vec<_> = rows
                    .iter()
                    .filter(|r| edition_of(r) == edition && r.key == table.key)
                    .map(|r| Breakpoint {
                        iaqi: r.iaqi,
                        concentration: r.concentration,
                    })
                    .collect();
                assert_eq!(
                    table.rows,
                    csv.as_slice(),
                    "{} {}",
                    table.source(),
                    table.key
                );
            }
        }
    }

    #[test]
    fn tables_start_at_zero_and_rise_strictly() {
        for edition in [Edition::Hj633_2012, Edition::Hj633_2026] {
            for table in tables(edition) {
                assert_eq!(
                    table.rows[0],
                    Breakpoint {
                        iaqi: 0,
                        concentration: 0
                    }
                );
                for pair in table.rows.windows(2) {
                    assert!(pair[0].iaqi < pair[1].iaqi, "{}", table.key);
                    assert!(
                        pair[0].concentration < pair[1].concentration,
                        "{}",
                        table.key
                    );
                }
            }
        }
    }

    #[test]
    fn editions_differ_only_in_pm_at_iaqi_100() {
        // Reference README §1, "Differences in HJ 633-2012".
        for new in tables(Edition::Hj633_2026) {
            let old = breakpoint_table(Edition::Hj633_2012, new.pollutant, new.averaging).unwrap();
            let differing: Vec<_> = old
                .rows
                .iter()
                .zip(new.rows)
                .filter(|(a, b)| a != b)
                .map(|(a, b)| (a.iaqi, a.concentration, b.concentration))
                .collect();
            let want = match new.key {
                "pm10_24h" => vec![(100, 150, 120)],
                "pm25_24h" => vec![(100, 75, 60)],
                _ => vec![],
            };
            assert_eq!(differing, want, "{}", new.key);
        }
    }

    #[test]
    fn pm_has_no_one_hour_column() {
        for edition in [Edition::Hj633_2012, Edition::Hj633_2026] {
            assert!(breakpoint_table(edition, Parameter::Pm25, Averaging::OneHour).is_none());
            assert!(breakpoint_table(edition, Parameter::Pm10, Averaging::OneHour).is_none());
        }
    }
}
