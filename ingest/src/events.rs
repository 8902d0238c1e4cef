//! Observable events of ingest: each writes its log line in one place, so
//! what operators read stays consistent, and update the metrics they stand
//! for.

use std::time::Duration;

use crate::metrics;

/// The broker accepted our connection.
#[derive(Debug)]
pub(crate) struct BrokerConnected {
    pub(crate) session_present: bool,
}

impl BrokerConnected {
    pub(crate) fn emit(self) {
        metrics::BROKER_CONNECTED.set(1);
        metrics::BROKER_CONNECTIONS.inc(&[if self.session_present {
            "resumed"
        } else {
            "new"
        }]);
        tracing::info!(
            session_present = self.session_present,
            "Connected to the broker."
        );
    }
}

/// The broker connection failed; it will be retried.
#[derive(Debug)]
pub(crate) struct BrokerDisconnected<'a> {
    pub(crate) error: &'a rumqttc::ConnectionError,
    pub(crate) retry_in: Duration,
}

impl BrokerDisconnected<'_> {
    pub(crate) fn emit(self) {
        metrics::BROKER_CONNECTED.set(0);
        tracing::warn!(error = %self.error, retry_in = ?self.retry_in, "Broker connection lost; reconnecting.");
    }
}

/// A payload was refused into the dead-letter table.
#[derive(Debug)]
pub(crate) struct PayloadRefused<'a> {
    pub(crate) topic: &'a str,
    pub(crate) reason: &'static str,
}

impl PayloadRefused<'_> {
    pub(crate) fn emit(self) {
        metrics::DEAD_LETTERS.inc(&[self.reason]);
        // Bad input is the sender's problem, not an operator's: DEBUG.
        tracing::debug!(
            topic = self.topic,
            reason = self.reason,
            "Refused payload into dead letters."
        );
    }
}

/// An HJ 212 logger was not let in: a wrong or missing PW, no secret set,
/// outside its networks, or an MN no station has. WARN: it is either a
/// misconfigured logger an operator must fix, or an attack. The PW itself
/// is never logged.
#[derive(Debug)]
pub(crate) struct LoggerRefused<'a> {
    /// `tcp` or `mqtt`.
    pub(crate) transport: &'static str,
    /// The peer address (TCP) or topic (MQTT).
    pub(crate) from: &'a str,
    /// The MN the packet carries, when known here.
    pub(crate) mn: Option<&'a str>,
    /// The reason code.
    pub(crate) reason: &'static str,
}

impl LoggerRefused<'_> {
    pub(crate) fn emit(self) {
        metrics::HJ212_AUTH_FAILURES.inc(&[self.transport, self.reason]);
        tracing::warn!(
            transport = self.transport,
            from = self.from,
            mn = self.mn,
            reason = self.reason,
            "Refused an HJ 212 logger."
        );
    }
}

/// Connections from one address beyond `hj212_max_connections_per_address`
/// were closed. Logged once per address while it stays at its cap, with the
/// count, so a flood of connections cannot flood the log too.
#[derive(Debug)]
pub(crate) struct ConnectionsCapped {
    pub(crate) address: std::net::IpAddr,
    pub(crate) cap: usize,
    /// Whether to write the log line (the first refusal of a streak).
    pub(crate) log: bool,
}

impl ConnectionsCapped {
    pub(crate) fn emit(self) {
        metrics::HJ212_CONNECTIONS_REFUSED.inc(&["address_cap"]);
        if self.log {
            tracing::warn!(
                address = %self.address,
                cap = self.cap,
                "Refusing HJ 212 connections from an address at its cap (hj212_max_connections_per_address); further refusals counted in envmon_ingest_hj212_connections_refused_total."
            );
        }
    }
}

/// A batch was committed and acknowledged.
#[derive(Debug)]
pub(crate) struct BatchCommitted {
    pub(crate) messages: usize,
    pub(crate) readings: usize,
    pub(crate) dead_letters: usize,
    /// The batch met keys already stored and was merged the careful way.
    pub(crate) merged: bool,
    pub(crate) elapsed: Duration,
}

impl BatchCommitted {
    pub(crate) fn emit(self) {
        metrics::READINGS_STORED.add(self.readings as u64);
        metrics::BATCH_MESSAGES.observe(self.messages as f64);
        metrics::BATCH_COMMIT_SECONDS.observe(self.elapsed.as_secs_f64());
        metrics::DATABASE_UP.set(1);
        tracing::debug!(
            messages = self.messages,
            readings = self.readings,
            dead_letters = self.dead_letters,
            merged = self.merged,
            elapsed = ?self.elapsed,
            "Committed batch."
        );
    }
}

/// Writing a batch failed; it will be retried, its messages unacknowledged.
#[derive(Debug)]
pub(crate) struct BatchFailed<'a> {
    pub(crate) error: &'a (dyn std::error::Error + Send + Sync),
    pub(crate) retry_in: Duration,
}

impl BatchFailed<'_> {
    pub(crate) fn emit(self) {
        metrics::BATCH_FAILURES.inc();
        metrics::DATABASE_UP.set(0);
        tracing::warn!(error = %self.error, source = ?self.error.source(), retry_in = ?self.retry_in, "Cannot write batch; retrying.");
    }
}
