//! Air stations' hours: the hourly means of the six pollutants with their
//! validity, then the hour's AQI (China, and the US beside it).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use envmon_core::validity::{self, Average, Sample};
use envmon_core::{Parameter, Station};
use tokio_postgres::{Row, Transaction};

use super::indices;
use super::statements::{Params, Statements, execute_each, query_each};

pub(super) const HOUR_READINGS: &str = "SELECT parameter_code, observed_at, value, period_seconds
    FROM reading
    WHERE station_code = $1 AND observed_at >= $2 AND observed_at <= $3
        AND quality = 'valid' AND parameter_code = ANY($4)";

pub(super) const UPSERT_HOURLY: &str = "INSERT INTO hourly_mean
        (station_code, parameter_code, hour_end, value, minutes, valid)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (station_code, parameter_code, hour_end) DO UPDATE
        SET value = excluded.value, minutes = excluded.minutes, valid = excluded.valid";

pub(super) const UPSERT_AQI_HOURLY: &str = "INSERT INTO aqi_hourly
        (station_code, hour_end, edition, aqi, computed_aqi, level, primary_pollutants, report,
         us_aqi, us_report)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (station_code, hour_end) DO UPDATE
        SET edition = excluded.edition, aqi = excluded.aqi, computed_aqi = excluded.computed_aqi,
            level = excluded.level, primary_pollutants = excluded.primary_pollutants,
            report = excluded.report, us_aqi = excluded.us_aqi, us_report = excluded.us_report,
            computed_at = now()";

/// The valid hourly means of the 24 hours up to an hour: the US AQI's
/// NowCast, 8-hour and 24-hour means look back that far.
pub(super) const HOURLY_HISTORY: &str = "SELECT parameter_code, hour_end, value FROM hourly_mean
    WHERE station_code = $1 AND hour_end > $2 AND hour_end <= $3 AND valid";

/// The six pollutants of HJ 633.
const AIR_POLLUTANTS: [Parameter; 6] = [
    Parameter::So2,
    Parameter::No2,
    Parameter::Co,
    Parameter::O3,
    Parameter::Pm10,
    Parameter::Pm25,
];

/// One `hourly_mean` row.
type HourlyRow<'a> = (&'a str, &'static str, DateTime<Utc>, Option<f64>, i16, bool);

/// Recomputes the hours labelled `hour_end` at air stations: the six hourly
/// means with their validity, then the real-time AQI (China and US).
pub(super) async fn roll_hours(
    tx: &Transaction<'_>,
    st: &Statements,
    hours: &[(&Station, DateTime<Utc>)],
) -> Result<(), tokio_postgres::Error> {
    if hours.is_empty() {
        return Ok(());
    }
    let codes: Vec<&str> = AIR_POLLUTANTS.iter().map(|p| p.code()).collect();
    let windows: Vec<(&str, DateTime<Utc>, DateTime<Utc>)> = hours
        .iter()
        .map(|(station, hour_end)| {
            (
                station.code.as_str(),
                *hour_end - Duration::hours(1),
                *hour_end,
            )
        })
        .collect();
    let readings = query_each(
        tx,
        &st.hour_readings,
        windows
            .iter()
            .map(|(code, from, to)| -> Params<'_> { vec![code, from, to, &codes] }),
    )
    .await?;

    // Every hour's means, then each hour's AQI where it has one.
    let mut means_of: Vec<BTreeMap<Parameter, Average>> = Vec::with_capacity(hours.len());
    let mut hourly: Vec<HourlyRow<'_>> = Vec::new();
    for ((station, hour_end), rows) in hours.iter().zip(&readings) {
        let mut samples: BTreeMap<Parameter, Vec<Sample>> = BTreeMap::new();
        for row in rows {
            let Some(parameter) = Parameter::parse(row.get(0)) else {
                continue;
            };
            let period: i32 = row.get(3);
            samples.entry(parameter).or_default().push(Sample {
                observed_at: row.get(1),
                value: row.get(2),
                period: Duration::seconds(i64::from(period)),
            });
        }
        let mut means: BTreeMap<Parameter, Average> = BTreeMap::new();
        for (parameter, samples) in &samples {
            let mean = validity::hourly_mean(*hour_end, samples);
            hourly.push((
                station.code.as_str(),
                parameter.code(),
                *hour_end,
                mean.value,
                i16::try_from(mean.count).unwrap_or(i16::MAX),
                mean.valid,
            ));
            means.insert(*parameter, mean);
        }
        means_of.push(means);
    }
    execute_each(
        tx,
        &st.upsert_hourly,
        hourly.iter().map(
            |(code, parameter, hour_end, value, minutes, valid)| -> Params<'_> {
                vec![code, parameter, hour_end, value, minutes, valid]
            },
        ),
    )
    .await?;

    let aqi: Vec<(&str, DateTime<Utc>, indices::AqiRow)> = hours
        .iter()
        .zip(&means_of)
        .filter_map(|((station, hour_end), means)| {
            Some((
                station.code.as_str(),
                *hour_end,
                indices::hourly_aqi(*hour_end, means)?,
            ))
        })
        .collect();
    // The 24 hours up to each hour, this run's means included: the US
    // AQI's NowCast, 8-hour and 24-hour means look back that far.
    let history_windows: Vec<(&str, DateTime<Utc>, DateTime<Utc>)> = aqi
        .iter()
        .map(|(code, hour_end, _)| (*code, *hour_end - Duration::hours(24), *hour_end))
        .collect();
    let histories = query_each(
        tx,
        &st.hourly_history,
        history_windows
            .iter()
            .map(|(code, from, to)| -> Params<'_> { vec![code, from, to] }),
    )
    .await?;
    let rows: Vec<_> = aqi
        .iter()
        .zip(&histories)
        .map(|((code, hour_end, row), history_rows)| {
            let us = indices::us_aqi(&hourly_history(*hour_end, history_rows));
            (
                *code,
                *hour_end,
                row,
                us.as_ref().and_then(|u| u.aqi),
                us.map(|u| u.report),
            )
        })
        .collect();
    execute_each(
        tx,
        &st.upsert_aqi_hourly,
        rows.iter()
            .map(|(code, hour_end, row, us_aqi, us_report)| -> Params<'_> {
                vec![
                    code,
                    hour_end,
                    &row.edition,
                    &row.aqi,
                    &row.computed_aqi,
                    &row.level,
                    &row.primary,
                    &row.report,
                    us_aqi,
                    us_report,
                ]
            }),
    )
    .await
}

/// A station's valid hourly means of the 24 hours up to `hour_end` (rows
/// of [`HOURLY_HISTORY`]), per pollutant, oldest first (index 23 is
/// `hour_end` itself).
fn hourly_history(hour_end: DateTime<Utc>, rows: &[Row]) -> BTreeMap<Parameter, [Option<f64>; 24]> {
    let mut history: BTreeMap<Parameter, [Option<f64>; 24]> = BTreeMap::new();
    for row in rows {
        let Some(parameter) = Parameter::parse(row.get(0)) else {
            continue;
        };
        let label: DateTime<Utc> = row.get(1);
        let hours_before = (hour_end - label).num_hours();
        if let Ok(back) = usize::try_from(hours_before)
            && back < 24
        {
            history.entry(parameter).or_insert([None; 24])[23 - back] = row.get(2);
        }
    }
    history
}
