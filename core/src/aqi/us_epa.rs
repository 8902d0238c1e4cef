//! The US EPA Air Quality Index (EPA-454/B-24-002, May 2024, with the 2024 PM2.5 breakpoints),
//! offered as a second index next to HJ 633.
//!
//! Per pollutant (reference README §4): truncate the concentration (O3 to 0.001 ppm, PM2.5 to
//! 0.1 µg/m³, PM10 to 1 µg/m³, CO to 0.1 ppm, SO2 and NO2 to 1 ppb), find the Table 6 row that
//! holds it, apply Eq. 1 and round to the nearest integer (.5 up; README §5.12 explains why
//! the TAD's own 1-hour O3 example is not followed). Above AQI 500 the 301–500 row is
//! extrapolated (footnote 4). The AQI is the highest index; its pollutant is the main one.
//!
//! Inputs arrive in envmon's canonical units. Gases are converted to ppb or ppm at 25 °C and
//! 1 atm, where one mole occupies [`MOLAR_VOLUME_L_PER_MOL`] = 24.45 L:
//! `ppb = µg/m³ × 24.45 / M` (ppm = ppb / 1000 for O3), `ppm = mg/m³ × 24.45 / M` for CO, with M
//! in g/mol (O3 48.00, NO2 46.01, SO2 64.07, CO 28.01). That is also GB 3095-2026's reference
//! state for gases (298.15 K, 1013.25 hPa), so no temperature correction is needed. PM stays in
//! µg/m³. [`nowcast()`] gives the hourly PM value.

mod breakpoints;
pub mod nowcast;
mod report;

use std::fmt;

use serde::Serialize;

pub use breakpoints::{US_CATEGORIES, UsCategory, us_category};
pub use nowcast::nowcast;
pub use report::{UsAqiReport, UsConcentrations, us_aqi};

use super::rounding;
use crate::Parameter;
use breakpoints::{Segment, segments};

/// Litres occupied by one mole of an ideal gas at 25 °C and 1 atm.
pub const MOLAR_VOLUME_L_PER_MOL: f64 = 24.45;

/// Footnote 3: 1-hour SO2 of 305 ppb or more with a 24-hour mean below 305 ppb.
pub const NOTE_SO2_FIXED_200: &str = "EPA-454/B-24-002 Table 6 footnote 3: daily max 1-hour SO2 >= 305 ppb with a 24-hour average < 305 ppb: AQI fixed at 200.";
/// Footnote 4: beyond AQI 500.
pub const NOTE_ABOVE_500: &str =
    "EPA-454/B-24-002 Table 6 footnote 4: above AQI 500, Eq. 1 extrapolated on the 301-500 row.";

/// A Table 6 column: a pollutant at an averaging period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum UsIndicator {
    /// O3 8-hour, ppm. Required; does not define AQI above 300.
    #[serde(rename = "o3_8h")]
    O3EightHour,
    /// O3 1-hour, ppm. Optional; values below 0.125 ppm are disregarded.
    #[serde(rename = "o3_1h")]
    O3OneHour,
    /// PM2.5 24-hour (or NowCast), µg/m³.
    #[serde(rename = "pm25_24h")]
    Pm25Day,
    /// PM10 24-hour (or NowCast), µg/m³.
    #[serde(rename = "pm10_24h")]
    Pm10Day,
    /// CO 8-hour, ppm.
    #[serde(rename = "co_8h")]
    CoEightHour,
    /// SO2 1-hour (daily max), ppb; defines AQI up to 200 only.
    #[serde(rename = "so2_1h")]
    So2OneHour,
    /// SO2 24-hour, ppb; consulted only when the 1-hour value is at least 305 ppb.
    #[serde(rename = "so2_24h")]
    So2Day,
    /// NO2 1-hour, ppb.
    #[serde(rename = "no2_1h")]
    No2OneHour,
}

impl UsIndicator {
    /// Every column of Table 6.
    pub const ALL: [UsIndicator; 8] = [
        Self::O3EightHour,
        Self::O3OneHour,
        Self::Pm25Day,
        Self::Pm10Day,
        Self::CoEightHour,
        Self::So2OneHour,
        Self::So2Day,
        Self::No2OneHour,
    ];

    /// The pollutant.
    pub fn pollutant(self) -> Parameter {
        match self {
            Self::O3EightHour | Self::O3OneHour => Parameter::O3,
            Self::Pm25Day => Parameter::Pm25,
            Self::Pm10Day => Parameter::Pm10,
            Self::CoEightHour => Parameter::Co,
            Self::So2OneHour | Self::So2Day => Parameter::So2,
            Self::No2OneHour => Parameter::No2,
        }
    }

    /// Table 6's unit: `ppm`, `ppb` or `ug/m3`.
    pub fn unit(self) -> &'static str {
        match self {
            Self::O3EightHour | Self::O3OneHour | Self::CoEightHour => "ppm",
            Self::So2OneHour | Self::So2Day | Self::No2OneHour => "ppb",
            Self::Pm25Day | Self::Pm10Day => "ug/m3",
        }
    }

    /// Decimals kept by truncation (EPA-454/B-24-002, "Calculating the AQI").
    pub fn decimals(self) -> u32 {
        match self {
            Self::O3EightHour | Self::O3OneHour => 3,
            Self::Pm25Day | Self::CoEightHour => 1,
            Self::Pm10Day | Self::So2OneHour | Self::So2Day | Self::No2OneHour => 0,
        }
    }
}

impl fmt::Display for UsIndicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let averaging = match self {
            Self::O3EightHour | Self::CoEightHour => "8-hour",
            Self::O3OneHour | Self::So2OneHour | Self::No2OneHour => "1-hour",
            Self::Pm25Day | Self::Pm10Day | Self::So2Day => "24-hour",
        };
        write!(f, "{averaging} {}", self.pollutant().info().name_en)
    }
}

/// Molar mass in g/mol of the gases the conversion needs; `None` for PM and non-air items.
pub fn molar_mass_g_per_mol(pollutant: Parameter) -> Option<f64> {
    match pollutant {
        Parameter::O3 => Some(48.00),
        Parameter::No2 => Some(46.01),
        Parameter::So2 => Some(64.07),
        Parameter::Co => Some(28.01),
        _ => None,
    }
}

/// Converts a concentration from envmon's canonical unit to `indicator`'s Table 6 unit:
/// O3 µg/m³ → ppm, NO2/SO2 µg/m³ → ppb, CO mg/m³ → ppm (25 °C, 1 atm); PM unchanged.
///
/// ```
/// use envmon_core::aqi::us_epa::{UsIndicator, to_epa_unit};
///
/// // 100 µg/m³ NO2 × 24.45 / 46.01 = 53.14 ppb.
/// assert!((to_epa_unit(UsIndicator::No2OneHour, 100.0) - 53.14).abs() < 0.01);
/// ```
pub fn to_epa_unit(indicator: UsIndicator, canonical: f64) -> f64 {
    let Some(molar_mass) = molar_mass_g_per_mol(indicator.pollutant()) else {
        return canonical;
    };
    let per_volume = canonical * MOLAR_VOLUME_L_PER_MOL / molar_mass;
    match indicator.pollutant() {
        Parameter::O3 => per_volume / 1000.0, // ppb → ppm
        _ => per_volume,                      // ppb for SO2/NO2; mg/m³ → ppm for CO
    }
}

/// The Table 6 row an index was computed on, in the indicator's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UsBand {
    /// Lower concentration breakpoint.
    pub bp_lo: f64,
    /// Upper concentration breakpoint (footnote 4's AQI-500 value on the top row).
    pub bp_hi: f64,
    /// AQI at `bp_lo`.
    pub aqi_lo: u16,
    /// AQI at `bp_hi`.
    pub aqi_hi: u16,
}

/// How one concentration became one US index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsSubIndex {
    /// The Table 6 column.
    pub indicator: UsIndicator,
    /// The truncated concentration, in `unit`.
    pub concentration: f64,
    /// The indicator's unit.
    pub unit: &'static str,
    /// The index, rounded to the nearest integer; may exceed 500.
    pub aqi: u32,
    /// The row used; `None` when a rule fixed the index (SO2, footnote 3).
    pub band: Option<UsBand>,
    /// The footnote that applied, if any.
    pub note: Option<&'static str>,
}

/// Why a US index could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UsAqiError {
    /// NaN or infinite.
    #[error("{indicator} concentration {value} is not a finite number")]
    NotFinite {
        /// The column.
        indicator: UsIndicator,
        /// The value given.
        value: f64,
    },
    /// Below zero.
    #[error("{indicator} concentration {value} is negative")]
    Negative {
        /// The column.
        indicator: UsIndicator,
        /// The value given.
        value: f64,
    },
    /// Footnote 2: 8-hour O3 does not define AQI 301+; the 1-hour value must.
    #[error("8-hour O3 {ppm} ppm is above 0.200 ppm, where only 1-hour O3 defines the AQI")]
    O3EightHourAbove300 {
        /// The truncated value.
        ppm: f64,
    },
    /// Footnote 3: at 305 ppb and above, the AQI comes from the 24-hour SO2 mean.
    #[error("1-hour SO2 {ppb} ppb is at least 305 ppb, where the AQI comes from the 24-hour mean")]
    So2NeedsDayAverage {
        /// The truncated value.
        ppb: f64,
    },
    /// A NowCast hour that is negative or not finite.
    #[error("NowCast hour {hours_ago} hours ago has invalid concentration {value}")]
    InvalidHour {
        /// 0 = the current hour.
        hours_ago: usize,
        /// The value given.
        value: f64,
    },
}

/// The index of one concentration given in `indicator`'s Table 6 unit (see [`to_epa_unit`]).
/// `Ok(None)` for 1-hour O3 below 0.125 ppm, which Table 6 leaves blank.
///
/// # Errors
///
/// A negative or non-finite value; 8-hour O3 above 0.200 ppm; 1-hour SO2 at or above 305 ppb
/// (both need another value: see [`us_aqi`]).
///
/// # Example
///
/// ```
/// use envmon_core::aqi::us_epa::{UsIndicator, sub_index};
///
/// // TAD example: 8-hour O3 0.078 ppm → 49 / 0.014 × 0.007 + 101 = 125.5 → 126.
/// let o3 = sub_index(UsIndicator::O3EightHour, 0.078).unwrap().unwrap();
/// assert_eq!(o3.aqi, 126);
/// ```
pub fn sub_index(indicator: UsIndicator, value: f64) -> Result<Option<UsSubIndex>, UsAqiError> {
    if !value.is_finite() {
        return Err(UsAqiError::NotFinite { indicator, value });
    }
    if value < 0.0 {
        return Err(UsAqiError::Negative { indicator, value });
    }
    let scale = 10u64.pow(indicator.decimals());
    let c = rounding::truncate_scaled(value, indicator.decimals());
    let truncated = if c == u64::MAX {
        value
    } else {
        c as f64 / scale as f64
    };
    let rows = segments(indicator);
    let (first, last) = (rows[0], rows[rows.len() - 1]);
    match indicator {
        UsIndicator::O3OneHour if c < u64::from(first.bp_lo) => return Ok(None),
        UsIndicator::O3EightHour if c > u64::from(last.bp_hi) => {
            return Err(UsAqiError::O3EightHourAbove300 { ppm: truncated });
        }
        UsIndicator::So2OneHour if c > u64::from(last.bp_hi) => {
            return Err(UsAqiError::So2NeedsDayAverage { ppb: truncated });
        }
        UsIndicator::So2Day if c < u64::from(first.bp_lo) => {
            return Ok(Some(UsSubIndex {
                indicator,
                concentration: truncated,
                unit: indicator.unit(),
                aqi: 200,
                band: None,
                note: Some(NOTE_SO2_FIXED_200),
            }));
        }
        _ => {}
    }
    // Truncation leaves no value between rows, so c lies in a row or above the top one.
    let row = rows
        .iter()
        .find(|s| c <= u64::from(s.bp_hi))
        .unwrap_or(&last);
    let note = (c > u64::from(last.bp_hi)).then_some(NOTE_ABOVE_500);
    Ok(Some(UsSubIndex {
        indicator,
        concentration: truncated,
        unit: indicator.unit(),
        aqi: eq1_nearest(*row, c),
        band: Some(UsBand {
            bp_lo: f64::from(row.bp_lo) / scale as f64,
            bp_hi: f64::from(row.bp_hi) / scale as f64,
            aqi_lo: row.aqi_lo,
            aqi_hi: row.aqi_hi,
        }),
        note,
    }))
}

/// Eq. 1 rounded to the nearest integer, .5 up, in exact integer arithmetic; saturates.
fn eq1_nearest(row: Segment, c: u64) -> u32 {
    let rise = u128::from(row.aqi_hi - row.aqi_lo) * u128::from(c - u64::from(row.bp_lo));
    let run = u128::from(row.bp_hi - row.bp_lo);
    let above_lo = (2 * rise + run) / (2 * run);
    u32::try_from(above_lo + u128::from(row.aqi_lo)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
