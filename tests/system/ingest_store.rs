//! Ingest's batched write against a real PostgreSQL: the straight COPY for
//! new keys, the careful merge when a key is already stored, and what each
//! leaves in `reading`, `station_latest` and `rollup_pending`.

use chrono::{DateTime, Utc};
use envmon_core::{Parameter, QualityFlag, Reading, StationCode, StationKind};
use envmon_ingest::decode::Record;
use envmon_ingest::store::Store;

use crate::helpers::TestDb;

const STATION: &str = "1141A";

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// A record of `values` (parameter, value) at `observed_at`.
fn record(
    observed_at: &str,
    period_seconds: u32,
    values: &[(Parameter, f64)],
) -> (DateTime<Utc>, Record) {
    let station = StationCode::parse(STATION).unwrap();
    let observed_at = at(observed_at);
    let readings = values
        .iter()
        .map(|(parameter, value)| Reading {
            station: station.clone(),
            parameter: *parameter,
            observed_at,
            value: *value,
            quality: QualityFlag::Valid,
            period_seconds,
        })
        .collect();
    (
        Utc::now(),
        Record {
            station,
            kind: StationKind::Air,
            observed_at,
            readings,
        },
    )
}

async fn stored(db: &TestDb, parameter: &str, observed_at: &str) -> Vec<(f64, i32)> {
    db.client()
        .await
        .query(
            "SELECT value, revision FROM reading
             WHERE station_code = $1 AND parameter_code = $2 AND observed_at = $3",
            &[&STATION, &parameter, &at(observed_at)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn marks(db: &TestDb) -> Vec<DateTime<Utc>> {
    db.client()
        .await
        .query(
            "SELECT at FROM rollup_pending WHERE station_code = $1 ORDER BY at",
            &[&STATION],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn ingest_store_copies_new_keys_and_merges_stored_ones_as_revisions() {
    let db = TestDb::new().await;
    let mut store = Store::connect(&db.settings()).await.unwrap();

    // New keys only: the straight COPY. A key twice in one batch keeps the
    // last copy; the latest state is the newest observation.
    let first = store
        .write(
            &[
                record(
                    "2026-03-01T10:30:00Z",
                    0,
                    &[(Parameter::Pm25, 30.0), (Parameter::O3, 80.0)],
                ),
                record("2026-03-01T10:31:00Z", 0, &[(Parameter::Pm25, 31.0)]),
                record("2026-03-01T10:30:00Z", 0, &[(Parameter::Pm25, 32.0)]),
                record("2026-03-01T11:00:00Z", 3600, &[(Parameter::No2, 40.0)]),
            ],
            &[],
        )
        .await
        .unwrap();
    assert!(!first.merged);
    assert_eq!(first.readings, 5);
    assert_eq!(
        stored(&db, "pm25", "2026-03-01T10:30:00Z").await,
        vec![(32.0, 0)]
    );
    assert_eq!(db.count("SELECT count(*) FROM reading").await, 4);
    let state = &first.states[0];
    assert_eq!(state.station.as_str(), STATION);
    assert_eq!(state.readings[&Parameter::Pm25].value, 31.0);
    assert!(state.revisions.is_empty());
    // 10:30 and 10:31 fall in the hour labelled 11:00, and so does the
    // hourly mean labelled 11:00 (its period starts at 10:00).
    assert_eq!(marks(&db).await, vec![at("2026-03-01T11:00:00Z")]);

    // A stored key with a new value, a stored key unchanged, a new key and a
    // late reading: the careful merge, one revision, nothing doubled, and
    // the latest state not set back by the late reading.
    let second = store
        .write(
            &[
                record(
                    "2026-03-01T10:30:00Z",
                    0,
                    &[(Parameter::Pm25, 35.0), (Parameter::O3, 80.0)],
                ),
                record("2026-03-01T12:05:00Z", 0, &[(Parameter::Pm25, 40.0)]),
                record("2026-03-01T09:59:00Z", 0, &[(Parameter::Pm25, 20.0)]),
            ],
            &[],
        )
        .await
        .unwrap();
    assert!(second.merged);
    assert_eq!(
        stored(&db, "pm25", "2026-03-01T10:30:00Z").await,
        vec![(35.0, 1)]
    );
    assert_eq!(
        stored(&db, "o3", "2026-03-01T10:30:00Z").await,
        vec![(80.0, 0)]
    );
    assert_eq!(db.count("SELECT count(*) FROM reading").await, 6);
    let state = &second.states[0];
    assert_eq!(state.readings[&Parameter::Pm25].value, 40.0);
    assert_eq!(
        state.readings[&Parameter::Pm25].observed_at,
        at("2026-03-01T12:05:00Z")
    );
    assert_eq!(state.revisions.len(), 1);
    assert_eq!(state.revisions[0].parameter, Parameter::Pm25);
    assert_eq!(state.revisions[0].value, 35.0);
    assert_eq!(
        marks(&db).await,
        vec![
            at("2026-03-01T10:00:00Z"),
            at("2026-03-01T11:00:00Z"),
            at("2026-03-01T13:00:00Z")
        ]
    );

    // The same batch again (a redelivery): nothing changes.
    let again = store
        .write(
            &[record(
                "2026-03-01T12:05:00Z",
                0,
                &[(Parameter::Pm25, 40.0)],
            )],
            &[],
        )
        .await
        .unwrap();
    assert!(again.merged);
    assert!(again.states[0].revisions.is_empty());
    assert_eq!(db.count("SELECT count(*) FROM reading").await, 6);
}
