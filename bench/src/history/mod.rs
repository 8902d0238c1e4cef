//! `envmon-bench history`: the answers people ask of years of data (a year of a station's
//! series, a year's statistics for the city, the current rankings, a calendar chart) on a
//! history of real size, each next to a plain indexed `SELECT` of the same rows (the floor any
//! answer stands on), and cached answers (`If-None-Match`) next to a static file from the same
//! server. Prints figures and a markdown table; asserts nothing.
//!
//! - [`seed`]: the history, generated in the scratch database.
//! - [`measure`]: latency of answers and of their plain queries, and cached throughput.

mod measure;
mod seed;

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{Datelike, Duration, DurationRound, NaiveDate, Utc};
use envmon::settings::Settings;
use envmon_core::db::{DatabaseSettings, ensure_reading_partitions, migrate};
use envmon_core::registry::{
    SHANGHAI_REGISTRY, import_areas, import_stations, parse_areas, parse_registry,
};
use envmon_publisher::Publisher;
use tokio_util::sync::CancellationToken;

use crate::charts::serve::{connect, create_scratch, drop_scratch};
use measure::Target;

/// A database name of this run's own: a fixed prefix and the process id.
fn scratch_name() -> String {
    format!("envmon_bench_history_{}", std::process::id())
}

/// Runs the benchmark on a scratch database, dropped at the end.
pub(crate) async fn history(
    settings: &Settings,
    minute_days: u32,
    requests: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    println!(
        "envmon-bench history: {} CPUs, {minute_days} days of minute readings",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let name = scratch_name();
    let (admin, database) = create_scratch(&settings.publisher().database, &name).await?;
    let database = DatabaseSettings {
        // Seeding a table of years in one statement outlasts any request timeout.
        statement_timeout: std::time::Duration::from_secs(3600),
        ..database
    };
    let result = run(settings, &database, minute_days, requests, seconds).await;
    drop_scratch(&admin, &name).await?;
    result
}

async fn run(
    settings: &Settings,
    database: &DatabaseSettings,
    minute_days: u32,
    requests: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let mut client = connect(database).await?;
    migrate(&mut client).await?;
    import_stations(&mut client, &parse_registry(SHANGHAI_REGISTRY)?).await?;
    import_areas(&mut client, &parse_areas(SHANGHAI_REGISTRY)?).await?;
    let hour = Duration::hours(1);
    let end = Utc::now().duration_trunc(hour)?;
    let hourly_from = end - Duration::days(3 * 365);
    let minute_from = end - Duration::days(i64::from(minute_days));
    ensure_reading_partitions(&client, end, minute_days / 28 + 2, 1).await?;
    let started = Instant::now();
    seed::seed(&mut client, hourly_from, minute_from, end).await?;
    println!("history seeded in {:.0} s", started.elapsed().as_secs_f64());

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
    let stop = CancellationToken::new();
    let server = tokio::spawn(publisher.run_until_stopped(stop.clone().cancelled_owned()));

    // The last whole calendar year (Beijing), and the year before it for 同比.
    let today = end
        .with_timezone(&envmon_core::beijing::offset())
        .date_naive();
    let year = today.year() - 1;
    let (jan1, dec31) = (day(year, 1, 1), day(year, 12, 31));
    let year_ago = end - Duration::days(365);
    let iso = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let targets = vec![
        Target {
            name: "a year of a station's hourly PM2.5",
            path: format!(
                "/api/v1/stations/1141A/readings?parameter=pm25&aggregate=hourly&from={}&to={}&limit=10000",
                iso(year_ago),
                iso(end)
            ),
            plain: "SELECT hour_end, value, valid FROM hourly_mean
                    WHERE station_code = '1141A' AND parameter_code = 'pm25'
                      AND hour_end > $1::text::timestamptz AND hour_end <= $2::text::timestamptz
                    ORDER BY hour_end",
            params: vec![iso(year_ago), iso(end)],
            uncached: Vec::new(),
        },
        Target {
            name: "a year's statistics for the city (and the year before)",
            path: format!("/api/v1/stats/air?area=shanghai&from={jan1}&to={dec31}"),
            plain: "SELECT day, aqi, primary_pollutants, report->'area_means' FROM area_aqi_daily
                    WHERE area_id = 'shanghai' AND day BETWEEN $1::text::date AND $2::text::date",
            params: vec![day(year - 1, 1, 1).to_string(), dec31.to_string()],
            // The same year ending a day earlier each time: a new question each.
            uncached: (1..=100)
                .map(|k| {
                    let to = dec31 - Duration::days(k);
                    format!("/api/v1/stats/air?area=shanghai&from={jan1}&to={to}")
                })
                .collect(),
        },
        Target {
            name: "the current district ranking",
            path: "/api/v1/rankings?scope=district".to_owned(),
            plain: "SELECT area_id, aqi FROM area_aqi_hourly
                    WHERE hour_end = (SELECT max(hour_end) FROM area_aqi_hourly)",
            params: vec![],
            // Each ranking by a pollutant is a question of its own.
            uncached: ["so2", "no2", "co", "o3", "pm10", "pm25"]
                .iter()
                .flat_map(|by| {
                    ["district", "station"]
                        .map(|scope| format!("/api/v1/rankings?scope={scope}&by={by}"))
                })
                .collect(),
        },
        Target {
            name: "the city's calendar chart of a year",
            path: format!("/api/v1/charts/area/shanghai/calendar.svg?year={year}"),
            plain: "SELECT day, aqi, level FROM area_aqi_daily
                    WHERE area_id = 'shanghai' AND day BETWEEN $1::text::date AND $2::text::date",
            params: vec![jan1.to_string(), dec31.to_string()],
            // Both languages of each chart of the three years: drawn, not cached.
            uncached: [year - 2, year - 1, year]
                .iter()
                .flat_map(|y| {
                    ["calendar", "good-days", "annual"]
                        .into_iter()
                        .flat_map(move |chart| {
                            ["zh", "en"].map(move |lang| {
                                format!(
                                    "/api/v1/charts/area/shanghai/{chart}.svg?year={y}&lang={lang}"
                                )
                            })
                        })
                })
                .collect(),
        },
    ];
    let latencies = measure::latencies(addr, &client, &targets, requests).await?;
    let cached = measure::cached(addr, &targets, seconds).await?;
    measure::print(&latencies, &cached);
    stop.cancel();
    server.await??;
    Ok(())
}

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}
