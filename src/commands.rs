//! The subcommands, wired from the libraries.

use std::path::Path;

use anyhow::Context;
use envmon_core::area::Area;
use envmon_core::registry::{
    SHANGHAI_REGISTRY, import_areas, import_stations, parse_areas, parse_registry,
};
use envmon_core::{Station, db};
use envmon_ingest::Ingest;
use envmon_publisher::Publisher;
use envmon_simulator::Simulator;
use tokio_util::sync::CancellationToken;

use crate::metrics::Exposed;
use crate::telemetry::shutdown_signal;
use envmon::settings::Settings;

pub(crate) async fn ingest(settings: &Settings) -> anyhow::Result<()> {
    crate::metrics::serve(
        &settings.metrics,
        Exposed {
            ingest: true,
            publisher: false,
        },
    )
    .await?;
    let ingest = Ingest::build(settings.ingest())
        .await
        .context("starting ingest")?;
    tracing::info!(health = %ingest.health_addr(), "Ingest started.");
    ingest.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}

pub(crate) async fn publish(settings: &Settings) -> anyhow::Result<()> {
    crate::metrics::serve(
        &settings.metrics,
        Exposed {
            ingest: false,
            publisher: true,
        },
    )
    .await?;
    let publisher = Publisher::build(settings.publisher())
        .await
        .context("starting the publisher")?;
    tracing::info!(addr = %publisher.addr(), "Publisher started.");
    publisher.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}

pub(crate) async fn simulate(settings: &Settings, registry: Option<&Path>) -> anyhow::Result<()> {
    let stations = read_registry(registry)?;
    let count = stations.len();
    let simulator = Simulator::build(settings.simulator(), stations)?;
    tracing::info!(stations = count, "Simulator started.");
    let report = simulator.run_until_stopped(shutdown_signal()).await?;
    tracing::info!(records = report.records, "Simulator stopped.");
    Ok(())
}

pub(crate) async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let applied = run_migrations(settings).await?;
    println!(
        "Applied {} migration(s); schema is at version {}.",
        applied.len(),
        latest_version()
    );
    Ok(())
}

pub(crate) async fn import(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let stations = read_registry(Some(file))?;
    let areas = read_areas(Some(file))?;
    run_migrations(settings).await?;
    let pool = settings.database.pool()?;
    let mut client = pool.get().await.context("connecting to PostgreSQL")?;
    let count = import_stations(&mut client, &stations).await?;
    let area_count = import_areas(&mut client, &areas).await?;
    println!(
        "Imported {count} stations and {area_count} areas from {}.",
        file.display()
    );
    Ok(())
}

/// Runs the whole system in one process against the configured broker and
/// database, with the built-in registry imported.
pub(crate) async fn demo(settings: &Settings) -> anyhow::Result<()> {
    run_migrations(settings).await?;
    crate::metrics::serve(
        &settings.metrics,
        Exposed {
            ingest: true,
            publisher: true,
        },
    )
    .await?;
    let stations = read_registry(None)?;
    {
        let pool = settings.database.pool()?;
        let mut client = pool.get().await.context("connecting to PostgreSQL")?;
        import_stations(&mut client, &stations).await?;
        import_areas(&mut client, &read_areas(None)?).await?;
    }
    crate::demo_lab::seed(settings, &stations).await?;
    let ingest = Ingest::build(settings.ingest())
        .await
        .context("starting ingest")?;
    let publisher = Publisher::build(settings.publisher())
        .await
        .context("starting the publisher")?;
    publisher.issue_demo_forecasts().await?;
    let simulator = Simulator::build(settings.simulator(), stations)?;
    let url = format!("http://{}/", publisher.addr());

    let stop = CancellationToken::new();
    let ingest = tokio::spawn(ingest.run_until_stopped(stop.clone().cancelled_owned()));
    let publisher = tokio::spawn(publisher.run_until_stopped(stop.clone().cancelled_owned()));
    let simulator = tokio::spawn(simulator.run_until_stopped(stop.clone().cancelled_owned()));
    println!("envmon demo is running: open {url}  (Ctrl-C to stop)");

    shutdown_signal().await;
    stop.cancel();
    // Stop the source first, so ingest drains what was sent.
    simulator.await??;
    ingest.await??;
    publisher.await??;
    Ok(())
}

/// `envmon aqi`: CSV rows in on stdin, the same rows with the AQI out; with
/// `--area`, one row per time for the area the rows' stations make.
pub(crate) fn aqi_table(daily: bool, area: bool) -> anyhow::Result<()> {
    let (input, output) = (std::io::stdin().lock(), std::io::stdout().lock());
    let rows = if area {
        envmon_core::stats::area_table::area_csv(input, output, daily)?
    } else {
        envmon_core::aqi::table::annotate_csv(input, output, daily)?
    };
    tracing::debug!(rows, "Computed AQI rows.");
    Ok(())
}

/// `envmon water`: CSV rows in on stdin, the same rows with the class out.
pub(crate) fn water_table() -> anyhow::Result<()> {
    let rows =
        envmon_core::water::table::annotate_csv(std::io::stdin().lock(), std::io::stdout().lock())?;
    tracing::debug!(rows, "Assessed water rows.");
    Ok(())
}

/// `envmon decode`: a payload (with `--topic`) or HJ 212 packets, one per
/// line, on stdin; what ingest makes of them as JSON lines on stdout.
pub(crate) fn decode(
    settings: &Settings,
    topic: Option<&str>,
    registry: Option<&Path>,
) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let inspector =
        envmon_ingest::inspect::Inspector::new(settings.broker.topics()?, read_registry(registry)?);
    let mut input = Vec::new();
    std::io::stdin().lock().read_to_end(&mut input)?;
    let lines = match topic {
        Some(topic) => inspector.payload(topic, &input),
        None => input
            .split(|b| *b == b'\n')
            .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
            .flat_map(|line| inspector.hj212_line(line))
            .collect(),
    };
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

pub(crate) async fn run_migrations(settings: &Settings) -> anyhow::Result<Vec<i32>> {
    let pool = settings.database.pool()?;
    let mut client = pool.get().await.with_context(|| {
        format!(
            "connecting to PostgreSQL at {}",
            envmon_core::redact::redact_url(&settings.database.url)
        )
    })?;
    Ok(db::migrate(&mut client).await?)
}

fn latest_version() -> i32 {
    db::MIGRATIONS.last().map_or(0, |m| m.version)
}

fn read_registry(file: Option<&Path>) -> anyhow::Result<Vec<Station>> {
    parse_registry(&registry_text(file)?).context("parsing the station registry")
}

/// The registry's areas (the city and its districts), checked against its stations.
fn read_areas(file: Option<&Path>) -> anyhow::Result<Vec<Area>> {
    parse_areas(&registry_text(file)?).context("parsing the registry's areas")
}

fn registry_text(file: Option<&Path>) -> anyhow::Result<String> {
    match file {
        Some(file) => std::fs::read_to_string(file)
            .with_context(|| format!("reading registry {}", file.display())),
        None => Ok(SHANGHAI_REGISTRY.to_owned()),
    }
}
