//! Retention: how long each kind of data is kept, and the maintenance pass
//! that enforces it by dropping whole monthly partitions and creates the
//! partitions of the coming months.
//!
//! The pass takes `now` as an argument, so a test can run it at any date.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::DbError;
use super::partitions::{Expired, PartitionedTable, drop_expired, ensure_partitions};

/// Arbitrary constant naming the maintenance advisory lock: with several
/// ingest instances, one runs the pass at a time.
const MAINTENANCE_LOCK_KEY: i64 = 0x7265_7465_6e74;

/// How long data is kept, and how maintenance runs (`[retention]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionSettings {
    /// Raw readings (`reading`) are kept this long; "0s" keeps them forever.
    #[serde(with = "humantime_serde")]
    pub readings: Duration,
    /// Hourly means, daily statistics, the AQI and water assessments are
    /// kept this long; "0s" keeps them forever.
    #[serde(with = "humantime_serde")]
    pub aggregates: Duration,
    /// Refused payloads (`dead_letter`) are kept this long; "0s" keeps them
    /// forever (the row cap of `[ingest] dead_letter_max_rows` still holds).
    #[serde(with = "humantime_serde")]
    pub dead_letters: Duration,
    /// Partitions are created this many months ahead of now.
    pub months_ahead: u32,
    /// Ingest runs the maintenance pass at start and then this often.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        const DAY: u64 = 24 * 60 * 60;
        Self {
            readings: Duration::from_secs(2 * 365 * DAY),
            aggregates: Duration::ZERO,
            dead_letters: Duration::from_secs(30 * DAY),
            months_ahead: 3,
            interval: Duration::from_secs(60 * 60),
        }
    }
}

impl RetentionSettings {
    /// Each partitioned table with how long its rows are kept (zero: forever).
    pub fn tables(&self) -> Vec<(PartitionedTable, Duration)> {
        let mut tables = vec![(PartitionedTable::READING, self.readings)];
        tables.extend(
            PartitionedTable::AGGREGATES
                .iter()
                .map(|table| (*table, self.aggregates)),
        );
        tables.push((PartitionedTable::DEAD_LETTER, self.dead_letters));
        tables
    }
}

/// What one maintenance pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Whether this process ran the pass (another may hold the lock).
    pub ran: bool,
    /// Partitions created.
    pub created: Vec<String>,
    /// Partitions dropped.
    pub dropped: Vec<String>,
    /// Rows deleted from default partitions.
    pub deleted_from_default: u64,
}

/// Runs one maintenance pass as of `now`: for every partitioned table,
/// create the partitions of this month and `months_ahead` more, then drop
/// what is older than its retention. Skips the pass when another process
/// is running it.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn run_maintenance(
    client: &Client,
    settings: &RetentionSettings,
    now: DateTime<Utc>,
) -> Result<MaintenanceReport, DbError> {
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&MAINTENANCE_LOCK_KEY])
        .await?
        .get(0);
    if !locked {
        return Ok(MaintenanceReport::default());
    }
    let outcome = maintain(client, settings, now).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MAINTENANCE_LOCK_KEY])
        .await;
    let report = outcome?;
    unlocked?;
    Ok(report)
}

async fn maintain(
    client: &Client,
    settings: &RetentionSettings,
    now: DateTime<Utc>,
) -> Result<MaintenanceReport, DbError> {
    // Dropping a partition needs a brief exclusive lock on its table: wait
    // for it a little, rather than queue the writer behind us for long.
    client.batch_execute("SET lock_timeout = '5s'").await?;
    let mut report = MaintenanceReport {
        ran: true,
        ..MaintenanceReport::default()
    };
    for (table, keep) in settings.tables() {
        report
            .created
            .extend(ensure_partitions(client, table, now, 0, settings.months_ahead).await?);
        if keep.is_zero() {
            continue;
        }
        let Ok(keep) = chrono::Duration::from_std(keep) else {
            continue;
        };
        let Some(cutoff) = now.checked_sub_signed(keep) else {
            continue;
        };
        let Expired {
            dropped,
            deleted_from_default,
        } = drop_expired(client, table, cutoff).await?;
        report.dropped.extend(dropped);
        report.deleted_from_default += deleted_from_default;
    }
    client.batch_execute("RESET lock_timeout").await?;
    if !report.dropped.is_empty() || report.deleted_from_default > 0 {
        super::data_changes::announce(client, &super::data_changes::Changed::Everything).await?;
    }
    Ok(report)
}
