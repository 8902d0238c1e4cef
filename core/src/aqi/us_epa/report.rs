//! The US AQI of a set of concentrations: every sub-index, then the highest. The O3 and SO2
//! rules that need two values (8-hour and 1-hour O3; 1-hour and 24-hour SO2) are applied here.

use serde::Serialize;

use super::{UsAqiError, UsCategory, UsIndicator, UsSubIndex, sub_index, to_epa_unit, us_category};
use crate::Parameter;

/// The concentrations of a US AQI, in envmon's canonical units (CO mg/m³, others µg/m³);
/// `None` = missing.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsConcentrations {
    /// O3 8-hour mean, µg/m³.
    pub o3_8h_ug_m3: Option<f64>,
    /// O3 1-hour mean, µg/m³ (optional; the larger O3 index is reported).
    pub o3_1h_ug_m3: Option<f64>,
    /// PM2.5 24-hour mean or NowCast, µg/m³.
    pub pm25_ug_m3: Option<f64>,
    /// PM10 24-hour mean or NowCast, µg/m³.
    pub pm10_ug_m3: Option<f64>,
    /// CO 8-hour mean, mg/m³.
    pub co_8h_mg_m3: Option<f64>,
    /// SO2 (daily max) 1-hour mean, µg/m³.
    pub so2_1h_ug_m3: Option<f64>,
    /// SO2 24-hour mean, µg/m³ (needed only when the 1-hour value reaches 305 ppb).
    pub so2_24h_ug_m3: Option<f64>,
    /// NO2 1-hour mean, µg/m³.
    pub no2_1h_ug_m3: Option<f64>,
}

/// A US AQI with its sub-indices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsAqiReport {
    /// The highest index; `None` without any index.
    pub aqi: Option<u32>,
    /// Its category.
    pub category: Option<&'static UsCategory>,
    /// The pollutants with the highest index (all of them when tied).
    pub main_pollutants: Vec<Parameter>,
    /// Every index computed.
    pub sub_indices: Vec<UsSubIndex>,
    /// Values present whose index the rules leave to a missing companion value: 8-hour O3
    /// above 0.200 ppm without a 1-hour value, 1-hour SO2 at 305 ppb or more without a 24-hour
    /// mean.
    pub undetermined: Vec<UsIndicator>,
}

/// The US AQI of a set of concentrations in canonical units.
///
/// # Errors
///
/// A concentration that is negative or not finite.
///
/// # Example
///
/// ```
/// use envmon_core::Parameter;
/// use envmon_core::aqi::us_epa::{UsConcentrations, us_aqi};
///
/// let report = us_aqi(&UsConcentrations { pm25_ug_m3: Some(35.9), ..Default::default() }).unwrap();
/// assert_eq!(report.aqi, Some(102)); // 49 / 19.9 × 0.4 + 101 = 101.98 → 102
/// assert_eq!(report.main_pollutants, [Parameter::Pm25]);
/// ```
pub fn us_aqi(c: &UsConcentrations) -> Result<UsAqiReport, UsAqiError> {
    use UsIndicator::*;
    let index = |indicator, canonical: Option<f64>| {
        canonical
            .map(|v| sub_index(indicator, to_epa_unit(indicator, v)))
            .transpose()
    };
    let mut sub_indices = Vec::new();
    let mut undetermined = Vec::new();
    let mut keep = |indicator, result: Result<Option<Option<UsSubIndex>>, UsAqiError>| {
        match result {
            Ok(sub) => sub_indices.extend(sub.flatten()),
            Err(UsAqiError::O3EightHourAbove300 { .. } | UsAqiError::So2NeedsDayAverage { .. }) => {
                undetermined.push(indicator);
            }
            Err(e) => return Err(e),
        }
        Ok(())
    };
    let o3_1h = index(O3OneHour, c.o3_1h_ug_m3)?;
    match index(O3EightHour, c.o3_8h_ug_m3) {
        // Footnote 2: the 1-hour value, if any, defines AQI 301+.
        Err(UsAqiError::O3EightHourAbove300 { .. }) if matches!(o3_1h, Some(Some(_))) => {}
        other => keep(O3EightHour, other)?,
    }
    keep(O3OneHour, Ok(o3_1h))?;
    keep(Pm25Day, index(Pm25Day, c.pm25_ug_m3))?;
    keep(Pm10Day, index(Pm10Day, c.pm10_ug_m3))?;
    keep(CoEightHour, index(CoEightHour, c.co_8h_mg_m3))?;
    match index(So2OneHour, c.so2_1h_ug_m3) {
        Err(UsAqiError::So2NeedsDayAverage { .. }) if c.so2_24h_ug_m3.is_some() => {
            keep(So2Day, index(So2Day, c.so2_24h_ug_m3))?;
        }
        other => keep(So2OneHour, other)?,
    }
    keep(No2OneHour, index(No2OneHour, c.no2_1h_ug_m3))?;

    let aqi = sub_indices.iter().map(|s| s.aqi).max();
    let mut main_pollutants = Vec::new();
    for s in sub_indices.iter().filter(|s| Some(s.aqi) == aqi) {
        if !main_pollutants.contains(&s.indicator.pollutant()) {
            main_pollutants.push(s.indicator.pollutant());
        }
    }
    Ok(UsAqiReport {
        aqi,
        category: aqi.map(us_category),
        main_pollutants,
        sub_indices,
        undetermined,
    })
}
