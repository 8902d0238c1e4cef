//! AQI reports: which concentrations make up the real-time and the daily AQI, the primary
//! pollutants, HJ 633-2012's exceeding pollutants and HJ 633-2026's missing-data rule.
//!
//! Each report keeps every sub-index with its breakpoints, so a published number can be
//! explained to anyone who asks. Per-value arithmetic is [`super::iaqi()`]'s.
//!
//! - Real-time report (实时报): the six 1-hour means; PM on the 24-hour column. HJ 633-2012
//!   §5.1.3 also lists the O3 8-hour and PM 24-hour moving averages, but the national platform
//!   used only the six 1-hour values (reference README §1, OBSERVED, 99.98 % of 80,751 hours),
//!   and so do we.
//! - Daily report (日报): 24-hour means of SO2, NO2, CO, PM10 and PM2.5 and the O3 daily maximum
//!   8-hour mean (HJ 633-2026 §4.2.2, 6 indicators); HJ 633-2012 adds the O3 daily maximum
//!   1-hour mean (7 indicators).

use serde::Serialize;

use super::iaqi::{NOTE_2012_O3_8H_ABOVE_800, NOTE_2012_SO2_1H_ABOVE_800};
use super::{
    AqiLevel, Averaging, Edition, IaqiError, SensitiveGroups, SubIndex, iaqi, level_for,
    sensitive_groups,
};
use crate::Parameter;

/// Why the AQI of a report with a missing pollutant is published as NA.
pub const NA_MISSING_DATA: &str = "HJ 633-2026 5.3: a pollutant is missing and the AQI computed from the others is not above 100, so the AQI, level, category and primary pollutant are published as NA.";
/// Why the AQI of a report without any valid concentration is NA.
pub const NA_NO_DATA: &str = "No pollutant has a valid concentration.";

/// Which report an AQI belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// 实时报: one hour, from 1-hour means.
    RealTime,
    /// 日报: one Beijing calendar day, from daily statistics.
    Daily,
}

/// One input of a report: a pollutant at an averaging period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Indicator {
    /// The pollutant.
    pub pollutant: Parameter,
    /// The averaging period (for daily O3, the daily maximum of that averaging).
    pub averaging: Averaging,
}

/// The 1-hour means of one hour, in canonical units; `None` = missing or invalid.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HourlyConcentrations {
    /// SO2 1-hour mean, µg/m³.
    pub so2_ug_m3: Option<f64>,
    /// NO2 1-hour mean, µg/m³.
    pub no2_ug_m3: Option<f64>,
    /// CO 1-hour mean, mg/m³.
    pub co_mg_m3: Option<f64>,
    /// O3 1-hour mean, µg/m³.
    pub o3_ug_m3: Option<f64>,
    /// PM10 1-hour mean, µg/m³.
    pub pm10_ug_m3: Option<f64>,
    /// PM2.5 1-hour mean, µg/m³.
    pub pm25_ug_m3: Option<f64>,
    /// SO2 24-hour (moving) mean, µg/m³. Used only under HJ 633-2012 when the SO2 1-hour mean
    /// exceeds 800 µg/m³ (Table 1 note (2)); without it SO2 is then missing.
    pub so2_24h_ug_m3: Option<f64>,
}

/// The daily statistics of one Beijing calendar day, in canonical units; `None` = missing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DailyConcentrations {
    /// SO2 24-hour mean, µg/m³.
    pub so2_24h_ug_m3: Option<f64>,
    /// NO2 24-hour mean, µg/m³.
    pub no2_24h_ug_m3: Option<f64>,
    /// CO 24-hour mean, mg/m³.
    pub co_24h_mg_m3: Option<f64>,
    /// PM10 24-hour mean, µg/m³.
    pub pm10_24h_ug_m3: Option<f64>,
    /// PM2.5 24-hour mean, µg/m³.
    pub pm25_24h_ug_m3: Option<f64>,
    /// O3 daily maximum 8-hour mean, µg/m³.
    pub o3_8h_max_ug_m3: Option<f64>,
    /// O3 daily maximum 1-hour mean, µg/m³: an indicator of HJ 633-2012 only (and its stand-in
    /// for an 8-hour value above 800, note (3)); ignored under HJ 633-2026.
    pub o3_1h_max_ug_m3: Option<f64>,
}

/// An AQI with everything that explains it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AqiReport {
    /// The edition that judged it.
    pub edition: Edition,
    /// Real-time or daily.
    pub kind: ReportKind,
    /// The published AQI; `None` is published as "NA" (see `not_published`).
    pub aqi: Option<u16>,
    /// The level, category and colour of the published AQI; `None` when `aqi` is.
    pub level: Option<&'static AqiLevel>,
    /// Primary pollutants (首要污染物): all pollutants with the largest IAQI, only when the
    /// published AQI is above 50.
    pub primary: Vec<Parameter>,
    /// HJ 633-2012 only: exceeding pollutants (超标污染物), IAQI above 100. Always empty under
    /// HJ 633-2026, which dropped the concept.
    pub exceeding: Vec<Parameter>,
    /// HJ 633-2026 only: Table 2 sensitive groups of each pollutant with IAQI above 100.
    pub sensitive_groups: Vec<&'static SensitiveGroups>,
    /// The AQI computed from the pollutants present, published or not; `None` without data.
    pub computed_aqi: Option<u16>,
    /// Why `aqi` is NA, if it is.
    pub not_published: Option<&'static str>,
    /// Every sub-index computed, in the order SO2, NO2, CO, O3, PM10, PM2.5.
    pub sub_indices: Vec<SubIndex>,
    /// Indicators without a valid value.
    pub missing: Vec<Indicator>,
}

/// The real-time (hourly) AQI from the six 1-hour means.
///
/// # Errors
///
/// A concentration that is negative or not finite.
///
/// # Example
///
/// ```
/// use envmon_core::Parameter;
/// use envmon_core::aqi::{Edition, HourlyConcentrations, real_time_aqi};
///
/// let hour = HourlyConcentrations {
///     so2_ug_m3: Some(8.0),
///     no2_ug_m3: Some(45.0),
///     co_mg_m3: Some(0.7),
///     o3_ug_m3: Some(120.0),
///     pm10_ug_m3: Some(85.0),
///     pm25_ug_m3: Some(62.0),
///     ..Default::default()
/// };
/// let report = real_time_aqi(Edition::Hj633_2026, &hour).unwrap();
/// assert_eq!(report.aqi, Some(102)); // PM2.5: 100 + 50 × (62 − 60) / (115 − 60) = 101.8 → 102
/// assert_eq!(report.level.unwrap().category_zh, "轻度污染");
/// assert_eq!(report.primary, [Parameter::Pm25]);
/// ```
pub fn real_time_aqi(
    edition: Edition,
    hour: &HourlyConcentrations,
) -> Result<AqiReport, IaqiError> {
    use Averaging::{Daily, OneHour};
    let so2_fallback = (hour.so2_24h_ug_m3, NOTE_2012_SO2_1H_ABOVE_800);
    let slots = vec![
        slot(
            edition,
            Parameter::So2,
            OneHour,
            hour.so2_ug_m3,
            Some((Daily, so2_fallback)),
        )?,
        slot(edition, Parameter::No2, OneHour, hour.no2_ug_m3, None)?,
        slot(edition, Parameter::Co, OneHour, hour.co_mg_m3, None)?,
        slot(edition, Parameter::O3, OneHour, hour.o3_ug_m3, None)?,
        slot(edition, Parameter::Pm10, OneHour, hour.pm10_ug_m3, None)?,
        slot(edition, Parameter::Pm25, OneHour, hour.pm25_ug_m3, None)?,
    ];
    Ok(assemble(edition, ReportKind::RealTime, slots))
}

/// The daily AQI from the day's statistics: 6 indicators under HJ 633-2026, 7 under
/// HJ 633-2012.
///
/// # Errors
///
/// A concentration that is negative or not finite.
///
/// # Example
///
/// ```
/// use envmon_core::aqi::{DailyConcentrations, Edition, daily_aqi};
///
/// let day = DailyConcentrations { pm25_24h_ug_m3: Some(55.0), ..Default::default() };
/// // Five pollutants missing and AQI 90 ≤ 100: HJ 633-2026 §5.3 publishes NA.
/// let report = daily_aqi(Edition::Hj633_2026, &day).unwrap();
/// assert_eq!((report.aqi, report.computed_aqi), (None, Some(90)));
/// // HJ 633-2012 has no such rule.
/// assert_eq!(daily_aqi(Edition::Hj633_2012, &day).unwrap().aqi, Some(75));
/// ```
pub fn daily_aqi(edition: Edition, day: &DailyConcentrations) -> Result<AqiReport, IaqiError> {
    use Averaging::{Daily, EightHour, OneHour};
    let o3_fallback = (day.o3_1h_max_ug_m3, NOTE_2012_O3_8H_ABOVE_800);
    let mut slots = vec![
        slot(edition, Parameter::So2, Daily, day.so2_24h_ug_m3, None)?,
        slot(edition, Parameter::No2, Daily, day.no2_24h_ug_m3, None)?,
        slot(edition, Parameter::Co, Daily, day.co_24h_mg_m3, None)?,
        slot(
            edition,
            Parameter::O3,
            EightHour,
            day.o3_8h_max_ug_m3,
            Some((OneHour, o3_fallback)),
        )?,
    ];
    if edition == Edition::Hj633_2012 {
        slots.push(slot(
            edition,
            Parameter::O3,
            OneHour,
            day.o3_1h_max_ug_m3,
            None,
        )?);
    }
    slots.push(slot(
        edition,
        Parameter::Pm10,
        Daily,
        day.pm10_24h_ug_m3,
        None,
    )?);
    slots.push(slot(
        edition,
        Parameter::Pm25,
        Daily,
        day.pm25_24h_ug_m3,
        None,
    )?);
    Ok(assemble(edition, ReportKind::Daily, slots))
}

/// The value of another averaging that stands in under HJ 633-2012 notes (2)/(3), and the note.
type Fallback = (Averaging, (Option<f64>, &'static str));

/// One indicator's sub-index, `None` when missing. A fallback applies only when
/// [`iaqi()`] defers to it (HJ 633-2012, above 800 µg/m³); a missing fallback value makes the
/// indicator missing.
fn slot(
    edition: Edition,
    pollutant: Parameter,
    averaging: Averaging,
    value: Option<f64>,
    fallback: Option<Fallback>,
) -> Result<(Indicator, Option<SubIndex>), IaqiError> {
    let indicator = Indicator {
        pollutant,
        averaging,
    };
    let sub = match value
        .map(|v| iaqi(edition, pollutant, averaging, v))
        .transpose()
    {
        Err(IaqiError::ReportedFromOtherAveraging { instead, .. }) => match fallback {
            Some((averaging, (Some(v), note))) if averaging == instead => Some(SubIndex {
                special_case: Some(note),
                ..iaqi(edition, pollutant, instead, v)?
            }),
            _ => None,
        },
        other => other?,
    };
    Ok((indicator, sub))
}

fn assemble(
    edition: Edition,
    kind: ReportKind,
    slots: Vec<(Indicator, Option<SubIndex>)>,
) -> AqiReport {
    let missing: Vec<_> = slots
        .iter()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| *i)
        .collect();
    let sub_indices: Vec<_> = slots.into_iter().filter_map(|(_, s)| s).collect();
    let max_iaqi = sub_indices.iter().map(|s| s.iaqi).max();
    let pollutants_where = |keep: &dyn Fn(u16) -> bool| {
        let mut found: Vec<Parameter> = Vec::new();
        for s in sub_indices.iter().filter(|s| keep(s.iaqi)) {
            if !found.contains(&s.pollutant) {
                found.push(s.pollutant);
            }
        }
        found
    };

    // HJ 633-2026 §4.1.1 gives the AQI range as 1–500; only all-zero input computes to 0.
    let computed_aqi = match edition {
        Edition::Hj633_2026 => max_iaqi.map(|m| m.max(1)),
        Edition::Hj633_2012 => max_iaqi,
    };
    // HJ 633-2026 §5.3: with a pollutant missing, publish only above 100. HJ 633-2012 has no
    // completeness rule, so it publishes whatever the pollutants present give.
    let not_published = match computed_aqi {
        None => Some(NA_NO_DATA),
        Some(aqi) if edition == Edition::Hj633_2026 && !missing.is_empty() && aqi <= 100 => {
            Some(NA_MISSING_DATA)
        }
        Some(_) => None,
    };
    let aqi = computed_aqi.filter(|_| not_published.is_none());
    let primary = match (aqi, max_iaqi) {
        (Some(aqi), Some(max)) if aqi > 50 => pollutants_where(&|i| i == max),
        _ => Vec::new(),
    };
    let above_100 = if aqi.is_some() {
        pollutants_where(&|i| i > 100)
    } else {
        Vec::new()
    };
    let (exceeding, sensitive) = match edition {
        Edition::Hj633_2012 => (above_100, Vec::new()),
        Edition::Hj633_2026 => (
            Vec::new(),
            above_100.into_iter().filter_map(sensitive_groups).collect(),
        ),
    };
    AqiReport {
        edition,
        kind,
        aqi,
        level: aqi.map(|aqi| level_for(edition, aqi)),
        primary,
        exceeding,
        sensitive_groups: sensitive,
        computed_aqi,
        not_published,
        sub_indices,
        missing,
    }
}

#[cfg(test)]
mod tests;
