//! The settings of the `envmon` binary, as a library so that tools beside
//! it (the benchmarks in `bench/`) read the same file, the same
//! environment variables and the same broker accounts, with the same
//! checks, as the daemons they measure.
//!
//! # Layout
//!
//! - [`settings`]: defaults, then the `--config` file, then `ENVMON__*`.
//! - [`broker_users`]: the broker accounts file, one login per daemon.
//! - [`secrets`]: secrets kept out of printed settings and error messages.

pub mod broker_users;
pub mod secrets;
pub mod settings;
