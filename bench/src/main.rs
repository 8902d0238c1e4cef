//! `envmon-bench`: the benchmarks, kept out of the `envmon` binary so that
//! production builds ship no load clients. It reads the same settings as
//! `envmon` (the `--config` file and `ENVMON__*` variables).
//!
//! # Layout
//!
//! - [`ingest`]: ingest against its ceilings.
//! - [`live`]: the publisher's live fan-out, with [`live::publisher`] as the
//!   child process under test.
//! - [`charts`]: chart drawing and serving.
//! - [`history`]: answers on years of stored data.

mod charts;
mod cli;
mod history;
mod ingest;
mod live;

use clap::Parser;
use envmon::settings::Settings;
use tracing_subscriber::EnvFilter;

use crate::cli::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cli.log_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Ingest { seconds } => ingest::ingest(&settings, seconds).await,
        Command::Charts { seconds } => charts::charts(&settings, seconds).await,
        Command::Live {
            clients,
            slow,
            seconds,
            interval_ms,
            spread,
        } => {
            let options = live::Options {
                clients,
                slow,
                seconds,
                interval_ms,
                pattern: if spread {
                    live::Pattern::Spread
                } else {
                    live::Pattern::Rounds
                },
            };
            live::live(&settings, options).await
        }
        Command::History {
            minute_days,
            requests,
            seconds,
        } => history::history(&settings, minute_days, requests, seconds).await,
        Command::Publish => live::publisher::run(&settings).await,
    }
}
