//! Monthly partitions of the time-series tables, created ahead of time and
//! dropped whole when they expire.
//!
//! Rows outside every monthly partition land in the table's DEFAULT
//! partition, so a missing partition never loses data. Creating partitions
//! ahead keeps the default small and lets retention drop whole months. A
//! month whose rows already sit in the default partition still gets its
//! partition: the rows are moved into it in the same transaction (PostgreSQL
//! refuses a new partition whose range the default partition holds rows of).

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use tokio_postgres::Client;

use super::DbError;

/// A table partitioned by month on one time column (see the migrations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionedTable {
    /// The partitioned (parent) table.
    pub name: &'static str,
    /// Its partition key: a `timestamptz` or `date` column.
    pub column: &'static str,
}

impl PartitionedTable {
    /// Raw readings.
    pub const READING: Self = Self::new("reading", "observed_at");
    /// Hourly means.
    pub const HOURLY_MEAN: Self = Self::new("hourly_mean", "hour_end");
    /// Hourly AQI.
    pub const AQI_HOURLY: Self = Self::new("aqi_hourly", "hour_end");
    /// Daily statistics.
    pub const DAILY_STAT: Self = Self::new("daily_stat", "day");
    /// Daily AQI.
    pub const AQI_DAILY: Self = Self::new("aqi_daily", "day");
    /// Water assessments.
    pub const WATER_ASSESSMENT: Self = Self::new("water_assessment", "observed_at");
    /// Refused payloads.
    pub const DEAD_LETTER: Self = Self::new("dead_letter", "received_at");

    /// The aggregates: what is computed from readings.
    pub const AGGREGATES: [Self; 5] = [
        Self::HOURLY_MEAN,
        Self::AQI_HOURLY,
        Self::DAILY_STAT,
        Self::AQI_DAILY,
        Self::WATER_ASSESSMENT,
    ];

    const fn new(name: &'static str, column: &'static str) -> Self {
        Self { name, column }
    }

    /// The name of the partition of the month starting at `month`.
    pub fn partition_name(&self, month: NaiveDate) -> String {
        format!("{}_y{:04}m{:02}", self.name, month.year(), month.month())
    }

    /// The month a partition name stands for, if it is one of this table's
    /// monthly partitions.
    pub fn partition_month(&self, partition: &str) -> Option<NaiveDate> {
        let rest = partition.strip_prefix(self.name)?.strip_prefix("_y")?;
        let (year, month) = rest.split_once('m')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
    }

    fn default_partition(&self) -> String {
        format!("{}_default", self.name)
    }
}

/// The first day of the month of `at` (UTC).
pub fn month_of(at: DateTime<Utc>) -> NaiveDate {
    NaiveDate::from_ymd_opt(at.year(), at.month(), 1)
        .expect("the first day of an existing month is a valid date")
}

/// Creates the monthly partitions of `reading` from `months_back` months
/// before `now` to `months_ahead` months after it. Returns the names
/// created.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn ensure_reading_partitions(
    client: &Client,
    now: DateTime<Utc>,
    months_back: u32,
    months_ahead: u32,
) -> Result<Vec<String>, DbError> {
    ensure_partitions(
        client,
        PartitionedTable::READING,
        now,
        months_back,
        months_ahead,
    )
    .await
}

/// Creates `table`'s monthly partitions from `months_back` months before
/// `now` to `months_ahead` months after it, skipping those that exist, and
/// moving any rows of a new partition's month out of the default partition
/// into it. Returns the names created.
///
/// # Errors
/// Fails when the database cannot be queried or a partition cannot be made.
pub async fn ensure_partitions(
    client: &Client,
    table: PartitionedTable,
    now: DateTime<Utc>,
    months_back: u32,
    months_ahead: u32,
) -> Result<Vec<String>, DbError> {
    let first = month_of(now) - Months::new(months_back);
    let mut created = Vec::new();
    for offset in 0..=(months_back + months_ahead) {
        let start = first + Months::new(offset);
        let name = table.partition_name(start);
        let exists = client
            .query_opt("SELECT 1 FROM pg_class WHERE relname = $1", &[&name])
            .await?;
        if exists.is_none() {
            create_partition(client, table, start, &name).await?;
            created.push(name);
        }
    }
    Ok(created)
}

/// Creates the partition of the month starting at `start` as a table of its
/// own, moves the month's rows from the default partition into it, and
/// attaches it, in one transaction.
async fn create_partition(
    client: &Client,
    table: PartitionedTable,
    start: NaiveDate,
    name: &str,
) -> Result<(), DbError> {
    let end = start + Months::new(1);
    let columns: String = client
        .query_one(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped",
            &[&table.name],
        )
        .await?
        .get(0);
    // Names, columns and bounds come from constants, the catalogue and
    // dates, never from input.
    let (parent, column, default) = (table.name, table.column, table.default_partition());
    let sql = format!(
        "BEGIN;
         CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
         WITH moved AS (
             DELETE FROM {default}
             WHERE {column} >= '{start} 00:00:00+00' AND {column} < '{end} 00:00:00+00'
             RETURNING {columns})
         INSERT INTO {name} ({columns}) SELECT {columns} FROM moved;
         ALTER TABLE {parent} ATTACH PARTITION {name}
             FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00');
         COMMIT;"
    );
    if let Err(error) = client.batch_execute(&sql).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(error.into());
    }
    tracing::info!(partition = %name, "Created partition.");
    Ok(())
}

/// What [`drop_expired`] did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expired {
    /// Monthly partitions dropped whole.
    pub dropped: Vec<String>,
    /// Rows deleted from the default partition.
    pub deleted_from_default: u64,
}

/// Drops `table`'s monthly partitions that end at or before `cutoff`, and
/// deletes the default partition's rows older than `cutoff`. A month still
/// partly within retention is kept whole, so data is kept up to a month
/// longer than asked, never shorter.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn drop_expired(
    client: &Client,
    table: PartitionedTable,
    cutoff: DateTime<Utc>,
) -> Result<Expired, DbError> {
    let partitions = client
        .query(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = $1::text::regclass ORDER BY 1",
            &[&table.name],
        )
        .await?;
    let mut expired = Expired::default();
    for row in partitions {
        let partition: String = row.get(0);
        let Some(month) = table.partition_month(&partition) else {
            continue;
        };
        let end = month + Months::new(1);
        if end <= cutoff.date_naive() {
            client
                .batch_execute(&format!("DROP TABLE {partition}"))
                .await?;
            tracing::info!(partition = %partition, "Dropped expired partition.");
            expired.dropped.push(partition);
        }
    }
    // The default partition holds what fell outside every month: far-past
    // backfills and clock-skewed sensors. Its old rows go one by one.
    let sql = format!(
        "DELETE FROM {} WHERE {} < $1::timestamptz",
        table.default_partition(),
        table.column
    );
    expired.deleted_from_default = client.execute(&sql, &[&cutoff]).await?;
    Ok(expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_round_trip_and_foreign_names_are_ignored() {
        let table = PartitionedTable::HOURLY_MEAN;
        let month = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(table.partition_name(month), "hourly_mean_y2026m11");
        assert_eq!(table.partition_month("hourly_mean_y2026m11"), Some(month));
        assert_eq!(table.partition_month("hourly_mean_default"), None);
        assert_eq!(
            PartitionedTable::READING.partition_month("hourly_mean_y2026m11"),
            None
        );
        assert_eq!(table.partition_month("hourly_mean_y2026m13"), None);
    }
}
