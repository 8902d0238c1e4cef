//! Cached chart requests per second against a static file from the same
//! server: a real publisher on a scratch database with 30 days of hourly
//! data for one station, loaded over loopback by keep-alive connections.
//!
//! A cached chart request still asks PostgreSQL for the data's version (one
//! round trip) before answering from the render cache; the static file is
//! one of the dashboard's, served from memory. Their ratio is the cost of
//! keeping charts exact to the data.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DurationRound, Utc};
use envmon_core::db::DatabaseSettings;
use envmon_core::registry::{SHANGHAI_REGISTRY, import_stations, parse_registry};
use envmon_publisher::Publisher;
use tokio_util::sync::CancellationToken;

use super::client::{Connection, request};
use envmon::settings::Settings;

/// Connections loading the server at once: enough to keep both cores busy.
const CONNECTIONS: usize = 16;

/// One loaded target.
#[derive(Debug)]
pub(super) struct ServeFigure {
    name: &'static str,
    path: String,
    status: u16,
    bytes: usize,
    requests: u64,
    per_second: f64,
    median: Duration,
    p99: Duration,
}

/// Seeds 30 days of PM2.5 hourly means and AQI for 1141A.
const SEED: &str = "
INSERT INTO hourly_mean (station_code, parameter_code, hour_end, value, minutes, valid)
SELECT '1141A', 'pm25', h, 35 + 20 * sin(extract(epoch FROM h) / 13751.0), 60, true
FROM generate_series($1::timestamptz - interval '30 days', $1::timestamptz, interval '1 hour') AS h;
INSERT INTO aqi_hourly (station_code, hour_end, edition, aqi, computed_aqi, level,
                        primary_pollutants, report)
SELECT '1141A', h, 'HJ 633-2026', a, a, CASE WHEN a <= 50 THEN 1 WHEN a <= 100 THEN 2 ELSE 3 END,
       '{pm25}', '{}'::jsonb
FROM (SELECT h, (60 + 30 * sin(extract(epoch FROM h) / 13751.0))::smallint AS a
      FROM generate_series($1::timestamptz - interval '30 days', $1::timestamptz,
                           interval '1 hour') AS h) AS s;";

/// A database name of this run's own: a fixed prefix and the process id.
fn scratch_name() -> String {
    format!("envmon_bench_charts_{}", std::process::id())
}

pub(crate) fn with_database(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, rest)) => {
            let query = rest
                .split_once('?')
                .map_or(String::new(), |(_, q)| format!("?{q}"));
            format!("{base}/{name}{query}")
        }
        None => url.to_owned(),
    }
}

pub(crate) async fn connect(database: &DatabaseSettings) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = database
        .connect()
        .await
        .context("connecting to the configured database")?;
    tokio::spawn(connection);
    Ok(client)
}

/// Creates database `name` beside `configured` (replacing a leftover), returning the admin
/// session that drops it and settings pointing at it.
pub(crate) async fn create_scratch(
    configured: &DatabaseSettings,
    name: &str,
) -> anyhow::Result<(tokio_postgres::Client, DatabaseSettings)> {
    let admin = connect(configured).await?;
    drop_scratch(&admin, name).await?;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .with_context(|| format!("creating {name} (the role needs CREATEDB)"))?;
    let database = DatabaseSettings {
        url: with_database(&configured.url, name),
        ..configured.clone()
    };
    Ok((admin, database))
}

/// Drops database `name` (a fixed prefix and digits: never input).
pub(crate) async fn drop_scratch(admin: &tokio_postgres::Client, name: &str) -> anyhow::Result<()> {
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .with_context(|| format!("dropping {name}"))
}

pub(super) async fn run(settings: &Settings, seconds: u64) -> anyhow::Result<Vec<ServeFigure>> {
    let name = scratch_name();
    let (admin, database) = create_scratch(&settings.publisher().database, &name).await?;
    let result = load(settings, &database, seconds).await;
    drop_scratch(&admin, &name).await?;
    result
}

async fn load(
    settings: &Settings,
    database: &DatabaseSettings,
    seconds: u64,
) -> anyhow::Result<Vec<ServeFigure>> {
    let publisher = Publisher::build(envmon_publisher::Settings {
        database: database.clone(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        // One address makes every request here: the per-address limit would
        // answer most of them 429 and measure the limiter instead.
        rate_limit_per_second: 1_000_000.0,
        rate_limit_burst: 1_000_000,
        ..settings.publisher()
    })
    .await
    .context("starting the publisher")?;
    let addr = publisher.addr();
    let mut client = connect(database).await?;
    let stations = parse_registry(SHANGHAI_REGISTRY)?;
    import_stations(&mut client, &stations).await?;
    let hour = chrono::Duration::hours(1);
    let end = Utc::now().duration_trunc(hour)? + hour;
    client.batch_execute("BEGIN").await?;
    for statement in SEED.split(";\n").filter(|s| !s.trim().is_empty()) {
        client.execute(statement, &[&end]).await?;
    }
    client.batch_execute("COMMIT").await?;

    let stop = CancellationToken::new();
    let server = tokio::spawn(publisher.run_until_stopped(stop.clone().cancelled_owned()));
    let svg = "/api/v1/charts/station/1141A/pm25.svg?range=7d".to_owned();
    let png = "/api/v1/charts/station/1141A/pm25.png?range=7d".to_owned();
    // Draw both once, so what follows is served from the cache.
    let mut warm = Connection::open(addr).await?;
    let etag = warm
        .get(&request(&svg, &[]))
        .await?
        .etag
        .context("charts carry an ETag")?;
    warm.get(&request(&png, &[])).await?;
    let duration = Duration::from_secs(seconds.max(1));
    let mut figures = Vec::new();
    for (name, path, extra) in [
        ("static file (/style.css)", "/style.css".to_owned(), None),
        ("cached SVG chart, 7 days", svg.clone(), None),
        ("cached PNG chart, 7 days", png, None),
        ("SVG chart, If-None-Match (304)", svg, Some(etag.clone())),
    ] {
        let headers: Vec<(&str, &str)> = extra
            .as_deref()
            .map(|tag| vec![("If-None-Match", tag)])
            .unwrap_or_default();
        figures.push(hammer(addr, name, &path, &request(&path, &headers), duration).await?);
    }
    stop.cancel();
    server.await??;
    Ok(figures)
}

/// Loads `path` from `CONNECTIONS` connections for `duration`.
async fn hammer(
    addr: SocketAddr,
    name: &'static str,
    path: &str,
    bytes: &[u8],
    duration: Duration,
) -> anyhow::Result<ServeFigure> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let bytes = bytes.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(addr).await?;
            let mut latencies = Vec::new();
            let mut last = None;
            while started.elapsed() < duration {
                let t = Instant::now();
                let answer = connection.get(&bytes).await?;
                latencies.push(t.elapsed());
                last = Some((answer.status, answer.bytes));
            }
            anyhow::Ok((latencies, last))
        }));
    }
    let mut latencies = Vec::new();
    let mut status = 0;
    let mut size = 0;
    for task in tasks {
        let (mut more, last) = task.await??;
        latencies.append(&mut more);
        if let Some((s, b)) = last {
            (status, size) = (s, b);
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let count = latencies.len().max(1);
    Ok(ServeFigure {
        name,
        path: path.to_owned(),
        status,
        bytes: size,
        requests: latencies.len() as u64,
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        median: latencies.get(count / 2).copied().unwrap_or_default(),
        p99: latencies.get(count * 99 / 100).copied().unwrap_or_default(),
    })
}

pub(super) fn print(figures: &[ServeFigure]) {
    let baseline = figures.first().map_or(1.0, |f| f.per_second);
    println!();
    println!(
        "Requests over loopback, {CONNECTIONS} keep-alive connections each, one target at a time:"
    );
    println!();
    println!(
        "| target | status | body bytes | requests/s | vs static | median ms | p99 ms | requests |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for f in figures {
        println!(
            "| {} (`{}`) | {} | {} | {:.0} | {:.2}× | {:.2} | {:.2} | {} |",
            f.name,
            f.path,
            f.status,
            f.bytes,
            f.per_second,
            baseline / f.per_second.max(f64::MIN_POSITIVE),
            f.median.as_secs_f64() * 1000.0,
            f.p99.as_secs_f64() * 1000.0,
            f.requests
        );
    }
    println!();
    println!("\"vs static\" is how many times slower than the static file (1.00× = as fast).");
}
