//! Publisher settings.

use std::net::SocketAddr;
use std::time::Duration;

use envmon_core::broker::BrokerSettings;
use envmon_core::db::DatabaseSettings;
use serde::{Deserialize, Serialize};

/// Everything the publisher needs to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// PostgreSQL, read for snapshots and the API (the top-level `[database]`).
    #[serde(skip)]
    pub database: DatabaseSettings,
    /// The MQTT broker carrying the live topics (the top-level `[broker]`).
    #[serde(skip)]
    pub broker: BrokerSettings,
    /// Public HTTP and WebSocket address (port 0 picks one).
    pub listen: SocketAddr,
    /// Most WebSocket clients served at once; more are refused with 503.
    pub max_live_clients: usize,
    /// A client that cannot take a frame within this time is disconnected.
    #[serde(with = "humantime_serde")]
    pub write_timeout: Duration,
    /// Longest time an HTTP request may take.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Serve the dashboard from this directory instead of the copy built
    /// into the binary (for working on the page); absent in production.
    pub dashboard_dir: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings::default(),
            broker: BrokerSettings::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_live_clients: 10_000,
            write_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(15),
            dashboard_dir: None,
        }
    }
}
