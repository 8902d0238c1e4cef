//! The database ceilings, measured on the scratch database before ingest
//! runs.
//!
//! - A: raw binary COPY into `bench_copy`, a table of `reading`'s shape
//!   and primary key, first in one transaction, then in 10,000-row ones.
//! - C: ingest's own per-batch database work without MQTT: the
//!   [`Store::write`] transaction (COPY into staging, merge into `reading`,
//!   merge `station_latest`, mark rollups) and the [`Store::load_states`]
//!   the writer runs before publishing live state.
//!
//! A says what PostgreSQL can take; C what ingest's SQL makes of it.

use std::ops::Range;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use envmon_core::db::DatabaseSettings;
use envmon_core::{Parameter, QualityFlag, Reading, StationCode, StationKind};
use envmon_ingest::decode::Record;
use envmon_ingest::store::Store;
use tokio_postgres::Client;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;

use super::cpu::{Probe, Usage};
use super::load::{AIR_PARAMETERS, value};

/// Rows of ceiling A.
pub(super) const COPY_ROWS: u64 = 1_000_000;

/// Rows per transaction in A's second measurement.
pub(super) const COPY_BATCH_ROWS: u64 = 10_000;

/// C stops after this many batches or [`STORE_TIME`], whichever is first.
const STORE_BATCHES: usize = 100;
const STORE_TIME: Duration = Duration::from_secs(4);

/// `LIKE ... INCLUDING ALL` copies the columns, defaults, CHECK constraints
/// and primary key of the partitioned `reading` (checked on PostgreSQL 15,
/// and checked again below), into a plain table.
const CREATE_BENCH_COPY: &str = "DROP TABLE IF EXISTS bench_copy;
    CREATE TABLE bench_copy (LIKE reading INCLUDING ALL)";

const PRIMARY_KEY_OF_BENCH_COPY: &str = "SELECT pg_get_indexdef(indexrelid) FROM pg_index
    WHERE indrelid = 'bench_copy'::regclass AND indisprimary";

/// The columns ingest writes; `revision` takes its default.
const COPY_BENCH: &str = "COPY bench_copy
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

/// Ceiling A.
#[derive(Debug, Clone)]
pub(super) struct CopyCeiling {
    pub(super) rows: u64,
    pub(super) primary_key: String,
    pub(super) one_transaction: f64,
    pub(super) one_transaction_cpu: Usage,
    pub(super) batched: f64,
    pub(super) batched_cpu: Usage,
}

/// Ceiling C.
#[derive(Debug, Clone)]
pub(super) struct StoreCeiling {
    pub(super) records_per_batch: usize,
    pub(super) batches: usize,
    pub(super) readings_per_second: f64,
    /// Mean time of one batch's write and state load.
    pub(super) batch_time: Duration,
    pub(super) cpu: Usage,
}

/// Measures ceiling A, and drops its table afterwards.
pub(super) async fn copy_ceiling(
    client: &mut Client,
    stations: &[String],
    origin: DateTime<Utc>,
    probe: &Probe,
) -> anyhow::Result<CopyCeiling> {
    client
        .batch_execute(CREATE_BENCH_COPY)
        .await
        .context("creating bench_copy")?;
    let primary_key: String = client
        .query_opt(PRIMARY_KEY_OF_BENCH_COPY, &[])
        .await?
        .map(|row| row.get(0))
        .context("bench_copy has no primary key: LIKE did not copy it")?;
    let received_at = Utc::now();
    let rows = Rows {
        stations,
        origin,
        received_at,
    };

    let start = probe.sample();
    let started = Instant::now();
    rows.copy(client, 0..COPY_ROWS)
        .await
        .context("COPY in one transaction")?;
    let one_transaction = per_second(COPY_ROWS, started.elapsed());
    let one_transaction_cpu = Usage::between(&start, &probe.sample(), &Default::default());

    client.batch_execute("TRUNCATE bench_copy").await?;
    let start = probe.sample();
    let started = Instant::now();
    let mut first = 0;
    while first < COPY_ROWS {
        let last = (first + COPY_BATCH_ROWS).min(COPY_ROWS);
        rows.copy(client, first..last)
            .await
            .context("COPY in batches")?;
        first = last;
    }
    let batched = per_second(COPY_ROWS, started.elapsed());
    let batched_cpu = Usage::between(&start, &probe.sample(), &Default::default());
    client.batch_execute("DROP TABLE bench_copy").await?;
    Ok(CopyCeiling {
        rows: COPY_ROWS,
        primary_key,
        one_transaction,
        one_transaction_cpu,
        batched,
        batched_cpu,
    })
}

/// The rows of ceiling A: minute by minute, every station's six pollutants,
/// as the network reports them.
struct Rows<'a> {
    stations: &'a [String],
    origin: DateTime<Utc>,
    received_at: DateTime<Utc>,
}

impl Rows<'_> {
    async fn copy(
        &self,
        client: &mut Client,
        rows: Range<u64>,
    ) -> Result<(), tokio_postgres::Error> {
        let per_minute = self.stations.len() as u64 * AIR_PARAMETERS.len() as u64;
        let tx = client.transaction().await?;
        let sink = tx.copy_in(COPY_BENCH).await?;
        let writer = BinaryCopyInWriter::new(sink, &COPY_TYPES);
        tokio::pin!(writer);
        for row in rows {
            let minute = i64::try_from(row / per_minute).unwrap_or(i64::MAX);
            #[allow(clippy::cast_possible_truncation)] // both below the station count
            let station = ((row % per_minute) / AIR_PARAMETERS.len() as u64) as usize;
            #[allow(clippy::cast_possible_truncation)]
            let parameter = (row % AIR_PARAMETERS.len() as u64) as usize;
            let observed_at = self.origin + chrono::Duration::minutes(minute);
            writer
                .as_mut()
                .write(&[
                    &self.stations[station].as_str(),
                    &AIR_PARAMETERS[parameter],
                    &observed_at,
                    &value(parameter, station, observed_at),
                    &"valid",
                    &self.received_at,
                    &0i32,
                ])
                .await?;
        }
        writer.finish().await?;
        tx.commit().await
    }
}

/// Measures ceiling C on `reading` itself; the caller empties the tables
/// afterwards.
pub(super) async fn store_ceiling(
    database: &DatabaseSettings,
    stations: &[String],
    origin: DateTime<Utc>,
    records_per_batch: usize,
    probe: &Probe,
) -> anyhow::Result<StoreCeiling> {
    let codes: Vec<StationCode> = stations
        .iter()
        .map(|code| StationCode::parse(code))
        .collect::<Result<_, _>>()
        .context("a registry code does not parse")?;
    let parameters: Vec<Parameter> = AIR_PARAMETERS
        .iter()
        .filter_map(|code| Parameter::parse(code))
        .collect();
    let mut store = Store::connect(database)
        .await
        .context("opening ingest's store")?;
    let code_strs: Vec<&str> = codes.iter().map(StationCode::as_str).collect();
    let mut spent = Duration::ZERO;
    let mut batches = 0;
    let mut message = 0usize;
    let start = probe.sample();
    let started = Instant::now();
    while batches < STORE_BATCHES && started.elapsed() < STORE_TIME {
        let received_at = Utc::now();
        let records: Vec<(DateTime<Utc>, Record)> = (0..records_per_batch)
            .map(|_| {
                let station = message % codes.len();
                let minute = i64::try_from(message / codes.len()).unwrap_or(i64::MAX);
                message += 1;
                let observed_at = origin + chrono::Duration::minutes(minute);
                let readings = parameters
                    .iter()
                    .enumerate()
                    .map(|(p, parameter)| Reading {
                        station: codes[station].clone(),
                        parameter: *parameter,
                        observed_at,
                        value: value(p, station, observed_at),
                        quality: QualityFlag::Valid,
                        period_seconds: 0,
                    })
                    .collect();
                let record = Record {
                    station: codes[station].clone(),
                    kind: StationKind::Air,
                    observed_at,
                    readings,
                };
                (received_at, record)
            })
            .collect();
        let writing = Instant::now();
        store.write(&records, &[]).await.context("Store::write")?;
        store
            .load_states(&code_strs)
            .await
            .context("Store::load_states")?;
        spent += writing.elapsed();
        batches += 1;
    }
    let cpu = Usage::between(&start, &probe.sample(), &Default::default());
    let readings = (batches * records_per_batch * parameters.len()) as u64;
    Ok(StoreCeiling {
        records_per_batch,
        batches,
        readings_per_second: per_second(readings, spent),
        batch_time: spent / u32::try_from(batches.max(1)).unwrap_or(u32::MAX),
        cpu,
    })
}

/// `count` per second over `elapsed`.
pub(super) fn per_second(count: u64, elapsed: Duration) -> f64 {
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let count = count as f64;
    count / elapsed.as_secs_f64().max(1e-9)
}
