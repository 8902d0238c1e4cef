//! Retention against a real database with a fake clock: the maintenance
//! pass run "in" 2027 drops the months that expired, creates the months
//! ahead, deletes old rows from the default partitions and keeps recent
//! ones, including rows that sat in a default partition when their month's
//! partition was created.

use std::time::Duration;

use chrono::{DateTime, Utc};
use envmon_core::db::{PartitionedTable, RetentionSettings, ensure_partitions, run_maintenance};
use tokio_postgres::Client;

use crate::helpers::TestDb;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

async fn insert_reading(client: &Client, observed_at: &str) {
    client
        .execute(
            "INSERT INTO reading (station_code, parameter_code, observed_at, value, quality, received_at)
             VALUES ('1141A', 'pm25', $1, 30, 'valid', now())",
            &[&at(observed_at)],
        )
        .await
        .unwrap();
}

async fn partition_of_reading(client: &Client, observed_at: &str) -> Option<String> {
    client
        .query_opt(
            "SELECT tableoid::regclass::text FROM reading WHERE observed_at = $1",
            &[&at(observed_at)],
        )
        .await
        .unwrap()
        .map(|row| row.get(0))
}

async fn exists(client: &Client, table: &str) -> bool {
    client
        .query_opt("SELECT 1 FROM pg_class WHERE relname = $1", &[&table])
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn old_partitions_go_new_ones_come_and_recent_rows_stay() {
    let db = TestDb::new().await;
    let client = db.client().await;
    const DAY: u64 = 24 * 60 * 60;
    let settings = RetentionSettings {
        readings: Duration::from_secs(180 * DAY),
        aggregates: Duration::from_secs(365 * DAY),
        dead_letters: Duration::from_secs(30 * DAY),
        months_ahead: 3,
        interval: Duration::from_secs(3600),
    };
    // Partitions as an ingest running in autumn 2026 would have made them.
    ensure_partitions(
        &client,
        PartitionedTable::READING,
        at("2026-10-15T00:00:00Z"),
        1,
        1,
    )
    .await
    .unwrap();
    ensure_partitions(
        &client,
        PartitionedTable::HOURLY_MEAN,
        at("2026-03-15T00:00:00Z"),
        0,
        0,
    )
    .await
    .unwrap();
    ensure_partitions(
        &client,
        PartitionedTable::DEAD_LETTER,
        at("2026-01-15T00:00:00Z"),
        0,
        0,
    )
    .await
    .unwrap();

    insert_reading(&client, "2019-03-01T00:00:00Z").await; // default, expired
    insert_reading(&client, "2026-10-10T00:00:00Z").await; // reading_y2026m10, expired
    insert_reading(&client, "2026-12-01T00:00:00Z").await; // default, expired (cutoff 2026-12-17)
    insert_reading(&client, "2026-12-20T00:00:00Z").await; // default, kept
    insert_reading(&client, "2027-05-20T00:00:00Z").await; // default, kept
    insert_reading(&client, "2027-07-02T00:00:00Z").await; // default until July gets its partition
    assert_eq!(
        partition_of_reading(&client, "2027-07-02T00:00:00Z")
            .await
            .as_deref(),
        Some("reading_default")
    );
    client
        .batch_execute(
            "INSERT INTO hourly_mean VALUES
                 ('1141A', 'pm25', '2026-03-10 01:00:00+00', 30, 60, true),
                 ('1141A', 'pm25', '2027-06-01 01:00:00+00', 30, 60, true);
             INSERT INTO dead_letter (received_at, topic, payload, reason_code, reason) VALUES
                 ('2026-01-05 00:00:00+00', 'sensors/air/x', 'x', 'bad_json', 'old'),
                 ('2027-05-01 00:00:00+00', 'sensors/air/x', 'x', 'bad_json', 'expired, in default'),
                 ('2027-06-10 00:00:00+00', 'sensors/air/x', 'x', 'bad_json', 'recent');",
        )
        .await
        .unwrap();

    // The clock says mid-June 2027.
    let now = at("2027-06-15T00:00:00Z");
    let report = run_maintenance(&client, &settings, now).await.unwrap();
    assert!(report.ran);

    // Old months are gone, whole.
    for gone in [
        "reading_y2026m09",
        "reading_y2026m10",
        "reading_y2026m11",
        "hourly_mean_y2026m03",
        "dead_letter_y2026m01",
    ] {
        assert!(
            report.dropped.contains(&gone.to_owned()),
            "{gone}: {report:?}"
        );
        assert!(!exists(&client, gone).await, "{gone} still exists");
    }
    // This month and three ahead, for every partitioned table.
    for month in ["y2027m06", "y2027m07", "y2027m08", "y2027m09"] {
        for table in [
            "reading",
            "hourly_mean",
            "daily_stat",
            "aqi_daily",
            "dead_letter",
        ] {
            assert!(
                exists(&client, &format!("{table}_{month}")).await,
                "{table}_{month}"
            );
        }
    }
    // The July row moved out of the default partition into its month.
    assert_eq!(
        partition_of_reading(&client, "2027-07-02T00:00:00Z")
            .await
            .as_deref(),
        Some("reading_y2027m07")
    );

    // Rows in dropped ranges and old rows of the default partitions are gone;
    // recent rows stay.
    let cutoff = "'2026-12-17 00:00:00+00'";
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM reading WHERE observed_at < {cutoff}"
        ))
        .await,
        0
    );
    let kept: Vec<DateTime<Utc>> = client
        .query("SELECT observed_at FROM reading ORDER BY 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        kept,
        [
            at("2026-12-20T00:00:00Z"),
            at("2027-05-20T00:00:00Z"),
            at("2027-07-02T00:00:00Z")
        ]
    );
    assert_eq!(
        report.deleted_from_default, 3,
        "2019-03-01, 2026-12-01, 2027-05-01"
    );
    assert_eq!(db.count("SELECT count(*) FROM hourly_mean").await, 1);
    let reasons: Vec<String> = client
        .query("SELECT reason FROM dead_letter", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(reasons, ["recent"]);

    // Again at the same time: nothing to do. A month later: one more month.
    let again = run_maintenance(&client, &settings, now).await.unwrap();
    assert!(
        again.created.is_empty() && again.dropped.is_empty(),
        "{again:?}"
    );
    let later = run_maintenance(&client, &settings, at("2027-07-15T00:00:00Z"))
        .await
        .unwrap();
    assert!(
        later.created.contains(&"reading_y2027m10".to_owned()),
        "{later:?}"
    );
    assert!(later.dropped.is_empty(), "{later:?}");
}

#[tokio::test]
async fn zero_retention_keeps_everything() {
    let db = TestDb::new().await;
    let client = db.client().await;
    insert_reading(&client, "2001-01-01T00:00:00Z").await;
    let settings = RetentionSettings {
        readings: Duration::ZERO,
        ..RetentionSettings::default()
    };
    let report = run_maintenance(&client, &settings, at("2027-06-15T00:00:00Z"))
        .await
        .unwrap();
    assert!(report.ran);
    assert_eq!(db.count("SELECT count(*) FROM reading").await, 1);
}
