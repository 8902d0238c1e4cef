//! Areas (the city, its districts): after the stations' hours and days of a run, the AQI of
//! every area that counts one of those stations, for the same hours and days, from the mean of
//! its evaluation stations' valid hourly means and daily statistics
//! ([`envmon_core::stats::area`]). Late data at one station recompute its areas with it, in the
//! same transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use envmon_core::aqi::{self, DailyConcentrations, Edition, HourlyConcentrations};
use envmon_core::db::period::daily_field;
use envmon_core::stats::{AreaMean, area_daily, area_hourly};
use envmon_core::{Parameter, StationCode};
use serde_json::{Value, json};
use tokio_postgres::Transaction;

use super::indices::{AqiRow, report_row};

/// Every (area, hour) that counts one of the given (station, hour), with each of the area's
/// stations and its valid hourly means (a station without any: one row of NULLs).
const AREA_HOURS: &str = "WITH touched AS (
        SELECT DISTINCT s.area_id, t.hour_end
        FROM unnest($1::text[], $2::timestamptz[]) AS t(station_code, hour_end)
        JOIN area_station s ON s.station_code = t.station_code)
    SELECT t.area_id, t.hour_end, a.min_reporting_share, s.station_code, m.parameter_code, m.value
    FROM touched t
    JOIN area a ON a.id = t.area_id
    JOIN area_station s ON s.area_id = t.area_id
    LEFT JOIN hourly_mean m ON m.station_code = s.station_code AND m.hour_end = t.hour_end
        AND m.valid AND m.value IS NOT NULL";

/// The same for (area, day) from the stations' valid daily statistics.
const AREA_DAYS: &str = "WITH touched AS (
        SELECT DISTINCT s.area_id, t.day
        FROM unnest($1::text[], $2::date[]) AS t(station_code, day)
        JOIN area_station s ON s.station_code = t.station_code)
    SELECT t.area_id, t.day, a.min_reporting_share, s.station_code, d.parameter_code,
        d.statistic, d.value
    FROM touched t
    JOIN area a ON a.id = t.area_id
    JOIN area_station s ON s.area_id = t.area_id
    LEFT JOIN daily_stat d ON d.station_code = s.station_code AND d.day = t.day
        AND d.valid AND d.value IS NOT NULL";

const UPSERT_AREA_HOURLY: &str = "INSERT INTO area_aqi_hourly
        (area_id, hour_end, edition, aqi, computed_aqi, level, primary_pollutants, stations, report)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (area_id, hour_end) DO UPDATE
        SET edition = excluded.edition, aqi = excluded.aqi, computed_aqi = excluded.computed_aqi,
            level = excluded.level, primary_pollutants = excluded.primary_pollutants,
            stations = excluded.stations, report = excluded.report, computed_at = now()";

const UPSERT_AREA_DAILY: &str = "INSERT INTO area_aqi_daily
        (area_id, day, edition, aqi, computed_aqi, level, primary_pollutants, stations, report)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (area_id, day) DO UPDATE
        SET edition = excluded.edition, aqi = excluded.aqi, computed_aqi = excluded.computed_aqi,
            level = excluded.level, primary_pollutants = excluded.primary_pollutants,
            stations = excluded.stations, report = excluded.report, computed_at = now()";

/// One area at one time: its share and each station's values.
struct AreaSlot<C> {
    share: f64,
    stations: BTreeMap<String, C>,
}

/// Recomputes the areas of the stations' `hours` and `days`; returns the areas touched.
pub(super) async fn roll_areas(
    tx: &Transaction<'_>,
    hours: &[(&StationCode, DateTime<Utc>)],
    days: &BTreeSet<(&StationCode, NaiveDate)>,
) -> Result<BTreeSet<String>, tokio_postgres::Error> {
    let mut touched = BTreeSet::new();
    if !hours.is_empty() {
        let codes: Vec<&str> = hours.iter().map(|(c, _)| c.as_str()).collect();
        let ends: Vec<DateTime<Utc>> = hours.iter().map(|(_, h)| *h).collect();
        let mut slots: BTreeMap<(String, DateTime<Utc>), AreaSlot<HourlyConcentrations>> =
            BTreeMap::new();
        for row in tx.query(AREA_HOURS, &[&codes, &ends]).await? {
            let slot = slots
                .entry((row.get(0), row.get(1)))
                .or_insert_with(|| AreaSlot {
                    share: row.get(2),
                    stations: BTreeMap::new(),
                });
            let c = slot.stations.entry(row.get(3)).or_default();
            let (Some(parameter), Some(value)) = (
                row.get::<_, Option<&str>>(4).and_then(Parameter::parse),
                row.get::<_, Option<f64>>(5),
            ) else {
                continue;
            };
            match parameter {
                Parameter::So2 => c.so2_ug_m3 = Some(value),
                Parameter::No2 => c.no2_ug_m3 = Some(value),
                Parameter::Co => c.co_mg_m3 = Some(value),
                Parameter::O3 => c.o3_ug_m3 = Some(value),
                Parameter::Pm10 => c.pm10_ug_m3 = Some(value),
                Parameter::Pm25 => c.pm25_ug_m3 = Some(value),
                _ => {}
            }
        }
        for ((area, hour_end), slot) in &slots {
            let stations: Vec<HourlyConcentrations> = slot.stations.values().copied().collect();
            let (mean, means) = area_hourly(&stations, slot.share);
            let edition = Edition::for_hour_ending(*hour_end);
            let Some(row) = with_means(report_row(aqi::real_time_aqi(edition, &mean)), &means)
            else {
                continue;
            };
            let count = station_count(stations.len());
            tx.execute(
                UPSERT_AREA_HOURLY,
                &[
                    area,
                    hour_end,
                    &row.edition,
                    &row.aqi,
                    &row.computed_aqi,
                    &row.level,
                    &row.primary,
                    &count,
                    &row.report,
                ],
            )
            .await?;
            touched.insert(area.clone());
        }
    }
    if !days.is_empty() {
        let codes: Vec<&str> = days.iter().map(|(c, _)| c.as_str()).collect();
        let dates: Vec<NaiveDate> = days.iter().map(|(_, d)| *d).collect();
        let mut slots: BTreeMap<(String, NaiveDate), AreaSlot<DailyConcentrations>> =
            BTreeMap::new();
        for row in tx.query(AREA_DAYS, &[&codes, &dates]).await? {
            let slot = slots
                .entry((row.get(0), row.get(1)))
                .or_insert_with(|| AreaSlot {
                    share: row.get(2),
                    stations: BTreeMap::new(),
                });
            let c = slot.stations.entry(row.get(3)).or_default();
            let (Some(parameter), Some(statistic), Some(value)) = (
                row.get::<_, Option<&str>>(4),
                row.get::<_, Option<&str>>(5),
                row.get::<_, Option<f64>>(6),
            ) else {
                continue;
            };
            if let Some(field) = daily_field(c, parameter, statistic) {
                *field = Some(value);
            }
        }
        for ((area, day), slot) in &slots {
            let stations: Vec<DailyConcentrations> = slot.stations.values().copied().collect();
            let (mean, means) = area_daily(&stations, slot.share);
            let edition = Edition::for_beijing_day(*day);
            let Some(row) = with_means(report_row(aqi::daily_aqi(edition, &mean)), &means) else {
                continue;
            };
            let count = station_count(stations.len());
            tx.execute(
                UPSERT_AREA_DAILY,
                &[
                    area,
                    day,
                    &row.edition,
                    &row.aqi,
                    &row.computed_aqi,
                    &row.level,
                    &row.primary,
                    &count,
                    &row.report,
                ],
            )
            .await?;
            touched.insert(area.clone());
        }
    }
    Ok(touched)
}

/// The row's report with each pollutant's area mean and how many stations counted, so a
/// published area AQI says what it stands on.
fn with_means(row: Option<AqiRow>, means: &[(Parameter, AreaMean)]) -> Option<AqiRow> {
    let mut row = row?;
    let means: Value = means
        .iter()
        .map(|(p, m)| (p.code().to_owned(), json!(m)))
        .collect::<serde_json::Map<String, Value>>()
        .into();
    if let Value::Object(report) = &mut row.report {
        report.insert("area_means".to_owned(), means);
    }
    Some(row)
}

fn station_count(n: usize) -> i16 {
    i16::try_from(n).unwrap_or(i16::MAX)
}
