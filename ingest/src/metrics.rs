//! Ingest's Prometheus metrics. They change in `events` (with the log line
//! they belong to) and in the stages that have no log line per message;
//! the queue's depth is read from the queue itself when scraped.

use std::sync::Mutex;

use envmon_core::metrics::computed::ComputedGauge;
use envmon_core::metrics::{
    Counter, Gauge, Histogram, LabeledCounter, Metric, Registry, register_all,
};
use tokio::sync::mpsc;

use crate::input::Input;

/// Messages taken in, by source (`mqtt`, `hj212`).
pub(crate) static MESSAGES_RECEIVED: LabeledCounter = LabeledCounter::new(
    "envmon_ingest_messages_received_total",
    "Messages taken in, by source (mqtt, hj212).",
    &["source"],
);

/// Readings committed.
pub(crate) static READINGS_STORED: Counter = Counter::new(
    "envmon_ingest_readings_stored_total",
    "Readings committed to the database.",
);

/// Refused payloads, by reason code (a fixed set, docs/payloads.md).
pub(crate) static DEAD_LETTERS: LabeledCounter = LabeledCounter::new(
    "envmon_ingest_dead_letters_total",
    "Payloads refused into dead letters, by reason code.",
    &["reason"],
);

/// HJ 212 loggers not let in, by transport and reason code.
pub(crate) static HJ212_AUTH_FAILURES: LabeledCounter = LabeledCounter::new(
    "envmon_ingest_hj212_auth_failures_total",
    "HJ 212 packets from loggers not let in, by transport (tcp, mqtt) and reason (hj212_password, hj212_no_secret, hj212_network, hj212_unknown_mn).",
    &["transport", "reason"],
);

/// HJ 212 connections closed on accept, by reason.
pub(crate) static HJ212_CONNECTIONS_REFUSED: LabeledCounter = LabeledCounter::new(
    "envmon_ingest_hj212_connections_refused_total",
    "HJ 212 TCP connections closed on accept, by reason (address_cap).",
    &["reason"],
);

/// Messages per committed batch.
pub(crate) static BATCH_MESSAGES: Histogram = Histogram::new(
    "envmon_ingest_batch_messages",
    "Messages per committed batch.",
    &[
        1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0,
    ],
);

/// Time from taking a batch to its commit.
pub(crate) static BATCH_COMMIT_SECONDS: Histogram = Histogram::new(
    "envmon_ingest_batch_commit_seconds",
    "Time from taking a batch to its commit, retries included.",
    &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ],
);

/// Failed attempts to write a batch (each is retried).
pub(crate) static BATCH_FAILURES: Counter = Counter::new(
    "envmon_ingest_batch_failures_total",
    "Failed attempts to write a batch; each is retried.",
);

/// 1 while connected to the broker.
pub(crate) static BROKER_CONNECTED: Gauge = Gauge::new(
    "envmon_ingest_broker_connected",
    "1 while connected to the MQTT broker, else 0.",
);

/// Connections to the broker, by whether the broker still had ingest's
/// session (`resumed`) or not (`new`). Every one after the first is a
/// reconnection: a broker restart, crash or network cut. A `new` one after
/// the first means the broker lost the session, and with it whatever it had
/// queued for ingest.
pub(crate) static BROKER_CONNECTIONS: LabeledCounter = LabeledCounter::new(
    "envmon_ingest_broker_connections_total",
    "Connections to the MQTT broker, by session (resumed, new).",
    &["session"],
);

/// 1 while the last database write succeeded.
pub(crate) static DATABASE_UP: Gauge = Gauge::new(
    "envmon_ingest_database_up",
    "1 while the last database write succeeded, else 0.",
);

/// Maintenance passes, by outcome (`ok`, `failed`).
pub(crate) static MAINTENANCE_PASSES: LabeledCounter = LabeledCounter::new(
    "envmon_ingest_maintenance_passes_total",
    "Retention and partition maintenance passes, by outcome (ok, failed).",
    &["outcome"],
);

/// Partitions dropped by retention.
pub(crate) static PARTITIONS_DROPPED: Counter = Counter::new(
    "envmon_ingest_partitions_dropped_total",
    "Monthly partitions dropped by retention.",
);

/// MQTT messages received and not yet acknowledged to the broker: in the
/// queue, in the batch being written, or committed and waiting for their
/// acknowledgement to be sent. Kept by [`Unacknowledged`].
pub(crate) static UNACKNOWLEDGED: Gauge = Gauge::new(
    "envmon_ingest_unacknowledged_messages",
    "MQTT messages received and not yet acknowledged to the broker (queued, being written, or committed and waiting to be acknowledged).",
);

/// Deliveries waiting in the queue for the writer.
static QUEUE_DEPTH: ComputedGauge = ComputedGauge::new(
    "envmon_ingest_queue_depth",
    "Deliveries (MQTT messages, HJ 212 packets) waiting in the queue for the writer.",
    queue_depth,
);

/// The delivery queues of the ingest daemons running in this process (one
/// in production, several in tests), held weakly so that the queue still
/// closes when its daemon stops.
static QUEUES: Mutex<Vec<mpsc::WeakSender<Input>>> = Mutex::new(Vec::new());

/// Lets the queue of `deliveries` be measured for as long as it is open.
pub(crate) fn watch_delivery_queue(deliveries: &mpsc::Sender<Input>) {
    let mut queues = QUEUES.lock().unwrap_or_else(|e| e.into_inner());
    queues.retain(|queue| queue.strong_count() > 0);
    queues.push(deliveries.downgrade());
}

/// The deliveries waiting in every open queue; none before ingest runs.
fn queue_depth() -> Option<f64> {
    let queues = QUEUES.lock().unwrap_or_else(|e| e.into_inner());
    let open: Vec<_> = queues
        .iter()
        .filter_map(mpsc::WeakSender::upgrade)
        .collect();
    drop(queues);
    if open.is_empty() {
        return None;
    }
    let waiting: usize = open
        .iter()
        .map(|queue| queue.max_capacity() - queue.capacity())
        .sum();
    Some(waiting as f64)
}

/// Counts one MQTT message in [`UNACKNOWLEDGED`] from its receipt until
/// it is acknowledged or given up (its connection is gone, so the broker
/// will deliver it again): it lives in the delivery and goes with it.
#[derive(Debug)]
pub(crate) struct Unacknowledged(());

impl Unacknowledged {
    /// Counts a message just received.
    pub(crate) fn received() -> Self {
        UNACKNOWLEDGED.add(1);
        Self(())
    }
}

impl Clone for Unacknowledged {
    fn clone(&self) -> Self {
        Self::received()
    }
}

impl Drop for Unacknowledged {
    fn drop(&mut self) {
        UNACKNOWLEDGED.add(-1);
    }
}

/// Every ingest metric in the OpenMetrics text format (what a process that
/// runs only ingest serves, without the build and process series).
pub fn render() -> String {
    let mut registry = Registry::default();
    register(&mut registry);
    envmon_core::metrics::encode(&registry)
}

/// Adds every ingest metric to `registry`.
pub fn register(registry: &mut Registry) {
    let metrics: [&dyn Metric; 15] = [
        &MESSAGES_RECEIVED,
        &READINGS_STORED,
        &DEAD_LETTERS,
        &HJ212_AUTH_FAILURES,
        &HJ212_CONNECTIONS_REFUSED,
        &BATCH_MESSAGES,
        &BATCH_COMMIT_SECONDS,
        &BATCH_FAILURES,
        &BROKER_CONNECTED,
        &BROKER_CONNECTIONS,
        &DATABASE_UP,
        &MAINTENANCE_PASSES,
        &PARTITIONS_DROPPED,
        &UNACKNOWLEDGED,
        &QUEUE_DEPTH,
    ];
    register_all(registry, &metrics);
}
