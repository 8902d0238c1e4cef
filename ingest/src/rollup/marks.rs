//! The run's frame: one transaction that takes a slice of the pending
//! marks under the rollup's advisory lock, has each step recompute what
//! they name, and deletes the marks in the versions it took.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use envmon_core::db::data_changes::{self, Changed};
use envmon_core::{Station, StationCode, StationKind};
use tokio_postgres::Client;

use super::statements::Statements;
use super::{areas, days, hours, radiation, water};
use crate::stations::StationDirectory;

/// Marks taken per transaction: bounds the work one rollup holds locks for.
pub(super) const MARKS_PER_RUN: i64 = 500;

/// Arbitrary constant naming the rollup's advisory lock.
const ROLLUP_LOCK_KEY: i64 = 0x726f_6c6c_7570;

pub(super) const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock($1)";

pub(super) const TAKE_MARKS: &str = "SELECT station_code, at, xmin::text FROM rollup_pending
    ORDER BY at LIMIT $1";

/// Deletes the marks taken, in the versions taken. Rows are locked in key
/// order, the order the writer marks in, so the two never deadlock; a row
/// a writer changed meanwhile no longer matches its version and stays.
pub(super) const DELETE_MARKS: &str = "DELETE FROM rollup_pending p USING (
        SELECT m.station_code, m.at FROM rollup_pending m
        JOIN unnest($1::text[], $2::timestamptz[], $3::text[]) AS done(station_code, at, version)
            ON m.station_code = done.station_code AND m.at = done.at
                AND m.xmin = done.version::xid
        ORDER BY m.station_code, m.at
        FOR UPDATE OF m) d
    WHERE p.station_code = d.station_code AND p.at = d.at";

/// What one rollup run did.
#[derive(Debug, Default)]
pub(super) struct RollupOutcome {
    /// Marks processed.
    pub(super) marks: usize,
    /// Stations whose indices may have changed.
    pub(super) stations: BTreeSet<StationCode>,
    /// A mark named a station missing from the directory.
    pub(super) unknown_station: bool,
    /// Areas whose AQI was recomputed.
    pub(super) areas: BTreeSet<String>,
}

/// Processes one slice of pending marks in one transaction.
///
/// Each step is sent for every mark at once (pipelined), so a run costs a
/// handful of round trips however many marks it takes.
pub(super) async fn run_once(
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
    let mut radiation_hours: Vec<(&Station, DateTime<Utc>)> = Vec::new();
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
            StationKind::River | StationKind::Source | StationKind::Plant | StationKind::Tap => {
                records.push((station, at));
            }
            StationKind::Radiation => radiation_hours.push((station, at)),
        }
        outcome.stations.insert(station.code.clone());
    }
    hours::roll_hours(&tx, st, &hours).await?;
    radiation::roll_radiation(&tx, &radiation_hours).await?;
    water::assess_water(&tx, st, &records).await?;
    let days: BTreeSet<(&StationCode, NaiveDate)> = hours
        .iter()
        .flat_map(|(station, at)| {
            days::days_affected_by_hour(*at)
                .into_iter()
                .map(|day| (&station.code, day))
        })
        .collect();
    days::roll_days(&tx, st, &days).await?;
    let station_hours: Vec<(&StationCode, DateTime<Utc>)> =
        hours.iter().map(|(s, at)| (&s.code, *at)).collect();
    outcome.areas = areas::roll_areas(&tx, &station_hours, &days).await?;
    let changed = Changed::These {
        stations: outcome.stations.iter().map(ToString::to_string).collect(),
        areas: outcome.areas.iter().cloned().collect(),
    };
    data_changes::announce(&tx, &changed).await?;
    // Subscribers' level rules read what this run wrote: the event commits with it.
    envmon_core::outbox::enqueue(&tx, &hourly_aqi_cause(&station_hours, &outcome.areas)).await?;
    tx.execute(&st.delete_marks, &[&done_codes, &done_ats, &done_versions])
        .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The outbox event of a run: the air stations and areas whose hourly AQI it wrote.
fn hourly_aqi_cause(
    station_hours: &[(&StationCode, DateTime<Utc>)],
    areas: &BTreeSet<String>,
) -> envmon_core::outbox::OutboxCause {
    let hour_ends: BTreeSet<DateTime<Utc>> = station_hours.iter().map(|(_, at)| *at).collect();
    let stations: BTreeSet<&str> = station_hours.iter().map(|(c, _)| c.as_str()).collect();
    envmon_core::outbox::OutboxCause::HourlyAqi {
        hour_ends: hour_ends.into_iter().collect(),
        stations: stations.into_iter().map(str::to_owned).collect(),
        areas: areas.iter().cloned().collect(),
    }
}
