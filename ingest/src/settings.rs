//! Ingest settings.

use std::net::SocketAddr;
use std::time::Duration;

use envmon_core::broker::BrokerSettings;
use envmon_core::db::{DatabaseSettings, RetentionSettings};
use serde::{Deserialize, Serialize};

/// Everything the ingest daemon needs to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// PostgreSQL, where readings are stored (the top-level `[database]`).
    #[serde(skip)]
    pub database: DatabaseSettings,
    /// The MQTT broker sensors publish to (the top-level `[broker]`).
    #[serde(skip)]
    pub broker: BrokerSettings,
    /// Retention and partition maintenance (the top-level `[retention]`).
    #[serde(skip)]
    pub retention: RetentionSettings,
    /// MQTT client id. Must be stable across restarts (the broker keeps the
    /// persistent session, with unacknowledged messages, under this id) and
    /// distinct for each ingest instance.
    pub client_id: String,
    /// Shared-subscription group; instances in one group split the sensor
    /// stream between them. Empty (the default) for a plain subscription,
    /// right for one instance: measured with Mosquitto 2.0.11, a broker
    /// restart under load loses messages in flight to a shared subscription
    /// (38 of 3,000 in the fault test) and none to a plain one.
    pub shared_group: String,
    /// The writer commits a batch whenever it is free, holding what arrived
    /// during the previous commit: at most this many messages...
    pub batch_max_messages: usize,
    /// ...and no sooner than this after its first message, so an idle writer
    /// gathers a few messages rather than committing each alone.
    #[serde(with = "humantime_serde")]
    pub batch_max_wait: Duration,
    /// Where `/healthz` and `/readyz` are served (internal; port 0 picks one).
    pub health_listen: SocketAddr,
    /// The dead-letter table keeps this many of the newest refused
    /// payloads; older ones are dropped (and the drop logged).
    pub dead_letter_max_rows: u32,
    /// Readings dated more than this after the moment ingest received them
    /// are refused into the dead letters (`future_time`): a clock that runs
    /// ahead, or a forged date, must not freeze a station's latest value
    /// and index. Readings within it are taken (clocks drift).
    #[serde(with = "humantime_serde")]
    pub future_skew: Duration,
    /// Where HJ 212-2017 data loggers connect over TCP; absent for none.
    /// Loggers are matched to stations by the MN in the registry.
    pub hj212_listen: Option<SocketAddr>,
    /// HJ 212 packets (over TCP and MQTT) are taken only from stations with
    /// a logger secret (`envmon stations secret CODE`), whose PW they must
    /// carry. With false, a station without a secret is taken on its MN
    /// alone, as before secrets existed; stations with one are still checked.
    pub hj212_require_secret: bool,
    /// Open HJ 212 connections allowed from one IP address; more are closed
    /// at once (logged, and counted in
    /// `envmon_ingest_hj212_connections_refused_total`). A logger holds
    /// one; loggers behind one NAT gateway share its address. 0 for no cap.
    pub hj212_max_connections_per_address: usize,
    /// Staff alarms: the rules and how often they are evaluated.
    pub alarms: crate::alarms::AlarmSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings::default(),
            broker: BrokerSettings::default(),
            retention: RetentionSettings::default(),
            client_id: "envmon-ingest-1".into(),
            shared_group: String::new(),
            batch_max_messages: 2000,
            batch_max_wait: Duration::from_millis(5),
            health_listen: SocketAddr::from(([127, 0, 0, 1], 9181)),
            dead_letter_max_rows: 100_000,
            future_skew: Duration::from_secs(10 * 60),
            hj212_listen: None,
            hj212_require_secret: true,
            hj212_max_connections_per_address: 8,
            alarms: crate::alarms::AlarmSettings::default(),
        }
    }
}

impl Settings {
    /// The shared-subscription group, if any.
    pub fn shared_group(&self) -> Option<&str> {
        Some(self.shared_group.as_str()).filter(|group| !group.is_empty())
    }
}
