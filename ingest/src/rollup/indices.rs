//! The official indices of one station-hour, station-day or water record,
//! as rows for the database: pure adapters from aggregates to
//! `envmon_core::aqi` and `envmon_core::water`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use envmon_core::aqi::us_epa::{self, UsConcentrations};
use envmon_core::aqi::{self, AqiReport, DailyConcentrations, Edition, HourlyConcentrations};
use envmon_core::station::WaterBodyType;
use envmon_core::validity::{self, Average};
use envmon_core::water::{self, WaterClass, WaterItem};
use envmon_core::{Parameter, Station};
use serde_json::Value;

/// An AQI verdict as stored in `aqi_hourly` and `aqi_daily`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AqiRow {
    pub(crate) edition: &'static str,
    pub(crate) aqi: Option<i16>,
    pub(crate) computed_aqi: Option<i16>,
    pub(crate) level: Option<i16>,
    pub(crate) primary: Vec<String>,
    pub(crate) report: Value,
}

/// The US EPA AQI of a station-hour, as stored beside the China AQI.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UsRow {
    pub(crate) aqi: Option<i16>,
    pub(crate) report: Value,
}

/// A water verdict as stored in `water_assessment`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WaterRow {
    pub(crate) class: Option<i16>,
    pub(crate) meets_target: Option<bool>,
    pub(crate) report: Value,
}

/// The daily statistics of one station-day.
#[derive(Debug, Default)]
pub(crate) struct DailyStats {
    /// 24-hour means.
    pub(crate) means: BTreeMap<Parameter, Average>,
    /// O3 daily maximum 8-hour mean.
    pub(crate) o3_max_8h: Option<Average>,
    /// O3 daily maximum 1-hour value (HJ 633-2012's seventh indicator).
    pub(crate) o3_max_1h: Option<Average>,
}

/// The real-time AQI of the hour labelled `hour_end`, from its hourly means;
/// an invalid mean counts as missing. `None` when no pollutant has a value.
pub(crate) fn hourly_aqi(
    hour_end: DateTime<Utc>,
    means: &BTreeMap<Parameter, Average>,
) -> Option<AqiRow> {
    let value = |p: Parameter| means.get(&p).and_then(Average::valid_value);
    let hour = HourlyConcentrations {
        so2_ug_m3: value(Parameter::So2),
        no2_ug_m3: value(Parameter::No2),
        co_mg_m3: value(Parameter::Co),
        o3_ug_m3: value(Parameter::O3),
        pm10_ug_m3: value(Parameter::Pm10),
        pm25_ug_m3: value(Parameter::Pm25),
        // HJ 633-2012's stand-in for SO2 1-hour values above 800 µg/m³ is not
        // kept per hour; such an hour reports SO2 as missing, as the standard
        // does when no 24-hour mean is at hand.
        so2_24h_ug_m3: None,
    };
    let edition = Edition::for_hour_ending(hour_end);
    report_row(aqi::real_time_aqi(edition, &hour))
}

/// The US EPA AQI (EPA-454/B-24-002) of the last hour of `history` (24
/// valid hourly means per pollutant, oldest first): PM by the NowCast over
/// the last 12 hours, O3 and CO by their 8-hour means (valid with 6 hours),
/// SO2 and NO2 by the hour, with the SO2 24-hour mean at hand for its
/// high-concentration rule. `None` when nothing could be indexed.
pub(crate) fn us_aqi(history: &BTreeMap<Parameter, [Option<f64>; 24]>) -> Option<UsRow> {
    let series = |p: Parameter| history.get(&p).copied().unwrap_or([None; 24]);
    let latest = |p: Parameter| series(p)[23];
    let nowcast = |p: Parameter| {
        let newest_first: Vec<Option<f64>> = series(p).iter().rev().take(12).copied().collect();
        us_epa::nowcast(&newest_first).ok().flatten()
    };
    let eight_hour = |p: Parameter| validity::eight_hour_mean(&series(p)[16..]).valid_value();
    let concentrations = UsConcentrations {
        o3_8h_ug_m3: eight_hour(Parameter::O3),
        o3_1h_ug_m3: latest(Parameter::O3),
        pm25_ug_m3: nowcast(Parameter::Pm25),
        pm10_ug_m3: nowcast(Parameter::Pm10),
        co_8h_mg_m3: eight_hour(Parameter::Co),
        so2_1h_ug_m3: latest(Parameter::So2),
        so2_24h_ug_m3: validity::daily_mean(&series(Parameter::So2)).valid_value(),
        no2_1h_ug_m3: latest(Parameter::No2),
    };
    let report = match us_epa::us_aqi(&concentrations) {
        Ok(report) => report,
        Err(error) => {
            tracing::error!(error = %error, "Cannot compute the US AQI.");
            return None;
        }
    };
    if report.sub_indices.is_empty() {
        return None;
    }
    Some(UsRow {
        aqi: report.aqi.and_then(|a| i16::try_from(a).ok()),
        report: serde_json::to_value(&report).unwrap_or(Value::Null),
    })
}

/// The daily AQI of a Beijing day; `None` when no indicator has a value.
pub(crate) fn daily_aqi(day: NaiveDate, stats: &DailyStats) -> Option<AqiRow> {
    let mean = |p: Parameter| stats.means.get(&p).and_then(Average::valid_value);
    let concentrations = DailyConcentrations {
        so2_24h_ug_m3: mean(Parameter::So2),
        no2_24h_ug_m3: mean(Parameter::No2),
        co_24h_mg_m3: mean(Parameter::Co),
        pm10_24h_ug_m3: mean(Parameter::Pm10),
        pm25_24h_ug_m3: mean(Parameter::Pm25),
        o3_8h_max_ug_m3: stats.o3_max_8h.as_ref().and_then(Average::valid_value),
        o3_1h_max_ug_m3: stats.o3_max_1h.as_ref().and_then(Average::valid_value),
    };
    let edition = Edition::for_beijing_day(day);
    report_row(aqi::daily_aqi(edition, &concentrations))
}

pub(super) fn report_row(report: Result<AqiReport, aqi::IaqiError>) -> Option<AqiRow> {
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            // Stored values are finite and non-negative; a failure here is a bug.
            tracing::error!(error = %error, "Cannot compute AQI.");
            return None;
        }
    };
    if report.sub_indices.is_empty() {
        return None;
    }
    let as_i16 = |v: Option<u16>| v.and_then(|v| i16::try_from(v).ok());
    Some(AqiRow {
        edition: report.edition.code(),
        aqi: as_i16(report.aqi),
        computed_aqi: as_i16(report.computed_aqi),
        level: report.level.map(|l| i16::from(l.level)),
        primary: report.primary.iter().map(|p| p.code().to_owned()).collect(),
        report: serde_json::to_value(&report).unwrap_or(Value::Null),
    })
}

/// The GB 3838-2002 assessment of one water record; for a drinking-water
/// source also its compliance (class III plus Table 2, as a second-level
/// protection zone). `None` when no item of the record can be assessed.
pub(crate) fn water(station: &Station, values: &[(Parameter, f64)]) -> Option<WaterRow> {
    if station.kind.is_supply() {
        return supply(station, values);
    }
    let samples: Vec<(WaterItem, f64)> = values
        .iter()
        .filter_map(|(p, v)| Some((WaterItem::from_parameter(*p)?, *v)))
        .collect();
    if samples.is_empty() {
        return None;
    }
    let body = station.water_body_type.unwrap_or(WaterBodyType::River);
    let target = station
        .target_class
        .and_then(WaterClass::from_number)
        .unwrap_or(WaterClass::III);
    let assessment = water::assess(&samples, body, target);
    let mut report = serde_json::to_value(&assessment).unwrap_or(Value::Null);
    if station.kind == envmon_core::StationKind::Source {
        let compliance =
            water::drinking_source_compliance(&samples, body, water::SECOND_LEVEL_ZONE_CLASS);
        if let Value::Object(map) = &mut report {
            map.insert(
                "source_compliance".into(),
                serde_json::to_value(&compliance).unwrap_or(Value::Null),
            );
        }
    }
    let class = assessment.class.map(|c| i16::from(c.number()));
    Some(WaterRow {
        class,
        meets_target: class.map(|_| assessment.meets_target),
        report,
    })
}

/// The GB 5749-2022 verdict of one record of a plant's outlet or a network
/// point: every online item with a limit, judged as a sample is, stored with
/// no GB 3838 class and `meets_target` meaning compliant. `None` when no
/// item of the record has a GB 5749 limit.
fn supply(station: &Station, values: &[(Parameter, f64)]) -> Option<WaterRow> {
    use envmon_core::drinking::{
        Disinfectant, ResultValue, SampleVerdict, SupplyItem, SupplyPoint,
    };
    let results: Vec<(SupplyItem, ResultValue)> = values
        .iter()
        .filter_map(|(p, v)| Some((SupplyItem::from_parameter(*p)?, ResultValue::Measured(*v))))
        .collect();
    if results.is_empty() {
        return None;
    }
    let point = if station.kind == envmon_core::StationKind::Plant {
        SupplyPoint::Outlet
    } else {
        SupplyPoint::Network
    };
    let verdict = SampleVerdict::judge(point, Disinfectant::FreeChlorine, &results);
    Some(WaterRow {
        class: None,
        meets_target: verdict.compliant,
        report: serde_json::json!({
            "standard": "GB 5749-2022",
            "supply": serde_json::to_value(&verdict).unwrap_or(Value::Null),
        }),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};

    use super::*;

    fn valid(value: f64) -> Average {
        Average {
            value: Some(value),
            count: 60,
            required: 45,
            valid: true,
        }
    }

    #[test]
    fn an_hour_is_judged_by_its_edition_and_invalid_means_count_as_missing() {
        let mut means = BTreeMap::from([
            (Parameter::Pm25, valid(62.0)),
            (Parameter::No2, valid(45.0)),
        ]);
        // The hour labelled 2026-03-01T01:00+08:00 is HJ 633-2026:
        // PM2.5 1-h 62 -> 100 + 50 x (62 - 60) / (115 - 60) = 101.8 -> 102.
        let hour = Utc.with_ymd_and_hms(2026, 2, 28, 17, 0, 0).unwrap();
        let row = hourly_aqi(hour, &means).unwrap();
        assert_eq!(
            (row.edition, row.aqi, row.level),
            ("HJ 633-2026", Some(102), Some(3))
        );
        assert_eq!(row.primary, ["pm25"]);
        // The hour before is HJ 633-2012: PM2.5 62 on 35..75 -> 50 + 50 x 27/40 = 83.75 -> 84.
        let before = hourly_aqi(hour - chrono::Duration::hours(1), &means).unwrap();
        assert_eq!((before.edition, before.aqi), ("HJ 633-2012", Some(84)));
        // An invalid PM2.5 mean is missing, not used.
        means.insert(
            Parameter::Pm25,
            Average {
                valid: false,
                count: 30,
                ..valid(62.0)
            },
        );
        let partial = hourly_aqi(hour, &means).unwrap();
        assert_eq!(partial.report["missing"].as_array().map(Vec::len), Some(5));
    }

    #[test]
    fn the_us_aqi_uses_the_pm_nowcast_and_8_hour_ozone() {
        // A steady 35.9 ug/m3 of PM2.5: NowCast 35.9, EPA 2024 Table 6 row
        // 35.5-55.4 -> 101..150: 49/19.9 x 0.4 + 101 = 101.98 -> 102.
        let history = BTreeMap::from([(Parameter::Pm25, [Some(35.9); 24])]);
        let row = us_aqi(&history).unwrap();
        assert_eq!(row.aqi, Some(102));
        assert_eq!(row.report["main_pollutants"], serde_json::json!(["pm25"]));
        // Fewer than 2 of the last 3 hours: no NowCast, nothing to index.
        let mut sparse = [Some(35.9); 24];
        sparse[22] = None;
        sparse[23] = None;
        assert_eq!(us_aqi(&BTreeMap::from([(Parameter::Pm25, sparse)])), None);
    }

    #[test]
    fn a_source_gets_its_compliance_with_its_assessment() {
        let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        let source = stations
            .iter()
            .find(|s| s.kind == envmon_core::StationKind::Source)
            .unwrap();
        // TP 0.06 mg/L is class IV in a reservoir (GB 3838-2002 Table 1: lake III = 0.05).
        let row = water(source, &[(Parameter::Tp, 0.06), (Parameter::Ph, 7.5)]).unwrap();
        assert_eq!(row.class, Some(4));
        assert_eq!(row.meets_target, Some(false));
        assert_eq!(row.report["source_compliance"]["compliant"], false);
    }

    #[test]
    fn a_table_2_item_out_of_limit_makes_a_source_fail() {
        let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        let source = stations
            .iter()
            .find(|s| s.kind == envmon_core::StationKind::Source)
            .unwrap();
        // GB 3838-2002 Table 2 row 2: chloride 250 mg/L, a salt tide at the intake.
        let at_limit = water(source, &[(Parameter::Chloride, 250.0)]).unwrap();
        assert_eq!(at_limit.report["source_compliance"]["compliant"], true);
        let row = water(source, &[(Parameter::Chloride, 312.0)]).unwrap();
        let compliance = &row.report["source_compliance"];
        assert_eq!(compliance["compliant"], false);
        assert_eq!(compliance["failures"][0]["item"], "chloride");
    }

    #[test]
    fn supply_sites_are_judged_by_gb_5749_and_given_no_surface_class() {
        let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        let of_kind = |kind| stations.iter().find(|s| s.kind == kind).unwrap();
        let plant = of_kind(envmon_core::StationKind::Plant);
        let tap = of_kind(envmon_core::StationKind::Tap);
        // GB 5749-2022 Table 2: free chlorine at the outlet at least 0.3 mg/L,
        // in the network at least 0.05 mg/L; 0.2 fails one and passes the other.
        let values = [
            (Parameter::FreeChlorine, 0.2),
            (Parameter::Turbidity, 0.3),
            (Parameter::Ph, 7.2),
            (Parameter::Temp, 16.0),
        ];
        let outlet = water(plant, &values).unwrap();
        assert_eq!((outlet.class, outlet.meets_target), (None, Some(false)));
        assert_eq!(outlet.report["standard"], "GB 5749-2022");
        let network = water(tap, &values).unwrap();
        assert_eq!(network.meets_target, Some(true));
        // Turbidity 1 NTU passes, 1.2 fails (Table 1).
        let cloudy = water(tap, &[(Parameter::Turbidity, 1.2)]).unwrap();
        assert_eq!(cloudy.meets_target, Some(false));
        // Nothing GB 5749 limits: no verdict at all.
        assert!(water(tap, &[(Parameter::Temp, 16.0)]).is_none());
    }
}
