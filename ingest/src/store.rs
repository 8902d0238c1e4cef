//! The batched write: readings, latest state and dead letters of a batch are
//! committed in one transaction, and the batch's messages are acknowledged
//! only after that commit.
//!
//! Almost every batch holds only new keys, so readings go by binary COPY
//! straight into `reading`, which costs what a plain COPY costs. A key that
//! is already stored (a redelivered message, a corrected value) makes that
//! COPY fail on the primary key; the batch is then written again the careful
//! way: COPY into a session-local staging table, then `INSERT ... ON
//! CONFLICT` into `reading`, which rewrites identical rows harmlessly and
//! reports changed ones as revisions. Measured: the careful way costs two to
//! four plain COPYs (speculative insertion and its key comparisons).
//!
//! Whatever can be reduced is reduced here before it is sent: duplicates
//! within a batch (the last copy wins), the newest value per station and
//! parameter for `station_latest`, the station-hours to roll up. The
//! statements are prepared once per session and, after the COPY, sent
//! together in one round trip with the queries of the stations' committed
//! state, which the writer publishes after the commit.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use envmon_core::db::latest;
use envmon_core::db::{DatabaseSettings, DbError};
use envmon_core::wire::{Revision, StationState};
use envmon_core::{Parameter, QualityFlag, StationCode, StationKind};
use futures_util::future::{try_join, try_join3, try_join4};
use futures_util::pin_mut;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, Statement, Transaction};

use crate::dead_letter::DeadLetter;
use crate::decode::Record;

const CREATE_STAGING: &str = "CREATE TEMP TABLE IF NOT EXISTS reading_staging (
        station_code text NOT NULL,
        parameter_code text NOT NULL,
        observed_at timestamptz NOT NULL,
        value double precision NOT NULL,
        quality text NOT NULL,
        received_at timestamptz NOT NULL,
        period_seconds integer NOT NULL
    ) ON COMMIT DELETE ROWS";

const COPY_READINGS: &str = "COPY reading
    (station_code, parameter_code, observed_at, value, quality, received_at, period_seconds)
    FROM STDIN (FORMAT binary)";

const COPY_STAGING: &str = "COPY reading_staging
    (station_code, parameter_code, observed_at, value, quality, received_at, period_seconds)
    FROM STDIN (FORMAT binary)";

const COPY_TYPES: [Type; 7] = [
    Type::TEXT,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::FLOAT8,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::INT4,
];

/// The careful way, for a batch with keys already stored. The staged rows
/// hold one copy of each key (reduced before sending), as one INSERT may
/// not touch the same row twice.
///
/// Returns the rows it changed rather than inserted (their `revision` went
/// up): those are corrections of earlier data.
const MERGE_READINGS: &str = "WITH merged AS (
    INSERT INTO reading
        (station_code, parameter_code, observed_at, value, quality, received_at, period_seconds)
    SELECT station_code, parameter_code, observed_at, value, quality, received_at, period_seconds
    FROM reading_staging
    ON CONFLICT (station_code, parameter_code, observed_at) DO UPDATE
        SET value = excluded.value, quality = excluded.quality,
            received_at = excluded.received_at, period_seconds = excluded.period_seconds,
            revision = reading.revision + 1
        WHERE (reading.value, reading.quality, reading.period_seconds)
            IS DISTINCT FROM (excluded.value, excluded.quality, excluded.period_seconds)
    RETURNING station_code, parameter_code, observed_at, value, quality, revision)
    SELECT station_code, parameter_code, observed_at, value, quality FROM merged
    WHERE revision > 0";

/// Marks what the indices must be recomputed for, in the same transaction:
/// an air station's hour label, a water site's record instant (computed by
/// [`rollup_mark`]). A mark already there gets a new row version, which
/// tells a rollup run computing it meanwhile to keep it (see `rollup`);
/// the update changes no key, so it never waits for that run.
const MARK_PENDING: &str = "INSERT INTO rollup_pending (station_code, at)
    SELECT * FROM unnest($1::text[], $2::timestamptz[])
    ON CONFLICT (station_code, at) DO UPDATE SET at = excluded.at";

/// One row per station and parameter, the batch's newest. A late reading
/// never replaces a newer latest value.
const MERGE_LATEST: &str = "INSERT INTO station_latest
        (station_code, parameter_code, observed_at, value, quality, received_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::text[],
        $6::timestamptz[])
    ON CONFLICT (station_code, parameter_code) DO UPDATE
        SET observed_at = excluded.observed_at, value = excluded.value,
            quality = excluded.quality, received_at = excluded.received_at
        WHERE excluded.observed_at >= station_latest.observed_at";

const INSERT_DEAD_LETTERS: &str = "INSERT INTO dead_letter
    (received_at, topic, payload, reason_code, reason)
    SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::bytea[], $4::text[], $5::text[])";

/// What one committed batch wrote.
#[derive(Debug, Default)]
pub struct Committed {
    /// Readings received (before duplicates within the batch are dropped).
    pub readings: usize,
    /// Dead letters stored.
    pub dead_letters: usize,
    /// Whether the batch met keys already stored and took the careful way.
    pub merged: bool,
    /// The committed state of every station the batch stored readings for,
    /// with the revisions of earlier readings the batch made.
    pub states: Vec<StationState>,
}

/// The session's prepared statements.
#[derive(Debug)]
struct Prepared {
    merge_readings: Statement,
    mark_pending: Statement,
    merge_latest: Statement,
    dead_letters: Statement,
    select_latest: Statement,
    latest_aqi: Statement,
    latest_water: Statement,
    latest_radiation: Statement,
}

/// One database session dedicated to writing batches.
#[derive(Debug)]
pub struct Store {
    client: Client,
    prepared: Prepared,
}

/// One reading as sent: borrowed from the batch's records.
struct Row<'a> {
    station: &'a StationCode,
    kind: StationKind,
    parameter: Parameter,
    observed_at: DateTime<Utc>,
    value: f64,
    quality: QualityFlag,
    received_at: &'a DateTime<Utc>,
    period_seconds: u32,
}

impl Store {
    /// Opens the session and its staging table, and prepares the batch's
    /// statements.
    ///
    /// # Errors
    /// Fails when PostgreSQL cannot be reached.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DbError> {
        let client = settings.open_session("writer").await?;
        client.batch_execute(CREATE_STAGING).await?;
        let prepared = Prepared {
            merge_readings: client.prepare(MERGE_READINGS).await?,
            mark_pending: client.prepare(MARK_PENDING).await?,
            merge_latest: client.prepare(MERGE_LATEST).await?,
            dead_letters: client.prepare(INSERT_DEAD_LETTERS).await?,
            select_latest: client.prepare(latest::SELECT_LATEST_OF).await?,
            latest_aqi: client.prepare(latest::LATEST_AQI).await?,
            latest_water: client.prepare(latest::LATEST_WATER).await?,
            latest_radiation: client.prepare(latest::LATEST_RADIATION).await?,
        };
        Ok(Self { client, prepared })
    }

    /// The session, for queries outside a batch.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Whether the session has been lost and must be reopened.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Writes one batch in one transaction and returns the stations' states
    /// as committed.
    ///
    /// # Errors
    /// Fails when any statement fails; then nothing of the batch is written.
    pub async fn write(
        &mut self,
        records: &[(DateTime<Utc>, Record)],
        dead_letters: &[DeadLetter],
    ) -> Result<Committed, DbError> {
        let all: Vec<Row<'_>> = records
            .iter()
            .flat_map(|(received_at, record)| {
                record.readings.iter().map(move |reading| Row {
                    station: &reading.station,
                    kind: record.kind,
                    parameter: reading.parameter,
                    observed_at: reading.observed_at,
                    value: reading.value,
                    quality: reading.quality,
                    received_at,
                    period_seconds: reading.period_seconds,
                })
            })
            .collect();
        let readings = all.len();
        let rows = last_of_each_key(all);
        match self.write_rows(&rows, dead_letters, false).await {
            Err(error) if is_unique_violation(&error) => {}
            other => return other.map(|c| Committed { readings, ..c }),
        }
        let committed = self.write_rows(&rows, dead_letters, true).await?;
        Ok(Committed {
            readings,
            ..committed
        })
    }

    /// One attempt: straight COPY (`merge` false, fails with a unique
    /// violation on a stored key) or the careful merge.
    async fn write_rows(
        &mut self,
        rows: &[Row<'_>],
        dead_letters: &[DeadLetter],
        merge: bool,
    ) -> Result<Committed, DbError> {
        let tx = self.client.transaction().await?;
        let mut revisions = Vec::new();
        if !rows.is_empty() {
            let copied =
                copy_rows(&tx, if merge { COPY_STAGING } else { COPY_READINGS }, rows).await;
            if let Err(error) = copied {
                // Ends the transaction now, not when the session is next used.
                drop(tx.rollback().await);
                return Err(error.into());
            }
            if merge {
                let changed = tx.query(&self.prepared.merge_readings, &[]).await?;
                revisions = changed.iter().filter_map(revision_from_row).collect();
            }
        }

        // Rows are in key order, so each station's rows are together.
        let mut stations: Vec<&str> = rows.iter().map(|r| r.station.as_str()).collect();
        stations.dedup();
        let latest = LatestColumns::of(rows);
        let (mark_codes, mark_ats) = rollup_marks(rows);
        let letters = DeadLetterColumns::of(dead_letters);
        let p = &self.prepared;
        // Sent in this order in one round trip; the state queries see the
        // batch's own writes.
        let ((_, _, _), (latest_rows, aqi_rows, water_rows, radiation_rows)) = try_join(
            try_join3(
                tx.execute(
                    &p.merge_latest,
                    &[
                        &latest.stations,
                        &latest.parameters,
                        &latest.observed_at,
                        &latest.values,
                        &latest.qualities,
                        &latest.received_at,
                    ],
                ),
                tx.execute(&p.mark_pending, &[&mark_codes, &mark_ats]),
                tx.execute(
                    &p.dead_letters,
                    &[
                        &letters.received_at,
                        &letters.topics,
                        &letters.payloads,
                        &letters.reason_codes,
                        &letters.reasons,
                    ],
                ),
            ),
            try_join4(
                tx.query(&p.select_latest, &[&stations]),
                tx.query(&p.latest_aqi, &[&stations]),
                tx.query(&p.latest_water, &[&stations]),
                tx.query(&p.latest_radiation, &[&stations]),
            ),
        )
        .await?;
        tx.commit().await?;

        let mut states = latest::states_from_rows(&latest_rows);
        latest::attach_index_rows(&mut states, &aqi_rows, &water_rows);
        latest::attach_radiation_rows(&mut states, &radiation_rows);
        for (station, revision) in revisions {
            if let Some(state) = states.iter_mut().find(|s| s.station == station) {
                state.revisions.push(revision);
            }
        }
        Ok(Committed {
            readings: rows.len(),
            dead_letters: dead_letters.len(),
            merged: merge,
            states,
        })
    }

    /// The committed state of `stations`, with their latest indices.
    ///
    /// # Errors
    /// Fails when the database cannot be queried.
    pub async fn load_states(&self, stations: &[&str]) -> Result<Vec<StationState>, DbError> {
        if stations.is_empty() {
            return Ok(Vec::new());
        }
        let p = &self.prepared;
        let (latest_rows, aqi_rows, water_rows, radiation_rows) = try_join4(
            self.client.query(&p.select_latest, &[&stations]),
            self.client.query(&p.latest_aqi, &[&stations]),
            self.client.query(&p.latest_water, &[&stations]),
            self.client.query(&p.latest_radiation, &[&stations]),
        )
        .await?;
        let mut states = latest::states_from_rows(&latest_rows);
        latest::attach_index_rows(&mut states, &aqi_rows, &water_rows);
        latest::attach_radiation_rows(&mut states, &radiation_rows);
        Ok(states)
    }
}

/// Streams `rows` into `copy` (a binary COPY of [`COPY_TYPES`]).
async fn copy_rows(
    tx: &Transaction<'_>,
    copy: &str,
    rows: &[Row<'_>],
) -> Result<(), tokio_postgres::Error> {
    let sink = tx.copy_in(copy).await?;
    let writer = BinaryCopyInWriter::new(sink, &COPY_TYPES);
    pin_mut!(writer);
    for row in rows {
        writer
            .as_mut()
            .write(&[
                &row.station.as_str(),
                &row.parameter.code(),
                &row.observed_at,
                &row.value,
                &row.quality.as_str(),
                row.received_at,
                &i32::try_from(row.period_seconds).unwrap_or(i32::MAX),
            ])
            .await?;
    }
    writer.finish().await?;
    Ok(())
}

/// Whether `error` is PostgreSQL refusing a key that is already stored.
fn is_unique_violation(error: &DbError) -> bool {
    matches!(error, DbError::Statement(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION))
}

/// The rows in key order with one copy of each (station, parameter,
/// observed_at): the last one received, as a later message corrects an
/// earlier one.
fn last_of_each_key(mut rows: Vec<Row<'_>>) -> Vec<Row<'_>> {
    // A stable sort keeps arrival order within a key.
    rows.sort_by(|a, b| {
        (a.station.as_str(), a.parameter.code(), a.observed_at).cmp(&(
            b.station.as_str(),
            b.parameter.code(),
            b.observed_at,
        ))
    });
    let mut kept: Vec<Row<'_>> = Vec::with_capacity(rows.len());
    for row in rows {
        match kept.last_mut() {
            Some(last)
                if last.station == row.station
                    && last.parameter == row.parameter
                    && last.observed_at == row.observed_at =>
            {
                *last = row;
            }
            _ => kept.push(row),
        }
    }
    kept
}

/// What a reading marks for the rollup: an air station's hour label (the
/// end of the UTC hour in which the reading's averaging period starts), a
/// water site's record instant.
fn rollup_mark(row: &Row<'_>) -> DateTime<Utc> {
    match row.kind {
        StationKind::Air | StationKind::Radiation => {
            let start = row.observed_at - TimeDelta::seconds(i64::from(row.period_seconds));
            start.duration_trunc(TimeDelta::hours(1)).unwrap_or(start) + TimeDelta::hours(1)
        }
        StationKind::River | StationKind::Source | StationKind::Plant | StationKind::Tap => {
            row.observed_at
        }
    }
}

/// The distinct rollup marks of `rows`, in key order (so concurrent
/// instances take row locks in one order).
fn rollup_marks<'a>(rows: &'a [Row<'a>]) -> (Vec<&'a str>, Vec<DateTime<Utc>>) {
    let marks: std::collections::BTreeSet<(&str, DateTime<Utc>)> = rows
        .iter()
        .map(|row| (row.station.as_str(), rollup_mark(row)))
        .collect();
    marks.into_iter().unzip()
}

/// `station_latest`'s new rows as columns: per station and parameter the
/// newest reading, the last received among equals.
#[derive(Default)]
struct LatestColumns<'a> {
    stations: Vec<&'a str>,
    parameters: Vec<&'static str>,
    observed_at: Vec<DateTime<Utc>>,
    values: Vec<f64>,
    qualities: Vec<&'static str>,
    received_at: Vec<DateTime<Utc>>,
}

impl<'a> LatestColumns<'a> {
    fn of(rows: &'a [Row<'a>]) -> Self {
        let mut newest: BTreeMap<(&str, &str), &Row<'_>> = BTreeMap::new();
        for row in rows {
            newest
                .entry((row.station.as_str(), row.parameter.code()))
                .and_modify(|kept| {
                    if row.observed_at >= kept.observed_at {
                        *kept = row;
                    }
                })
                .or_insert(row);
        }
        let mut columns = Self::default();
        for ((station, parameter), row) in newest {
            columns.stations.push(station);
            columns.parameters.push(row.parameter.code());
            debug_assert_eq!(parameter, row.parameter.code());
            columns.observed_at.push(row.observed_at);
            columns.values.push(row.value);
            columns.qualities.push(row.quality.as_str());
            columns.received_at.push(*row.received_at);
        }
        columns
    }
}

/// Dead letters as columns, for one INSERT.
struct DeadLetterColumns<'a> {
    received_at: Vec<DateTime<Utc>>,
    topics: Vec<&'a str>,
    payloads: Vec<&'a [u8]>,
    reason_codes: Vec<&'a str>,
    reasons: Vec<&'a str>,
}

impl<'a> DeadLetterColumns<'a> {
    fn of(letters: &'a [DeadLetter]) -> Self {
        Self {
            received_at: letters.iter().map(|l| l.received_at).collect(),
            topics: letters.iter().map(|l| l.topic.as_str()).collect(),
            payloads: letters.iter().map(|l| l.payload.as_ref()).collect(),
            reason_codes: letters.iter().map(|l| l.reason_code).collect(),
            reasons: letters.iter().map(|l| l.reason.as_str()).collect(),
        }
    }
}

/// A row of [`MERGE_READINGS`] as a revision; rows breaking the schema's
/// invariants are skipped.
fn revision_from_row(row: &tokio_postgres::Row) -> Option<(StationCode, Revision)> {
    let station = StationCode::parse(row.get(0)).ok()?;
    Some((
        station,
        Revision {
            parameter: Parameter::parse(row.get(1))?,
            observed_at: row.get(2),
            value: row.get(3),
            quality: QualityFlag::parse(row.get(4))?,
        },
    ))
}
