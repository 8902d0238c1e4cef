//! Broker durability: every record the broker acknowledged to a sensor must
//! end up stored, across broker restarts, broker crashes and, in a cluster,
//! the loss of a node.
//!
//! The sensor is an independent client (paho-mqtt, `paho_sensor.py`): QoS 1,
//! a persistent session, about 2,000 records/s, and it writes down every
//! record the broker answered with PUBACK, since from then on a real sensor
//! forgets it. Each fault strikes while ingest's acknowledgement window is
//! full: the `reading` table is locked for two seconds first, so ingest holds
//! every message the broker will send it unacknowledged (1,000 on Mosquitto,
//! 2,000 on RabbitMQ) and the broker queues the rest. Then the broker is
//! stopped cleanly or killed (SIGKILL) and started again, and the lock is
//! released. At the end the acknowledged records are compared with the
//! stored ones.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use envmon_core::broker::BrokerSettings;
use envmon_ingest::Ingest;
use tokio_util::sync::CancellationToken;

use crate::helpers::rabbitmq::RabbitNode;
use crate::helpers::rabbitmq_users::{INGEST_PASSWORD, INGEST_USER};
use crate::helpers::{TestBroker, TestDb, unique, wait_for};

/// Records per second, as the measurements in the design were made.
pub const RATE: u32 = 2000;

/// The first record's observation time; record `seq` is `seq` seconds later.
const START: &str = "2026-01-01T00:00:00Z";

/// The air stations the sensor speaks for (all in the Shanghai registry).
const STATIONS: &str = "1141A,1142A,1143A,1147A,1148A,1149A,1150A,3265A,3266A,3268A";

/// What a fault does to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// SIGTERM, wait for the exit, start again.
    Restart,
    /// SIGKILL, start again.
    Crash,
    /// In a cluster: SIGKILL the node ingest is connected to, leave it down.
    KillNode,
}

/// A broker under test: one Mosquitto, one RabbitMQ node or a cluster.
#[derive(Debug)]
pub enum Broker {
    Mosquitto(TestBroker),
    Rabbit(Vec<RabbitNode>),
}

impl Broker {
    fn ingest_settings(&self) -> BrokerSettings {
        match self {
            Self::Mosquitto(broker) => broker.ingest_settings(),
            Self::Rabbit(nodes) => BrokerSettings {
                username: Some(INGEST_USER.into()),
                password: Some(INGEST_PASSWORD.into()),
                failover: nodes[1..]
                    .iter()
                    .map(|n| format!("127.0.0.1:{}", n.mqtt_port).parse().unwrap())
                    .collect(),
                ..nodes[0].settings()
            },
        }
    }

    /// The addresses the sensor tries in turn: in a cluster it starts on
    /// the last node, so killing the first (ingest's) leaves it connected.
    fn sensor_addresses(&self) -> Vec<String> {
        match self {
            Self::Mosquitto(broker) => vec![format!("127.0.0.1:{}", broker.port)],
            Self::Rabbit(nodes) => nodes
                .iter()
                .rev()
                .map(|n| format!("127.0.0.1:{}", n.mqtt_port))
                .collect(),
        }
    }

    fn strike(&mut self, fault: Fault) {
        match (self, fault) {
            (Self::Mosquitto(broker), Fault::Restart) => broker.restart(),
            (Self::Mosquitto(broker), Fault::Crash) => broker.crash_and_restart(),
            (Self::Rabbit(nodes), Fault::Restart) => nodes[0].restart(),
            (Self::Rabbit(nodes), Fault::Crash) => nodes[0].crash_and_restart(),
            (Self::Rabbit(nodes), Fault::KillNode) => nodes[0].kill(),
            (Self::Mosquitto(_), Fault::KillNode) => panic!("one Mosquitto is no cluster"),
        }
    }
}

/// What a run found.
#[derive(Debug)]
pub struct Outcome {
    pub published: u64,
    pub acknowledged: u64,
    pub stored: u64,
    /// Acknowledged by the broker, never stored.
    pub lost: Vec<u64>,
    /// Stored, but never sent by the sensor (must be none).
    pub unknown: u64,
    /// Rows beyond one per record (a redelivery must rewrite its row, not
    /// add one).
    pub duplicates: i64,
    pub dead_letters: i64,
    pub sensor_reconnects: u64,
    pub seconds: f64,
}

impl Outcome {
    /// Runs of consecutive lost records, as (first, last).
    pub fn lost_runs(&self) -> Vec<(u64, u64)> {
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for &seq in &self.lost {
            match runs.last_mut() {
                Some((_, last)) if *last + 1 == seq => *last = seq,
                _ => runs.push((seq, seq)),
            }
        }
        runs
    }

    pub fn report(&self, what: &str) -> String {
        format!(
            "{what}: {} published, {} acknowledged by the broker, {} stored, {} lost{}, \
             {} unknown, {} duplicates, {} dead letters, {} sensor reconnects, {:.0} s",
            self.published,
            self.acknowledged,
            self.stored,
            self.lost.len(),
            if self.lost.is_empty() {
                String::new()
            } else {
                let runs = self.lost_runs();
                let shown: Vec<String> = runs
                    .iter()
                    .take(20)
                    .map(|(a, b)| format!("{a}..={b} ({})", b - a + 1))
                    .collect();
                format!(" in {} runs: {}", runs.len(), shown.join(", "))
            },
            self.unknown,
            self.duplicates,
            self.dead_letters,
            self.sensor_reconnects,
            self.seconds,
        )
    }
}

/// Runs the sensor at [`RATE`] against ingest on `broker`, strikes each of
/// `faults` in turn (every `every`, the first after three seconds), and
/// compares what the broker acknowledged with what is stored.
pub async fn run(mut broker: Broker, faults: &[Fault], every: Duration) -> Outcome {
    crate::helpers::init_logs();
    let started = Instant::now();
    let db = TestDb::new().await;
    let ingest = spawn_ingest(&db, broker.ingest_settings()).await;

    let lead_in = Duration::from_secs(3);
    let load = lead_in + every * u32::try_from(faults.len()).unwrap() + Duration::from_secs(2);
    let count = u64::from(RATE) * load.as_secs();
    let out = std::env::temp_dir().join(format!("{}.json", unique("paho-acked")));
    let sensor = spawn_sensor(&broker.sensor_addresses(), count, &out);

    let admin = db.client().await;
    tokio::time::sleep(lead_in).await;
    for &fault in faults {
        let struck = Instant::now();
        // Fill ingest's acknowledgement window: nothing commits for 2 s.
        admin
            .batch_execute("BEGIN; LOCK TABLE reading IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        tokio::task::block_in_place(|| broker.strike(fault));
        admin.batch_execute("COMMIT").await.unwrap();
        tokio::time::sleep(every.saturating_sub(struck.elapsed())).await;
    }

    let sensor_done = tokio::task::spawn_blocking(move || {
        let mut sensor = sensor;
        sensor.wait().unwrap()
    });
    let status = tokio::time::timeout(Duration::from_secs(300), sensor_done)
        .await
        .expect("the sensor finishes")
        .unwrap();
    assert!(status.success(), "paho_sensor.py failed");
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let _ = std::fs::remove_file(&out);
    let acked: BTreeSet<u64> = result["acked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();

    // Everything acknowledged that is still coming arrives within seconds;
    // wait until it is all there, or until the count stops growing.
    let stored = settle(&db, &acked).await;
    ingest.stop.cancel();
    let _ = ingest.task.await;
    let dead_letters = db.count("SELECT count(*) FROM dead_letter").await;
    let rows = db.count("SELECT count(*) FROM reading").await;
    let lost: Vec<u64> = acked.difference(&stored).copied().collect();
    let unknown = stored.iter().filter(|s| **s >= count).count() as u64;
    Outcome {
        published: count,
        acknowledged: acked.len() as u64,
        stored: stored.len() as u64,
        duplicates: rows - stored.len() as i64,
        lost,
        unknown,
        dead_letters,
        sensor_reconnects: result["reconnects"].as_u64().unwrap_or_default(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The stored record numbers, once every acknowledged one is stored or
/// nothing new has arrived for ten seconds.
async fn settle(db: &TestDb, acked: &BTreeSet<u64>) -> BTreeSet<u64> {
    let mut last_len = 0;
    let mut last_change = Instant::now();
    loop {
        let stored = stored_records(db).await;
        if acked.is_subset(&stored) {
            return stored;
        }
        if stored.len() != last_len {
            last_len = stored.len();
            last_change = Instant::now();
        } else if last_change.elapsed() > Duration::from_secs(10) {
            return stored;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn stored_records(db: &TestDb) -> BTreeSet<u64> {
    let start: DateTime<Utc> = START.parse().unwrap();
    let client = db.client().await;
    client
        .query(
            "SELECT observed_at FROM reading WHERE parameter_code = 'pm25'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let at: DateTime<Utc> = row.get(0);
            u64::try_from((at - start).num_seconds()).unwrap()
        })
        .collect()
}

struct RunningIngest {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), envmon_ingest::IngestError>>,
}

async fn spawn_ingest(db: &TestDb, broker: BrokerSettings) -> RunningIngest {
    let settings = envmon_ingest::Settings {
        database: db.settings(),
        broker,
        client_id: unique("ingest"),
        batch_max_wait: Duration::from_millis(20),
        health_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        hj212_listen: None,
        retention: envmon_core::db::RetentionSettings {
            readings: Duration::ZERO,
            aggregates: Duration::ZERO,
            dead_letters: Duration::ZERO,
            ..envmon_core::db::RetentionSettings::default()
        },
        ..envmon_ingest::Settings::default()
    };
    let ingest = Ingest::build(settings).await.unwrap();
    let health = ingest.health_addr();
    let stop = CancellationToken::new();
    let task = tokio::spawn(ingest.run_until_stopped(stop.clone().cancelled_owned()));
    wait_for("ingest /readyz", Duration::from_secs(30), || async {
        match crate::helpers::http::get(health, "/readyz").await {
            Ok(response) if response.status == 200 => Ok(()),
            Ok(response) => Err(format!("{} {}", response.status, response.body)),
            Err(error) => Err(error.to_string()),
        }
    })
    .await;
    RunningIngest { stop, task }
}

/// The paho-mqtt interpreter provisioning installs.
fn python() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".envmon/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run deploy/provision.sh (it installs paho-mqtt)",
        python.display()
    );
    python
}

fn spawn_sensor(addresses: &[String], count: u64, out: &std::path::Path) -> std::process::Child {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/faults/paho_sensor.py");
    let mut command = std::process::Command::new(python());
    command.arg(script);
    for address in addresses {
        command.args(["--broker", address]);
    }
    command
        .args(["--client-id", &unique("paho-sensor")])
        .args(["--count", &count.to_string()])
        .args(["--rate", &RATE.to_string()])
        .args(["--start", START, "--stations", STATIONS])
        .arg("--out")
        .arg(out);
    if std::env::var_os("TEST_LOG").is_none() {
        command.stderr(std::process::Stdio::null());
    }
    command.spawn().expect("the paho sensor starts")
}
