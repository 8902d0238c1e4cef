//! The individual air quality index (IAQI, 空气质量分指数) of one concentration.
//!
//! HJ 633-2026 §4.2 and HJ 633-2012 §5–6, in order:
//!
//! 1. Round the concentration: SO2, NO2, O3, PM10 and PM2.5 to an integer, CO to one decimal,
//!    "按照 GB/T 8170", i.e. round half to even (四舍六入五成双). HJ 633-2026 §4.2.2/4.2.3 says so;
//!    HJ 633-2012 states no concentration rounding, and we apply the same rule to both editions
//!    so a value does not change its IAQI only because the edition changed.
//! 2. Find the adjacent breakpoints BP_Lo ≤ C ≤ BP_Hi of the edition's column and interpolate
//!    (Eq. 1): `IAQI = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) × (C − BP_Lo) + IAQI_Lo`.
//! 3. Round the IAQI up (HJ 633-2026 §4.2.6 "全部向上进位取整数"; HJ 633-2012 §6.2 "全部进位取整数").
//!
//! With the concentration rounded, every quantity is an integer (CO counted in 0.1 mg/m³), so
//! the interpolation and the ceiling are done in exact integer arithmetic: a result such as
//! 75.0 can never become 76 through a floating-point residue.
//!
//! Values above a column's top are handled by the table footnotes (SO2 1-hour and O3 8-hour
//! above 800 µg/m³) or capped at 500 (reference README §1.4, OBSERVED). PM 1-hour values use the
//! 24-hour column, as the real-time report does. Which values make up a report is left to
//! [`super::report`].

use serde::Serialize;

use super::{Averaging, Breakpoint, BreakpointTable, Edition, breakpoint_table, rounding};
use crate::Parameter;

/// HJ 633-2026 Table 3 note b, worded as in the reference CSV.
pub const NOTE_2026_SO2_1H_ABOVE_800: &str =
    "HJ 633-2026 Table 3 note b: SO2 1-hour average > 800 ug/m3 -> IAQI is taken as 200.";
/// HJ 633-2026 Table 3 note c, worded as in the reference CSV.
pub const NOTE_2026_O3_8H_ABOVE_800: &str =
    "HJ 633-2026 Table 3 note c: O3 8-hour average > 800 ug/m3 -> IAQI is taken as 300.";
/// HJ 633-2012 Table 1 note (2), worded as in the reference CSV.
pub const NOTE_2012_SO2_1H_ABOVE_800: &str = "HJ 633-2012 Table 1 note (2): SO2 1-hour concentration > 800 ug/m3: no IAQI is computed from the 1-hour value; the SO2 IAQI is reported from the 24-hour average.";
/// HJ 633-2012 Table 1 note (3), worded as in the reference CSV.
pub const NOTE_2012_O3_8H_ABOVE_800: &str = "HJ 633-2012 Table 1 note (3): O3 8-hour average > 800 ug/m3: no IAQI is computed from the 8-hour value; the O3 IAQI is reported from the 1-hour average.";
/// Why a concentration above the IAQI-500 breakpoint gets 500.
pub const NOTE_CAPPED_AT_500: &str = "Above the IAQI-500 breakpoint, which HJ 633 does not cover: IAQI capped at 500, as the national platform publishes (OBSERVED, reference README 1.4).";

/// How one concentration became one IAQI, with everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubIndex {
    /// The pollutant.
    pub pollutant: Parameter,
    /// The averaging period of the concentration the IAQI was computed from.
    pub averaging: Averaging,
    /// The key of the breakpoint column used, e.g. `pm25_24h` (also for PM 1-hour values).
    pub breakpoints: &'static str,
    /// The concentration after rounding (GB/T 8170, half to even), in `unit`.
    pub concentration: f64,
    /// The pollutant's canonical unit: `mg/m3` for CO, `ug/m3` otherwise.
    pub unit: &'static str,
    /// The IAQI, rounded up. Invariant: `iaqi_lo <= iaqi <= iaqi_hi`.
    pub iaqi: u16,
    /// The breakpoint at or below the concentration (BP_Lo).
    pub bp_lo: f64,
    /// The breakpoint at or above the concentration (BP_Hi); below it when a special case
    /// applies, which then fixes `iaqi` at `iaqi_hi`.
    pub bp_hi: f64,
    /// The IAQI at `bp_lo`.
    pub iaqi_lo: u16,
    /// The IAQI at `bp_hi`.
    pub iaqi_hi: u16,
    /// The footnote or practice that overrode Eq. 1, if any.
    pub special_case: Option<&'static str>,
}

/// Why a concentration has no IAQI.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IaqiError {
    /// NaN or infinite.
    #[error("{pollutant} concentration {value} is not a finite number")]
    NotFinite {
        /// The pollutant.
        pollutant: Parameter,
        /// The value given.
        value: f64,
    },
    /// Below zero.
    #[error("{pollutant} concentration {value} is negative")]
    Negative {
        /// The pollutant.
        pollutant: Parameter,
        /// The value given.
        value: f64,
    },
    /// The edition has no column for this pollutant and averaging (e.g. CO 8-hour).
    #[error("{edition} has no {averaging} breakpoints for {pollutant}")]
    NoBreakpoints {
        /// The edition.
        edition: Edition,
        /// The pollutant.
        pollutant: Parameter,
        /// The averaging period.
        averaging: Averaging,
    },
    /// HJ 633-2012 notes (2) and (3): above 800 µg/m³ the IAQI is not computed from this value
    /// but reported from the `instead` averaging of the same pollutant.
    #[error(
        "{edition}: {pollutant} {averaging} value {concentration} is above 800, so its IAQI is reported from the {instead} value"
    )]
    ReportedFromOtherAveraging {
        /// Always HJ 633-2012.
        edition: Edition,
        /// SO2 or O3.
        pollutant: Parameter,
        /// The averaging of the value given.
        averaging: Averaging,
        /// The rounded value given.
        concentration: f64,
        /// The averaging whose IAQI stands in.
        instead: Averaging,
    },
}

/// The IAQI of one concentration, given in the pollutant's canonical unit (CO mg/m³,
/// others µg/m³).
///
/// # Errors
///
/// A negative or non-finite concentration, a pollutant/averaging the edition has no column
/// for, or (HJ 633-2012 only) SO2 1-hour or O3 8-hour above 800 µg/m³, whose IAQI the standard
/// takes from another averaging period.
///
/// # Example
///
/// ```
/// use envmon_core::Parameter;
/// use envmon_core::aqi::{Averaging, Edition, iaqi};
///
/// // HJ 633-2026 Table 3: PM2.5 IAQI 100 = 60, 150 = 115 µg/m³ (24-hour column, also used for
/// // 1-hour values). 50 / 55 × 55 + 100 = 150 exactly: no rounding up.
/// let sub = iaqi(Edition::Hj633_2026, Parameter::Pm25, Averaging::OneHour, 115.0).unwrap();
/// assert_eq!((sub.iaqi, sub.breakpoints), (150, "pm25_24h"));
/// // 2012 put IAQI 100 at 75 µg/m³: 50 / 40 × 40 + 100 = 150 too, but 80 gives 106.25 → 107.
/// let old = iaqi(Edition::Hj633_2012, Parameter::Pm25, Averaging::Daily, 80.0).unwrap();
/// assert_eq!(old.iaqi, 107);
/// ```
pub fn iaqi(
    edition: Edition,
    pollutant: Parameter,
    averaging: Averaging,
    concentration: f64,
) -> Result<SubIndex, IaqiError> {
    if !concentration.is_finite() {
        return Err(IaqiError::NotFinite {
            pollutant,
            value: concentration,
        });
    }
    if concentration < 0.0 {
        return Err(IaqiError::Negative {
            pollutant,
            value: concentration,
        });
    }
    let table = column_for(edition, pollutant, averaging).ok_or(IaqiError::NoBreakpoints {
        edition,
        pollutant,
        averaging,
    })?;
    let decimals = if pollutant == Parameter::Co { 1 } else { 0 };
    let scale = 10u64.pow(decimals);
    let c = rounding::round_half_even_scaled(concentration, decimals);
    let rounded = if c == u64::MAX {
        concentration
    } else {
        c as f64 / scale as f64
    };
    let scaled = |b: Breakpoint| u64::from(b.concentration) * scale;

    let segment = table.rows.windows(2).find(|pair| c <= scaled(pair[1]));
    let sub = |lo: Breakpoint, hi: Breakpoint, iaqi: u16, special_case| SubIndex {
        pollutant,
        averaging,
        breakpoints: table.key,
        concentration: rounded,
        unit: table.unit,
        iaqi,
        bp_lo: f64::from(lo.concentration),
        bp_hi: f64::from(hi.concentration),
        iaqi_lo: lo.iaqi,
        iaqi_hi: hi.iaqi,
        special_case,
    };
    if let Some(&[lo, hi]) = segment {
        // Eq. 1, rounded up. c ≥ BP_Lo because the previous segment did not contain c.
        let rise = u64::from(hi.iaqi - lo.iaqi) * (c - scaled(lo));
        let run = scaled(hi) - scaled(lo);
        let above_lo = u16::try_from(rise.div_ceil(run)).expect("at most IAQI_Hi - IAQI_Lo");
        return Ok(sub(lo, hi, lo.iaqi + above_lo, None));
    }

    // Above the column's top breakpoint.
    let [.., lo, hi] = table.rows else {
        unreachable!("every column has at least two rows")
    };
    let above_800 = |instead| IaqiError::ReportedFromOtherAveraging {
        edition,
        pollutant,
        averaging,
        concentration: rounded,
        instead,
    };
    match (edition, pollutant, averaging) {
        (Edition::Hj633_2026, Parameter::So2, Averaging::OneHour) => {
            Ok(sub(*lo, *hi, 200, Some(NOTE_2026_SO2_1H_ABOVE_800)))
        }
        (Edition::Hj633_2026, Parameter::O3, Averaging::EightHour) => {
            Ok(sub(*lo, *hi, 300, Some(NOTE_2026_O3_8H_ABOVE_800)))
        }
        (Edition::Hj633_2012, Parameter::So2, Averaging::OneHour) => {
            Err(above_800(Averaging::Daily))
        }
        (Edition::Hj633_2012, Parameter::O3, Averaging::EightHour) => {
            Err(above_800(Averaging::OneHour))
        }
        _ => Ok(sub(*lo, *hi, 500, Some(NOTE_CAPPED_AT_500))),
    }
}

/// The column a value is judged against: the printed one, except that PM 1-hour values use
/// the 24-hour column (HJ 633-2026 Eq. 1, definitions of BP_Hi/BP_Lo; for HJ 633-2012, the
/// national platform's practice, reference README §5.2, OBSERVED).
fn column_for(
    edition: Edition,
    pollutant: Parameter,
    averaging: Averaging,
) -> Option<&'static BreakpointTable> {
    let averaging = match (pollutant, averaging) {
        (Parameter::Pm10 | Parameter::Pm25, Averaging::OneHour) => Averaging::Daily,
        _ => averaging,
    };
    breakpoint_table(edition, pollutant, averaging)
}

#[cfg(test)]
mod tests;
