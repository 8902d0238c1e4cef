//! Several brokers of one cluster: a client that loses its connection
//! reconnects to the next one.
//!
//! rumqttc reconnects on its own, always to the address its options name.
//! [`Failover::after_failure`] points those options at the next broker
//! before the next attempt, keeping every other option (client id, session,
//! credentials, transport, in-flight window, manual acknowledgements), so a
//! persistent session resumes on whichever node the client reaches: a
//! clustered broker (RabbitMQ with quorum queues) keeps the session on
//! every node.

use rumqttc::MqttOptions;
use serde::{Deserialize, Serialize};

use crate::broker::{BrokerSettings, MAX_PACKET_BYTES};

/// A broker's `host:port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BrokerAddress {
    host: String,
    port: u16,
}

/// A broker address that is not `host:port`.
#[derive(Debug, thiserror::Error)]
#[error("broker address {0:?} is not HOST:PORT")]
pub struct InvalidBrokerAddress(String);

impl BrokerAddress {
    /// An address from its parts.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
        }
    }

    /// The host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl std::str::FromStr for BrokerAddress {
    type Err = InvalidBrokerAddress;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidBrokerAddress(s.to_owned());
        let (host, port) = s.rsplit_once(':').ok_or_else(invalid)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(invalid());
        }
        let port = port.parse().map_err(|_| invalid())?;
        Ok(Self::new(host, port))
    }
}

impl TryFrom<String> for BrokerAddress {
    type Error = InvalidBrokerAddress;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<BrokerAddress> for String {
    fn from(address: BrokerAddress) -> Self {
        address.to_string()
    }
}

impl std::fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The brokers a client may use, in the order it tries them.
#[derive(Debug, Clone)]
pub struct Failover {
    addresses: Vec<BrokerAddress>,
    current: usize,
}

impl Failover {
    /// `host`:`port` of the settings first, then each of `failover`.
    pub fn new(settings: &BrokerSettings) -> Self {
        let mut addresses = vec![BrokerAddress::new(&settings.host, settings.port)];
        addresses.extend(settings.failover.iter().cloned());
        Self {
            addresses,
            current: 0,
        }
    }

    /// The broker the next connection attempt goes to.
    pub fn current(&self) -> &BrokerAddress {
        &self.addresses[self.current]
    }

    /// After a failed or lost connection: points `options` at the next
    /// broker, every other option unchanged. With one broker it does nothing.
    pub fn after_failure(&mut self, options: &mut MqttOptions) {
        if self.addresses.len() < 2 {
            return;
        }
        self.current = (self.current + 1) % self.addresses.len();
        let next = self.current();
        *options = with_address(options, next.host(), next.port());
    }
}

/// A copy of `options` that connects to `host`:`port`.
fn with_address(options: &MqttOptions, host: &str, port: u16) -> MqttOptions {
    let mut next = MqttOptions::new(options.client_id(), host, port);
    next.set_transport(options.transport())
        .set_keep_alive(options.keep_alive())
        .set_clean_session(options.clean_session())
        // Every envmon client uses the same limit both ways.
        .set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES)
        .set_request_channel_capacity(options.request_channel_capacity())
        .set_pending_throttle(options.pending_throttle())
        .set_inflight(options.inflight())
        .set_manual_acks(options.manual_acks());
    if let Some(login) = options.credentials() {
        next.set_credentials(login.username, login.password);
    }
    if let Some(will) = options.last_will() {
        next.set_last_will(will);
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print_back() {
        let address: BrokerAddress = "mqtt-2.internal:1883".parse().unwrap();
        assert_eq!((address.host(), address.port()), ("mqtt-2.internal", 1883));
        assert_eq!(address.to_string(), "mqtt-2.internal:1883");
        let v6: BrokerAddress = "[::1]:1884".parse().unwrap();
        assert_eq!((v6.host(), v6.to_string().as_str()), ("::1", "[::1]:1884"));
        for bad in ["mqtt", ":1883", "mqtt:", "mqtt:99999"] {
            assert!(bad.parse::<BrokerAddress>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_failure_moves_to_the_next_broker_and_keeps_the_session() {
        let settings = BrokerSettings {
            host: "a".into(),
            port: 1,
            failover: vec!["b:2".parse().unwrap(), "c:3".parse().unwrap()],
            username: Some("envmon-ingest".into()),
            password: Some("secret".into()),
            ..BrokerSettings::default()
        };
        let mut options = settings.mqtt_options("ingest-1").unwrap();
        options.set_clean_session(false);
        options.set_manual_acks(true);
        options.set_inflight(500);
        let mut failover = Failover::new(&settings);
        let mut seen = Vec::new();
        for _ in 0..4 {
            failover.after_failure(&mut options);
            seen.push(options.broker_address());
        }
        assert_eq!(
            seen,
            [
                ("b".into(), 2),
                ("c".into(), 3),
                ("a".into(), 1),
                ("b".into(), 2)
            ]
        );
        assert_eq!(options.client_id(), "ingest-1");
        assert!(!options.clean_session());
        assert!(options.manual_acks());
        assert_eq!(options.inflight(), 500);
        assert_eq!(options.keep_alive(), settings.keep_alive);
        let login = options.credentials().unwrap();
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("envmon-ingest", "secret")
        );
    }

    #[test]
    fn one_broker_is_left_alone() {
        let settings = BrokerSettings::default();
        let mut options = settings.mqtt_options("x").unwrap();
        Failover::new(&settings).after_failure(&mut options);
        assert_eq!(options.broker_address(), ("127.0.0.1".into(), 1883));
    }
}
