//! The command line of `envmon-bench`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// envmon-bench: measured figures of envmon on this machine's PostgreSQL
/// and broker. Each benchmark works on a scratch database and topics of its
/// own, prints figures and markdown tables, and stops by itself.
#[derive(Debug, Parser)]
#[command(version, about)]
pub(crate) struct Cli {
    /// Settings file (TOML), as for `envmon --config`. Environment variables
    /// like ENVMON__DATABASE__URL override it.
    #[arg(long, global = true, env = "ENVMON_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Log filter, e.g. `error` or `envmon_ingest=debug,info`; RUST_LOG wins.
    #[arg(long, global = true, default_value = "info")]
    pub(crate) log_level: String,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Live fan-out: thousands of WebSocket clients against a publisher
    /// child process; latency, throughput, memory per connection, slow
    /// clients, and requests/s of the latest-state endpoint.
    Live {
        /// Fast WebSocket clients, each following the air stations.
        #[arg(long, default_value_t = 10_000)]
        clients: usize,
        /// Slow clients (one message a second) added for the second phase.
        #[arg(long, default_value_t = 100)]
        slow: usize,
        /// Seconds each measured phase lasts.
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        /// Every air station publishes its state once per this many ms.
        #[arg(long, default_value_t = 2000)]
        interval_ms: u64,
        /// Spread the states evenly over the interval, instead of
        /// publishing each round together as ingest does after committing
        /// the simulator's round: the harder pattern for the publisher, as
        /// no two updates can share a write.
        #[arg(long)]
        spread: bool,
    },
    /// Ingest throughput and commit latency through a real broker, against
    /// its ceilings (raw PostgreSQL COPY, raw broker QoS 1).
    Ingest {
        /// Seconds each load step runs.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Chart drawing time per kind, size and format, and cached chart
    /// requests per second against a static file from the same server.
    Charts {
        /// Seconds each HTTP target is loaded.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Answers on a history of real size: three years of hourly data for
    /// every registry station and the stored aggregates and indices behind
    /// them (plus minute readings for the air stations), then a year of a
    /// station's series, a year's city statistics, the current rankings and
    /// a calendar chart, each against a plain indexed SELECT of the same
    /// rows, and cached answers against a static file.
    History {
        /// Days of minute readings for the air stations (the raw table the
        /// answers must never scan); 365 as a real year, fewer for a quick run.
        #[arg(long, default_value_t = 365)]
        minute_days: u32,
        /// Requests per target for the latency figures.
        #[arg(long, default_value_t = 300)]
        requests: usize,
        /// Seconds each throughput target is loaded.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// The publisher under test of `live`, run as its child process (so
    /// that its memory is its own to measure); not for use by hand.
    #[command(hide = true)]
    Publish,
}
