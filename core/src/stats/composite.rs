//! 环境空气质量综合指数, the composite index by which areas are ranked over a period.
//!
//! 城市环境空气质量排名技术规定 (环办监测〔2018〕19号, SECONDARY: the text was not in the reference
//! set): each pollutant's single index is its period statistic divided by its grade-2 limit,
//! I_i = C_i / S_i, and the composite index is their sum over the six pollutants. C_i is the
//! period mean of SO2, NO2, PM10 and PM2.5, the 95th percentile of the CO 24-hour means and the
//! 90th percentile of the O3 daily maximum 8-hour means ([`super::air_period`](mod@super::air_period)); S_i is the
//! grade-2 annual limit of SO2, NO2, PM10 and PM2.5, the CO 24-hour limit and the O3 daily
//! maximum 8-hour limit. The regulation cites GB 3095-2012; envmon uses the GB 3095-2026 limits
//! in force on the period's last day, and gives no index for periods that end before them. The
//! pollutant with the largest single index is the one that weighs most.
//! Lower is cleaner; the index is rounded to two decimals.

use serde::Serialize;

use super::air_period::{AirPeriod, PeriodStatistic};
use super::limits::{AreaClass, LimitAveraging, limit};
use crate::Parameter;

/// A period's composite index and its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompositeIndex {
    /// Σ C_i / S_i, two decimals.
    pub value: f64,
    /// Each pollutant's single index C_i / S_i, two decimals.
    pub parts: Vec<(Parameter, f64)>,
    /// The pollutant with the largest single index.
    pub largest: Parameter,
}

/// The composite index of `period`; `None` unless all six statistics are valid and limits are
/// in force.
pub fn composite_index(period: &AirPeriod) -> Option<CompositeIndex> {
    let mut parts = Vec::with_capacity(6);
    let mut sum = 0.0;
    for stat in &period.pollutants {
        if !stat.valid {
            return None;
        }
        let averaging = match stat.statistic {
            PeriodStatistic::Mean => LimitAveraging::Annual,
            PeriodStatistic::Percentile95 => LimitAveraging::Daily,
            PeriodStatistic::Percentile90 => LimitAveraging::DailyMax8h,
        };
        let grade_2 = limit(stat.pollutant, averaging, AreaClass::Two, period.to)?;
        let single = stat.value? / grade_2;
        sum += single;
        parts.push((stat.pollutant, round2(single)));
    }
    let largest = parts
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(p, _)| *p)?;
    Some(CompositeIndex {
        value: round2(sum),
        parts,
        largest,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::aqi::DailyConcentrations;
    use crate::stats::{AirDay, air_period};

    fn year_of(c: DailyConcentrations, year: i32) -> AirPeriod {
        let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
        let days: Vec<AirDay> = from
            .iter_days()
            .take_while(|d| *d <= to)
            .map(|day| AirDay {
                day,
                aqi: Some(60),
                primary: vec![],
                concentrations: c,
            })
            .collect();
        air_period(from, to, AreaClass::Two, &days)
    }

    /// Checked by hand against the 2027 grade-2 (transitional) limits:
    /// SO2 6/60 = 0.10, NO2 36/40 = 0.90, CO 0.8/4 = 0.20, O3 160/160 = 1.00,
    /// PM10 45/60 = 0.75, PM2.5 27/30 = 0.90; sum 3.85, O3 weighs most.
    #[test]
    fn a_year_checked_by_hand() {
        let c = DailyConcentrations {
            so2_24h_ug_m3: Some(6.0),
            no2_24h_ug_m3: Some(36.0),
            co_24h_mg_m3: Some(0.8),
            o3_8h_max_ug_m3: Some(160.0),
            pm10_24h_ug_m3: Some(45.0),
            pm25_24h_ug_m3: Some(27.0),
            o3_1h_max_ug_m3: None,
        };
        let index = composite_index(&year_of(c, 2027)).unwrap();
        assert_eq!(index.value, 3.85);
        assert_eq!(index.largest, Parameter::O3);
        assert_eq!(index.parts[0], (Parameter::So2, 0.1));
        // Final limits from 2031: NO2 36/30 = 1.2, PM10 45/50 = 0.9, PM2.5 27/25 = 1.08,
        // SO2 6/20 = 0.3; sum 0.3 + 1.2 + 0.2 + 1.0 + 0.9 + 1.08 = 4.68.
        assert_eq!(composite_index(&year_of(c, 2031)).unwrap().value, 4.68);
    }

    #[test]
    fn a_missing_pollutant_gives_no_index() {
        let c = DailyConcentrations {
            pm25_24h_ug_m3: Some(27.0),
            ..DailyConcentrations::default()
        };
        assert_eq!(composite_index(&year_of(c, 2027)), None);
    }
}
