//! The WebSocket clients: each reads every message as it comes and, for
//! updates, records the time from `updated_at` (when the load published
//! it) to receipt. Slow clients read one message a second through a small
//! receive buffer.
//!
//! Ten thousand clients share the two cores with the publisher they
//! measure, so they speak just enough WebSocket (RFC 6455) to read a
//! server's unmasked frames and answer its pings, without copying or
//! checking each message: the load tool's own cost stays small beside the
//! server's. Browsers do that work on their own machines.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::bytes::{Bytes, BytesMut};

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
            let Ok(mut client) = connected else {
                let _ = ready.send(false).await;
                return;
            };
            // The snapshot.
            let got_snapshot = matches!(client.next().await, Ok(Some(Frame::Text(..))));
            let _ = ready.send(got_snapshot).await;
            if !got_snapshot {
                return;
            }
            stats.connected.fetch_add(1, Ordering::Relaxed);
            while let Ok(Some(frame)) = client.next().await {
                if let Frame::Text(text, received_at) = frame
                    && stats.recording.load(Ordering::Relaxed)
                    && let Some(micros) = latency_micros(&text, received_at)
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

async fn connect(addr: SocketAddr, pace: Pace) -> anyhow::Result<Client> {
    let socket = TcpSocket::new_v4()?;
    if matches!(pace, Pace::Slow) {
        socket.set_recv_buffer_size(4096)?;
    }
    let mut stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    let request = format!(
        "GET /api/v1/live?kind=air HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = BytesMut::with_capacity(READ_BYTES);
    let end = loop {
        if stream.read_buf(&mut buffer).await? == 0 {
            anyhow::bail!("the server closed during the handshake");
        }
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        anyhow::ensure!(buffer.len() < 16 * 1024, "no end to the handshake");
    };
    anyhow::ensure!(
        buffer.starts_with(b"HTTP/1.1 101"),
        "refused: {}",
        String::from_utf8_lossy(&buffer[..end.min(80)])
    );
    let _ = buffer.split_to(end);
    Ok(Client {
        stream,
        buffer,
        read_at: 0,
    })
}

/// Bytes asked of the socket per read.
const READ_BYTES: usize = 64 * 1024;

/// One client's connection, after the handshake.
struct Client {
    stream: TcpStream,
    buffer: BytesMut,
    /// When the last read returned, in µs since 1970: the moment of
    /// receipt of every frame it completed.
    read_at: i64,
}

/// A message from the server.
enum Frame {
    /// A text message's payload (not checked as UTF-8: only ASCII is read)
    /// and when it arrived (µs since 1970).
    Text(Bytes, i64),
    Other,
}

impl Client {
    /// The next data frame, answering pings on the way; `None` once the
    /// server closes.
    async fn next(&mut self) -> anyhow::Result<Option<Frame>> {
        loop {
            if let Some((opcode, payload)) = take_frame(&mut self.buffer)? {
                match opcode {
                    OP_TEXT | OP_CONTINUATION => {
                        return Ok(Some(Frame::Text(payload, self.read_at)));
                    }
                    OP_CLOSE => return Ok(None),
                    OP_PING => self.pong(&payload).await?,
                    _ => return Ok(Some(Frame::Other)),
                }
                continue;
            }
            self.buffer.reserve(READ_BYTES);
            if self.stream.read_buf(&mut self.buffer).await? == 0 {
                return Ok(None);
            }
            self.read_at = Utc::now().timestamp_micros();
        }
    }

    /// Answers a ping: a client's frames are masked (a zero mask leaves
    /// the payload as it is).
    async fn pong(&mut self, payload: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(payload.len() < 126, "a ping's payload is under 126 bytes");
        let mut frame = vec![0x80 | OP_PONG, 0x80 | payload.len() as u8, 0, 0, 0, 0];
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame).await?;
        Ok(())
    }
}

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Splits the first whole frame off `buffer`: its opcode and payload.
fn take_frame(buffer: &mut BytesMut) -> anyhow::Result<Option<(u8, Bytes)>> {
    let Some(&[first, second]) = buffer.get(..2) else {
        return Ok(None);
    };
    anyhow::ensure!(second & 0x80 == 0, "a server's frames are not masked");
    let (header, length) = match second & 0x7F {
        126 => match buffer.get(2..4) {
            Some(b) => (4, u64::from(u16::from_be_bytes([b[0], b[1]]))),
            None => return Ok(None),
        },
        127 => match buffer.get(2..10) {
            Some(b) => (10, u64::from_be_bytes(b.try_into()?)),
            None => return Ok(None),
        },
        short => (2, u64::from(short)),
    };
    let length = usize::try_from(length)?;
    if buffer.len() < header + length {
        return Ok(None);
    }
    let _ = buffer.split_to(header);
    Ok(Some((first & 0x0F, buffer.split_to(length).freeze())))
}

/// For an update received at `received_at` (µs since 1970): that minus its
/// `updated_at`, in µs.
///
/// Ten thousand clients read on the same two cores as the publisher, so
/// this stays cheap: a vectorised search finds `updated_at`, which is read
/// by hand; chrono only when the form is unusual.
fn latency_micros(bytes: &[u8], received_at: i64) -> Option<i64> {
    static KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"updated_at\":\""));
    if !bytes.starts_with(b"{\"type\":\"update\"") {
        return None;
    }
    let start = KEY.find(bytes)? + KEY.needle().len();
    let end = start + bytes[start..].iter().position(|&b| b == b'"')?;
    let stamp = std::str::from_utf8(&bytes[start..end]).ok()?;
    let sent = utc_micros(stamp).or_else(|| {
        let parsed: DateTime<Utc> = stamp.parse().ok()?;
        Some(parsed.timestamp_micros())
    })?;
    Some(received_at - sent)
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
    fn frames_split_off_whole_and_wait_for_the_rest() {
        let long = vec![b'x'; 300];
        let mut wire = BytesMut::new();
        wire.extend_from_slice(&[0x81, 2, b'h', b'i']);
        wire.extend_from_slice(&[0x81, 126, 1, 44]);
        wire.extend_from_slice(&long);
        wire.extend_from_slice(&[0x89, 0]);
        wire.extend_from_slice(&[0x81, 5, b'p']);
        assert_eq!(
            take_frame(&mut wire).unwrap(),
            Some((OP_TEXT, Bytes::from_static(b"hi")))
        );
        assert_eq!(
            take_frame(&mut wire).unwrap(),
            Some((OP_TEXT, Bytes::from(long)))
        );
        assert_eq!(
            take_frame(&mut wire).unwrap(),
            Some((OP_PING, Bytes::new()))
        );
        assert_eq!(take_frame(&mut wire).unwrap(), None, "three of five bytes");
        assert_eq!(wire.len(), 3);
        let mut masked = BytesMut::from(&[0x81u8, 0x82, 0, 0, 0, 0, b'h', b'i'][..]);
        assert!(take_frame(&mut masked).is_err());
    }

    #[test]
    fn only_updates_have_a_latency() {
        let update = r#"{"type":"update","state":{"station":"1141A","kind":"air","updated_at":"2026-11-26T02:05:28.5Z"}}"#;
        let sent = utc_micros("2026-11-26T02:05:28.5Z").unwrap();
        assert_eq!(latency_micros(update.as_bytes(), sent + 1_234), Some(1_234));
        let snapshot = r#"{"type":"snapshot","updated_at":"2026-11-26T02:05:28.5Z"}"#;
        assert_eq!(latency_micros(snapshot.as_bytes(), sent), None);
    }
}
