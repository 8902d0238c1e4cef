//! Ceiling B, the raw broker: one client publishing one-reading QoS 1
//! messages as fast as the broker acknowledges them (1,000 in flight), one
//! plain QoS 1 subscriber that acknowledges at once and only counts. No
//! database, no ingest: what the broker itself passes through.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use envmon_core::broker::BrokerSettings;
use rumqttc::{AsyncClient, Event, Packet, QoS};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::ceilings::per_second;
use super::cpu::{Probe, Usage};
use super::load::{MAX_INFLIGHT, Shape, payload};

/// The first moments of a run fill the pipeline; they are not counted.
const WARM_UP: Duration = Duration::from_millis(500);

const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Ceiling B.
#[derive(Debug, Clone)]
pub(super) struct BrokerCeiling {
    pub(super) seconds: f64,
    /// Messages the subscriber received per second.
    pub(super) received_per_second: f64,
    /// Messages the broker acknowledged to the publisher per second.
    pub(super) acknowledged_per_second: f64,
    pub(super) cpu: Usage,
}

/// Runs ceiling B for `duration` on topics under `prefix`, which nothing
/// else uses.
pub(super) async fn broker_ceiling(
    broker: &BrokerSettings,
    client_prefix: &str,
    topic_prefix: &str,
    stations: &[String],
    origin: DateTime<Utc>,
    duration: Duration,
    probe: &Probe,
) -> anyhow::Result<BrokerCeiling> {
    let stop = CancellationToken::new();
    let _stop_on_drop = stop.clone().drop_guard();
    let received = Arc::new(AtomicU64::new(0));
    let acknowledged = Arc::new(AtomicU64::new(0));

    let mut options = broker.mqtt_options(&format!("{client_prefix}-sub"))?;
    options.set_clean_session(true);
    let (subscriber, eventloop) = AsyncClient::new(options, 16);
    let (subscribed_tx, subscribed) = oneshot::channel();
    let filter = format!("{topic_prefix}sensors/+/+");
    tokio::spawn(count_publishes(
        eventloop,
        subscriber,
        filter,
        subscribed_tx,
        Arc::clone(&received),
        stop.clone(),
    ));
    tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribed)
        .await
        .context("the broker did not confirm the raw subscription in time")?
        .context("the raw subscriber stopped")?;

    let mut options = broker.mqtt_options(&format!("{client_prefix}-pub"))?;
    options.set_clean_session(true);
    options.set_inflight(MAX_INFLIGHT);
    let (publisher, eventloop) = AsyncClient::new(options, 64);
    tokio::spawn(count_acks(
        eventloop,
        Arc::clone(&acknowledged),
        stop.clone(),
    ));
    let topics: Vec<String> = stations
        .iter()
        .map(|code| format!("{topic_prefix}sensors/air/{code}"))
        .collect();
    let publishing = tokio::spawn(publish_until(
        publisher.clone(),
        topics,
        stations.to_vec(),
        origin,
        stop.clone(),
    ));

    tokio::time::sleep(WARM_UP).await;
    let start = probe.sample();
    let (received_at_start, acked_at_start) = (
        received.load(Ordering::Relaxed),
        acknowledged.load(Ordering::Relaxed),
    );
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    let elapsed = started.elapsed();
    let received_count = received.load(Ordering::Relaxed) - received_at_start;
    let acked_count = acknowledged.load(Ordering::Relaxed) - acked_at_start;
    let cpu = Usage::between(&start, &probe.sample(), &Default::default());
    if publishing.is_finished()
        && let Ok(Err(error)) = publishing.await
    {
        anyhow::bail!("the raw broker publisher failed: {error}");
    }
    stop.cancel();
    Ok(BrokerCeiling {
        seconds: elapsed.as_secs_f64(),
        received_per_second: per_second(received_count, elapsed),
        acknowledged_per_second: per_second(acked_count, elapsed),
        cpu,
    })
}

async fn publish_until(
    client: AsyncClient,
    topics: Vec<String>,
    codes: Vec<String>,
    origin: DateTime<Utc>,
    stop: CancellationToken,
) -> Result<(), rumqttc::ClientError> {
    let mut sent: usize = 0;
    while !stop.is_cancelled() {
        let station = sent % codes.len();
        let minute = i64::try_from(sent / codes.len()).unwrap_or(i64::MAX);
        let at = origin + chrono::Duration::minutes(minute);
        let body = payload(
            &codes[station],
            station,
            at,
            Shape::OneReading,
            sent / codes.len(),
        );
        tokio::select! {
            sent = client.publish(topics[station].clone(), QoS::AtLeastOnce, false, body) => sent?,
            () = stop.cancelled() => break,
        }
        sent += 1;
    }
    let _ = client.try_disconnect();
    Ok(())
}

async fn count_acks(
    mut eventloop: rumqttc::EventLoop,
    acked: Arc<AtomicU64>,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            event = eventloop.poll() => event,
            () = stop.cancelled() => break,
        };
        match event {
            Ok(Event::Incoming(Packet::PubAck(_))) => {
                acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %error, "Raw broker publisher lost the broker.");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn count_publishes(
    mut eventloop: rumqttc::EventLoop,
    client: AsyncClient,
    filter: String,
    subscribed: oneshot::Sender<()>,
    received: Arc<AtomicU64>,
    stop: CancellationToken,
) {
    let mut subscribed = Some(subscribed);
    loop {
        let event = tokio::select! {
            event = eventloop.poll() => event,
            () = stop.cancelled() => break,
        };
        match event {
            Ok(Event::Incoming(Packet::Publish(_))) => {
                received.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                if let Err(error) = client.try_subscribe(filter.as_str(), QoS::AtLeastOnce) {
                    tracing::error!(error = %error, "Raw subscriber cannot subscribe.");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                if let Some(subscribed) = subscribed.take() {
                    let _ = subscribed.send(());
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %error, "Raw subscriber lost the broker.");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let _ = client.try_disconnect();
}
