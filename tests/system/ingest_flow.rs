//! From a sensor's MQTT message to rows in PostgreSQL and a frame on a live
//! WebSocket, and what happens to bad input, repeats and crashes.

use std::time::Duration;

use envmon_core::Parameter;
use envmon_core::wire::LiveMessage;

use crate::helpers::system::next_message;
use crate::helpers::{TestSystem, wait_for};

const DEADLINE: Duration = Duration::from_secs(10);

fn record(station: &str, observed_at: &str, pm25: f64) -> String {
    format!(
        r#"{{"station":"{station}","observed_at":"{observed_at}","readings":{{"pm25":{pm25},"no2":41,"co":{{"value":0.7,"unit":"mg/m3"}}}}}}"#
    )
}

async fn wait_for_count(system: &TestSystem, what: &str, sql: &str, expected: i64) {
    wait_for(what, DEADLINE, || async {
        let count = system.db.count(sql).await;
        if count == expected {
            Ok(())
        } else {
            Err(format!("{count} rows"))
        }
    })
    .await;
}

#[tokio::test]
async fn reading_published_with_mosquitto_pub_reaches_database_and_websocket() {
    let system = TestSystem::start().await;
    let (mut live, snapshot) = system.live_client().await;
    assert!(matches!(snapshot, LiveMessage::Snapshot { ref stations, .. } if stations.is_empty()));

    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &record("1141A", "2026-11-25T18:00:00+08:00", 35.5),
        )
        .await;

    wait_for_count(&system, "three readings", "SELECT count(*) FROM reading", 3).await;
    let row = system
        .db
        .client()
        .await
        .query_one(
            "SELECT value, quality, observed_at = '2026-11-25T10:00:00Z' FROM reading
             WHERE station_code = '1141A' AND parameter_code = 'pm25'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, f64>(0), 35.5);
    assert_eq!(row.get::<_, String>(1), "valid");
    assert!(row.get::<_, bool>(2), "observation time is stored in UTC");

    let LiveMessage::Update { state } = next_message(&mut live).await else {
        panic!("expected an update after the snapshot");
    };
    assert_eq!(state.station.as_str(), "1141A");
    assert_eq!(state.readings[&Parameter::Pm25].value, 35.5);
    assert_eq!(state.readings[&Parameter::Co].unit, "mg/m3");
    system.shutdown().await;
}

#[tokio::test]
async fn redelivered_message_does_not_duplicate_rows_and_a_correction_replaces_the_value() {
    let system = TestSystem::start().await;
    let payload = record("1142A", "2026-11-25T18:00:00+08:00", 20.0);
    for _ in 0..3 {
        system.mosquitto_pub("sensors/air/1142A", &payload).await;
    }
    // A later message at the same instant with another value is a correction.
    system
        .mosquitto_pub(
            "sensors/air/1142A",
            &record("1142A", "2026-11-25T18:00:00+08:00", 22.0),
        )
        .await;
    // A marker record, so we know every earlier message has been processed.
    system
        .mosquitto_pub(
            "sensors/air/1142A",
            &record("1142A", "2026-11-25T19:00:00+08:00", 1.0),
        )
        .await;

    wait_for_count(
        &system,
        "both instants stored",
        "SELECT count(*) FROM reading",
        6,
    )
    .await;
    let pm25: f64 = system
        .db
        .client()
        .await
        .query_one(
            "SELECT value FROM reading WHERE parameter_code = 'pm25' AND observed_at = '2026-11-25T10:00:00Z'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(pm25, 22.0);
    system.shutdown().await;
}

#[tokio::test]
async fn malformed_payload_and_unknown_station_are_dead_lettered_and_ingest_keeps_going() {
    let system = TestSystem::start().await;
    system.mosquitto_pub("sensors/air/1141A", "{not json").await;
    system
        .mosquitto_pub(
            "sensors/air/9999Z",
            &record("9999Z", "2026-11-25T18:00:00+08:00", 1.0),
        )
        .await;
    system
        .mosquitto_pub(
            "sensors/sea/1141A",
            &record("1141A", "2026-11-25T18:00:00+08:00", 1.0),
        )
        .await;
    system
        .mosquitto_pub(
            "sensors/air/1143A",
            &record("1143A", "2026-11-25T18:00:00+08:00", 9.0),
        )
        .await;

    wait_for_count(
        &system,
        "the good record",
        "SELECT count(*) FROM reading",
        3,
    )
    .await;
    wait_for_count(
        &system,
        "three dead letters",
        "SELECT count(*) FROM dead_letter",
        3,
    )
    .await;
    let rows = system
        .db
        .client()
        .await
        .query(
            "SELECT topic, reason_code, reason, payload FROM dead_letter ORDER BY topic",
            &[],
        )
        .await
        .unwrap();
    let seen: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        seen,
        [
            ("sensors/air/1141A".to_owned(), "malformed".to_owned()),
            ("sensors/air/9999Z".to_owned(), "unknown_station".to_owned()),
            ("sensors/sea/1141A".to_owned(), "bad_topic".to_owned()),
        ]
    );
    let reason: String = rows[1].get(2);
    assert_eq!(reason, "station 9999Z is not registered");
    let payload: Vec<u8> = rows[0].get(3);
    assert_eq!(payload, b"{not json", "the payload is kept byte for byte");
    system.shutdown().await;
}

#[tokio::test]
async fn ingest_killed_between_receive_and_commit_loses_nothing_after_restart() {
    let mut system = TestSystem::start().await;
    // Arrange: hold a lock on `reading`, so ingest receives and stages the
    // batch but cannot commit it.
    let blocker = system.db.client().await;
    blocker
        .batch_execute("BEGIN; LOCK TABLE reading IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    const MESSAGES: usize = 20;
    for hour in 0..MESSAGES {
        let at = format!("2026-11-24T{hour:02}:00:00+08:00");
        system
            .mosquitto_pub("sensors/air/1147A", &record("1147A", &at, hour as f64))
            .await;
    }
    wait_for("ingest blocked on the lock", DEADLINE, || async {
        let waiting = system
            .db
            .count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'envmon'")
            .await;
        if waiting > 0 { Ok(()) } else { Err("no session waiting".into()) }
    })
    .await;

    // Act: crash ingest mid-batch, release the lock, start a new ingest with
    // the same session.
    system.kill_ingest().await;
    blocker.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(
        system.db.count("SELECT count(*) FROM reading").await,
        0,
        "nothing was committed"
    );
    system.start_ingest().await;

    // Assert: the broker redelivered every unacknowledged message.
    wait_for_count(
        &system,
        "all readings",
        "SELECT count(*) FROM reading",
        3 * MESSAGES as i64,
    )
    .await;
    system.shutdown().await;
}

#[tokio::test]
async fn messages_sent_while_ingest_is_stopped_are_stored_when_it_returns() {
    let mut system = TestSystem::start().await;
    system.stop_ingest().await.unwrap();
    for hour in 0..5 {
        let at = format!("2026-11-23T{hour:02}:00:00+08:00");
        system
            .mosquitto_pub("sensors/air/1148A", &record("1148A", &at, 5.0))
            .await;
    }
    system.start_ingest().await;
    wait_for_count(
        &system,
        "queued readings",
        "SELECT count(*) FROM reading",
        15,
    )
    .await;
    system.shutdown().await;
}

#[tokio::test]
async fn a_correction_is_published_as_a_revision_and_implausible_values_are_flagged_not_dropped() {
    let system = TestSystem::start().await;
    let (mut live, _) = system.live_client().await;
    system
        .mosquitto_pub(
            "sensors/air/1149A",
            &record("1149A", "2026-11-25T18:00:00+08:00", 20.0),
        )
        .await;
    let first = next_message(&mut live).await;
    assert!(matches!(first, LiveMessage::Update { ref state } if state.revisions.is_empty()));

    system
        .mosquitto_pub(
            "sensors/air/1149A",
            &record("1149A", "2026-11-25T18:00:00+08:00", 24.0),
        )
        .await;
    let revised = loop {
        if let LiveMessage::Update { state } = next_message(&mut live).await
            && !state.revisions.is_empty()
        {
            break state;
        }
    };
    let revision = &revised
        .revisions
        .iter()
        .find(|r| r.parameter == Parameter::Pm25)
        .unwrap();
    assert_eq!(revision.value, 24.0);

    // PM2.5 of -4 ug/m3 is impossible: stored and published, flagged, and
    // left out of the hourly mean.
    system
        .mosquitto_pub(
            "sensors/air/1150A",
            r#"{"station":"1150A","observed_at":"2026-11-25T18:10:00+08:00","readings":{"pm25":-4,"no2":40}}"#,
        )
        .await;
    wait_for("the flagged reading", DEADLINE, || async {
        let rows = system
            .db
            .client()
            .await
            .query("SELECT quality FROM reading WHERE station_code = '1150A' AND parameter_code = 'pm25'", &[])
            .await
            .map_err(|e| e.to_string())?;
        match rows.first().map(|r| r.get::<_, String>(0)) {
            Some(flag) if flag == "out_of_range" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    wait_for("the hour's means", DEADLINE, || async {
        let count = system
            .db
            .count("SELECT count(*) FROM hourly_mean WHERE station_code = '1150A'")
            .await;
        if count == 1 {
            Ok(())
        } else {
            Err(format!("{count} hourly means"))
        }
    })
    .await;
    system.shutdown().await;
}

#[tokio::test]
async fn the_dead_letter_table_keeps_only_the_newest() {
    let mut system = TestSystem::start().await;
    system.stop_ingest().await.unwrap();
    let mut settings = system.ingest_settings();
    settings.dead_letter_max_rows = 2;
    system.start_ingest_with(settings).await;
    for n in 0..5 {
        system
            .mosquitto_pub("sensors/air/1141A", &format!("garbage {n}"))
            .await;
    }
    wait_for("two dead letters, the newest", DEADLINE, || async {
        let rows = system
            .db
            .client()
            .await
            .query(
                "SELECT convert_from(payload, 'UTF8') FROM dead_letter ORDER BY id",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        let payloads: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        if payloads == ["garbage 3", "garbage 4"] {
            Ok(())
        } else {
            Err(format!("{payloads:?}"))
        }
    })
    .await;
    system.shutdown().await;
}

/// One instance of ingest run by the test itself, so that its own message
/// counts can be read.
struct Instance {
    counts: std::sync::Arc<envmon_ingest::MessageCounts>,
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<Result<(), envmon_ingest::IngestError>>,
}

async fn start_instance(settings: envmon_ingest::Settings) -> Instance {
    let ingest = envmon_ingest::Ingest::build(settings).await.unwrap();
    let health = ingest.health_addr();
    let counts = ingest.counts();
    let stop = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(ingest.run_until_stopped(stop.clone().cancelled_owned()));
    wait_for("an instance subscribed", DEADLINE, || async {
        match crate::helpers::http::get(health, "/readyz").await {
            Ok(response) if response.status == 200 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    Instance { counts, stop, task }
}

#[tokio::test]
async fn two_ingest_instances_sharing_the_subscription_split_the_messages_and_store_each_once() {
    // Arrange: two instances in one shared-subscription group.
    let mut system = TestSystem::start().await;
    system.stop_ingest().await.unwrap();
    // Fresh sessions: the stopped instance's session still holds its
    // unshared subscription, and would take every message besides its share.
    let mut settings = system.ingest_settings();
    settings.shared_group = "ingest".into();
    settings.hj212_listen = None;
    settings.client_id = crate::helpers::unique("ingest-a");
    let first = start_instance(settings.clone()).await;
    settings.client_id = crate::helpers::unique("ingest-b");
    let second = start_instance(settings).await;

    // Act
    const RECORDS: u64 = 40;
    let payloads: Vec<String> = (0..RECORDS)
        .map(|minute| {
            let at = format!("2026-11-22T10:{minute:02}:00+08:00");
            record("1149A", &at, minute as f64)
        })
        .collect();
    system
        .mosquitto_pub_lines("sensors/air/1149A", &payloads)
        .await;

    // Assert: between them the instances committed every message, and
    // each message went to one instance only.
    let counts = [&first.counts, &second.counts];
    let shares = wait_for("every message committed", DEADLINE, || async {
        let committed: Vec<u64> = counts.iter().map(|c| c.committed()).collect();
        if committed.iter().sum::<u64>() >= RECORDS {
            Ok(committed)
        } else {
            Err(format!("committed per instance: {committed:?}"))
        }
    })
    .await;
    let received: Vec<u64> = counts.iter().map(|c| c.received()).collect();
    assert_eq!(
        received.iter().sum::<u64>(),
        RECORDS,
        "no message was delivered twice: {received:?}"
    );
    assert_eq!(shares.iter().sum::<u64>(), RECORDS, "{shares:?}");
    assert!(
        shares.iter().all(|&share| share > 0),
        "both instances took a share of the messages: {shares:?}"
    );
    // Every published reading is stored once, with the value published.
    let rows = system
        .db
        .client()
        .await
        .query(
            "SELECT extract(minute FROM observed_at)::float8, value, revision FROM reading
             WHERE station_code = '1149A' AND parameter_code = 'pm25' ORDER BY observed_at",
            &[],
        )
        .await
        .unwrap();
    let stored: Vec<(f64, f64, i32)> = rows
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    let expected: Vec<(f64, f64, i32)> = (0..RECORDS).map(|m| (m as f64, m as f64, 0)).collect();
    assert_eq!(stored, expected);
    assert_eq!(
        system.db.count("SELECT count(*) FROM reading").await,
        3 * RECORDS as i64
    );

    for instance in [first, second] {
        instance.stop.cancel();
        instance.task.await.unwrap().unwrap();
    }
    system.shutdown().await;
}
