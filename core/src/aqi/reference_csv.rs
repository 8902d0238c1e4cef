//! Test-only readers for the reference CSVs in `reference/`, the independent source the
//! hand-written tables are checked against.

use serde::Deserialize;

use super::Averaging;

/// `reference/hj633_iaqi_breakpoints.csv`.
pub(super) const HJ633_BREAKPOINTS: &str = include_str!("reference/hj633_iaqi_breakpoints.csv");
/// `reference/hj633_aqi_levels.csv`.
pub(super) const HJ633_LEVELS: &str = include_str!("reference/hj633_aqi_levels.csv");
/// `reference/us_epa_aqi_breakpoints.csv`.
pub(super) const US_EPA_BREAKPOINTS: &str = include_str!("reference/us_epa_aqi_breakpoints.csv");

/// One row of `hj633_iaqi_breakpoints.csv`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct BreakpointRow {
    pub(super) standard: String,
    pub(super) key: String,
    pub(super) pollutant: String,
    pub(super) averaging: String,
    #[serde(rename = "label_zh_as_printed")]
    pub(super) label_zh: String,
    pub(super) unit: String,
    pub(super) iaqi: u16,
    pub(super) concentration: u32,
    pub(super) footnote: String,
}

/// One row of `hj633_aqi_levels.csv`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct LevelRow {
    pub(super) standard: String,
    pub(super) level: u8,
    pub(super) level_zh: String,
    pub(super) aqi_min: u16,
    pub(super) aqi_max: Option<u16>,
    pub(super) category_zh: String,
    pub(super) category_en: String,
    pub(super) category_en_status: String,
    pub(super) color_zh: String,
    pub(super) color_en: String,
    pub(super) r: u8,
    pub(super) g: u8,
    pub(super) b: u8,
    pub(super) hex: String,
    pub(super) c: u8,
    pub(super) m: u8,
    pub(super) y: u8,
    pub(super) k: u8,
    pub(super) health_effects_zh: String,
    pub(super) advice_zh: String,
    pub(super) health_effects_en: String,
    pub(super) advice_en: String,
}

/// One row of `us_epa_aqi_breakpoints.csv`. Concentrations stay text so the tests can read
/// them exactly at the row's stated precision.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct UsBreakpointRow {
    pub(super) pollutant: String,
    pub(super) averaging: String,
    pub(super) unit: String,
    pub(super) aqi_lo: u16,
    pub(super) aqi_hi: u16,
    pub(super) bp_lo: String,
    pub(super) bp_hi: String,
    pub(super) category: String,
    pub(super) color: String,
    pub(super) r: u8,
    pub(super) g: u8,
    pub(super) b: u8,
    pub(super) hex: String,
}

fn read<T: for<'de> Deserialize<'de>>(text: &str) -> Vec<T> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("reference CSV parses")
}

pub(super) fn breakpoint_rows() -> Vec<BreakpointRow> {
    read(HJ633_BREAKPOINTS)
}

pub(super) fn level_rows() -> Vec<LevelRow> {
    read(HJ633_LEVELS)
}

pub(super) fn us_breakpoint_rows() -> Vec<UsBreakpointRow> {
    read(US_EPA_BREAKPOINTS)
}

/// The CSV's averaging column: `1h`, `8h`, and `24h` (2012) or `daily` (2026).
pub(super) fn averaging(text: &str) -> Averaging {
    match text {
        "1h" => Averaging::OneHour,
        "8h" => Averaging::EightHour,
        "24h" | "daily" => Averaging::Daily,
        other => panic!("unknown averaging {other}"),
    }
}

/// A decimal text such as `0.054` as a count of 10^-`decimals` units, exactly.
pub(super) fn scaled(text: &str, decimals: u32) -> u32 {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    assert!(
        frac.len() <= decimals as usize,
        "{text} has more than {decimals} decimals"
    );
    let digits = format!("{int}{frac:0<width$}", width = decimals as usize);
    digits.parse().expect("decimal digits")
}
