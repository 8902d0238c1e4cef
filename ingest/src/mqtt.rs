//! The MQTT side of ingest: one persistent session, subscribed with QoS 1
//! and manual acknowledgements.
//!
//! [`MqttSource::run`] polls the event loop without pause (so keep-alives and
//! acknowledgements always flow), resubscribes on every ConnAck (a broker
//! without our session has forgotten the subscription), and hands each
//! message to the writer tagged with its connection's epoch. [`Acker`]
//! acknowledges a message only if it arrived on the current connection:
//! a packet id from an earlier connection may name an unrelated message now.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use envmon_core::backoff::Backoff;
use envmon_core::failover::Failover;
use rumqttc::{AsyncClient, Event, EventLoop, Outgoing, Packet, QoS, SubscribeReasonCode};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::counts::MessageCounts;
use crate::events;
use crate::input::{Delivery, Input};

/// The longest pause between reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(10);

/// How long a clean disconnect may take on shutdown before we just close.
const DISCONNECT_GRACE: Duration = Duration::from_secs(3);

/// The state of the broker connection, shared with the writer and health.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    epoch: AtomicU64,
    connected: AtomicBool,
    /// The broker confirmed the sensor subscription on this connection.
    subscribed: AtomicBool,
}

impl Connection {
    /// Whether a broker connection is up.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Whether sensor messages are flowing: connected and subscribed.
    pub(crate) fn is_subscribed(&self) -> bool {
        self.is_connected() && self.subscribed.load(Ordering::Acquire)
    }
}

/// Acknowledges delivered messages, but only those of the current connection.
#[derive(Debug, Clone)]
pub(crate) struct Acker {
    client: AsyncClient,
    connection: Arc<Connection>,
}

impl Acker {
    /// Queues the acknowledgement of `delivery` if its connection is still
    /// the current one; otherwise the broker will redeliver it on the new
    /// connection, and that copy will be acknowledged instead.
    ///
    /// Never waits: when the MQTT loop's request queue is full this says
    /// [`AckOutcome::Full`] and the caller tries again later. Waiting here
    /// could deadlock: the broker may push far past its in-flight window, so
    /// the MQTT loop can be blocked handing deliveries to the writer while the
    /// writer is blocked handing acknowledgements to the MQTT loop.
    pub(crate) fn try_ack(&self, delivery: &Delivery) -> AckOutcome {
        let current = self.connection.is_connected()
            && self.connection.epoch.load(Ordering::Acquire) == delivery.epoch;
        if !current {
            return AckOutcome::Stale;
        }
        match self.client.try_ack(&delivery.publish) {
            Ok(()) => AckOutcome::Sent,
            Err(_) => AckOutcome::Full,
        }
    }
}

/// What became of an acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AckOutcome {
    /// Queued for the broker.
    Sent,
    /// Its connection is gone; the broker redelivers the message.
    Stale,
    /// The request queue is full; try again later.
    Full,
}

/// The subscribed MQTT session that feeds the writer.
pub(crate) struct MqttSource {
    client: AsyncClient,
    eventloop: EventLoop,
    subscription: String,
    connection: Arc<Connection>,
    /// The brokers to reconnect to, in turn.
    failover: Failover,
    counts: Arc<MessageCounts>,
}

impl std::fmt::Debug for MqttSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSource")
            .field("subscription", &self.subscription)
            .finish_non_exhaustive()
    }
}

impl MqttSource {
    /// A source that will subscribe to `subscription` on every connection.
    pub(crate) fn new(
        client: AsyncClient,
        eventloop: EventLoop,
        subscription: String,
        failover: Failover,
        counts: Arc<MessageCounts>,
    ) -> Self {
        Self {
            client,
            eventloop,
            subscription,
            connection: Arc::default(),
            failover,
            counts,
        }
    }

    /// The acknowledger for messages this source delivers.
    pub(crate) fn acker(&self) -> Acker {
        Acker {
            client: self.client.clone(),
            connection: Arc::clone(&self.connection),
        }
    }

    /// The shared connection state.
    pub(crate) fn connection(&self) -> Arc<Connection> {
        Arc::clone(&self.connection)
    }

    /// Polls the broker until `writer_done` is cancelled (the writer has
    /// committed and acknowledged its last batch) or the writer goes away,
    /// then disconnects cleanly so the acknowledgements reach the broker.
    pub(crate) async fn run(
        mut self,
        deliveries: mpsc::Sender<Input>,
        writer_done: CancellationToken,
    ) {
        let mut backoff = Backoff::new(Duration::from_millis(100), MAX_RECONNECT_DELAY);
        loop {
            let event = tokio::select! {
                event = self.eventloop.poll() => event,
                () = writer_done.cancelled() => break,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    self.connection.epoch.fetch_add(1, Ordering::AcqRel);
                    self.connection.connected.store(true, Ordering::Release);
                    backoff.reset();
                    events::BrokerConnected {
                        session_present: ack.session_present,
                    }
                    .emit();
                    if let Err(error) = self
                        .client
                        .try_subscribe(&self.subscription, QoS::AtLeastOnce)
                    {
                        tracing::error!(error = %error, "Cannot queue the sensor subscription.");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    if ack
                        .return_codes
                        .iter()
                        .any(|c| matches!(c, SubscribeReasonCode::Failure))
                    {
                        tracing::error!(filter = %self.subscription, "Broker refused the sensor subscription.");
                    } else {
                        self.connection.subscribed.store(true, Ordering::Release);
                        tracing::info!(filter = %self.subscription, "Subscribed to sensor topics.");
                    }
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    crate::metrics::MESSAGES_RECEIVED.inc(&["mqtt"]);
                    self.counts.add_received();
                    let epoch = self.connection.epoch.load(Ordering::Acquire);
                    let delivery = Delivery {
                        epoch,
                        received_at: Utc::now(),
                        publish,
                        _unacknowledged: crate::metrics::Unacknowledged::received(),
                    };
                    // The channel holds more than the broker's in-flight
                    // window, so this rarely waits; if the writer is gone we
                    // are shutting down and the message stays unacknowledged.
                    let sent = tokio::select! {
                        sent = deliveries.send(Input::Mqtt(delivery)) => sent.is_ok(),
                        () = writer_done.cancelled() => false,
                    };
                    if !sent {
                        break;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    self.connection.connected.store(false, Ordering::Release);
                    self.connection.subscribed.store(false, Ordering::Release);
                    self.failover
                        .after_failure(&mut self.eventloop.mqtt_options);
                    let delay = backoff.next_delay();
                    events::BrokerDisconnected {
                        error: &error,
                        retry_in: delay,
                    }
                    .emit();
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = writer_done.cancelled() => break,
                    }
                }
            }
        }
        self.disconnect().await;
    }

    /// Sends the queued acknowledgements, then DISCONNECT, within a grace.
    async fn disconnect(mut self) {
        if !self.connection.is_connected() {
            return;
        }
        if self.client.try_disconnect().is_err() {
            return;
        }
        let flushed = tokio::time::timeout(DISCONNECT_GRACE, async {
            loop {
                match self.eventloop.poll().await {
                    Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        if flushed.is_err() {
            tracing::warn!("Broker did not take the disconnect in time.");
        }
        self.connection.connected.store(false, Ordering::Release);
    }
}
