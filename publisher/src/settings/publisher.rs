//! Publisher settings.

use std::net::SocketAddr;
use std::time::Duration;

use envmon_core::broker::BrokerSettings;
use envmon_core::db::DatabaseSettings;
use serde::{Deserialize, Serialize};

pub use crate::client_address::Network;
pub use crate::public_url::PublicUrl;

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
    /// The MQTT client id of the live feed's broker session (the notice broadcaster's adds
    /// `-notices`); it must be unique among the broker's clients. Absent:
    /// `envmon-publisher-{host}-{random}`, unique per process, so replicas never take each
    /// other's session.
    pub broker_client_id: Option<String>,
    /// An internal address also serving `/healthz` and `/readyz` (port 0
    /// picks one), for probes that must not go through the public site;
    /// absent: only the public address serves them.
    pub health_listen: Option<SocketAddr>,
    /// Most live clients (WebSocket and SSE) served at once; more are
    /// refused with 503.
    pub max_live_clients: usize,
    /// Most live clients from one address; more are refused with 429.
    pub max_live_clients_per_address: usize,
    /// Proxies whose `X-Forwarded-For` names the client for the
    /// per-address limits; anyone else's is ignored.
    pub trusted_proxies: Vec<Network>,
    /// A client that cannot take a frame within this time is disconnected.
    #[serde(with = "humantime_serde")]
    pub write_timeout: Duration,
    /// A live client whose oldest unsent news is older than this, even
    /// after coalescing to the latest state per station, is disconnected.
    #[serde(with = "humantime_serde")]
    pub live_max_lag: Duration,
    /// How often the server pings a WebSocket client (and sends an SSE
    /// keep-alive comment).
    #[serde(with = "humantime_serde")]
    pub ping_interval: Duration,
    /// A WebSocket client silent (not even a pong) for this long is closed.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// The kernel send buffer of each accepted connection, in bytes (0: the
    /// kernel's own, which grows to megabytes). Small enough that a client
    /// that stops reading is noticed within the write timeout.
    pub socket_send_buffer_bytes: usize,
    /// Largest message a WebSocket client may send, in bytes.
    pub max_client_message_bytes: usize,
    /// Live events kept for resuming clients; one that missed more gets a
    /// fresh snapshot instead of a replay.
    pub live_replay_events: usize,
    /// Public API requests per second allowed per address, on average.
    pub rate_limit_per_second: f64,
    /// Requests an address may make in a burst above that rate.
    pub rate_limit_burst: u32,
    /// Longest time an HTTP request may take.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Serve the dashboard from this directory instead of the copy built
    /// into the binary (for working on the page); absent in production.
    pub dashboard_dir: Option<String>,
    /// The CJK font PNG charts draw their text with (OpenType, TrueType or a
    /// collection); absent: the first found of the usual system paths, e.g.
    /// Debian's fonts-noto-cjk. Without one, PNG charts answer 503.
    pub chart_font: Option<String>,
    /// Most charts kept drawn in memory (one per chart URL, the newest data
    /// version only).
    pub chart_cache_entries: usize,
    /// Who the data is from, in Chinese: shown on every chart and widget.
    pub attribution_zh: String,
    /// Who the data is from, in English.
    pub attribution_en: String,
    /// The site's public origin (e.g. `https://air.example.gov.cn`): every
    /// link the publisher writes (embed codes, oEmbed, `cap_url`, Atom), the
    /// page's Content-Security-Policy and the staff Origin check use it,
    /// never a request's Host header. Required unless `listen` is a
    /// loopback address, where it defaults to `http://{listen}`.
    pub public_url: Option<PublicUrl>,
    /// Staff sign-in and alert notices.
    pub staff: super::StaffSettings,
    /// A tile basemap under the dashboard's map; absent: none, and the
    /// page loads nothing from another origin.
    pub basemap: Option<super::BasemapSettings>,
    /// Subscriptions (e-mail, webhook, Web Push) and their delivery.
    pub delivery: super::DeliverySettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database: DatabaseSettings::default(),
            broker: BrokerSettings::default(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            broker_client_id: None,
            health_listen: None,
            max_live_clients: 10_000,
            max_live_clients_per_address: 100,
            trusted_proxies: Vec::new(),
            write_timeout: Duration::from_secs(10),
            live_max_lag: Duration::from_secs(30),
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            socket_send_buffer_bytes: 128 * 1024,
            max_client_message_bytes: 16 * 1024,
            live_replay_events: 4096,
            rate_limit_per_second: 20.0,
            rate_limit_burst: 200,
            request_timeout: Duration::from_secs(15),
            dashboard_dir: None,
            chart_font: None,
            chart_cache_entries: 256,
            attribution_zh: "上海市监测站点（国家环境监测网站点名录）".to_owned(),
            attribution_en: "Shanghai monitoring stations (national monitoring network registry)"
                .to_owned(),
            public_url: None,
            staff: super::StaffSettings::default(),
            basemap: None,
            delivery: super::DeliverySettings::default(),
        }
    }
}
