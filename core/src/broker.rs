//! MQTT broker connection settings shared by every daemon.

use std::time::Duration;

use rumqttc::MqttOptions;
use serde::{Deserialize, Serialize};

use crate::failover::BrokerAddress;
use crate::tls::{BrokerTls, TlsError};
use crate::topic::{InvalidPrefix, Topics};

/// The largest MQTT packet a daemon accepts or sends. The broker's own limit
/// (`max_packet_size` in `deploy/mosquitto/`) is set below this, so an
/// oversize message is refused by the broker instead of dropping our
/// connection and being redelivered forever.
pub const MAX_PACKET_BYTES: usize = 256 * 1024;

/// How to reach the MQTT broker. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerSettings {
    /// Broker host name or address.
    pub host: String,
    /// Broker TCP port.
    pub port: u16,
    /// Prepended to every topic (empty, or ending in `/`), so several
    /// deployments can share one broker.
    pub topic_prefix: String,
    /// MQTT keep-alive interval.
    #[serde(with = "humantime_serde")]
    pub keep_alive: Duration,
    /// User name, when the broker requires authentication.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<String>,
    /// TLS to the broker.
    pub tls: BrokerTls,
    /// Further brokers of the same cluster (`"host:port"`), tried in turn
    /// after `host`:`port` whenever a connection fails or is lost.
    pub failover: Vec<BrokerAddress>,
}

impl Default for BrokerSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 1883,
            topic_prefix: String::new(),
            keep_alive: Duration::from_secs(15),
            username: None,
            password: None,
            tls: BrokerTls::default(),
            failover: Vec::new(),
        }
    }
}

impl std::fmt::Debug for BrokerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("topic_prefix", &self.topic_prefix)
            .field("username", &self.username)
            .field(
                "password",
                &self.password.as_ref().map(|_| crate::redact::REDACTED),
            )
            .finish_non_exhaustive()
    }
}

impl BrokerSettings {
    /// The topic names under the configured prefix.
    ///
    /// # Errors
    /// Fails when the prefix is malformed.
    pub fn topics(&self) -> Result<Topics, InvalidPrefix> {
        Topics::new(&self.topic_prefix)
    }

    /// Connection options for a client with the given id.
    ///
    /// # Errors
    /// When the TLS settings cannot be used (a missing CA file, say).
    pub fn mqtt_options(&self, client_id: &str) -> Result<MqttOptions, TlsError> {
        let mut options = MqttOptions::new(client_id, &self.host, self.port);
        options.set_keep_alive(self.keep_alive);
        options.set_max_packet_size(MAX_PACKET_BYTES, MAX_PACKET_BYTES);
        if let Some(username) = &self.username {
            options.set_credentials(username, self.password.as_deref().unwrap_or_default());
        }
        options.set_transport(self.tls.transport()?);
        Ok(options)
    }
}
