//! Operations with the real binary: SIGTERM drains under load and a
//! restart loses nothing; publishers close live clients with 1001 going
//! away; two ingest instances and two publishers survive losing one of each.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use envmon_core::{Station, StationKind};
use envmon_simulator::{SimulationReport, Simulator};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::process::{EnvmonProcess, free_addr};
use crate::helpers::{TestBroker, TestDb, unique, wait_for};

/// Records each test sends: about four seconds of load.
const RECORDS: u64 = 1500;

/// The simulator's air stations report six pollutants per record.
const READINGS_PER_RECORD: i64 = 6;

fn air_stations() -> Vec<Station> {
    parse_registry(SHANGHAI_REGISTRY)
        .unwrap()
        .into_iter()
        .filter(|s| s.kind == StationKind::Air)
        .collect()
}

/// The 19 air stations every simulated second, 20 simulated seconds per
/// real second: 380 records/s, bounded to [`RECORDS`].
fn load(broker: &TestBroker) -> tokio::task::JoinHandle<SimulationReport> {
    let settings = envmon_simulator::Settings {
        broker: broker.settings(),
        client_id: unique("ops-load"),
        air_interval: Duration::from_secs(1),
        water_interval: Duration::from_secs(3600),
        speedup: 20.0,
        start: Some("2026-11-21T00:00:00Z".parse().unwrap()),
        backfill: Duration::ZERO,
        max_records: RECORDS,
        ..envmon_simulator::Settings::default()
    };
    let simulator = Simulator::build(settings, air_stations()).unwrap();
    tokio::spawn(async move {
        simulator
            .run_until_stopped(std::future::pending())
            .await
            .unwrap()
    })
}

async fn wait_for_readings(db: &TestDb, at_least: i64) {
    wait_for("load to be flowing", Duration::from_secs(15), || async {
        let count = db.count("SELECT count(*) FROM reading").await;
        if count >= at_least {
            Ok(())
        } else {
            Err(format!("{count} readings"))
        }
    })
    .await;
}

/// Waits for the load to finish, then for the database to hold exactly
/// every reading sent, each once.
async fn assert_all_stored_once(db: &TestDb, load: tokio::task::JoinHandle<SimulationReport>) {
    let report = tokio::time::timeout(Duration::from_secs(60), load)
        .await
        .expect("the load finishes")
        .unwrap();
    assert_eq!(
        report.records, RECORDS,
        "the load generator sent everything"
    );
    let expected = RECORDS as i64 * READINGS_PER_RECORD;
    wait_for("every reading, once", Duration::from_secs(30), || async {
        let count = db.count("SELECT count(*) FROM reading").await;
        if count == expected {
            Ok(())
        } else {
            Err(format!("{count} of {expected} readings"))
        }
    })
    .await;
    assert_eq!(
        db.count("SELECT count(DISTINCT (station_code, observed_at)) FROM reading")
            .await,
        RECORDS as i64,
        "every record, each once"
    );
}

#[tokio::test]
async fn sigterm_under_load_drains_and_a_restart_loses_nothing() {
    let db = TestDb::new().await;
    let broker = TestBroker::start();
    let client_id = unique("ingest");
    let mut ingest = EnvmonProcess::ingest(&db, &broker, &client_id, free_addr(), &[]).await;
    let load = load(&broker);
    wait_for_readings(&db, 300).await;

    ingest.terminate();
    let status = ingest.wait_exit(Duration::from_secs(15));
    assert!(
        status.success(),
        "ingest exits cleanly on SIGTERM: {status}\n{}",
        ingest.log()
    );
    let log = ingest.log();
    assert!(
        log.contains("Ingest draining.") && log.contains("Ingest stopped."),
        "{log}"
    );
    let at_stop = db.count("SELECT count(*) FROM reading").await;
    assert!(
        at_stop < RECORDS as i64 * READINGS_PER_RECORD,
        "stopped under load"
    );

    // The same MQTT session resumes: what came meanwhile was queued for it.
    let _ingest = EnvmonProcess::ingest(&db, &broker, &client_id, free_addr(), &[]).await;
    assert_all_stored_once(&db, load).await;
}

#[tokio::test]
async fn publisher_closes_live_clients_with_going_away_on_sigterm() {
    let db = TestDb::new().await;
    let broker = TestBroker::start();
    let listen = free_addr();
    let mut publisher = EnvmonProcess::publisher(&db, &broker, listen, &[]).await;
    let (mut live, _) = tokio_tungstenite::connect_async(format!("ws://{listen}/api/v1/live"))
        .await
        .unwrap();
    // The snapshot first: the client is being served.
    let first = tokio::time::timeout(Duration::from_secs(5), live.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(matches!(first, Message::Text(_)));

    publisher.terminate();
    let close = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match live.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("no close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame on SIGTERM")
    .expect("with a code");
    assert_eq!(u16::from(close.code), 1001, "going away: {close:?}");
    let status = publisher.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "{status}\n{}", publisher.log());
}

/// What one live client knows: each station's `updated_at`.
type Known = Arc<Mutex<BTreeMap<String, DateTime<Utc>>>>;

/// A live client that starts on `publishers[first]` and, whenever its
/// connection ends, reconnects to the next publisher in the list.
fn live_client(publishers: Vec<SocketAddr>, first: usize) -> (Known, tokio::task::JoinHandle<()>) {
    let known: Known = Arc::default();
    let state = Arc::clone(&known);
    let task = tokio::spawn(async move {
        let mut index = first;
        loop {
            let url = format!("ws://{}/api/v1/live", publishers[index % publishers.len()]);
            index += 1;
            let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url).await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            while let Some(Ok(frame)) = socket.next().await {
                let Message::Text(text) = frame else { continue };
                let message: serde_json::Value = serde_json::from_str(&text).unwrap();
                let states: Vec<&serde_json::Value> = match message["type"].as_str() {
                    Some("snapshot") => message["stations"].as_array().unwrap().iter().collect(),
                    Some("update") => vec![&message["state"]],
                    _ => continue,
                };
                let mut known = state.lock().unwrap();
                for station in states {
                    let code = station["station"].as_str().unwrap().to_owned();
                    let at: DateTime<Utc> =
                        station["updated_at"].as_str().unwrap().parse().unwrap();
                    let entry = known.entry(code).or_insert(at);
                    *entry = (*entry).max(at);
                }
            }
        }
    });
    (known, task)
}

#[tokio::test]
async fn two_of_each_lose_one_of_each_under_load_and_nothing_is_lost() {
    let db = TestDb::new().await;
    let broker = TestBroker::start();
    let shared = [("ENVMON__INGEST__SHARED_GROUP", "ingest")];
    let (id_a, id_b) = (unique("ingest-a"), unique("ingest-b"));
    let mut ingest_a = EnvmonProcess::ingest(&db, &broker, &id_a, free_addr(), &shared).await;
    let _ingest_b = EnvmonProcess::ingest(&db, &broker, &id_b, free_addr(), &shared).await;
    let (p1, p2) = (free_addr(), free_addr());
    let mut publisher_1 = EnvmonProcess::publisher(&db, &broker, p1, &[]).await;
    let _publisher_2 = EnvmonProcess::publisher(&db, &broker, p2, &[]).await;
    let clients: Vec<(Known, tokio::task::JoinHandle<()>)> =
        (0..4).map(|i| live_client(vec![p1, p2], i)).collect();

    let load = load(&broker);
    wait_for_readings(&db, 300).await;
    // A crash of one of each, mid-load.
    ingest_a.kill();
    publisher_1.kill();
    // Its supervisor (systemd, Kubernetes) brings the ingest instance back
    // under the same client id, and with it the messages the broker queued
    // for its session: Mosquitto 2.0.11 keeps handing a share of the group's
    // messages to the offline persistent session (measured: without the
    // restart, 4,956 of 9,000 readings arrived in 30 s; the rest waited, not
    // lost, for the session to return). Nothing brings the publisher back.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ingest_a = EnvmonProcess::ingest(&db, &broker, &id_a, free_addr(), &shared).await;
    assert_all_stored_once(&db, load).await;

    // Every client, those of the lost publisher too, ends at the stored state.
    let latest: BTreeMap<String, DateTime<Utc>> = db
        .client()
        .await
        .query(
            "SELECT station_code, max(observed_at) FROM station_latest GROUP BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(latest.len(), 19);
    for (index, (known, _)) in clients.iter().enumerate() {
        wait_for(
            &format!("live client {index} to be served the final state"),
            Duration::from_secs(15),
            || async {
                let known = known.lock().unwrap().clone();
                if known == latest {
                    Ok(())
                } else {
                    Err(format!("{} stations known", known.len()))
                }
            },
        )
        .await;
    }
    for (_, task) in clients {
        task.abort();
    }
}
