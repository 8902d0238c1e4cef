//! `envmon-bench live`: the publisher's live fan-out under load, measured
//! from a second process on loopback.
//!
//! The publisher runs as a child process (`envmon-bench publish`, the
//! publisher library as `envmon publish` runs it) on a scratch
//! database; this process opens thousands of WebSocket clients following
//! the air stations and publishes every air station's state on its live
//! topic at a steady rate, as ingest does after each commit. It reports
//! delivery latency from broker publish to client receipt (p50, p99),
//! messages delivered per second, the publisher's memory per idle
//! connection (VmRSS before and after), the same with slow clients present,
//! and the requests per second of the latest-state endpoint against a
//! static file served by the same publisher.

mod clients;
mod http_load;
mod load;
pub(crate) mod publisher;
mod server;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use clients::{Pace, Stats};
use envmon::settings::Settings;

/// What a run does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Fast WebSocket clients.
    pub(crate) clients: usize,
    /// Slow clients added for the second phase.
    pub(crate) slow: usize,
    /// Seconds each measured phase lasts.
    pub(crate) seconds: u64,
    /// Every air station publishes once per this many milliseconds.
    pub(crate) interval_ms: u64,
    /// How each round of states is published.
    pub(crate) pattern: Pattern,
}

/// How the load publishes a round of every air station's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// All together at the start of each interval, as the simulator's
    /// stations report on the interval boundary and ingest publishes the
    /// states of a committed batch one after another.
    Rounds,
    /// One state every `interval / stations`, evenly.
    Spread,
}

/// Keep-alive connections of the HTTP comparison.
const HTTP_CONNECTIONS: usize = 32;
/// Seconds each HTTP measurement lasts.
const HTTP_SECONDS: u64 = 5;

/// Runs the benchmark against the configured database and broker.
pub(crate) async fn live(settings: &Settings, options: Options) -> anyhow::Result<()> {
    check_open_files(options.clients + options.slow)?;
    let mut broker = settings.broker.clone();
    broker.topic_prefix = format!("{}bench-live-{}/", broker.topic_prefix, std::process::id());
    let stations = parse_registry(SHANGHAI_REGISTRY).context("parsing the built-in registry")?;
    println!("Starting the publisher (a child process) on a scratch database ...");
    let server = server::Server::start(&settings.database, &broker).await?;
    let result = measure(&server, &broker, &stations, options).await;
    server.stop().await?;
    let report = result?;
    report.print(options);
    Ok(())
}

/// The figures of one run.
#[derive(Debug, Default)]
struct Report {
    rss_before: u64,
    rss_idle: u64,
    connected: u64,
    fast_alone: Phase,
    fast_with_slow: Phase,
    slow_connected: u64,
    slow_closed: u64,
    published: u64,
    latest_rps: f64,
    static_rps: f64,
    http_errors: u64,
    load_before: String,
    load_after: String,
}

#[derive(Debug, Default, Clone, Copy)]
struct Phase {
    p50_ms: f64,
    p99_ms: f64,
    delivered_per_second: f64,
}

async fn measure(
    server: &server::Server,
    broker: &envmon_core::broker::BrokerSettings,
    stations: &[envmon_core::Station],
    options: Options,
) -> anyhow::Result<Report> {
    let mut report = Report {
        rss_before: server.rss_bytes()?,
        ..Report::default()
    };
    // One round first, so each client's snapshot holds every air
    // station's state, as in production, and idle memory counts it.
    let interval = Duration::from_millis(options.interval_ms);
    let round = CancellationToken::new();
    let first = {
        let (broker, stations, round) = (broker.clone(), stations.to_vec(), round.clone());
        tokio::spawn(async move {
            load::run(&broker, &stations, interval, options.pattern, round).await
        })
    };
    tokio::time::sleep(interval + Duration::from_millis(500)).await;
    round.cancel();
    report.published = first.await??;
    tokio::time::sleep(Duration::from_secs(1)).await;
    report.load_before = load_average();

    let fast = Stats::new();
    let mut tasks = JoinSet::new();
    println!("Opening {} clients ...", options.clients);
    let opening = Instant::now();
    clients::open(server.addr, options.clients, Pace::Fast, &fast, &mut tasks).await;
    report.connected = fast.connected.load(Ordering::Relaxed);
    println!(
        "{} clients connected in {:.1} s.",
        report.connected,
        opening.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    report.rss_idle = server.rss_bytes()?;

    let stop = CancellationToken::new();
    let publisher = {
        let (broker, stations, stop) = (broker.clone(), stations.to_vec(), stop.clone());
        tokio::spawn(
            async move { load::run(&broker, &stations, interval, options.pattern, stop).await },
        )
    };
    let phase = Duration::from_secs(options.seconds);
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("Measuring {} s with fast clients only ...", options.seconds);
    report.fast_alone = record(&fast, phase).await;

    let slow = Stats::new();
    println!("Opening {} slow clients ...", options.slow);
    clients::open(server.addr, options.slow, Pace::Slow, &slow, &mut tasks).await;
    report.slow_connected = slow.connected.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "Measuring {} s with the slow clients present ...",
        options.seconds
    );
    report.fast_with_slow = record(&fast, phase).await;
    report.slow_closed = slow.closed.load(Ordering::Relaxed);

    stop.cancel();
    report.published += publisher.await??;
    report.load_after = load_average();
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    tokio::time::sleep(Duration::from_secs(1)).await;

    println!("Measuring requests per second ...");
    let seconds = Duration::from_secs(HTTP_SECONDS);
    let (latest, latest_errors) = http_load::requests_per_second(
        server.addr,
        "/api/v1/latest?kind=air",
        HTTP_CONNECTIONS,
        seconds,
    )
    .await;
    let (baseline, static_errors) =
        http_load::requests_per_second(server.addr, "/style.css", HTTP_CONNECTIONS, seconds).await;
    report.latest_rps = latest;
    report.static_rps = baseline;
    report.http_errors = latest_errors + static_errors;
    Ok(report)
}

/// Records fast clients' deliveries for `duration`.
async fn record(stats: &Arc<Stats>, duration: Duration) -> Phase {
    stats.reset();
    stats.recording.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    stats.recording.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    Phase {
        p50_ms: stats.percentile_ms(0.50),
        p99_ms: stats.percentile_ms(0.99),
        delivered_per_second: stats.delivered.load(Ordering::Relaxed) as f64 / elapsed,
    }
}

/// `/proc/loadavg`'s 1, 5 and 15-minute figures: how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The soft limit on open files must cover the clients (and the publisher,
/// which inherits it, must cover them too).
fn check_open_files(clients: usize) -> anyhow::Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft: Option<usize> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok());
    if let Some(soft) = soft
        && soft < clients + 256
    {
        anyhow::bail!(
            "{clients} clients need more open files than the limit of {soft}: \
             run `ulimit -n {}` first (or lower --clients)",
            clients + 1024
        );
    }
    Ok(())
}

impl Report {
    fn print(&self, options: Options) {
        let per_idle = self.rss_idle.saturating_sub(self.rss_before) as f64
            / self.connected.max(1) as f64
            / 1024.0;
        println!();
        println!("## Publisher live fan-out");
        println!();
        println!(
            "{} fast clients following the air stations ({} connected), every air station \
             publishing once per {} ms, {} ({} states published); {} s per phase.",
            options.clients,
            self.connected,
            options.interval_ms,
            match options.pattern {
                Pattern::Rounds => "each round together",
                Pattern::Spread => "spread evenly",
            },
            self.published,
            options.seconds
        );
        println!();
        println!("| measure | figure |");
        println!("| --- | --- |");
        println!(
            "| publisher memory, before clients / with {} idle clients | {:.1} MiB / {:.1} MiB |",
            self.connected,
            self.rss_before as f64 / 1048576.0,
            self.rss_idle as f64 / 1048576.0
        );
        println!("| memory per idle connection | {per_idle:.1} KiB |");
        println!(
            "| delivery latency p50 / p99, fast clients alone | {:.1} ms / {:.1} ms |",
            self.fast_alone.p50_ms, self.fast_alone.p99_ms
        );
        println!(
            "| messages delivered per second, fast clients alone | {:.0} |",
            self.fast_alone.delivered_per_second
        );
        println!(
            "| delivery latency p50 / p99, with {} slow clients | {:.1} ms / {:.1} ms |",
            self.slow_connected, self.fast_with_slow.p50_ms, self.fast_with_slow.p99_ms
        );
        println!(
            "| messages delivered per second, with slow clients | {:.0} |",
            self.fast_with_slow.delivered_per_second
        );
        println!(
            "| slow clients disconnected during the phase | {} of {} |",
            self.slow_closed, self.slow_connected
        );
        println!(
            "| `GET /api/v1/latest?kind=air`, requests/s ({HTTP_CONNECTIONS} keep-alive connections) | {:.0} |",
            self.latest_rps
        );
        println!(
            "| `GET /style.css` (static file, same server), requests/s | {:.0} |",
            self.static_rps
        );
        println!("| HTTP answers other than 200 | {} |", self.http_errors);
        println!(
            "| load average (1, 5, 15 min) before clients / after the phases, {} CPUs | {} / {} |",
            std::thread::available_parallelism().map_or(0, usize::from),
            self.load_before,
            self.load_after
        );
    }
}
