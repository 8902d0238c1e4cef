//! Rollup: from stored readings to hourly means, daily statistics and the
//! official indices, for whatever the writer marked pending.
//!
//! The writer marks (station, hour) for air and (station, instant) for water
//! in the same transaction that stores the readings; this stage takes a
//! slice of those marks (`FOR UPDATE SKIP LOCKED`, so several ingest
//! instances share the work), recomputes, and deletes the marks in one
//! transaction. A crash in between leaves the marks for the next run; a late
//! reading marks its own hour again, so aggregates always follow the data.
//!
//! [`RollupWorker`] runs beside the writer on its own connection, woken after
//! every commit, so computing indices never slows storing readings; it
//! publishes the states whose indices it changed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use envmon_core::validity::{self, Average, Sample};
use envmon_core::{Parameter, Station, StationCode, StationKind};
use tokio_postgres::{Client, Transaction};

use crate::indices;
use crate::stations::StationDirectory;

/// Marks taken per transaction: bounds the work one rollup holds locks for.
pub(crate) const MARKS_PER_RUN: i64 = 500;

/// Beijing time is UTC+8 all year: days and the edition switch follow it.
const BEIJING_OFFSET: Duration = Duration::hours(8);

const TAKE_MARKS: &str = "SELECT station_code, at FROM rollup_pending
    ORDER BY at LIMIT $1 FOR UPDATE SKIP LOCKED";

const DELETE_MARKS: &str = "DELETE FROM rollup_pending p
    USING unnest($1::text[], $2::timestamptz[]) AS done(station_code, at)
    WHERE p.station_code = done.station_code AND p.at = done.at";

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

/// Processes one slice of pending marks in one transaction.
pub(crate) async fn run_once(
    client: &mut Client,
    directory: &StationDirectory,
) -> Result<RollupOutcome, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let marks = tx.query(TAKE_MARKS, &[&MARKS_PER_RUN]).await?;
    let mut outcome = RollupOutcome {
        marks: marks.len(),
        ..RollupOutcome::default()
    };
    if marks.is_empty() {
        return Ok(outcome);
    }
    let mut days: BTreeSet<(StationCode, NaiveDate)> = BTreeSet::new();
    let mut done_codes: Vec<String> = Vec::with_capacity(marks.len());
    let mut done_ats: Vec<DateTime<Utc>> = Vec::with_capacity(marks.len());
    for row in &marks {
        let code: String = row.get(0);
        let at: DateTime<Utc> = row.get(1);
        done_codes.push(code.clone());
        done_ats.push(at);
        let Some(station) = StationCode::parse(&code)
            .ok()
            .and_then(|c| directory.get(&c))
        else {
            // Registered after this worker loaded its directory: kept for
            // the next run, after a reload.
            outcome.unknown_station = true;
            done_codes.pop();
            done_ats.pop();
            continue;
        };
        match station.kind {
            StationKind::Air => {
                roll_hour(&tx, station, at).await?;
                for day in days_affected_by_hour(at) {
                    days.insert((station.code.clone(), day));
                }
            }
            StationKind::River | StationKind::Source => assess_water(&tx, station, at).await?,
        }
        outcome.stations.insert(station.code.clone());
    }
    for (code, day) in &days {
        roll_day(&tx, code, *day).await?;
    }
    tx.execute(DELETE_MARKS, &[&done_codes, &done_ats]).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Recomputes the hour labelled `hour_end` at an air station: the six
/// hourly means with their validity, then the real-time AQI.
async fn roll_hour(
    tx: &Transaction<'_>,
    station: &Station,
    hour_end: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    let codes: Vec<&str> = AIR_POLLUTANTS.iter().map(|p| p.code()).collect();
    let rows = tx
        .query(
            HOUR_READINGS,
            &[
                &station.code.as_str(),
                &(hour_end - Duration::hours(1)),
                &hour_end,
                &codes,
            ],
        )
        .await?;
    let mut samples: BTreeMap<Parameter, Vec<Sample>> = BTreeMap::new();
    for row in &rows {
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
        let mean = validity::hourly_mean(hour_end, samples);
        tx.execute(
            UPSERT_HOURLY,
            &[
                &station.code.as_str(),
                &parameter.code(),
                &hour_end,
                &mean.value,
                &i16::try_from(mean.count).unwrap_or(i16::MAX),
                &mean.valid,
            ],
        )
        .await?;
        means.insert(*parameter, mean);
    }
    if let Some(row) = indices::hourly_aqi(hour_end, &means) {
        let history = hourly_history(tx, &station.code, hour_end).await?;
        let us = indices::us_aqi(&history);
        tx.execute(
            UPSERT_AQI_HOURLY,
            &[
                &station.code.as_str(),
                &hour_end,
                &row.edition,
                &row.aqi,
                &row.computed_aqi,
                &row.level,
                &row.primary,
                &row.report,
                &us.as_ref().and_then(|u| u.aqi),
                &us.map(|u| u.report),
            ],
        )
        .await?;
    }
    Ok(())
}

/// The station's valid hourly means of the 24 hours up to `hour_end`, per
/// pollutant, oldest first (index 23 is `hour_end` itself).
async fn hourly_history(
    tx: &Transaction<'_>,
    code: &StationCode,
    hour_end: DateTime<Utc>,
) -> Result<BTreeMap<Parameter, [Option<f64>; 24]>, tokio_postgres::Error> {
    let rows = tx
        .query(
            HOURLY_HISTORY,
            &[&code.as_str(), &(hour_end - Duration::hours(24)), &hour_end],
        )
        .await?;
    let mut history: BTreeMap<Parameter, [Option<f64>; 24]> = BTreeMap::new();
    for row in &rows {
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
    Ok(history)
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

/// Recomputes a Beijing day at an air station: daily means (and the O3
/// daily maxima), then the daily AQI.
async fn roll_day(
    tx: &Transaction<'_>,
    code: &StationCode,
    day: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    let start = day_start(day);
    let rows = tx
        .query(
            DAY_HOURLY,
            &[
                &code.as_str(),
                &(start - Duration::hours(7)),
                &(start + Duration::hours(24)),
            ],
        )
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    // Index 0..7: the previous day's labels 18:00-24:00; 7..31: the day's 01:00-24:00.
    let mut hourly: BTreeMap<Parameter, [Option<f64>; 31]> = BTreeMap::new();
    for row in &rows {
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
    let mut stats = indices::DailyStats::default();
    for (parameter, values) in &hourly {
        let day_values = &values[7..];
        let mean = validity::daily_mean(day_values);
        upsert_daily(tx, code, *parameter, day, "mean", &mean).await?;
        stats.means.insert(*parameter, mean);
        if *parameter == Parameter::O3 {
            let max_8h = validity::o3_daily_max_8h(values);
            let max_1h = validity::daily_max(day_values);
            upsert_daily(tx, code, *parameter, day, "max_8h", &max_8h).await?;
            upsert_daily(tx, code, *parameter, day, "max_1h", &max_1h).await?;
            stats.o3_max_8h = Some(max_8h);
            stats.o3_max_1h = Some(max_1h);
        }
    }
    if let Some(row) = indices::daily_aqi(day, &stats) {
        tx.execute(
            UPSERT_AQI_DAILY,
            &[
                &code.as_str(),
                &day,
                &row.edition,
                &row.aqi,
                &row.computed_aqi,
                &row.level,
                &row.primary,
                &row.report,
            ],
        )
        .await?;
    }
    Ok(())
}

async fn upsert_daily(
    tx: &Transaction<'_>,
    code: &StationCode,
    parameter: Parameter,
    day: NaiveDate,
    statistic: &str,
    average: &Average,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        UPSERT_DAILY,
        &[
            &code.as_str(),
            &parameter.code(),
            &day,
            &statistic,
            &average.value,
            &i16::try_from(average.count).unwrap_or(i16::MAX),
            &average.valid,
        ],
    )
    .await?;
    Ok(())
}

/// Assesses one water record (all items observed at `at`) against GB 3838.
async fn assess_water(
    tx: &Transaction<'_>,
    station: &Station,
    at: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    let rows = tx
        .query(RECORD_READINGS, &[&station.code.as_str(), &at])
        .await?;
    let values: Vec<(Parameter, f64)> = rows
        .iter()
        .filter_map(|row| Some((Parameter::parse(row.get(0))?, row.get(1))))
        .collect();
    if let Some(row) = indices::water(station, &values) {
        tx.execute(
            UPSERT_WATER,
            &[
                &station.code.as_str(),
                &at,
                &row.class,
                &row.meets_target,
                &row.report,
            ],
        )
        .await?;
    }
    Ok(())
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

/// With nothing signalled, pending marks (a failed run's, another
/// instance's) are looked for this often.
const IDLE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

impl RollupWorker {
    /// Rolls up until `shutdown`, reconnecting after database failures.
    pub(crate) async fn run(self, shutdown: tokio_util::sync::CancellationToken) {
        let mut store: Option<crate::store::Store> = None;
        let mut directory = StationDirectory::default();
        let mut backoff = envmon_core::backoff::Backoff::new(
            std::time::Duration::from_millis(100),
            std::time::Duration::from_secs(5),
        );
        loop {
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(IDLE_INTERVAL) => {}
                () = shutdown.cancelled() => break,
            }
            match self.drain(&mut store, &mut directory).await {
                Ok(()) => backoff.reset(),
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
    }

    /// Processes marks until none are left, then publishes the states whose
    /// indices changed.
    async fn drain(
        &self,
        store: &mut Option<crate::store::Store>,
        directory: &mut StationDirectory,
    ) -> Result<(), envmon_core::db::DbError> {
        if store.as_ref().is_none_or(crate::store::Store::is_closed) {
            *store = Some(crate::store::Store::connect(&self.database).await?);
        }
        let store = store.as_mut().expect("the store was opened just above");
        let now = std::time::Instant::now();
        if directory.is_stale(now) && directory.is_empty() {
            directory.replace(
                envmon_core::registry::load_stations(store.client()).await?,
                now,
            );
        }
        let mut touched = BTreeSet::new();
        loop {
            let outcome = run_once(store.client_mut(), directory).await?;
            touched.extend(outcome.stations);
            if outcome.unknown_station && directory.is_stale(std::time::Instant::now()) {
                let stations = envmon_core::registry::load_stations(store.client()).await?;
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
