//! Air quality indices: China's AQI (HJ 633, both editions) and the US EPA AQI.
//!
//! Pure functions from concentrations in canonical units (CO mg/m³, other pollutants µg/m³) to
//! indices; no IO and no clock. The flow for HJ 633:
//!
//! - [`edition`]: which edition judges a value (HJ 633-2026 from 2026-03-01T00:00+08:00, by
//!   the start of the averaging period).
//! - [`breakpoints`]: the IAQI breakpoint tables of both editions.
//! - [`iaqi`](mod@iaqi): one concentration → one sub-index, with rounding and special cases.
//! - [`report`]: the real-time and daily AQI, primary pollutants, the 2026 missing-data rule.
//! - [`levels`] and [`sensitive_groups`](mod@sensitive_groups): levels I–VI with colours and
//!   health texts; HJ 633-2026 Table 2.
//! - [`table`]: the CSV engine of `envmon aqi`.
//!
//! [`us_epa`] is the US index (EPA-454/B-24-002) with the PM NowCast. The numbers come from
//! the team's reference CSVs; copies live in `reference/` so the tests can check every one.

pub mod breakpoints;
pub mod edition;
pub mod iaqi;
pub mod levels;
pub mod report;
pub mod sensitive_groups;
pub mod table;
pub mod us_epa;

#[cfg(test)]
mod reference_csv;
pub(crate) mod rounding;

pub use breakpoints::{Averaging, Breakpoint, BreakpointTable, breakpoint_table};
pub use edition::Edition;
pub use iaqi::{
    IaqiError, NOTE_2012_O3_8H_ABOVE_800, NOTE_2012_SO2_1H_ABOVE_800, NOTE_2026_O3_8H_ABOVE_800,
    NOTE_2026_SO2_1H_ABOVE_800, NOTE_CAPPED_AT_500, SubIndex, iaqi,
};
pub use levels::{AqiLevel, level_for};
pub use report::{
    AqiReport, DailyConcentrations, HourlyConcentrations, Indicator, ReportKind, daily_aqi,
    real_time_aqi,
};
pub use sensitive_groups::{SensitiveGroups, sensitive_groups};
pub use table::{AQI_TABLE_HELP, AqiTableError, annotate_csv};
