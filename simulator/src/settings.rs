//! Simulator settings.

use std::time::Duration;

use chrono::{DateTime, Utc};
use envmon_core::broker::BrokerSettings;
use serde::{Deserialize, Serialize};

/// How the simulated stations behave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The broker to publish to (filled from the top-level `[broker]`).
    #[serde(skip)]
    pub broker: BrokerSettings,
    /// MQTT client id of the simulator.
    pub client_id: String,
    /// Each air station publishes one record per this much simulated time.
    #[serde(with = "humantime_serde")]
    pub air_interval: Duration,
    /// Each river section and source publishes one record per this much
    /// simulated time (automatic water stations sample less often).
    #[serde(with = "humantime_serde")]
    pub water_interval: Duration,
    /// Simulated seconds per real second, until simulated time reaches now.
    /// With intervals, this sets the load: 41 stations every 1 s at a
    /// speed-up of 100 is about 4,100 records per second.
    pub speedup: f64,
    /// Simulated start time (RFC 3339); empty for now.
    pub start: Option<DateTime<Utc>>,
    /// Before going live, publish hourly means (`"period": "PT1H"`) for the
    /// complete hours of this span before the start, so history and the
    /// indices are there at once. Zero for none.
    #[serde(with = "humantime_serde")]
    pub backfill: Duration,
    /// Stop after publishing this many records (0 for no limit).
    pub max_records: u64,
    /// Seed for the noise, so a run can be repeated.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            broker: BrokerSettings::default(),
            client_id: "envmon-simulator".into(),
            air_interval: Duration::from_secs(10),
            water_interval: Duration::from_secs(60),
            speedup: 1.0,
            start: None,
            backfill: Duration::from_secs(25 * 3600),
            max_records: 0,
            seed: 2026,
        }
    }
}
