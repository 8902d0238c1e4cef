//! Rollup: from stored readings to hourly means, daily statistics and the
//! official indices, for whatever the writer marked pending.
//!
//! The writer marks (station, hour) for air and (station, instant) for water
//! in the same transaction that stores the readings; this stage takes a
//! slice of those marks, recomputes, and deletes the marks in one
//! transaction. A crash in between leaves the marks for the next run; a late
//! reading marks its own hour again, so aggregates always follow the data.
//!
//! A mark can be marked again while a run is computing it: the writer's
//! upsert then gives the row a new version (a new `xmin`), without waiting
//! for the run, and the run deletes only the versions it read. So a mark
//! whose hour gained readings the run may not have seen stays for the next
//! run (the run's delete waits for a writer still holding the row). One run
//! at a time, across ingest instances (an advisory lock).
//!
//! [`RollupWorker`] runs beside the writer on its own connection, woken after
//! every commit, so computing indices never slows storing readings; it
//! publishes the states whose indices it changed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use envmon_core::validity::{self, Average, Sample};
use envmon_core::{Parameter, Station, StationCode, StationKind};
use futures_util::TryStreamExt;
use futures_util::future::{try_join, try_join_all};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement, Transaction};

use crate::indices;
use crate::stations::StationDirectory;

/// Marks taken per transaction: bounds the work one rollup holds locks for.
pub(crate) const MARKS_PER_RUN: i64 = 500;

/// Beijing time is UTC+8 all year: days and the edition switch follow it.
const BEIJING_OFFSET: Duration = Duration::hours(8);

/// Arbitrary constant naming the rollup's advisory lock.
const ROLLUP_LOCK_KEY: i64 = 0x726f_6c6c_7570;

const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock($1)";

const TAKE_MARKS: &str = "SELECT station_code, at, xmin::text FROM rollup_pending
    ORDER BY at LIMIT $1";

/// Deletes the marks taken, in the versions taken. Rows are locked in key
/// order, the order the writer marks in, so the two never deadlock; a row
/// a writer changed meanwhile no longer matches its version and stays.
const DELETE_MARKS: &str = "DELETE FROM rollup_pending p USING (
        SELECT m.station_code, m.at FROM rollup_pending m
        JOIN unnest($1::text[], $2::timestamptz[], $3::text[]) AS done(station_code, at, version)
            ON m.station_code = done.station_code AND m.at = done.at
                AND m.xmin = done.version::xid
        ORDER BY m.station_code, m.at
        FOR UPDATE OF m) d
    WHERE p.station_code = d.station_code AND p.at = d.at";

const HOUR_READINGS: &str = "SELECT parameter_code, observed_at, value, period_seconds
    FROM reading
    WHERE station_code = $1 AND observed_at >= $2 AND observed_at <= $3
        AND quality = 'valid' AND parameter_code = ANY($4)";

const UPSERT_HOURLY: &str = "INSERT INTO hourly_mean
        (station_code, parameter_code, hour_end, value, minutes, valid)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (station_code, parameter_code, hour_end) DO UPDATE
        SET value = excluded.value, minutes = excluded.minutes, valid = excluded.valid";

const DAY_HOURLY: &str = "SELECT parameter_code, hour_end, value, valid FROM hourly_mean
    WHERE station_code = $1 AND hour_end > $2 AND hour_end <= $3";

const UPSERT_DAILY: &str = "INSERT INTO daily_stat
        (station_code, parameter_code, day, statistic, value, count, valid)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (station_code, parameter_code, day, statistic) DO UPDATE
        SET value = excluded.value, count = excluded.count, valid = excluded.valid";

const UPSERT_AQI_HOURLY: &str = "INSERT INTO aqi_hourly
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
const HOURLY_HISTORY: &str = "SELECT parameter_code, hour_end, value FROM hourly_mean
    WHERE station_code = $1 AND hour_end > $2 AND hour_end <= $3 AND valid";

const UPSERT_AQI_DAILY: &str = "INSERT INTO aqi_daily
        (station_code, day, edition, aqi, computed_aqi, level, primary_pollutants, report)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (station_code, day) DO UPDATE
        SET edition = excluded.edition, aqi = excluded.aqi, computed_aqi = excluded.computed_aqi,
            level = excluded.level, primary_pollutants = excluded.primary_pollutants,
            report = excluded.report, computed_at = now()";

const RECORD_READINGS: &str = "SELECT parameter_code, value FROM reading
    WHERE station_code = $1 AND observed_at = $2 AND quality = 'valid'";

const UPSERT_WATER: &str = "INSERT INTO water_assessment
        (station_code, observed_at, class, meets_target, report)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (station_code, observed_at) DO UPDATE
        SET class = excluded.class, meets_target = excluded.meets_target,
            report = excluded.report, computed_at = now()";

/// The six pollutants of HJ 633.
const AIR_POLLUTANTS: [Parameter; 6] = [
    Parameter::So2,
    Parameter::No2,
    Parameter::Co,
    Parameter::O3,
    Parameter::Pm10,
    Parameter::Pm25,
];

/// What one rollup run did.
#[derive(Debug, Default)]
pub(crate) struct RollupOutcome {
    /// Marks processed.
    pub(crate) marks: usize,
    /// Stations whose indices may have changed.
    pub(crate) stations: BTreeSet<StationCode>,
    /// A mark named a station missing from the directory.
    pub(crate) unknown_station: bool,
}

/// The rollup's statements, prepared once per session: parsing and
/// planning a dozen statements for every mark cost more than running them.
#[derive(Debug)]
pub(crate) struct Statements {
    try_lock: Statement,
    take_marks: Statement,
    delete_marks: Statement,
    hour_readings: Statement,
    upsert_hourly: Statement,
    day_hourly: Statement,
    upsert_daily: Statement,
    upsert_aqi_hourly: Statement,
    hourly_history: Statement,
    upsert_aqi_daily: Statement,
    record_readings: Statement,
    upsert_water: Statement,
}

impl Statements {
    /// Prepares every statement on `client`'s session.
    pub(crate) async fn prepare(client: &Client) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            try_lock: client.prepare(TRY_LOCK).await?,
            take_marks: client.prepare(TAKE_MARKS).await?,
            delete_marks: client.prepare(DELETE_MARKS).await?,
            hour_readings: client.prepare(HOUR_READINGS).await?,
            upsert_hourly: client.prepare(UPSERT_HOURLY).await?,
            day_hourly: client.prepare(DAY_HOURLY).await?,
            upsert_daily: client.prepare(UPSERT_DAILY).await?,
            upsert_aqi_hourly: client.prepare(UPSERT_AQI_HOURLY).await?,
            hourly_history: client.prepare(HOURLY_HISTORY).await?,
            upsert_aqi_daily: client.prepare(UPSERT_AQI_DAILY).await?,
            record_readings: client.prepare(RECORD_READINGS).await?,
            upsert_water: client.prepare(UPSERT_WATER).await?,
        })
    }
}

/// Parameters of one statement execution.
type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

/// Runs `statement` once per parameter list, all sent at once (pipelined:
/// one round trip for the lot), and returns each run's rows in order.
async fn query_each<'a>(
    tx: &Transaction<'_>,
    statement: &Statement,
    params: impl Iterator<Item = Params<'a>>,
) -> Result<Vec<Vec<Row>>, tokio_postgres::Error> {
    try_join_all(params.map(|p| async move {
        tx.query_raw(statement, p)
            .await?
            .try_collect::<Vec<Row>>()
            .await
    }))
    .await
}

/// Runs `statement` once per parameter list, pipelined.
async fn execute_each<'a>(
    tx: &Transaction<'_>,
    statement: &Statement,
    params: impl Iterator<Item = Params<'a>>,
) -> Result<(), tokio_postgres::Error> {
    try_join_all(params.map(|p| tx.execute_raw(statement, p))).await?;
    Ok(())
}

/// Processes one slice of pending marks in one transaction.
///
/// Each step is sent for every mark at once (pipelined), so a run costs a
/// handful of round trips however many marks it takes.
pub(crate) async fn run_once(
    client: &mut Client,
    statements: &Statements,
    directory: &StationDirectory,
) -> Result<RollupOutcome, tokio_postgres::Error> {
    let st = statements;
    let tx = client.transaction().await?;
    let locked: bool = tx
        .query_one(&st.try_lock, &[&ROLLUP_LOCK_KEY])
        .await?
        .get(0);
    if !locked {
        // Another instance is rolling up; its run covers these marks.
        return Ok(RollupOutcome::default());
    }
    let marks = tx.query(&st.take_marks, &[&MARKS_PER_RUN]).await?;
    let mut outcome = RollupOutcome {
        marks: marks.len(),
        ..RollupOutcome::default()
    };
    if marks.is_empty() {
        return Ok(outcome);
    }
    let mut done_codes: Vec<String> = Vec::with_capacity(marks.len());
    let mut done_ats: Vec<DateTime<Utc>> = Vec::with_capacity(marks.len());
    let mut done_versions: Vec<String> = Vec::with_capacity(marks.len());
    let mut hours: Vec<(&Station, DateTime<Utc>)> = Vec::new();
    let mut records: Vec<(&Station, DateTime<Utc>)> = Vec::new();
    for row in &marks {
        let code: String = row.get(0);
        let at: DateTime<Utc> = row.get(1);
        let Some(station) = StationCode::parse(&code)
            .ok()
            .and_then(|c| directory.get(&c))
        else {
            // Registered after this worker loaded its directory: kept for
            // the next run, after a reload.
            outcome.unknown_station = true;
            continue;
        };
        done_codes.push(code);
        done_ats.push(at);
        done_versions.push(row.get(2));
        match station.kind {
            StationKind::Air => hours.push((station, at)),
            StationKind::River | StationKind::Source => records.push((station, at)),
        }
        outcome.stations.insert(station.code.clone());
    }
    roll_hours(&tx, st, &hours).await?;
    assess_water(&tx, st, &records).await?;
    let days: BTreeSet<(&StationCode, NaiveDate)> = hours
        .iter()
        .flat_map(|(station, at)| {
            days_affected_by_hour(*at)
                .into_iter()
                .map(|day| (&station.code, day))
        })
        .collect();
    roll_days(&tx, st, &days).await?;
    tx.execute(&st.delete_marks, &[&done_codes, &done_ats, &done_versions])
        .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Recomputes the hours labelled `hour_end` at air stations: the six hourly
/// means with their validity, then the real-time AQI (China and US).
async fn roll_hours(
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

/// The Beijing day an hour label belongs to (its period start's date), and
/// the next day too when the hour is among the 7 that the next day's first
/// 8-hour O3 windows reach back into.
fn days_affected_by_hour(hour_end: DateTime<Utc>) -> Vec<NaiveDate> {
    let local_start = hour_end - Duration::hours(1) + BEIJING_OFFSET;
    let day = local_start.date_naive();
    // Labels 18:00 ... 24:00 have period starts at 17:00 ... 23:00.
    if local_start.hour() >= 17 {
        vec![day, day.succ_opt().unwrap_or(day)]
    } else {
        vec![day]
    }
}

/// The UTC instant at which a Beijing day starts.
fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
        - BEIJING_OFFSET
}

/// One `hourly_mean` row.
type HourlyRow<'a> = (&'a str, &'static str, DateTime<Utc>, Option<f64>, i16, bool);

/// One `daily_stat` row.
type DailyRow<'a> = (
    &'a str,
    &'static str,
    NaiveDate,
    &'static str,
    Option<f64>,
    i16,
    bool,
);

/// Recomputes Beijing days at air stations: daily means (and the O3 daily
/// maxima), then the daily AQI.
async fn roll_days(
    tx: &Transaction<'_>,
    st: &Statements,
    days: &BTreeSet<(&StationCode, NaiveDate)>,
) -> Result<(), tokio_postgres::Error> {
    if days.is_empty() {
        return Ok(());
    }
    let windows: Vec<(&str, DateTime<Utc>, DateTime<Utc>)> = days
        .iter()
        .map(|(code, day)| {
            let start = day_start(*day);
            (
                code.as_str(),
                start - Duration::hours(7),
                start + Duration::hours(24),
            )
        })
        .collect();
    let hourly_rows = query_each(
        tx,
        &st.day_hourly,
        windows
            .iter()
            .map(|(code, from, to)| -> Params<'_> { vec![code, from, to] }),
    )
    .await?;
    let mut daily: Vec<DailyRow<'_>> = Vec::new();
    let mut aqi: Vec<(&str, NaiveDate, indices::AqiRow)> = Vec::new();
    for ((code, day), rows) in days.iter().zip(&hourly_rows) {
        if rows.is_empty() {
            continue;
        }
        let stats = day_stats(code.as_str(), *day, rows, &mut daily);
        if let Some(row) = indices::daily_aqi(*day, &stats) {
            aqi.push((code.as_str(), *day, row));
        }
    }
    let upserts = execute_each(
        tx,
        &st.upsert_daily,
        daily.iter().map(
            |(code, parameter, day, statistic, value, count, valid)| -> Params<'_> {
                vec![code, parameter, day, statistic, value, count, valid]
            },
        ),
    );
    let aqi_upserts = execute_each(
        tx,
        &st.upsert_aqi_daily,
        aqi.iter().map(|(code, day, row)| -> Params<'_> {
            vec![
                code,
                day,
                &row.edition,
                &row.aqi,
                &row.computed_aqi,
                &row.level,
                &row.primary,
                &row.report,
            ]
        }),
    );
    try_join(upserts, aqi_upserts).await?;
    Ok(())
}

/// The daily statistics of one station-day from its rows of
/// [`DAY_HOURLY`], each also pushed onto `daily` as a `daily_stat` row.
fn day_stats<'a>(
    code: &'a str,
    day: NaiveDate,
    rows: &[Row],
    daily: &mut Vec<DailyRow<'a>>,
) -> indices::DailyStats {
    let start = day_start(day);
    // Index 0..7: the previous day's labels 18:00-24:00; 7..31: the day's 01:00-24:00.
    let mut hourly: BTreeMap<Parameter, [Option<f64>; 31]> = BTreeMap::new();
    for row in rows {
        let Some(parameter) = Parameter::parse(row.get(0)) else {
            continue;
        };
        let hour_end: DateTime<Utc> = row.get(1);
        let value: Option<f64> = row.get(2);
        let valid: bool = row.get(3);
        let index = (hour_end - (start - Duration::hours(7))).num_hours() - 1;
        if let (Ok(index), true) = (usize::try_from(index), valid)
            && let Some(slot) = hourly.entry(parameter).or_insert([None; 31]).get_mut(index)
        {
            *slot = value;
        }
    }
    let mut push = |parameter: Parameter, statistic: &'static str, average: &Average| {
        daily.push((
            code,
            parameter.code(),
            day,
            statistic,
            average.value,
            i16::try_from(average.count).unwrap_or(i16::MAX),
            average.valid,
        ));
    };
    let mut stats = indices::DailyStats::default();
    for (parameter, values) in &hourly {
        let day_values = &values[7..];
        let mean = validity::daily_mean(day_values);
        push(*parameter, "mean", &mean);
        stats.means.insert(*parameter, mean);
        if *parameter == Parameter::O3 {
            let max_8h = validity::o3_daily_max_8h(values);
            let max_1h = validity::daily_max(day_values);
            push(*parameter, "max_8h", &max_8h);
            push(*parameter, "max_1h", &max_1h);
            stats.o3_max_8h = Some(max_8h);
            stats.o3_max_1h = Some(max_1h);
        }
    }
    stats
}

/// Assesses water records (all items of a site observed at one instant)
/// against GB 3838.
async fn assess_water(
    tx: &Transaction<'_>,
    st: &Statements,
    records: &[(&Station, DateTime<Utc>)],
) -> Result<(), tokio_postgres::Error> {
    if records.is_empty() {
        return Ok(());
    }
    let keys: Vec<(&str, DateTime<Utc>)> = records
        .iter()
        .map(|(station, at)| (station.code.as_str(), *at))
        .collect();
    let item_rows = query_each(
        tx,
        &st.record_readings,
        keys.iter()
            .map(|(code, at)| -> Params<'_> { vec![code, at] }),
    )
    .await?;
    let assessments: Vec<_> = records
        .iter()
        .zip(&keys)
        .zip(&item_rows)
        .filter_map(|(((station, _), (code, at)), rows)| {
            let values: Vec<(Parameter, f64)> = rows
                .iter()
                .filter_map(|row| Some((Parameter::parse(row.get(0))?, row.get(1))))
                .collect();
            Some((*code, *at, indices::water(station, &values)?))
        })
        .collect();
    execute_each(
        tx,
        &st.upsert_water,
        assessments.iter().map(|(code, at, row)| -> Params<'_> {
            vec![code, at, &row.class, &row.meets_target, &row.report]
        }),
    )
    .await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_evening_hour_also_touches_the_next_day() {
        // Hour labelled 2026-11-25 14:00 Beijing (06:00Z): that day only.
        let afternoon = Utc.with_ymd_and_hms(2026, 11, 25, 6, 0, 0).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(days_affected_by_hour(afternoon), vec![day]);
        // Hour labelled 24:00 Beijing (16:00Z) belongs to the 25th and feeds
        // the 26th's first 8-hour windows.
        let midnight = Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap();
        assert_eq!(
            days_affected_by_hour(midnight),
            vec![day, day.succ_opt().unwrap()]
        );
        // Hour labelled 01:00 on the 26th belongs to the 26th.
        let one = Utc.with_ymd_and_hms(2026, 11, 25, 17, 0, 0).unwrap();
        assert_eq!(days_affected_by_hour(one), vec![day.succ_opt().unwrap()]);
    }

    #[test]
    fn a_beijing_day_starts_at_1600_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(
            day_start(day),
            Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap()
        );
    }
}

/// Why the rollup stopped before it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    /// PostgreSQL refuses the rollup's statements, and will go on refusing
    /// them until an operator acts; the marks stay for the next run.
    #[error("the database refuses the rollup's statements; retrying cannot help")]
    Refused(#[source] envmon_core::db::DbError),
}

/// Runs the rollup beside the writer.
#[derive(Debug)]
pub(crate) struct RollupWorker {
    pub(crate) database: envmon_core::db::DatabaseSettings,
    pub(crate) topics: envmon_core::topic::Topics,
    pub(crate) live: crate::live::LivePublisher,
    /// Signalled by the writer after each commit.
    pub(crate) wake: std::sync::Arc<tokio::sync::Notify>,
    /// The dead-letter table keeps at most this many rows, the newest.
    pub(crate) dead_letter_max_rows: i64,
}

/// Keeps the newest dead letters only: a misconfigured sensor sending
/// garbage every second must not fill the disk.
const TRIM_DEAD_LETTERS: &str = "DELETE FROM dead_letter
    WHERE id <= (SELECT max(id) FROM dead_letter) - $1";

/// How long the worker lets marks gather after a commit wakes it.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// With nothing signalled, pending marks (a failed run's, another
/// instance's) are looked for this often.
const IDLE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The registry without the logger secrets, which the rollup has no use for.
async fn stations_only(
    client: &tokio_postgres::Client,
) -> Result<crate::stations::Registry, envmon_core::db::DbError> {
    Ok(crate::stations::Registry {
        stations: envmon_core::registry::load_stations(client).await?,
        secrets: Vec::new(),
    })
}

impl RollupWorker {
    /// Rolls up until `shutdown`, reconnecting after database failures.
    ///
    /// # Errors
    /// When the database refuses the rollup for good.
    pub(crate) async fn run(
        self,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> Result<(), RollupError> {
        let mut store: Option<(crate::store::Store, Statements)> = None;
        // Kinds and water fields only: the rollup checks no logger.
        let mut directory = StationDirectory::new(true);
        let mut backoff = envmon_core::backoff::Backoff::new(
            std::time::Duration::from_millis(100),
            std::time::Duration::from_secs(5),
        );
        loop {
            tokio::select! {
                () = self.wake.notified() => {
                    // Let the marks of the next few commits gather: with
                    // minute data each commit re-marks the current hour, and
                    // recomputing it after every commit would spend on that
                    // what the writer needs.
                    tokio::select! {
                        () = tokio::time::sleep(SETTLE) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
                () = tokio::time::sleep(IDLE_INTERVAL) => {}
                () = shutdown.cancelled() => break,
            }
            match self.drain(&mut store, &mut directory).await {
                Ok(()) => backoff.reset(),
                Err(error) if error.is_permanent() => return Err(RollupError::Refused(error)),
                Err(error) => {
                    store = None;
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %error, retry_in = ?delay, "Cannot roll up indices; retrying.");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        Ok(())
    }

    /// Processes marks until none are left, then publishes the states whose
    /// indices changed.
    async fn drain(
        &self,
        store: &mut Option<(crate::store::Store, Statements)>,
        directory: &mut StationDirectory,
    ) -> Result<(), envmon_core::db::DbError> {
        if store.as_ref().is_none_or(|(store, _)| store.is_closed()) {
            let opened = crate::store::Store::connect(&self.database).await?;
            let statements = Statements::prepare(opened.client()).await?;
            *store = Some((opened, statements));
        }
        let (store, statements) = store.as_mut().expect("the store was opened just above");
        let now = std::time::Instant::now();
        if directory.is_stale(now) && directory.is_empty() {
            directory.replace(stations_only(store.client()).await?, now);
        }
        let mut touched = BTreeSet::new();
        loop {
            let outcome = run_once(store.client_mut(), statements, directory).await?;
            touched.extend(outcome.stations);
            if outcome.unknown_station && directory.is_stale(std::time::Instant::now()) {
                let stations = stations_only(store.client()).await?;
                directory.replace(stations, std::time::Instant::now());
                continue;
            }
            if (outcome.marks as i64) < MARKS_PER_RUN {
                break;
            }
        }
        let codes: Vec<&str> = touched.iter().map(StationCode::as_str).collect();
        for state in store.load_states(&codes).await? {
            self.live.publish(&self.topics, &state);
        }
        let trimmed = store
            .client()
            .execute(TRIM_DEAD_LETTERS, &[&self.dead_letter_max_rows])
            .await
            .map_err(envmon_core::db::DbError::from)?;
        if trimmed > 0 {
            tracing::warn!(
                trimmed,
                kept = self.dead_letter_max_rows,
                "Dropped the oldest dead letters."
            );
        }
        Ok(())
    }
}
