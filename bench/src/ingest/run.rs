//! `envmon-bench ingest`, start to report: scratch database, ceilings A, C
//! and B, then ingest step by step, then the scratch database dropped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, DurationRound, Utc};
use envmon_core::broker::BrokerSettings;
use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use envmon_core::{StationCode, StationKind};
use envmon_ingest::{Ingest, IngestError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;

use super::ceilings::{copy_ceiling, store_ceiling};
use super::cpu::Probe;
use super::ledger::{Ledger, lock};
use super::load::LoadGenerator;
use super::raw_broker::broker_ceiling;
use super::report::{IngestFigures, Machine, Report};
use super::scratch::ScratchDatabase;
use super::steps::{Driver, plans};
use super::watch::LiveWatcher;
use envmon::settings::Settings;

/// Observation times start this far back, so the whole run stays in the
/// past whatever the rate (180 days of minutes per station).
const HISTORY: chrono::Duration = chrono::Duration::days(180);

/// Ceiling B runs for the step length, but no longer than this.
const BROKER_CEILING_MAX: Duration = Duration::from_secs(10);

/// How long ingest may take to drain when told to stop.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Setup, ceilings and drains beyond the steps themselves.
const OVERHEAD_BUDGET: Duration = Duration::from_secs(60);

/// `envmon-bench ingest`: measures, prints the report, drops the scratch
/// database whatever happened.
pub(crate) async fn ingest(settings: &Settings, seconds: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        (2..=600).contains(&seconds),
        "--seconds must be from 2 to 600"
    );
    let step_length = Duration::from_secs(seconds);
    let pid = std::process::id();
    let scratch =
        ScratchDatabase::create(&settings.database, &format!("envmon_bench_{pid}")).await?;
    tracing::info!(database = scratch.name(), "Bench scratch database created.");
    let steps = u32::try_from(plans().len()).unwrap_or(u32::MAX);
    let budget = step_length * steps + OVERHEAD_BUDGET;
    let outcome = tokio::time::timeout(budget, measure(settings, &scratch, step_length, pid)).await;
    // Also after a failure or a timeout: a persistent session left with a
    // backlog would be kept, and saved every autosave, by the broker.
    forget_session(&settings.broker, &ingest_client_id(pid)).await;
    if let Err(error) = scratch.drop_database().await {
        tracing::warn!(error = %format!("{error:#}"), "Cannot drop the bench database.");
    }
    let report = match outcome {
        Ok(report) => report?,
        Err(_) => anyhow::bail!("the benchmark did not finish within {budget:?} and was stopped"),
    };
    println!("{}", report.text());
    println!("{}", report.markdown());
    Ok(())
}

async fn measure(
    settings: &Settings,
    scratch: &ScratchDatabase,
    step_length: Duration,
    pid: u32,
) -> anyhow::Result<Report> {
    let origin = (Utc::now() - HISTORY).duration_trunc(chrono::Duration::minutes(1))?;
    scratch.prepare(origin).await?;
    let stations = air_stations()?;
    let mut db = scratch.connect().await?;
    let pg_port = settings
        .database
        .pg_config()?
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432);
    let probe = Probe::discover(settings.broker.port, pg_port);
    let machine = machine(&db, &probe).await?;

    tracing::info!("Bench ceiling A: binary COPY.");
    let copy = copy_ceiling(&mut db, &stations, origin, &probe).await?;
    let ingest_settings = ingest_settings(settings, scratch, pid);
    // Under load ingest's batches fill to batch_max_messages: the broker
    // does not hold them to its in-flight window.
    let records_per_batch = ingest_settings.batch_max_messages.max(1);
    tracing::info!("Bench ceiling C: ingest's batch SQL alone.");
    let store = store_ceiling(
        &scratch.settings,
        &stations,
        origin,
        records_per_batch,
        &probe,
    )
    .await?;
    db.batch_execute("TRUNCATE reading, station_latest, rollup_pending")
        .await?;
    tracing::info!("Bench ceiling B: the raw broker.");
    let broker = broker_ceiling(
        &settings.broker,
        &format!("envmon-bench-{pid}-raw"),
        &format!("bench-{pid}-raw/"),
        &stations,
        origin,
        step_length.min(BROKER_CEILING_MAX),
        &probe,
    )
    .await?;
    let ingest = ingest_phase(ingest_settings, db, &stations, origin, step_length, &probe).await?;
    Ok(Report {
        machine,
        seconds: step_length.as_secs(),
        copy,
        store,
        broker,
        ingest,
    })
}

/// The MQTT client id of the run's ingest.
fn ingest_client_id(pid: u32) -> String {
    format!("envmon-bench-{pid}-ingest")
}

/// Ingest's settings as configured, but for what must be the run's own:
/// the scratch database, a topic prefix, a client id, a free health port.
fn ingest_settings(
    settings: &Settings,
    scratch: &ScratchDatabase,
    pid: u32,
) -> envmon_ingest::Settings {
    let mut ingest = settings.ingest();
    ingest.database = scratch.settings.clone();
    ingest.broker.topic_prefix = format!("bench-{pid}/");
    ingest.client_id = ingest_client_id(pid);
    ingest.health_listen = SocketAddr::from(([127, 0, 0, 1], 0));
    ingest.hj212_listen = None;
    ingest
}

async fn ingest_phase(
    settings: envmon_ingest::Settings,
    db: Client,
    stations: &[String],
    origin: DateTime<Utc>,
    step_length: Duration,
    probe: &Probe,
) -> anyhow::Result<IngestFigures> {
    let broker = settings.broker.clone();
    let topics = broker.topics()?;
    let ingest = Ingest::build(settings.clone())
        .await
        .context("building ingest")?;
    let health = ingest.health_addr();
    let running = RunningIngest::spawn(ingest);
    wait_ready(health).await?;

    let ledger = Arc::new(Mutex::new(Ledger::new(origin, stations)));
    let client_id = &settings.client_id;
    let filter = topics.live_subscription();
    let watcher = LiveWatcher::start(
        &broker,
        &format!("{client_id}-watch"),
        filter,
        Arc::clone(&ledger),
    )
    .await?;
    let sensor_topics = stations
        .iter()
        .map(|code| Ok(topics.sensor(StationKind::Air, &StationCode::parse(code)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let generator = LoadGenerator::start(
        &broker,
        &format!("{client_id}-load"),
        stations.to_vec(),
        sensor_topics,
        Arc::clone(&ledger),
    )
    .await?;
    let mut driver = Driver {
        db,
        ledger,
        generator,
        probe,
        step_length,
        backends: HashMap::new(),
    };
    let steps = driver.run_all(&plans()).await?;
    let published = lock(&driver.ledger).published();
    let rows: i64 = driver
        .db
        .query_one("SELECT count(*) FROM reading", &[])
        .await?
        .get(0);
    let dead_letters: i64 = driver
        .db
        .query_one("SELECT count(*) FROM dead_letter", &[])
        .await?
        .get(0);
    drop(driver);
    drop(watcher);
    let shutdown = running.stop().await;
    tracing::info!(shutdown = %shutdown, "Bench ingest stopped.");
    Ok(IngestFigures {
        steps,
        published,
        rows,
        dead_letters,
        batch_max_messages: settings.batch_max_messages,
        batch_max_wait: settings.batch_max_wait,
        shutdown,
    })
}

/// Ingest running in this process; aborted if the run is dropped midway.
#[derive(Debug)]
struct RunningIngest {
    stop: CancellationToken,
    task: Option<JoinHandle<Result<(), IngestError>>>,
}

impl RunningIngest {
    fn spawn(ingest: Ingest) -> Self {
        let stop = CancellationToken::new();
        let task = tokio::spawn(ingest.run_until_stopped(stop.clone().cancelled_owned()));
        Self {
            stop,
            task: Some(task),
        }
    }

    /// Stops ingest the way SIGTERM would (drain, commit, acknowledge) and
    /// says how that went: a shutdown that hangs is a finding to report,
    /// not a reason to lose the figures.
    async fn stop(mut self) -> String {
        self.stop.cancel();
        let Some(mut task) = self.task.take() else {
            return "not running".to_owned();
        };
        let started = Instant::now();
        match tokio::time::timeout(SHUTDOWN_TIMEOUT, &mut task).await {
            Ok(Ok(Ok(()))) => format!(
                "stopped cleanly in {:.1} s",
                started.elapsed().as_secs_f64()
            ),
            Ok(Ok(Err(error))) => format!("failed: {:#}", anyhow::Error::from(error)),
            Ok(Err(error)) => format!("task failed: {error}"),
            Err(_) => {
                task.abort();
                format!(
                    "did NOT stop within {} s of the shutdown signal; aborted",
                    SHUTDOWN_TIMEOUT.as_secs()
                )
            }
        }
    }
}

impl Drop for RunningIngest {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Waits until ingest's `/readyz` answers 200: subscribed, database up.
/// Anything published before that would miss its subscription.
async fn wait_ready(addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::from("no answer");
    while Instant::now() < deadline {
        match readyz(addr).await {
            Ok(status) if status.starts_with("HTTP/1.1 200") => return Ok(()),
            Ok(status) => last = status,
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("ingest was not ready within 10 s: {last}")
}

async fn readyz(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(b"GET /readyz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await?;
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

/// Ends ingest's persistent session at the broker (a clean-session connect
/// under its client id), so the broker does not keep it forever.
async fn forget_session(broker: &BrokerSettings, client_id: &str) {
    let Ok(mut options) = broker.mqtt_options(client_id) else {
        // The daemons could not have connected either: no session to end.
        return;
    };
    options.set_clean_session(true);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 4);
    let connected = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match eventloop.poll().await {
                Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_))) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    })
    .await;
    if connected == Ok(true) {
        let _ = client.try_disconnect();
        let _ = tokio::time::timeout(Duration::from_secs(1), eventloop.poll()).await;
    } else {
        tracing::warn!(client_id, "Cannot clear the bench ingest's broker session.");
    }
}

/// The codes of the registry's air stations.
fn air_stations() -> anyhow::Result<Vec<String>> {
    let stations = parse_registry(SHANGHAI_REGISTRY).context("parsing the built-in registry")?;
    let codes: Vec<String> = stations
        .iter()
        .filter(|s| s.kind == StationKind::Air)
        .map(|s| s.code.to_string())
        .collect();
    anyhow::ensure!(
        !codes.is_empty(),
        "the built-in registry has no air station"
    );
    Ok(codes)
}

async fn machine(db: &Client, probe: &Probe) -> anyhow::Result<Machine> {
    let postgres: String = db.query_one("SHOW server_version", &[]).await?.get(0);
    let memory_kib: f64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0.0);
    Ok(Machine {
        date: Utc::now(),
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        memory_gib: memory_kib / 1024.0 / 1024.0,
        postgres,
        processes: probe.found.clone(),
    })
}
