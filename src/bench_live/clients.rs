//! The WebSocket clients: each reads every message as it comes and, for
//! updates, records the time from `updated_at` (when the load published
//! it) to receipt. Slow clients read one message a second through a small
//! receive buffer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::net::TcpSocket;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Latency buckets of 100 µs up to 10 s; later arrivals count in the last.
const BUCKETS: usize = 100_000;
const BUCKET_MICROS: i64 = 100;

/// Handshakes in flight at once while connecting.
const CONNECTING_AT_ONCE: usize = 256;

/// Delivery counts and the latency histogram of one group of clients.
#[derive(Debug)]
pub(super) struct Stats {
    pub(super) recording: AtomicBool,
    buckets: Vec<AtomicU64>,
    pub(super) delivered: AtomicU64,
    pub(super) connected: AtomicU64,
    pub(super) closed: AtomicU64,
}

impl Stats {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            recording: AtomicBool::new(false),
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            delivered: AtomicU64::new(0),
            connected: AtomicU64::new(0),
            closed: AtomicU64::new(0),
        })
    }

    fn record(&self, micros: i64) {
        let index = usize::try_from(micros.max(0) / BUCKET_MICROS).unwrap_or(BUCKETS - 1);
        self.buckets[index.min(BUCKETS - 1)].fetch_add(1, Ordering::Relaxed);
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }

    /// Empties the histogram and the delivery count.
    pub(super) fn reset(&self) {
        for bucket in &self.buckets {
            bucket.store(0, Ordering::Relaxed);
        }
        self.delivered.store(0, Ordering::Relaxed);
    }

    /// The latency below which `fraction` of deliveries fell, in ms.
    pub(super) fn percentile_ms(&self, fraction: f64) -> f64 {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return f64::NAN;
        }
        let target = (total as f64 * fraction).ceil() as u64;
        let mut seen = 0;
        for (i, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= target {
                return ((i + 1) as f64 * BUCKET_MICROS as f64) / 1000.0;
            }
        }
        f64::INFINITY
    }
}

/// How a client reads.
#[derive(Debug, Clone, Copy)]
pub(super) enum Pace {
    /// As fast as messages come.
    Fast,
    /// One message a second, through a 4 KiB receive buffer.
    Slow,
}

/// Opens `count` clients following the air stations; returns once each
/// has its snapshot (or failed).
pub(super) async fn open(
    addr: SocketAddr,
    count: usize,
    pace: Pace,
    stats: &Arc<Stats>,
    clients: &mut JoinSet<()>,
) {
    let gate = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<bool>(count.max(1));
    for _ in 0..count {
        let permit = Arc::clone(&gate)
            .acquire_owned()
            .await
            .expect("never closed");
        let stats = Arc::clone(stats);
        let ready = ready_tx.clone();
        clients.spawn(async move {
            let connected = connect(addr, pace).await;
            drop(permit);
            let Ok(mut socket) = connected else {
                let _ = ready.send(false).await;
                return;
            };
            // The snapshot.
            let got_snapshot = matches!(socket.next().await, Some(Ok(Message::Text(_))));
            let _ = ready.send(got_snapshot).await;
            if !got_snapshot {
                return;
            }
            stats.connected.fetch_add(1, Ordering::Relaxed);
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Text(text) = message
                    && stats.recording.load(Ordering::Relaxed)
                    && let Some(micros) = latency_micros(text.as_str())
                {
                    stats.record(micros);
                }
                if matches!(pace, Pace::Slow) {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            stats.closed.fetch_add(1, Ordering::Relaxed);
        });
    }
    drop(ready_tx);
    for _ in 0..count {
        if ready_rx.recv().await.is_none() {
            break;
        }
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn connect(addr: SocketAddr, pace: Pace) -> anyhow::Result<Socket> {
    let socket = TcpSocket::new_v4()?;
    if matches!(pace, Pace::Slow) {
        socket.set_recv_buffer_size(4096)?;
    }
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    // A small read buffer: ten thousand clients of 128 KiB each would be
    // the load tool's own bottleneck.
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let url = format!("ws://{addr}/api/v1/live?kind=air");
    let (socket, _) =
        tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await?;
    Ok(socket)
}

/// For an update: now minus its `updated_at`, in µs.
///
/// Ten thousand clients read on the same two cores as the publisher, so
/// this stays cheap: `updated_at` comes early in the state (a byte search
/// finds it) and is read by hand; chrono only when the form is unusual.
fn latency_micros(text: &str) -> Option<i64> {
    const KEY: &[u8] = b"\"updated_at\":\"";
    if !text.starts_with("{\"type\":\"update\"") {
        return None;
    }
    let bytes = text.as_bytes();
    let start = bytes.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let end = start + bytes[start..].iter().position(|&b| b == b'"')?;
    let stamp = &text[start..end];
    let sent = utc_micros(stamp).or_else(|| {
        let parsed: DateTime<Utc> = stamp.parse().ok()?;
        Some(parsed.timestamp_micros())
    })?;
    Some(Utc::now().timestamp_micros() - sent)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` as µs since 1970, or `None` for any
/// other form.
fn utc_micros(stamp: &str) -> Option<i64> {
    let b = stamp.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        b.get(range)?.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let seconds = digits(11..13)? * 3600 + digits(14..16)? * 60 + digits(17..19)?;
    let fraction = match b[19] {
        b'Z' => 0,
        b'.' => {
            let raw = &b[20..b.len() - 1];
            let micros = digits(20..20 + raw.len().min(6))?;
            micros * 10i64.pow(6 - u32::try_from(raw.len().min(6)).ok()?)
        }
        _ => return None,
    };
    Some((days_from_civil(year, month, day) * 86_400 + seconds) * 1_000_000 + fraction)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_histogram() {
        let stats = Stats::new();
        for micros in [150, 250, 250, 1_050] {
            stats.record(micros);
        }
        assert_eq!(stats.percentile_ms(0.5), 0.3);
        assert_eq!(stats.percentile_ms(0.99), 1.1);
    }

    #[test]
    fn stamps_read_by_hand_agree_with_chrono() {
        for stamp in [
            "2026-11-26T02:05:28.735702Z",
            "2026-11-26T02:05:28.735702879Z",
            "2026-11-26T02:05:28.7Z",
            "2024-02-29T23:59:59Z",
            "1999-12-31T00:00:00.000001Z",
        ] {
            let chrono: DateTime<Utc> = stamp.parse().unwrap();
            assert_eq!(
                utc_micros(stamp),
                Some(chrono.timestamp_micros()),
                "{stamp}"
            );
        }
        assert_eq!(utc_micros("2026-11-26T10:05:28+08:00"), None);
    }

    #[test]
    fn only_updates_have_a_latency() {
        let now = Utc::now().to_rfc3339();
        assert!(
            latency_micros(&format!(
                "{{\"type\":\"update\",\"state\":{{\"updated_at\":\"{now}\"}}}}"
            ))
            .is_some()
        );
        assert!(
            latency_micros(&format!(
                "{{\"type\":\"snapshot\",\"updated_at\":\"{now}\"}}"
            ))
            .is_none()
        );
    }
}
