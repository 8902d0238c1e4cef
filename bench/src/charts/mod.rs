//! `envmon-bench charts`: how long drawing each kind of chart takes (SVG
//! and PNG, several sizes and ranges), and how many cached chart requests a
//! publisher answers per second next to a static file from the same
//! server. Prints figures and a markdown table; asserts nothing.
//!
//! - [`render`]: drawing times over made-up data, no database.
//! - [`serve`]: a real publisher on a scratch database, loaded over
//!   loopback by [`client`] connections.

pub(crate) mod client;
mod render;
pub(crate) mod serve;

use envmon::settings::Settings;

/// Runs both parts; `seconds` is how long each HTTP target is loaded.
pub(crate) async fn charts(settings: &Settings, seconds: u64) -> anyhow::Result<()> {
    println!(
        "envmon-bench charts: {} CPUs",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let font = settings.publisher().chart_font.clone();
    let renders = tokio::task::spawn_blocking(move || render::run(font.as_deref())).await??;
    render::print(&renders);
    let served = serve::run(settings, seconds).await?;
    serve::print(&served);
    Ok(())
}
