//! `envmon-bench publish`: the publisher under test, in a process of its
//! own. It is what `envmon publish` runs (the library's build and run),
//! without the metrics endpoint, stopped by SIGTERM as an operator would.

use anyhow::Context as _;
use envmon::settings::Settings;
use envmon_publisher::Publisher;

/// Runs the publisher of `settings` until SIGTERM or Ctrl-C.
pub(crate) async fn run(settings: &Settings) -> anyhow::Result<()> {
    let publisher = Publisher::build(settings.publisher())
        .await
        .context("starting the publisher")?;
    tracing::info!(addr = %publisher.addr(), "Publisher under test started.");
    publisher.run_until_stopped(stop_requested()).await?;
    Ok(())
}

/// Completes on SIGTERM (what `live` sends at the end) or Ctrl-C.
async fn stop_requested() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(error) => {
            tracing::error!(error = %error, "Cannot listen for SIGTERM.");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
