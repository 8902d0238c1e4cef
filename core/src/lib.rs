//! The shared vocabulary of envmon.
//!
//! Every other crate speaks in these types: a [`StationCode`] that cannot be
//! malformed, a [`Parameter`] that knows its canonical unit, a [`Reading`] with
//! its [`QualityFlag`], and the [`wire`] types that travel on the live topics
//! and the WebSocket. The database schema and its migrations live here too, so
//! ingest and publisher agree on one truth.
//!
//! # Layout
//!
//! - [`station`]: station codes, kinds and registry records.
//! - [`parameter`]: the measured parameters and their canonical units.
//! - [`unit`](mod@unit): conversion of a value to its parameter's canonical unit.
//! - [`quality`] and [`reading`]: one value at one instant, with its flag.
//! - [`topic`]: the MQTT topic names, sensors in and live out.
//! - [`wire`]: the JSON that ingest publishes and publisher forwards.
//! - [`alert`]: public alert notices (CAP, Atom, signatures) and the audit chain.
//! - [`forecast`]: air-quality forecasts: content, the signed document, scores.
//! - [`aqi`]: the official air quality indices (HJ 633, both editions; US EPA).
//! - [`stats`]: area AQI, period statistics of air and water, attainment, the
//!   composite index.
//! - [`validity`]: hourly, 8-hour and daily means with their validity counts.
//! - [`water`]: GB 3838-2002 water classes and drinking-water compliance.
//! - [`radiation`]: the gamma dose rate against a station's natural background.
//! - [`drinking`]: tap and outlet water judged by GB 5749-2022.
//! - [`emission`]: key pollution sources' emission points judged against
//!   their registry limits, from HJ 212 flue-gas and wastewater data.
//! - [`lab`]: laboratory results of water sites, imported and judged.
//! - [`registry`]: the station registry file and its import.
//! - [`area`]: the city and its districts, with their evaluation stations.
//! - [`logger_secret`] and [`network`]: what an HJ 212 data logger must
//!   prove (its hashed secret) and where it may connect from.
//! - [`db`]: connection pool settings and the schema migrations.
//! - [`broker`]: MQTT connection settings shared by every daemon.
//! - [`tls`]: TLS for the daemons' connections to the broker and PostgreSQL.
//! - [`failover`]: several brokers of one cluster, tried in turn.
//! - [`backoff`]: the retry delays of every reconnecting loop.
//! - [`beijing`]: Beijing time, the time zone of the data.
//! - [`redact`]: passwords and keys kept out of output and logs.
//! - [`outbox`] and [`subscription`]: what subscribers may be owed a message
//!   for (written with its cause), and what they subscribed to.

pub mod alert;
pub mod aqi;
pub mod area;
pub mod backoff;
pub mod beijing;
pub mod broker;
pub mod db;
pub mod drinking;
pub mod emission;
pub mod failover;
pub mod forecast;
pub mod lab;
pub mod logger_secret;
pub mod metrics;
pub mod network;
pub mod outbox;
pub mod parameter;
pub mod quality;
pub mod radiation;
pub mod reading;
pub mod redact;
pub mod registry;
pub mod station;
pub mod stats;
pub mod subscription;
pub mod tls;
pub mod topic;
pub mod unit;
pub mod validity;
pub mod water;
pub mod wire;

pub use parameter::Parameter;
pub use quality::QualityFlag;
pub use reading::Reading;
pub use station::{Station, StationCode, StationKind};
