//! What the writer takes in: messages from MQTT, packets from HJ 212 data
//! loggers over TCP, and refusals the TCP path already judged. All three
//! are committed the same way; each is then answered its own way: an MQTT
//! message acknowledged, a logger told its data is stored.

use std::net::SocketAddr;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use envmon_core::StationCode;
use rumqttc::Publish;
use tokio::sync::oneshot;

use crate::dead_letter::DeadLetter;
use crate::decode::hj212::Packet;

/// One unit of work for the writer.
#[derive(Debug)]
pub(crate) enum Input {
    /// A message from the sensor subscription.
    Mqtt(Delivery),
    /// A complete HJ 212 data packet from a logger connected over TCP.
    Hj212(Hj212Input),
    /// Bytes from a logger that could not be used, to be kept.
    Refused(DeadLetter),
}

/// One MQTT message as received, with the connection it came on (which
/// decides whether it may still be acknowledged).
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    /// Which connection delivered it (increments on every ConnAck).
    pub(crate) epoch: u64,
    /// When it was received.
    pub(crate) received_at: DateTime<Utc>,
    /// The message.
    pub(crate) publish: Publish,
    /// Counted as unacknowledged while the delivery lives (kept for its
    /// drop).
    pub(crate) _unacknowledged: crate::metrics::Unacknowledged,
}

/// A data packet from a TCP logger, waiting for its commit.
#[derive(Debug)]
pub(crate) struct Hj212Input {
    pub(crate) received_at: DateTime<Utc>,
    pub(crate) peer: SocketAddr,
    /// The station the logger proved it speaks for.
    pub(crate) station: StationCode,
    /// Boxed: packets are large next to the other inputs.
    pub(crate) packet: Box<Packet>,
    /// The frame as received, kept if the packet is refused.
    pub(crate) raw: Bytes,
    /// Told once the packet's readings are committed.
    pub(crate) committed: oneshot::Sender<()>,
}

impl Input {
    /// When it arrived.
    pub(crate) fn received_at(&self) -> DateTime<Utc> {
        match self {
            Self::Mqtt(delivery) => delivery.received_at,
            Self::Hj212(input) => input.received_at,
            Self::Refused(letter) => letter.received_at,
        }
    }
}

/// The pseudo-topic HJ 212 TCP input is filed under in dead letters.
pub(crate) fn hj212_topic(peer: SocketAddr) -> String {
    format!("hj212/tcp/{peer}")
}
