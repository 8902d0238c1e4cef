//! Monthly partitions of the `reading` table, created ahead of time.
//!
//! Readings outside every monthly partition land in `reading_default`, so a
//! missing partition never loses data; creating partitions ahead keeps the
//! default small and lets retention drop whole months.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use tokio_postgres::Client;

use super::DbError;

/// Creates the monthly partitions from `months_back` months before `now` to
/// `months_ahead` months after it, skipping those that exist. Returns the
/// names created.
///
/// A month whose rows already sit in the default partition cannot get its
/// own partition (PostgreSQL refuses); it is skipped with a warning and its
/// rows stay where they are.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn ensure_reading_partitions(
    client: &Client,
    now: DateTime<Utc>,
    months_back: u32,
    months_ahead: u32,
) -> Result<Vec<String>, DbError> {
    let this_month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
        .expect("the first day of an existing month is a valid date");
    let mut created = Vec::new();
    let first = this_month - Months::new(months_back);
    for offset in 0..=(months_back + months_ahead) {
        let start = first + Months::new(offset);
        let end = start + Months::new(1);
        // The name and bounds are built from dates, never from input.
        let name = format!("reading_y{:04}m{:02}", start.year(), start.month());
        let exists = client
            .query_opt("SELECT 1 FROM pg_class WHERE relname = $1", &[&name])
            .await?;
        if exists.is_some() {
            continue;
        }
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {name} PARTITION OF reading \
             FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"
        );
        match client.batch_execute(&sql).await {
            Ok(()) => created.push(name),
            Err(error) => {
                tracing::warn!(partition = %name, error = %error, "Cannot create reading partition.");
            }
        }
    }
    Ok(created)
}
