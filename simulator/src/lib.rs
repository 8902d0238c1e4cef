//! envmon simulator: publishes realistic readings for every registry
//! station over MQTT, exactly as real sensors would (native JSON records on
//! `sensors/{kind}/{station}`). It runs the demo and is the load generator
//! for benchmarks.
//!
//! # Layout
//!
//! - `model`: what a station measures at an instant.
//! - `clock`: simulated time, fast until it reaches now.
//! - `rng`: deterministic noise.
//! - [`lab`]: a quarter of laboratory results, as laboratories send them.
//! - [`settings`].

mod clock;
pub mod lab;
mod model;
mod rng;
pub mod settings;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, Utc};
use envmon_core::backoff::Backoff;
use envmon_core::failover::Failover;
use envmon_core::topic::{InvalidPrefix, Topics};
use envmon_core::{Parameter, Station, StationKind};
use rumqttc::{AsyncClient, Event, Outgoing, Packet, QoS};
use serde_json::{Map, Value, json};

pub use settings::Settings;

use crate::clock::SimClock;
use crate::rng::Rng;

/// How often the simulator checks which stations are due.
const TICK: Duration = Duration::from_millis(20);

/// Publish requests queued for the MQTT loop; publishing waits when full,
/// which is the back-pressure that paces a load run to the broker.
const MQTT_REQUEST_QUEUE: usize = 1024;

/// How long a stopping simulator waits for the broker's acknowledgements.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

/// QoS 1 messages in flight unacknowledged; matches the broker's window.
const MAX_INFLIGHT: u16 = 1000;

/// Why the simulator stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimulatorError {
    /// The topic prefix is malformed.
    #[error(transparent)]
    Topic(#[from] InvalidPrefix),
    /// The MQTT client went away.
    #[error("cannot queue a publish: {0}")]
    Publish(#[from] rumqttc::ClientError),
    /// The broker's TLS settings cannot be used.
    #[error("cannot set up TLS to the broker")]
    BrokerTls(#[from] envmon_core::tls::TlsError),
    /// The interval is zero.
    #[error("simulated intervals must be longer than zero")]
    ZeroInterval,
}

/// What a run published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulationReport {
    /// Records published.
    pub records: u64,
}

/// A simulated sensor network.
#[derive(Debug)]
pub struct Simulator {
    settings: Settings,
    topics: Topics,
    stations: Vec<Station>,
}

impl Simulator {
    /// A simulator of `stations`.
    ///
    /// # Errors
    /// Fails on a malformed topic prefix or a zero interval.
    pub fn build(settings: Settings, stations: Vec<Station>) -> Result<Self, SimulatorError> {
        if settings.air_interval.is_zero() || settings.water_interval.is_zero() {
            return Err(SimulatorError::ZeroInterval);
        }
        let topics = settings.broker.topics()?;
        Ok(Self {
            settings,
            topics,
            stations,
        })
    }

    /// Publishes until `shutdown` completes or `max_records` are published,
    /// then disconnects once everything queued has been sent.
    ///
    /// # Errors
    /// Fails when the MQTT client stops taking requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<SimulationReport, SimulatorError> {
        let mut options = self
            .settings
            .broker
            .mqtt_options(&self.settings.client_id)?;
        options.set_inflight(MAX_INFLIGHT);
        // As a real sensor should: a persistent session, so records in
        // flight when the broker restarts are sent again on the new
        // connection instead of being dropped with a clean session.
        options.set_clean_session(false);
        let (client, eventloop) = AsyncClient::new(options, MQTT_REQUEST_QUEUE);
        let (acked_tx, mut acked) = tokio::sync::watch::channel(0u64);
        let failover = Failover::new(&self.settings.broker);
        let mqtt = tokio::spawn(drive(eventloop, failover, acked_tx));
        let mut published = 0;
        let outcome = tokio::select! {
            result = self.publish_loop(&client, &mut published) => result,
            () = shutdown => Ok(()),
        };
        // Disconnect only once the broker has acknowledged every record, so a
        // bounded run is a delivered run.
        let delivered = tokio::time::timeout(DRAIN_GRACE, acked.wait_for(|n| *n >= published))
            .await
            .is_ok_and(|waited| waited.is_ok());
        if !delivered {
            tracing::warn!(
                published,
                acknowledged = *acked.borrow(),
                "Broker did not acknowledge every record in time."
            );
        }
        let _ = client.disconnect().await;
        let _ = tokio::time::timeout(DRAIN_GRACE, mqtt).await;
        outcome?;
        Ok(SimulationReport { records: published })
    }

    /// Publishes every due record in observation-time order (stations in
    /// registry order within an instant), counting them in `published`;
    /// returns when `max_records` is reached, and never otherwise.
    async fn publish_loop(
        &self,
        client: &AsyncClient,
        published: &mut u64,
    ) -> Result<(), SimulatorError> {
        let real_start = Instant::now();
        let start = self.settings.start.unwrap_or_else(Utc::now);
        let clock = SimClock::new(start, self.settings.speedup);
        let mut rng = Rng::new(self.settings.seed);
        let limit = self.settings.max_records;
        for hour_end in backfill_hours(start, self.settings.backfill) {
            for station in &self.stations {
                let topic = self.topics.sensor(station.kind, &station.code);
                let payload = hourly_record(station, hour_end, &mut rng);
                client
                    .publish(topic, QoS::AtLeastOnce, false, payload)
                    .await?;
                *published += 1;
                if limit > 0 && *published >= limit {
                    return Ok(());
                }
            }
        }
        let mut due: BinaryHeap<Reverse<(DateTime<Utc>, usize)>> = self
            .stations
            .iter()
            .enumerate()
            .map(|(index, s)| Reverse((first_due(start, self.interval(s.kind)), index)))
            .collect();
        loop {
            let now = clock.at(real_start.elapsed(), Utc::now());
            while let Some(Reverse((at, index))) =
                due.peek().copied().filter(|Reverse((at, _))| *at <= now)
            {
                due.pop();
                let station = &self.stations[index];
                let payload = record(station, at, self.interval(station.kind), &mut rng);
                let topic = self.topics.sensor(station.kind, &station.code);
                client
                    .publish(topic, QoS::AtLeastOnce, false, payload)
                    .await?;
                *published += 1;
                if limit > 0 && *published >= limit {
                    return Ok(());
                }
                let step = chrono::Duration::from_std(self.interval(station.kind))
                    .unwrap_or(chrono::Duration::MAX);
                due.push(Reverse((at + step, index)));
            }
            tokio::time::sleep(TICK).await;
        }
    }

    fn interval(&self, kind: StationKind) -> Duration {
        match kind {
            StationKind::Air => self.settings.air_interval,
            StationKind::River | StationKind::Source | StationKind::Plant | StationKind::Tap => {
                self.settings.water_interval
            }
            // Dose-rate stations report short means, as often as air stations.
            StationKind::Radiation => self.settings.air_interval,
        }
    }
}

/// The first interval boundary at or after `start`, so observation times
/// fall on round instants as real stations report them.
fn first_due(start: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let step = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
    match start.duration_trunc(step) {
        Ok(floor) if floor == start => floor,
        Ok(floor) => floor + step,
        Err(_) => start,
    }
}

/// Polls the MQTT connection until it disconnects, counting the broker's
/// acknowledgements into `acked`.
///
/// Only the first acknowledgement of a packet id sent and not yet
/// acknowledged counts: after a broker restart, a record the broker took but
/// whose acknowledgement was lost is sent again and acknowledged again, and
/// counting both would let the simulator stop with records still unsent.
async fn drive(
    mut eventloop: rumqttc::EventLoop,
    mut failover: Failover,
    acked: tokio::sync::watch::Sender<u64>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
    let mut outstanding: std::collections::HashSet<u16> = std::collections::HashSet::new();
    loop {
        match eventloop.poll().await {
            Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                outstanding.insert(pkid);
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => {
                if outstanding.remove(&ack.pkid) {
                    acked.send_modify(|n| *n += 1);
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                backoff.reset();
                tracing::info!("Simulator connected to the broker.");
            }
            Ok(_) => {}
            Err(error) => {
                failover.after_failure(&mut eventloop.mqtt_options);
                let delay = backoff.next_delay();
                tracing::warn!(error = %error, retry_in = ?delay, "Simulator lost the broker; reconnecting.");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// A native JSON record (see docs/payloads.md) of instantaneous values for
/// `station` at `at`; a radiation station's record is the mean of the
/// `interval` before `at`, with the rain that fell in it.
fn record(station: &Station, at: DateTime<Utc>, interval: Duration, rng: &mut Rng) -> Vec<u8> {
    let hours = interval.as_secs_f64() / 3600.0;
    let readings: Map<String, Value> = model::sample(station, at, rng)
        .into_iter()
        .map(|(p, v)| (p.code().to_owned(), json!(rain_over(p, v, hours))))
        .collect();
    if station.kind == StationKind::Radiation {
        let period = format!("PT{}S", interval.as_secs().max(1));
        return json!({ "station": station.code, "observed_at": beijing(at), "period": period, "readings": readings })
            .to_string()
            .into_bytes();
    }
    json!({ "station": station.code, "observed_at": beijing(at), "readings": readings })
        .to_string()
        .into_bytes()
}

/// The model gives rain as an intensity (mm/h); a record carries the depth
/// that fell in its period.
fn rain_over(parameter: Parameter, value: f64, hours: f64) -> f64 {
    if parameter == Parameter::Precipitation {
        (value * hours * 100.0).round() / 100.0
    } else {
        value
    }
}

/// A record of hourly means for the hour labelled `hour_end`, as stations
/// that report hourly send them (`"period": "PT1H"`).
fn hourly_record(station: &Station, hour_end: DateTime<Utc>, rng: &mut Rng) -> Vec<u8> {
    let middle = hour_end - chrono::Duration::minutes(30);
    let readings: Map<String, Value> = model::sample(station, middle, rng)
        .into_iter()
        .map(|(p, v)| (p.code().to_owned(), json!(rain_over(p, v, 1.0))))
        .collect();
    json!({ "station": station.code, "observed_at": beijing(hour_end), "period": "PT1H", "readings": readings })
        .to_string()
        .into_bytes()
}

/// RFC 3339 in Beijing time, as Chinese stations stamp their data.
fn beijing(at: DateTime<Utc>) -> String {
    at.with_timezone(&envmon_core::beijing::offset())
        .to_rfc3339()
}

/// The labels of the complete hours in the `span` before `start`, oldest first.
fn backfill_hours(start: DateTime<Utc>, span: Duration) -> Vec<DateTime<Utc>> {
    let hour = chrono::Duration::hours(1);
    let Ok(last) = start.duration_trunc(hour) else {
        return Vec::new();
    };
    let hours = i64::try_from(span.as_secs() / 3600).unwrap_or(0);
    (0..hours)
        .rev()
        .map(|back| last - hour * i32::try_from(back).unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn backfill_covers_the_complete_hours_before_start() {
        let start = Utc.with_ymd_and_hms(2026, 11, 25, 10, 20, 0).unwrap();
        let hours = backfill_hours(start, Duration::from_secs(3 * 3600));
        let expected: Vec<_> = [8, 9, 10]
            .iter()
            .map(|h| Utc.with_ymd_and_hms(2026, 11, 25, *h, 0, 0).unwrap())
            .collect();
        assert_eq!(hours, expected);
        assert!(backfill_hours(start, Duration::ZERO).is_empty());
    }

    #[test]
    fn first_due_is_the_next_round_instant() {
        let start = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 7).unwrap();
        assert_eq!(
            first_due(start, Duration::from_secs(10)),
            Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 10).unwrap()
        );
        let round = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        assert_eq!(first_due(round, Duration::from_secs(60)), round);
    }
}
