//! Prometheus metrics on `prometheus-client`, the official Rust client: its
//! counters, gauges, histograms and label families, encoded in the
//! OpenMetrics text format.
//!
//! Each crate declares its metrics as statics next to its events (so a log
//! line and its metric change together) and registers them into the
//! [`Registry`] that the binary serves on `[metrics] listen`. The statics
//! here are thin: a name, a help text and the client's metric, made on first
//! use, so that a `static` needs no initialiser function. Labels are fixed
//! small sets (a reason code, a route pattern, a status), never a station,
//! a client or an alert id.
//!
//! Names are written in full, as they are scraped (`..._total` for
//! counters): the client adds `_total` itself, so it is taken off when a
//! counter is registered.
//!
//! [`computed`] has gauges computed when scraped, [`process`] the
//! process's own figures, read from `/proc/self`.

pub mod computed;
pub mod process;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::sync::atomic::AtomicU64;

use prometheus_client::metrics::counter::Counter as ClientCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge as ClientGauge;
use prometheus_client::metrics::histogram::Histogram as ClientHistogram;
pub use prometheus_client::registry::Registry;
use serde::{Deserialize, Serialize};

/// The content type of [`encode`]'s text, for the `/metrics` response.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Where metrics are served (`[metrics]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Address of the Prometheus endpoint `/metrics`; absent for none. Keep
    /// it internal (loopback or a private network): it is not authenticated.
    pub listen: Option<SocketAddr>,
}

/// Something that can be registered for scraping.
pub trait Metric: Sync {
    /// Adds this metric to `registry`, under its name and help.
    fn register(&self, registry: &mut Registry);
}

/// Registers `metrics`, in order.
pub fn register_all(registry: &mut Registry, metrics: &[&dyn Metric]) {
    for metric in metrics {
        metric.register(registry);
    }
}

/// `registry` in the OpenMetrics text format, ending in `# EOF`.
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, registry);
    text
}

/// The help as the client wants it: it adds the final period itself.
fn help_text(help: &str) -> &str {
    help.strip_suffix('.').unwrap_or(help)
}

/// A count that only goes up.
#[derive(Debug)]
pub struct Counter {
    name: &'static str,
    help: &'static str,
    inner: OnceLock<ClientCounter>,
}

impl Counter {
    /// A counter at zero.
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            inner: OnceLock::new(),
        }
    }

    fn inner(&self) -> &ClientCounter {
        self.inner.get_or_init(ClientCounter::default)
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.inner().inc_by(n);
    }

    /// Adds one.
    pub fn inc(&self) {
        self.inner().inc();
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.inner().get()
    }
}

impl Metric for Counter {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            counter_name(self.name),
            help_text(self.help),
            self.inner().clone(),
        );
    }
}

/// A counter's name as registered: the client appends `_total`.
fn counter_name(name: &str) -> &str {
    name.strip_suffix("_total").unwrap_or(name)
}

/// A whole number that goes up and down.
#[derive(Debug)]
pub struct Gauge {
    name: &'static str,
    help: &'static str,
    inner: OnceLock<ClientGauge>,
}

impl Gauge {
    /// A gauge at zero.
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            inner: OnceLock::new(),
        }
    }

    fn inner(&self) -> &ClientGauge {
        self.inner.get_or_init(ClientGauge::default)
    }

    /// Sets the value.
    pub fn set(&self, value: i64) {
        self.inner().set(value);
    }

    /// Adds `delta` (negative to subtract).
    pub fn add(&self, delta: i64) {
        self.inner().inc_by(delta);
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.inner().get()
    }
}

impl Metric for Gauge {
    fn register(&self, registry: &mut Registry) {
        registry.register(self.name, help_text(self.help), self.inner().clone());
    }
}

/// A gauge of fractional values: seconds, bytes read from the system.
type ClientFloatGauge = ClientGauge<f64, AtomicU64>;

/// A fractional value that goes up and down, with a series per combination
/// of label values (none for a plain gauge).
#[derive(Debug)]
pub struct FloatGauge {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    inner: OnceLock<Family<LabelSet, ClientFloatGauge>>,
}

impl FloatGauge {
    /// A family with these label names and no samples yet.
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            inner: OnceLock::new(),
        }
    }

    fn inner(&self) -> &Family<LabelSet, ClientFloatGauge> {
        self.inner.get_or_init(Family::default)
    }

    /// Sets the series of `values` (one per label name, in order).
    pub fn set(&self, values: &[&str], value: f64) {
        let labels = label_set(self.labels, values);
        self.inner().get_or_create(&labels).set(value);
    }

    /// Removes every series, for a family recomputed on each scrape.
    pub fn clear(&self) {
        self.inner().clear();
    }

    /// The series of `values`, if it has been set.
    pub fn get(&self, values: &[&str]) -> Option<f64> {
        let labels = label_set(self.labels, values);
        self.inner().get(&labels).map(|gauge| gauge.get())
    }
}

impl Metric for FloatGauge {
    fn register(&self, registry: &mut Registry) {
        registry.register(self.name, help_text(self.help), self.inner().clone());
    }
}

/// Label names with their (escaped) values, in declaration order.
type LabelSet = Vec<(&'static str, String)>;

fn label_set(names: &'static [&'static str], values: &[&str]) -> LabelSet {
    debug_assert_eq!(values.len(), names.len());
    names
        .iter()
        .zip(values)
        .map(|(name, value)| (*name, escape(value)))
        .collect()
}

/// Label values escaped as the text format requires (the client writes
/// them as given).
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// A counter per combination of label values.
#[derive(Debug)]
pub struct LabeledCounter {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    inner: OnceLock<Family<LabelSet, ClientCounter>>,
}

impl LabeledCounter {
    /// A family with these label names and no samples yet.
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            inner: OnceLock::new(),
        }
    }

    fn inner(&self) -> &Family<LabelSet, ClientCounter> {
        self.inner.get_or_init(Family::default)
    }

    /// Adds `n` to the counter of `values` (one per label name, in order).
    pub fn add(&self, values: &[&str], n: u64) {
        let labels = label_set(self.labels, values);
        self.inner().get_or_create(&labels).inc_by(n);
    }

    /// Adds one to the counter of `values`.
    pub fn inc(&self, values: &[&str]) {
        self.add(values, 1);
    }

    /// The counter of `values`.
    pub fn get(&self, values: &[&str]) -> u64 {
        let labels = label_set(self.labels, values);
        self.inner().get(&labels).map_or(0, |counter| counter.get())
    }
}

impl Metric for LabeledCounter {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            counter_name(self.name),
            help_text(self.help),
            self.inner().clone(),
        );
    }
}

/// Observations counted into fixed buckets.
#[derive(Debug)]
pub struct Histogram {
    name: &'static str,
    help: &'static str,
    /// Upper bounds, increasing; `+Inf` is implied.
    bounds: &'static [f64],
    inner: OnceLock<ClientHistogram>,
}

impl Histogram {
    /// An empty histogram with these bucket upper bounds.
    pub const fn new(name: &'static str, help: &'static str, bounds: &'static [f64]) -> Self {
        Self {
            name,
            help,
            bounds,
            inner: OnceLock::new(),
        }
    }

    fn inner(&self) -> &ClientHistogram {
        self.inner
            .get_or_init(|| ClientHistogram::new(self.bounds.iter().copied()))
    }

    /// Records one observation.
    pub fn observe(&self, value: f64) {
        self.inner().observe(value);
    }
}

impl Metric for Histogram {
    fn register(&self, registry: &mut Registry) {
        registry.register(self.name, help_text(self.help), self.inner().clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_openmetrics_text_with_the_names_as_declared() {
        static RECEIVED: Counter = Counter::new("t_received_total", "Messages received.");
        static CLIENTS: Gauge = Gauge::new("t_clients", "Clients connected.");
        static REFUSED: LabeledCounter =
            LabeledCounter::new("t_refused_total", "Refused.", &["reason"]);
        static LATENCY: Histogram = Histogram::new("t_seconds", "Latency.", &[0.01, 0.1, 1.0]);
        static AGE: FloatGauge = FloatGauge::new("t_age_seconds", "Age.", &["kind"]);
        RECEIVED.add(3);
        CLIENTS.add(2);
        CLIENTS.add(-1);
        REFUSED.inc(&["a \"quoted\" \\ value"]);
        LATENCY.observe(0.005);
        LATENCY.observe(0.5);
        LATENCY.observe(7.0);
        AGE.set(&["air"], 1.5);
        let mut registry = Registry::default();
        register_all(
            &mut registry,
            &[&RECEIVED, &CLIENTS, &REFUSED, &LATENCY, &AGE],
        );
        assert_eq!(
            encode(&registry),
            "# HELP t_received Messages received.\n\
             # TYPE t_received counter\n\
             t_received_total 3\n\
             # HELP t_clients Clients connected.\n\
             # TYPE t_clients gauge\n\
             t_clients 1\n\
             # HELP t_refused Refused.\n\
             # TYPE t_refused counter\n\
             t_refused_total{reason=\"a \\\"quoted\\\" \\\\ value\"} 1\n\
             # HELP t_seconds Latency.\n\
             # TYPE t_seconds histogram\n\
             t_seconds_sum 7.505\n\
             t_seconds_count 3\n\
             t_seconds_bucket{le=\"0.01\"} 1\n\
             t_seconds_bucket{le=\"0.1\"} 1\n\
             t_seconds_bucket{le=\"1.0\"} 2\n\
             t_seconds_bucket{le=\"+Inf\"} 3\n\
             # HELP t_age_seconds Age.\n\
             # TYPE t_age_seconds gauge\n\
             t_age_seconds{kind=\"air\"} 1.5\n\
             # EOF\n"
        );
        assert_eq!(REFUSED.get(&["a \"quoted\" \\ value"]), 1);
        assert_eq!(REFUSED.get(&["other"]), 0);
        assert_eq!(AGE.get(&["air"]), Some(1.5));
        AGE.clear();
        assert_eq!(AGE.get(&["air"]), None);
    }
}
