//! A small Prometheus registry: counters, gauges and histograms on atomics,
//! rendered in the text exposition format (version 0.0.4).
//!
//! Each crate declares its metrics as statics next to its events (so a log
//! line and its metric change together) and lists them for rendering; the
//! binary serves the rendering on `[metrics] listen`. Labels are fixed
//! small sets (a reason code, a route pattern, a status), never a station,
//! a client or an alert id.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Where metrics are served (`[metrics]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Address of the Prometheus endpoint `/metrics`; absent for none. Keep
    /// it internal (loopback or a private network): it is not authenticated.
    pub listen: Option<SocketAddr>,
}

/// Something that renders itself in the text format.
pub trait Metric: Sync {
    /// Appends the `# HELP`, `# TYPE` and sample lines.
    fn render(&self, out: &mut String);
}

/// Renders `metrics`, in order, as one exposition.
pub fn render(metrics: &[&dyn Metric]) -> String {
    let mut out = String::new();
    for metric in metrics {
        metric.render(&mut out);
    }
    out
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A count that only goes up.
#[derive(Debug)]
pub struct Counter {
    name: &'static str,
    help: &'static str,
    value: AtomicU64,
}

impl Counter {
    /// A counter at zero.
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            value: AtomicU64::new(0),
        }
    }

    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Metric for Counter {
    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        let _ = writeln!(out, "{} {}", self.name, self.get());
    }
}

/// A value that goes up and down.
#[derive(Debug)]
pub struct Gauge {
    name: &'static str,
    help: &'static str,
    value: AtomicI64,
}

impl Gauge {
    /// A gauge at zero.
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            value: AtomicI64::new(0),
        }
    }

    /// Sets the value.
    pub fn set(&self, value: i64) {
        self.value.store(value, Ordering::Relaxed);
    }

    /// Adds `delta` (negative to subtract).
    pub fn add(&self, delta: i64) {
        self.value.fetch_add(delta, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Metric for Gauge {
    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "gauge");
        let _ = writeln!(out, "{} {}", self.name, self.get());
    }
}

/// A counter per combination of label values.
#[derive(Debug)]
pub struct LabeledCounter {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, u64>>,
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
            values: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds `n` to the counter of `values` (one per label name, in order).
    pub fn add(&self, values: &[&str], n: u64) {
        debug_assert_eq!(values.len(), self.labels.len());
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        let mut map = self.values.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(key).or_insert(0) += n;
    }

    /// Adds one to the counter of `values`.
    pub fn inc(&self, values: &[&str]) {
        self.add(values, 1);
    }

    /// The counter of `values`.
    pub fn get(&self, values: &[&str]) -> u64 {
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        let map = self.values.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&key).copied().unwrap_or(0)
    }
}

impl Metric for LabeledCounter {
    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        let map = self.values.lock().unwrap_or_else(|e| e.into_inner());
        for (values, count) in map.iter() {
            let _ = writeln!(
                out,
                "{}{{{}}} {count}",
                self.name,
                label_pairs(self.labels, values)
            );
        }
    }
}

fn label_pairs(names: &[&str], values: &[String]) -> String {
    names
        .iter()
        .zip(values)
        .map(|(name, value)| format!("{name}=\"{}\"", escape(value)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Label values escaped as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// Most buckets a histogram has.
const MAX_BUCKETS: usize = 16;

/// Observations counted into fixed buckets.
#[derive(Debug)]
pub struct Histogram {
    name: &'static str,
    help: &'static str,
    /// Upper bounds, increasing; `+Inf` is implied.
    bounds: &'static [f64],
    buckets: [AtomicU64; MAX_BUCKETS],
    count: AtomicU64,
    /// The sum, as the bits of an `f64`.
    sum_bits: AtomicU64,
}

impl Histogram {
    /// An empty histogram with these bucket upper bounds (at most 16).
    pub const fn new(name: &'static str, help: &'static str, bounds: &'static [f64]) -> Self {
        assert!(bounds.len() <= MAX_BUCKETS, "at most 16 buckets");
        Self {
            name,
            help,
            bounds,
            buckets: [const { AtomicU64::new(0) }; MAX_BUCKETS],
            count: AtomicU64::new(0),
            sum_bits: AtomicU64::new(0),
        }
    }

    /// Records one observation.
    pub fn observe(&self, value: f64) {
        if let Some(index) = self.bounds.iter().position(|bound| value <= *bound) {
            self.buckets[index].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum_bits
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + value).to_bits())
            });
    }

    /// How many observations were recorded.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl Metric for Histogram {
    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        let mut cumulative = 0;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{}_bucket{{le=\"{bound}\"}} {cumulative}", self.name);
        }
        let count = self.count();
        let _ = writeln!(out, "{}_bucket{{le=\"+Inf\"}} {count}", self.name);
        let sum = f64::from_bits(self.sum_bits.load(Ordering::Relaxed));
        let _ = writeln!(out, "{}_sum {sum}", self.name);
        let _ = writeln!(out, "{}_count {count}", self.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_text_exposition_format() {
        static RECEIVED: Counter = Counter::new("t_received_total", "Messages received.");
        static CLIENTS: Gauge = Gauge::new("t_clients", "Clients connected.");
        static REFUSED: LabeledCounter =
            LabeledCounter::new("t_refused_total", "Refused.", &["reason"]);
        static LATENCY: Histogram = Histogram::new("t_seconds", "Latency.", &[0.01, 0.1, 1.0]);
        RECEIVED.add(3);
        CLIENTS.add(2);
        CLIENTS.add(-1);
        REFUSED.inc(&["bad_json"]);
        REFUSED.inc(&["a \"quoted\" \\ value"]);
        LATENCY.observe(0.005);
        LATENCY.observe(0.5);
        LATENCY.observe(7.0);
        let text = render(&[&RECEIVED, &CLIENTS, &REFUSED, &LATENCY]);
        assert_eq!(
            text,
            "# HELP t_received_total Messages received.\n\
             # TYPE t_received_total counter\n\
             t_received_total 3\n\
             # HELP t_clients Clients connected.\n\
             # TYPE t_clients gauge\n\
             t_clients 1\n\
             # HELP t_refused_total Refused.\n\
             # TYPE t_refused_total counter\n\
             t_refused_total{reason=\"a \\\"quoted\\\" \\\\ value\"} 1\n\
             t_refused_total{reason=\"bad_json\"} 1\n\
             # HELP t_seconds Latency.\n\
             # TYPE t_seconds histogram\n\
             t_seconds_bucket{le=\"0.01\"} 1\n\
             t_seconds_bucket{le=\"0.1\"} 1\n\
             t_seconds_bucket{le=\"1\"} 2\n\
             t_seconds_bucket{le=\"+Inf\"} 3\n\
             t_seconds_sum 7.505\n\
             t_seconds_count 3\n"
        );
    }
}
