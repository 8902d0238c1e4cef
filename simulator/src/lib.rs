//! envmon simulator: publishes realistic readings for every registry
//! station over MQTT, exactly as real sensors would (native JSON records on
//! `sensors/{kind}/{station}`). It runs the demo and is the load generator
//! for benchmarks.
//!
//! # Layout
//!
//! - [`model`](crate::model): what a station measures at an instant.
//! - [`clock`](crate::clock): simulated time, fast until it reaches now.
//! - [`rng`](crate::rng): deterministic noise.
//! - [`settings`].

mod clock;
mod model;
mod rng;
pub mod settings;

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, Utc};
use envmon_core::topic::{InvalidPrefix, Topics};
use envmon_core::{Station, StationKind};
use rumqttc::{AsyncClient, Event, Outgoing, QoS};
use serde_json::{Map, Value, json};

pub use settings::Settings;

use crate::clock::SimClock;
use crate::rng::Rng;

/// How often the simulator checks which stations are due.
const TICK: Duration = Duration::from_millis(20);

/// Publish requests queued for the MQTT loop; publishing waits when full,
/// which is the back-pressure that paces a load run to the broker.
const MQTT_REQUEST_QUEUE: usize = 1024;

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
        let mut options = self.settings.broker.mqtt_options(&self.settings.client_id);
        options.set_inflight(MAX_INFLIGHT);
        let (client, mut eventloop) = AsyncClient::new(options, MQTT_REQUEST_QUEUE);
        let mqtt = tokio::spawn(async move {
            let mut delay = Duration::from_millis(100);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Outgoing(Outgoing::Disconnect)) => break,
                    Ok(Event::Incoming(rumqttc::Packet::ConnAck(_))) => {
                        delay = Duration::from_millis(100);
                        tracing::info!("Simulator connected to the broker.");
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(error = %error, retry_in = ?delay, "Simulator lost the broker; reconnecting.");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(10));
                    }
                }
            }
        });
        let published = tokio::select! {
            result = self.publish_loop(&client) => result,
            () = shutdown => Ok(None),
        };
        let _ = client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(10), mqtt).await;
        let records = published?.unwrap_or(0);
        Ok(SimulationReport { records })
    }

    /// Publishes every due record; returns the count when `max_records` is
    /// reached (never otherwise).
    async fn publish_loop(&self, client: &AsyncClient) -> Result<Option<u64>, SimulatorError> {
        let real_start = Instant::now();
        let start = self.settings.start.unwrap_or_else(Utc::now);
        let clock = SimClock::new(start, self.settings.speedup);
        let mut rng = Rng::new(self.settings.seed);
        let mut next_due: Vec<DateTime<Utc>> = self
            .stations
            .iter()
            .map(|s| first_due(start, self.interval(s.kind)))
            .collect();
        let mut published = 0u64;
        let limit = self.settings.max_records;
        loop {
            let now = clock.at(real_start.elapsed(), Utc::now());
            for (station, due) in self.stations.iter().zip(next_due.iter_mut()) {
                while *due <= now {
                    let payload = record(station, *due, &mut rng);
                    let topic = self.topics.sensor(station.kind, &station.code);
                    client
                        .publish(topic, QoS::AtLeastOnce, false, payload)
                        .await?;
                    published += 1;
                    *due += chrono::Duration::from_std(self.interval(station.kind))
                        .unwrap_or(chrono::Duration::MAX);
                    if limit > 0 && published >= limit {
                        return Ok(Some(published));
                    }
                }
            }
            tokio::time::sleep(TICK).await;
        }
    }

    fn interval(&self, kind: StationKind) -> Duration {
        match kind {
            StationKind::Air => self.settings.air_interval,
            StationKind::River | StationKind::Source => self.settings.water_interval,
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

/// A native JSON record (see docs/payloads.md) for `station` at `at`.
fn record(station: &Station, at: DateTime<Utc>, rng: &mut Rng) -> Vec<u8> {
    let readings: Map<String, Value> = model::sample(station, at, rng)
        .into_iter()
        .map(|(p, v)| (p.code().to_owned(), json!(v)))
        .collect();
    let beijing = at
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset"));
    json!({ "station": station.code, "observed_at": beijing.to_rfc3339(), "readings": readings })
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

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
