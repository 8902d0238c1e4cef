//! An area's concentrations (the city's, a district's) from its evaluation stations.
//!
//! HJ 663-2013 §5 (SECONDARY, the text was not in the reference set): an area's concentration of
//! a pollutant is the arithmetic mean of that pollutant over the area's evaluation stations
//! (城市点位); the area's AQI, level, primary pollutant and advice then follow from those means
//! exactly as for a station, edition by date (HJ 633). The registry names which stations count
//! for each area.
//!
//! How many stations must report for an area's mean to stand is not in envmon's reference set
//! either. envmon asks for at least [`DEFAULT_MIN_REPORTING_SHARE`] of the area's stations (an
//! area may set its own share in the registry) and always publishes how many counted, so a mean
//! of too few stations is never silently presented as the area's.

use serde::Serialize;

use crate::Parameter;
use crate::aqi::{DailyConcentrations, HourlyConcentrations};

/// The share of an area's evaluation stations that must have a valid value for the area's mean
/// of a pollutant to be valid, unless the area's registry entry says otherwise.
pub const DEFAULT_MIN_REPORTING_SHARE: f64 = 0.75;

/// One pollutant's mean over an area's stations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AreaMean {
    /// The arithmetic mean of the stations that reported; `None` when none did.
    pub value: Option<f64>,
    /// Stations with a valid value.
    pub reporting: usize,
    /// The area's evaluation stations.
    pub stations: usize,
    /// Whether enough stations reported.
    pub valid: bool,
}

impl AreaMean {
    /// The mean of the stations' values (`None` = no valid value) for an area of
    /// `values.len()` stations, valid when at least `min_share` of them reported.
    pub fn of(values: &[Option<f64>], min_share: f64) -> Self {
        let reported: Vec<f64> = values.iter().flatten().copied().collect();
        let reporting = reported.len();
        let stations = values.len();
        let value = (reporting > 0).then(|| reported.iter().sum::<f64>() / reporting as f64);
        // Compared in whole stations so that 3 of 4 at 0.75 is exactly enough.
        let needed = (min_share * stations as f64 - 1e-9).ceil().max(1.0) as usize;
        Self {
            value,
            reporting,
            stations,
            valid: reporting >= needed,
        }
    }

    /// The value, only when valid: what the indices may use.
    pub fn valid_value(&self) -> Option<f64> {
        self.value.filter(|_| self.valid)
    }
}

/// An area's hourly concentrations from its stations' (one entry per evaluation station, all
/// for the same hour), with each pollutant's mean.
pub fn area_hourly(
    stations: &[HourlyConcentrations],
    min_share: f64,
) -> (HourlyConcentrations, Vec<(Parameter, AreaMean)>) {
    let mut means = Vec::with_capacity(6);
    let mut mean = |pollutant, pick: fn(&HourlyConcentrations) -> Option<f64>| {
        let values: Vec<Option<f64>> = stations.iter().map(pick).collect();
        let area = AreaMean::of(&values, min_share);
        means.push((pollutant, area));
        area.valid_value()
    };
    let hour = HourlyConcentrations {
        so2_ug_m3: mean(Parameter::So2, |h| h.so2_ug_m3),
        no2_ug_m3: mean(Parameter::No2, |h| h.no2_ug_m3),
        co_mg_m3: mean(Parameter::Co, |h| h.co_mg_m3),
        o3_ug_m3: mean(Parameter::O3, |h| h.o3_ug_m3),
        pm10_ug_m3: mean(Parameter::Pm10, |h| h.pm10_ug_m3),
        pm25_ug_m3: mean(Parameter::Pm25, |h| h.pm25_ug_m3),
        // Only HJ 633-2012's fallback for SO2 above 800 reads it; the area's is the mean too.
        so2_24h_ug_m3: AreaMean::of(
            &stations.iter().map(|h| h.so2_24h_ug_m3).collect::<Vec<_>>(),
            min_share,
        )
        .valid_value(),
    };
    (hour, means)
}

/// An area's daily concentrations from its stations' daily statistics (one entry per
/// evaluation station, all for the same day), with each pollutant's mean.
pub fn area_daily(
    stations: &[DailyConcentrations],
    min_share: f64,
) -> (DailyConcentrations, Vec<(Parameter, AreaMean)>) {
    let mut means = Vec::with_capacity(6);
    let mut mean = |pollutant, pick: fn(&DailyConcentrations) -> Option<f64>| {
        let values: Vec<Option<f64>> = stations.iter().map(pick).collect();
        let area = AreaMean::of(&values, min_share);
        means.push((pollutant, area));
        area.valid_value()
    };
    let day = DailyConcentrations {
        so2_24h_ug_m3: mean(Parameter::So2, |d| d.so2_24h_ug_m3),
        no2_24h_ug_m3: mean(Parameter::No2, |d| d.no2_24h_ug_m3),
        co_24h_mg_m3: mean(Parameter::Co, |d| d.co_24h_mg_m3),
        o3_8h_max_ug_m3: mean(Parameter::O3, |d| d.o3_8h_max_ug_m3),
        pm10_24h_ug_m3: mean(Parameter::Pm10, |d| d.pm10_24h_ug_m3),
        pm25_24h_ug_m3: mean(Parameter::Pm25, |d| d.pm25_24h_ug_m3),
        o3_1h_max_ug_m3: AreaMean::of(
            &stations
                .iter()
                .map(|d| d.o3_1h_max_ug_m3)
                .collect::<Vec<_>>(),
            min_share,
        )
        .valid_value(),
    };
    (day, means)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::aqi::{Edition, real_time_aqi};

    #[test]
    fn the_share_of_reporting_stations_decides_validity() {
        // (values, share, valid, reporting)
        let cases: &[(&[Option<f64>], f64, bool, usize)] = &[
            // 3 of 4 at 75 %: exactly enough.
            (&[Some(1.0), Some(2.0), Some(3.0), None], 0.75, true, 3),
            // 2 of 4: not enough.
            (&[Some(1.0), None, Some(3.0), None], 0.75, false, 2),
            // 15 of 19 (78.9 %) enough, 14 of 19 (73.7 %) not.
            (
                &[[Some(1.0)].repeat(15), [None].repeat(4)].concat(),
                0.75,
                true,
                15,
            ),
            (
                &[[Some(1.0)].repeat(14), [None].repeat(5)].concat(),
                0.75,
                false,
                14,
            ),
            // An area of one station: that station.
            (&[Some(5.0)], 0.75, true, 1),
            (&[None], 0.75, false, 0),
            // A share of zero still needs one station.
            (&[None, None], 0.0, false, 0),
        ];
        for (values, share, valid, reporting) in cases {
            let mean = AreaMean::of(values, *share);
            assert_eq!(mean.valid, *valid, "{values:?} at {share}");
            assert_eq!(mean.reporting, *reporting);
            assert_eq!(mean.stations, values.len());
        }
    }

    #[test]
    fn the_mean_is_over_the_stations_that_reported() {
        let mean = AreaMean::of(&[Some(30.0), None, Some(60.0), Some(90.0)], 0.75);
        assert_eq!(mean.value, Some(60.0));
    }

    /// A day checked by hand: three stations, one of them without PM2.5.
    /// PM2.5 (58 + 66) / 2 = 62 from 2 of 3 stations, which is below 75 %, so PM2.5 is missing;
    /// PM10 (80 + 90 + 100) / 3 = 90 → IAQI 50 + 50 × (90 − 50) / (120 − 50) = 78.6 → 79
    /// (HJ 633-2026 24-hour column: 50 at 50, 100 at 120); the other pollutants are low (SO2 3,
    /// NO2 15, CO 6, O3 19), so the computed AQI is 79 and, PM2.5 missing with AQI ≤ 100,
    /// HJ 633-2026 §5.3 publishes NA.
    #[test]
    fn an_area_hour_follows_the_station_rules() {
        let station = |pm25, pm10| HourlyConcentrations {
            so2_ug_m3: Some(8.0),
            no2_ug_m3: Some(30.0),
            co_mg_m3: Some(0.6),
            o3_ug_m3: Some(60.0),
            pm10_ug_m3: Some(pm10),
            pm25_ug_m3: pm25,
            so2_24h_ug_m3: None,
        };
        let stations = [
            station(Some(58.0), 80.0),
            station(None, 90.0),
            station(Some(66.0), 100.0),
        ];
        let (hour, means) = area_hourly(&stations, DEFAULT_MIN_REPORTING_SHARE);
        assert_eq!(hour.pm10_ug_m3, Some(90.0));
        assert_eq!(hour.pm25_ug_m3, None);
        let pm25 = means.iter().find(|(p, _)| *p == Parameter::Pm25).unwrap().1;
        assert_eq!(
            (pm25.value, pm25.reporting, pm25.valid),
            (Some(62.0), 2, false)
        );
        let report = real_time_aqi(Edition::Hj633_2026, &hour).unwrap();
        assert_eq!(report.computed_aqi, Some(79));
        assert_eq!(
            report.aqi, None,
            "HJ 633-2026 5.3: missing pollutant and AQI ≤ 100"
        );
    }

    proptest! {
        /// The area of one station has exactly that station's AQI.
        #[test]
        fn one_station_area_is_that_station(
            so2 in 0.0..900.0f64, no2 in 0.0..900.0f64, co in 0.0..40.0f64,
            o3 in 0.0..900.0f64, pm10 in 0.0..700.0f64, pm25 in 0.0..600.0f64,
        ) {
            let station = HourlyConcentrations {
                so2_ug_m3: Some(so2), no2_ug_m3: Some(no2), co_mg_m3: Some(co),
                o3_ug_m3: Some(o3), pm10_ug_m3: Some(pm10), pm25_ug_m3: Some(pm25),
                so2_24h_ug_m3: None,
            };
            let (area, _) = area_hourly(&[station], DEFAULT_MIN_REPORTING_SHARE);
            for edition in [Edition::Hj633_2012, Edition::Hj633_2026] {
                let expected = real_time_aqi(edition, &station).unwrap();
                let got = real_time_aqi(edition, &area).unwrap();
                prop_assert_eq!(got.aqi, expected.aqi);
                prop_assert_eq!(got.primary, expected.primary);
            }
        }

        /// The area's mean lies between its stations' lowest and highest values.
        #[test]
        fn mean_is_within_the_stations(values in proptest::collection::vec(proptest::option::of(0.0..500.0f64), 1..25)) {
            let mean = AreaMean::of(&values, 0.0);
            if let Some(value) = mean.value {
                let present: Vec<f64> = values.iter().flatten().copied().collect();
                let low = present.iter().copied().fold(f64::INFINITY, f64::min);
                let high = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                prop_assert!(value >= low - 1e-9 && value <= high + 1e-9);
            }
        }
    }
}
