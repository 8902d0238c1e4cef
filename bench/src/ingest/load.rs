//! The load generator: native JSON records (docs/payloads.md) for the air
//! stations, published with QoS 1 from one MQTT client, as sensors would.
//!
//! It runs on a thread of its own with a single-threaded runtime, so its CPU
//! time can be told apart from ingest's (see [`super::cpu`]). Each message
//! is booked in the [`Ledger`] just before it is handed to the client; that
//! instant is where the measured latency starts.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, Utc};
use envmon_core::broker::BrokerSettings;
use rumqttc::{AsyncClient, Event, Outgoing, Packet, QoS};
use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::ledger::{Ledger, Progress, lock};

/// The six pollutants of an air station's record, in payload order.
pub(super) const AIR_PARAMETERS: [&str; 6] = ["so2", "no2", "co", "o3", "pm10", "pm25"];

/// The name of the generator's thread in `/proc/self/task/*/comm`.
pub(super) const LOAD_THREAD: &str = "bench-load";

/// QoS 1 messages in flight; the broker's `max_inflight_messages`.
pub(super) const MAX_INFLIGHT: u16 = 1000;

/// Requests queued for the client's event loop. Small, so little of a
/// message's measured latency (which starts when it is booked, just before
/// `publish`) is spent queued inside the client.
const REQUEST_QUEUE: usize = 64;

/// How often a paced step tops up to its target, and how often an
/// as-fast-as-possible step looks for room in its window.
const TICK: Duration = Duration::from_millis(2);

/// As fast as possible means as fast as ingest takes it: at most this many
/// messages published and not yet seen committed. Four of ingest's largest
/// batches (2,000 messages by default), so there is always a batch waiting
/// at the broker and one gathering in ingest while one commits.
const WINDOW_MESSAGES: usize = 8_000;

/// ...and none of them waiting longer than this.
const WINDOW_AGE: Duration = Duration::from_secs(2);

/// How long to wait for the broker's ConnAck.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What each message holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// A record of the six pollutants.
    Records,
    /// One pollutant, the next one in turn.
    OneReading,
}

impl Shape {
    pub(super) fn readings(self) -> u64 {
        match self {
            Shape::Records => AIR_PARAMETERS.len() as u64,
            Shape::OneReading => 1,
        }
    }
}

/// How fast a step publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pace {
    /// A target in readings per second.
    Rate(u64),
    /// As fast as ingest takes it (see [`WINDOW_MESSAGES`]).
    AsFastAsPossible,
}

/// A smooth daily-ish cycle per station: no spike or flatline for quality
/// control to flag, every value inside its plausible range.
pub(super) fn value(parameter: usize, station: usize, at: DateTime<Utc>) -> f64 {
    // (base, amplitude) in the canonical unit: µg/m³, CO in mg/m³.
    const SHAPES: [(f64, f64); 6] = [
        (10.0, 5.0),
        (40.0, 15.0),
        (0.8, 0.3),
        (60.0, 30.0),
        (60.0, 25.0),
        (35.0, 15.0),
    ];
    let (base, amplitude) = SHAPES[parameter % SHAPES.len()];
    #[allow(clippy::cast_precision_loss)] // minutes since 1970 fit an f64 exactly
    let minutes = at.timestamp() as f64 / 60.0;
    #[allow(clippy::cast_precision_loss)]
    let phase = minutes / 240.0 + station as f64 + parameter as f64;
    let raw = base + amplitude * phase.sin();
    (raw * 100.0).round() / 100.0
}

/// The native JSON record of station `code` (number `station`) at `at`:
/// all six pollutants, or only `parameter` for [`Shape::OneReading`].
pub(super) fn payload(
    code: &str,
    station: usize,
    at: DateTime<Utc>,
    shape: Shape,
    parameter: usize,
) -> Vec<u8> {
    let mut readings = String::with_capacity(96);
    let chosen: &[usize] = match shape {
        Shape::Records => &[0, 1, 2, 3, 4, 5],
        Shape::OneReading => &[parameter % AIR_PARAMETERS.len()],
    };
    for (n, &p) in chosen.iter().enumerate() {
        let separator = if n == 0 { "" } else { "," };
        let v = value(p, station, at);
        readings.push_str(&format!("{separator}\"{}\":{v}", AIR_PARAMETERS[p]));
    }
    let observed_at = at.to_rfc3339_opts(SecondsFormat::Secs, true);
    format!(r#"{{"station":"{code}","observed_at":"{observed_at}","readings":{{{readings}}}}}"#)
        .into_bytes()
}

/// Runs `task` on a new thread named `name`, on a single-threaded runtime of
/// its own.
pub(super) fn spawn_on_own_thread<F, Fut>(name: &str, task: F) -> anyhow::Result<JoinHandle<()>>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(task()),
                Err(error) => tracing::error!(error = %error, "Cannot start a bench runtime."),
            }
        })
        .with_context(|| format!("starting the {name} thread"))
}

/// One step for the generator to publish.
#[derive(Debug)]
struct Order {
    step: usize,
    shape: Shape,
    pace: Pace,
    until: Instant,
    stop: CancellationToken,
    done: oneshot::Sender<Result<Progress, String>>,
}

/// The generator thread and its connection.
#[derive(Debug)]
pub(super) struct LoadGenerator {
    orders: mpsc::Sender<Order>,
    stop: CancellationToken,
    _thread: JoinHandle<()>,
}

impl LoadGenerator {
    /// Starts the thread and waits until its client is connected.
    ///
    /// `topics[i]` is the sensor topic of station `codes[i]`.
    pub(super) async fn start(
        broker: &BrokerSettings,
        client_id: &str,
        codes: Vec<String>,
        topics: Vec<String>,
        ledger: Arc<Mutex<Ledger>>,
    ) -> anyhow::Result<Self> {
        let mut options = broker.mqtt_options(client_id)?;
        options.set_inflight(MAX_INFLIGHT);
        options.set_clean_session(true);
        let (orders, orders_rx) = mpsc::channel(1);
        let (ready, connected) = oneshot::channel();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let thread = spawn_on_own_thread(LOAD_THREAD, move || async move {
            let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
            let driver = tokio::spawn(drive(eventloop, ready, stopped.clone()));
            let stations = Stations {
                client,
                codes,
                topics,
                ledger,
            };
            stations.serve(orders_rx, stopped).await;
            driver.abort();
        })?;
        tokio::time::timeout(CONNECT_TIMEOUT, connected)
            .await
            .context("the load generator did not connect to the broker in time")?
            .context("the load generator stopped before connecting")?;
        Ok(Self {
            orders,
            stop,
            _thread: thread,
        })
    }

    /// Publishes one step until `until` or `stop`; returns what it published.
    pub(super) async fn run(
        &self,
        step: usize,
        shape: Shape,
        pace: Pace,
        until: Instant,
        stop: CancellationToken,
    ) -> anyhow::Result<Progress> {
        let (done, result) = oneshot::channel();
        let order = Order {
            step,
            shape,
            pace,
            until,
            stop,
            done,
        };
        self.orders
            .send(order)
            .await
            .map_err(|_| anyhow::anyhow!("the load generator stopped"))?;
        result
            .await
            .context("the load generator stopped mid-step")?
            .map_err(|e| anyhow::anyhow!("the load generator failed: {e}"))
    }
}

impl Drop for LoadGenerator {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// What the generator publishes for, and through.
struct Stations {
    client: AsyncClient,
    codes: Vec<String>,
    topics: Vec<String>,
    ledger: Arc<Mutex<Ledger>>,
}

impl Stations {
    async fn serve(self, mut orders: mpsc::Receiver<Order>, stop: CancellationToken) {
        loop {
            let order = tokio::select! {
                order = orders.recv() => match order {
                    Some(order) => order,
                    None => break,
                },
                () = stop.cancelled() => break,
            };
            let result = self.publish_step(&order).await;
            let _ = order.done.send(result.map_err(|e| e.to_string()));
        }
        let _ = self.client.try_disconnect();
    }

    /// Publishes round-robin over the stations, topping up to the target
    /// every tick (or, as fast as possible, while the window has room).
    async fn publish_step(&self, order: &Order) -> Result<Progress, rumqttc::ClientError> {
        let started = Instant::now();
        let per_message = order.shape.readings();
        let stations = self.codes.len() as u64;
        let window = match order.pace {
            Pace::Rate(_) => None,
            Pace::AsFastAsPossible => Some((WINDOW_MESSAGES, WINDOW_AGE)),
        };
        let mut sent: u64 = 0;
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        'step: loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = order.stop.cancelled() => break,
            }
            let now = Instant::now();
            if now >= order.until {
                break;
            }
            let due = match order.pace {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    clippy::cast_precision_loss
                )]
                Pace::Rate(rate) => {
                    (now.duration_since(started).as_secs_f64() * rate as f64 / per_message as f64)
                        as u64
                }
                Pace::AsFastAsPossible => u64::MAX,
            };
            while sent < due {
                #[allow(clippy::cast_possible_truncation)] // below the station count
                let station = (sent % stations) as usize;
                #[allow(clippy::cast_possible_truncation)]
                let parameter = ((sent / stations) % 6) as usize;
                let booked = lock(&self.ledger).book(
                    station,
                    per_message,
                    order.step,
                    Instant::now(),
                    window,
                );
                let Some(observed_at) = booked else {
                    continue 'step;
                };
                let body = payload(
                    &self.codes[station],
                    station,
                    observed_at,
                    order.shape,
                    parameter,
                );
                let topic = self.topics[station].clone();
                self.client
                    .publish(topic, QoS::AtLeastOnce, false, body)
                    .await?;
                sent += 1;
                if sent.is_multiple_of(256)
                    && (order.stop.is_cancelled() || Instant::now() >= order.until)
                {
                    break 'step;
                }
            }
        }
        Ok(Progress {
            messages: sent,
            readings: sent * per_message,
        })
    }
}

/// Polls the generator's connection until `stop`, reporting the first
/// ConnAck on `ready`.
async fn drive(
    mut eventloop: rumqttc::EventLoop,
    ready: oneshot::Sender<()>,
    stop: CancellationToken,
) {
    let mut ready = Some(ready);
    loop {
        let event = tokio::select! {
            event = eventloop.poll() => event,
            () = stop.cancelled() => break,
        };
        match event {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(());
                }
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %error, "Bench load generator lost the broker; reconnecting.");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn payloads_are_native_records_of_the_station() {
        let at = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap();
        let record: serde_json::Value =
            serde_json::from_slice(&payload("1141A", 0, at, Shape::Records, 0)).unwrap();
        assert_eq!(record["station"], "1141A");
        assert_eq!(record["observed_at"], "2026-06-01T08:00:00Z");
        assert_eq!(record["readings"].as_object().unwrap().len(), 6);

        let one: serde_json::Value =
            serde_json::from_slice(&payload("1141A", 0, at, Shape::OneReading, 8)).unwrap();
        let readings = one["readings"].as_object().unwrap();
        assert_eq!(readings.keys().collect::<Vec<_>>(), ["co"]);
    }

    #[test]
    fn values_stay_positive_and_change_slowly() {
        let at = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap();
        for p in 0..6 {
            for m in 0..2000 {
                let now = at + chrono::Duration::minutes(m);
                let next = now + chrono::Duration::minutes(1);
                assert!(value(p, 3, now) > 0.0);
                assert!((value(p, 3, next) - value(p, 3, now)).abs() < 1.0);
            }
        }
    }
}
