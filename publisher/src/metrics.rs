//! The publisher's Prometheus metrics, and the layer that counts HTTP
//! requests by route pattern (never by raw path: `/api/v1/stations/{code}`
//! is one series however many stations there are) and status.
//!
//! The live lag, the age of the newest data of each kind and the database
//! pool's use are computed when scraped, from what the live feed last saw
//! and from the pool itself.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Pool, WeakPool};
use envmon_core::StationKind;
use envmon_core::metrics::computed::{ComputedFamily, ComputedGauge};
use envmon_core::metrics::{
    Counter, Gauge, Histogram, LabeledCounter, Metric, Registry, register_all,
};

/// HTTP requests answered, by route pattern and status.
pub(crate) static HTTP_REQUESTS: LabeledCounter = LabeledCounter::new(
    "envmon_http_requests_total",
    "HTTP requests answered, by route pattern and status code.",
    &["route", "status"],
);

/// Time to answer an HTTP request (to the upgrade, for WebSockets).
pub(crate) static HTTP_SECONDS: Histogram = Histogram::new(
    "envmon_http_request_seconds",
    "Time to answer an HTTP request (for a WebSocket, to the upgrade).",
    &[
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0,
    ],
);

/// Live clients (WebSocket and event stream) connected now.
pub(crate) static LIVE_CLIENTS: Gauge = Gauge::new(
    "envmon_publisher_live_clients",
    "Live clients (WebSocket and event stream) connected now.",
);

/// Live clients turned away or disconnected by the publisher, by reason.
pub(crate) static LIVE_DROPPED: LabeledCounter = LabeledCounter::new(
    "envmon_publisher_live_clients_dropped_total",
    "Live clients refused (full, per_address) or disconnected as too slow (slow).",
    &["reason"],
);

/// 1 while the live feed is connected to the broker.
pub(crate) static BROKER_CONNECTED: Gauge = Gauge::new(
    "envmon_publisher_broker_connected",
    "1 while the live feed is connected to the MQTT broker, else 0.",
);

/// Alert notice versions taken from the broker and relayed to live clients.
pub(crate) static ALERT_NOTICES: Counter = Counter::new(
    "envmon_publisher_alert_notices_total",
    "Alert notice versions received from the broker and relayed to live clients.",
);

/// Messages on alert topics not relayed, by reason.
pub(crate) static ALERT_NOTICES_REFUSED: LabeledCounter = LabeledCounter::new(
    "envmon_publisher_alert_notices_refused_total",
    "Messages on alert topics not relayed: unsigned, untrusted_key, key_not_valid_now, bad_signature, unsafe_link, malformed, empty, or not_newer than the version held.",
    &["reason"],
);

/// Messages on forecast topics not relayed, by reason (the notice reasons).
pub(crate) static FORECASTS_REFUSED: LabeledCounter = LabeledCounter::new(
    "envmon_publisher_forecasts_refused_total",
    "Messages on forecast topics not relayed: unsigned, untrusted_key, key_not_valid_now, bad_signature, malformed, empty, or not_newer than the version held.",
    &["reason"],
);

/// Staff sign-in attempts, by outcome.
pub(crate) static SIGN_INS: LabeledCounter = LabeledCounter::new(
    "envmon_staff_sign_ins_total",
    "Staff sign-in attempts: signed_in, refused (wrong name or password, disabled), delayed (the name or browser must wait), address_limited, busy (password checks full).",
    &["outcome"],
);

/// Subscribers' messages sent, by channel and outcome.
pub(crate) static DELIVERIES: LabeledCounter = LabeledCounter::new(
    "envmon_delivery_attempts_total",
    "Attempts to send a subscriber's message, by channel (email, webhook, push) and outcome: delivered, retry (failed, tried again later), failed (given up), gone (the push service no longer knows the browser).",
    &["channel", "outcome"],
);

/// Seconds from the commit of the last station state relayed to now.
static LIVE_LAG: ComputedGauge = ComputedGauge::new(
    "envmon_publisher_live_lag_seconds",
    "Seconds from ingest's commit of the last station state relayed to live clients until now.",
    live_lag,
);

/// Seconds since the newest reading of each kind of station.
static DATA_AGE: ComputedFamily = ComputedFamily::new(
    "envmon_publisher_data_age_seconds",
    "Seconds since the observation time of the newest reading the publisher holds, by station kind (air, river, source).",
    "kind",
    data_age,
);

/// Database connections in use (lent out, or being made for a caller).
static POOL_IN_USE: ComputedGauge = ComputedGauge::new(
    "envmon_publisher_database_pool_in_use",
    "Database connections of the pool in use now.",
    pool_in_use,
);

/// The most connections the pool may open.
static POOL_SIZE: ComputedGauge = ComputedGauge::new(
    "envmon_publisher_database_pool_size",
    "The most database connections the pool may open (max_connections).",
    pool_size,
);

/// No time recorded yet.
const NEVER: i64 = i64::MIN;

/// The commit time (Unix ms) of the newest state relayed.
static LAST_RELAYED_COMMIT_MS: AtomicI64 = AtomicI64::new(NEVER);

/// The newest observation time (Unix ms) of each kind, in
/// [`StationKind::ALL`] order.
static NEWEST_READING_MS: [AtomicI64; StationKind::ALL.len()] =
    [const { AtomicI64::new(NEVER) }; StationKind::ALL.len()];

/// The pools of the publishers in this process (one in production), held
/// weakly so that a stopped publisher's connections still close.
static POOLS: Mutex<Vec<WeakPool>> = Mutex::new(Vec::new());

/// Notes that a state committed at `committed_at` is being relayed.
pub(crate) fn state_relayed(committed_at: DateTime<Utc>) {
    LAST_RELAYED_COMMIT_MS.fetch_max(committed_at.timestamp_millis(), Ordering::Relaxed);
}

/// Notes a station's state, newest reading observed at `updated_at`.
pub(crate) fn state_seen(kind: StationKind, updated_at: DateTime<Utc>) {
    if let Some(index) = StationKind::ALL.iter().position(|k| *k == kind) {
        NEWEST_READING_MS[index].fetch_max(updated_at.timestamp_millis(), Ordering::Relaxed);
    }
}

/// Lets `pool`'s use be measured for as long as the pool lives.
pub(crate) fn watch_pool(pool: &Pool) {
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    pools.retain(|pool| pool.upgrade().is_some());
    pools.push(pool.weak());
}

/// Seconds from `ms` (Unix ms) to now, unless never recorded.
fn seconds_since(ms: i64) -> Option<f64> {
    (ms != NEVER).then(|| (Utc::now().timestamp_millis() - ms) as f64 / 1000.0)
}

fn live_lag() -> Option<f64> {
    seconds_since(LAST_RELAYED_COMMIT_MS.load(Ordering::Relaxed))
}

fn data_age() -> Vec<(String, f64)> {
    StationKind::ALL
        .iter()
        .zip(&NEWEST_READING_MS)
        .filter_map(|(kind, newest)| {
            seconds_since(newest.load(Ordering::Relaxed)).map(|age| (kind.to_string(), age))
        })
        .collect()
}

/// The status of every live pool, summed; none without a pool.
fn pools_status() -> Option<deadpool_postgres::Status> {
    let pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    let mut live = pools.iter().filter_map(WeakPool::upgrade).peekable();
    live.peek()?;
    Some(live.map(|pool| pool.status()).fold(
        deadpool_postgres::Status {
            max_size: 0,
            size: 0,
            available: 0,
            waiting: 0,
        },
        |sum, one| deadpool_postgres::Status {
            max_size: sum.max_size + one.max_size,
            size: sum.size + one.size,
            available: sum.available + one.available,
            waiting: sum.waiting + one.waiting,
        },
    ))
}

fn pool_in_use() -> Option<f64> {
    pools_status().map(|status| (status.size - status.available) as f64)
}

fn pool_size() -> Option<f64> {
    pools_status().map(|status| status.max_size as f64)
}

/// Every publisher metric in the OpenMetrics text format (what a process that
/// runs only the publisher serves, without the build and process series).
pub fn render() -> String {
    let mut registry = Registry::default();
    register(&mut registry);
    envmon_core::metrics::encode(&registry)
}

/// Adds every publisher metric to `registry`.
pub fn register(registry: &mut Registry) {
    let metrics: [&dyn Metric; 14] = [
        &HTTP_REQUESTS,
        &HTTP_SECONDS,
        &LIVE_CLIENTS,
        &LIVE_DROPPED,
        &BROKER_CONNECTED,
        &ALERT_NOTICES,
        &ALERT_NOTICES_REFUSED,
        &FORECASTS_REFUSED,
        &SIGN_INS,
        &DELIVERIES,
        &LIVE_LAG,
        &DATA_AGE,
        &POOL_IN_USE,
        &POOL_SIZE,
    ];
    register_all(registry, &metrics);
}

/// Counts a request by its matched route and status (middleware).
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    HTTP_REQUESTS.inc(&[&route, response.status().as_str()]);
    HTTP_SECONDS.observe(started.elapsed().as_secs_f64());
    response
}

/// Counts a live client while it lives.
#[derive(Debug)]
pub(crate) struct LiveClient(());

impl LiveClient {
    pub(crate) fn connected() -> Self {
        LIVE_CLIENTS.add(1);
        Self(())
    }
}

impl Drop for LiveClient {
    fn drop(&mut self) {
        LIVE_CLIENTS.add(-1);
    }
}
