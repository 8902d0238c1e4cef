//! The publisher's Prometheus metrics, and the layer that counts HTTP
//! requests by route pattern (never by raw path: `/api/v1/stations/{code}`
//! is one series however many stations there are) and status.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use envmon_core::metrics::{
    Counter, Gauge, Histogram, LabeledCounter, Metric, render as render_all,
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

/// Staff sign-in attempts, by outcome.
pub(crate) static SIGN_INS: LabeledCounter = LabeledCounter::new(
    "envmon_staff_sign_ins_total",
    "Staff sign-in attempts: signed_in, refused (wrong name or password, disabled), delayed (the name or browser must wait), address_limited, busy (password checks full).",
    &["outcome"],
);

/// Every publisher metric in the text exposition format.
pub fn render() -> String {
    let metrics: [&dyn Metric; 8] = [
        &HTTP_REQUESTS,
        &HTTP_SECONDS,
        &LIVE_CLIENTS,
        &LIVE_DROPPED,
        &BROKER_CONNECTED,
        &ALERT_NOTICES,
        &ALERT_NOTICES_REFUSED,
        &SIGN_INS,
    ];
    render_all(&metrics)
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
