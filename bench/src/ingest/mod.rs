//! `envmon-bench`: measured figures of ingest against its ceilings.
//!
//! `envmon-bench ingest` works on a scratch database of its own and on
//! topics under a prefix of its own, on the configured PostgreSQL server and
//! broker, and stops by itself. docs/benchmarks.md has the figures and how
//! to read them.
//!
//! # Layout
//!
//! In the order a run goes:
//!
//! - [`scratch`]: the scratch database, created, prepared and dropped.
//! - [`ceilings`]: A, raw binary COPY; C, ingest's batch SQL without MQTT.
//! - [`raw_broker`]: B, the broker alone with QoS 1.
//! - [`load`]: the load generator (native JSON records) on its own thread.
//! - [`watch`]: the live-topic subscriber that sees commits.
//! - [`ledger`]: what was published and what is committed, per station.
//! - [`steps`]: ingest, step by step.
//! - [`cpu`]: CPU per process and thread from `/proc`.
//! - [`report`]: the figures, their ratios, and markdown tables.
//! - [`summary`]: the figures for a terminal.
//! - [`run`]: the whole run.

mod ceilings;
mod cpu;
mod ledger;
mod load;
mod raw_broker;
mod report;
mod run;
mod scratch;
mod steps;
mod summary;
mod watch;

pub(crate) use run::ingest;
