//! The batched write: readings, latest state and dead letters of a batch are
//! committed in one transaction, and the batch's messages are acknowledged
//! only after that commit.
//!
//! Readings go by binary COPY into a session-local staging table, then into
//! `reading` with `ON CONFLICT` on (station, parameter, observed_at): a
//! redelivered message rewrites identical rows, so it is harmless.

use chrono::{DateTime, Utc};
use envmon_core::StationCode;
use envmon_core::db::latest;
use envmon_core::db::{DatabaseSettings, DbError};
use envmon_core::wire::{Revision, StationState};
use envmon_core::{Parameter, QualityFlag};
use futures_util::pin_mut;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls};

use crate::dead_letter::DeadLetter;
use crate::decode::Record;

const CREATE_STAGING: &str = "CREATE TEMP TABLE IF NOT EXISTS reading_staging (
        seq bigint NOT NULL,
        station_code text NOT NULL,
        parameter_code text NOT NULL,
        observed_at timestamptz NOT NULL,
        value double precision NOT NULL,
        quality text NOT NULL,
        received_at timestamptz NOT NULL,
        period_seconds integer NOT NULL
    ) ON COMMIT DELETE ROWS";

const COPY_STAGING: &str = "COPY reading_staging
    (seq, station_code, parameter_code, observed_at, value, quality, received_at, period_seconds)
    FROM STDIN (FORMAT binary)";

/// `DISTINCT ON` keeps the last copy of a key within the batch (highest
/// `seq`), since one INSERT may not touch the same row twice.
///
/// Returns the rows it changed rather than inserted (their `revision` went
/// up): those are corrections of earlier data.
const MERGE_READINGS: &str = "WITH merged AS (
    INSERT INTO reading
        (station_code, parameter_code, observed_at, value, quality, received_at, period_seconds)
    SELECT DISTINCT ON (station_code, parameter_code, observed_at)
        station_code, parameter_code, observed_at, value, quality, received_at, period_seconds
    FROM reading_staging
    ORDER BY station_code, parameter_code, observed_at, seq DESC
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
/// an air station's hour label (the end of the hour in which the reading's
/// averaging period starts), a water site's record instant.
const MARK_PENDING: &str = "INSERT INTO rollup_pending (station_code, at)
    SELECT DISTINCT s.station_code,
        CASE WHEN st.kind = 'air'
            THEN date_trunc('hour', s.observed_at - make_interval(secs => s.period_seconds))
                + interval '1 hour'
            ELSE s.observed_at
        END
    FROM reading_staging s JOIN station st ON st.code = s.station_code
    ON CONFLICT DO NOTHING";

/// A late reading never replaces a newer latest value.
const MERGE_LATEST: &str = "INSERT INTO station_latest
        (station_code, parameter_code, observed_at, value, quality, received_at)
    SELECT DISTINCT ON (station_code, parameter_code)
        station_code, parameter_code, observed_at, value, quality, received_at
    FROM reading_staging
    ORDER BY station_code, parameter_code, observed_at DESC, seq DESC
    ON CONFLICT (station_code, parameter_code) DO UPDATE
        SET observed_at = excluded.observed_at, value = excluded.value,
            quality = excluded.quality, received_at = excluded.received_at
        WHERE excluded.observed_at >= station_latest.observed_at";

const INSERT_DEAD_LETTER: &str = "INSERT INTO dead_letter
    (received_at, topic, payload, reason_code, reason) VALUES ($1, $2, $3, $4, $5)";

/// What one committed batch wrote.
#[derive(Debug, Default)]
pub struct Committed {
    /// Readings copied in (before de-duplication).
    pub readings: usize,
    /// Dead letters stored.
    pub dead_letters: usize,
    /// Every station the batch stored readings for.
    pub stations: Vec<StationCode>,
    /// Stored readings the batch changed: corrections of earlier data.
    pub revisions: Vec<(StationCode, Revision)>,
}

/// One database session dedicated to writing batches.
#[derive(Debug)]
pub struct Store {
    client: Client,
}

impl Store {
    /// Opens the session and its staging table.
    ///
    /// # Errors
    /// Fails when PostgreSQL cannot be reached.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DbError> {
        let (client, connection) = settings.pg_config()?.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(error = %error, "Store connection closed.");
            }
        });
        client.batch_execute(CREATE_STAGING).await?;
        Ok(Self { client })
    }

    /// The session, for queries outside a batch.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The session, for the rollup's own transactions.
    pub(crate) fn client_mut(&mut self) -> &mut Client {
        &mut self.client
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
        let tx = self.client.transaction().await?;
        let mut readings = 0;
        let mut revisions = Vec::new();
        if !records.is_empty() {
            let sink = tx.copy_in(COPY_STAGING).await?;
            let writer = BinaryCopyInWriter::new(
                sink,
                &[
                    Type::INT8,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TIMESTAMPTZ,
                    Type::FLOAT8,
                    Type::TEXT,
                    Type::TIMESTAMPTZ,
                    Type::INT4,
                ],
            );
            pin_mut!(writer);
            for (received_at, record) in records {
                for reading in &record.readings {
                    let seq = i64::try_from(readings).unwrap_or(i64::MAX);
                    writer
                        .as_mut()
                        .write(&[
                            &seq,
                            &reading.station.as_str(),
                            &reading.parameter.code(),
                            &reading.observed_at,
                            &reading.value,
                            &reading.quality.as_str(),
                            received_at,
                            &i32::try_from(reading.period_seconds).unwrap_or(i32::MAX),
                        ])
                        .await?;
                    readings += 1;
                }
            }
            writer.finish().await?;
            let rows = tx.query(MERGE_READINGS, &[]).await?;
            revisions = rows.iter().filter_map(revision_from_row).collect();
            tx.execute(MERGE_LATEST, &[]).await?;
            tx.execute(MARK_PENDING, &[]).await?;
        }
        for letter in dead_letters {
            tx.execute(
                INSERT_DEAD_LETTER,
                &[
                    &letter.received_at,
                    &letter.topic,
                    &letter.payload.as_ref(),
                    &letter.reason_code,
                    &letter.reason,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        let mut stations: Vec<StationCode> =
            records.iter().map(|(_, r)| r.station.clone()).collect();
        stations.sort_unstable();
        stations.dedup();
        Ok(Committed {
            readings,
            dead_letters: dead_letters.len(),
            stations,
            revisions,
        })
    }

    /// The committed state of `stations`, with their latest indices.
    ///
    /// # Errors
    /// Fails when the database cannot be queried.
    pub async fn load_states(&self, stations: &[&str]) -> Result<Vec<StationState>, DbError> {
        Ok(latest::load_states(&self.client, Some(stations)).await?)
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
