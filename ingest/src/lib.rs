//! envmon ingest: sensor messages from MQTT into PostgreSQL, acknowledged
//! only after they are committed, then published as station states.
//!
//! # Layout
//!
//! The modules follow the flow of a message:
//!
//! - `mqtt`: the persistent QoS 1 session, resubscribed on every ConnAck,
//!   with acknowledgements bound to the connection that delivered.
//! - `hj212_listener`: HJ 212 data loggers over TCP, let in by the PW of
//!   their station's secret, from its networks, a few connections per
//!   address.
//! - `input`: what the writer takes in from both (an MQTT delivery, an
//!   HJ 212 packet, a refusal), each answered its own way after the commit.
//! - [`decode`]: payload to [`decode::Record`], or a refusal with its reason.
//! - `admit`: no reading from the future or older than retention, no value
//!   that is not a number.
//! - [`qc`]: flags implausible readings (range, spike, flatline).
//! - `writer`: batches, decodes, checks, commits, acknowledges.
//! - [`store`]: the binary COPY and merge of one batch in one transaction.
//! - `maintenance`: partitions ahead, expired ones dropped, the dead-letter
//!   table kept to its cap.
//! - `rollup`: hourly means, daily statistics and the indices for what
//!   each batch marked pending.
//! - [`alarms`]: staff alarms from the configured rules, evaluated on
//!   their own connection after the rollup has computed the indices.
//! - [`dead_letter`]: refused payloads and their reasons.
//! - `state_publisher`: committed station states out on
//!   `live/{kind}/{station}`, for the publishers.
//! - `health`: `/healthz` and `/readyz`.
//! - `supervisor`: every task above under its name; the first to fail
//!   ends the daemon.
//! - [`inspect`]: what ingest makes of a payload, for `envmon decode`.
//! - [`metrics`]: the Prometheus metrics.
//! - [`settings`], `events`, `counts` (this instance's message counts).

mod admit;
pub mod alarms;
mod counts;
pub mod dead_letter;
pub mod decode;
mod events;
mod health;
mod hj212_listener;
mod input;
pub mod inspect;
mod maintenance;
pub mod metrics;
mod mqtt;
pub mod qc;
mod rollup;
pub mod settings;
mod state_publisher;
mod stations;
pub mod store;
mod supervisor;
mod writer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chrono::Utc;
use envmon_core::db::{self, DbError};
use envmon_core::topic::InvalidPrefix;
use rumqttc::AsyncClient;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use counts::MessageCounts;
pub use rollup::{RollupError, rebuild_area_days};
pub use settings::Settings;
pub use supervisor::{Task, TaskFailure};
pub use writer::WriterError;

use crate::hj212_listener::LoggerGate;
use crate::mqtt::MqttSource;
use crate::state_publisher::StatePublisher;
use crate::stations::{Registry, StationDirectory};
use crate::store::Store;
use crate::supervisor::Supervisor;
use crate::writer::Writer;

/// Deliveries waiting for the writer. Larger than the broker's in-flight
/// window (`max_inflight_messages` in deploy/mosquitto), so the MQTT loop
/// never waits on the writer and keeps answering the broker's pings.
const DELIVERY_QUEUE: usize = 8192;

/// Requests (acknowledgements, station-state publishes) waiting for the
/// MQTT loop: one batch's acknowledgements plus its station states.
const MQTT_REQUEST_QUEUE: usize = 8192;

/// Our QoS 1 publishes in flight to the broker.
const MQTT_OUTGOING_INFLIGHT: u16 = 1000;

/// Why ingest could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The database could not be prepared.
    #[error("cannot prepare the database")]
    Database(#[from] DbError),
    /// The health listener could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The topic prefix is malformed.
    #[error(transparent)]
    Topic(#[from] InvalidPrefix),
    /// The broker's TLS settings cannot be used.
    #[error("cannot set up TLS to the broker")]
    BrokerTls(#[from] envmon_core::tls::TlsError),
    /// The alarm rules are inconsistent.
    #[error(transparent)]
    AlarmRules(#[from] alarms::rules::RuleError),
    /// A task failed, panicked or ended while ingest was running; the
    /// others were stopped and drained.
    #[error("ingest's {task} failed")]
    Task {
        /// Which task.
        task: Task,
        /// How.
        #[source]
        cause: TaskFailure,
    },
}

/// A built ingest daemon, ready to run.
#[derive(Debug)]
pub struct Ingest {
    hj212_listener: Option<TcpListener>,
    hj212_addr: Option<SocketAddr>,
    hj212_gate: Arc<LoggerGate>,
    hj212_max_connections_per_address: usize,
    source: MqttSource,
    writer: Writer,
    rollup: rollup::RollupWorker,
    alarms: alarms::AlarmWorker,
    maintenance: maintenance::MaintenanceWorker,
    health_listener: TcpListener,
    health_addr: SocketAddr,
    counts: Arc<MessageCounts>,
}

impl Ingest {
    /// Migrates the database, opens the writer's session, binds the health
    /// listener and prepares the MQTT session (which connects on `run`).
    ///
    /// # Errors
    /// Fails when the database cannot be reached or migrated, the listener
    /// cannot be bound, or the topic prefix is malformed.
    pub async fn build(settings: Settings) -> Result<Self, IngestError> {
        let topics = settings.broker.topics()?;
        settings.alarms.validate()?;
        let store = Store::connect(&settings.database).await?;
        prepare_database(&settings.database).await?;
        let registry = Registry::load(store.client()).await?;
        let unsecured = registry.loggers_without_secret();
        if settings.hj212_require_secret && !unsecured.is_empty() {
            tracing::warn!(
                stations = ?unsecured,
                "These stations have an HJ 212 MN but no logger secret: their packets will be refused until one is set (envmon stations secret CODE) or [ingest] hj212_require_secret is false."
            );
        }
        let mut directory = StationDirectory::new(settings.hj212_require_secret);
        directory.replace(registry.clone(), Instant::now());
        let mut gate_directory = StationDirectory::new(settings.hj212_require_secret);
        gate_directory.replace(registry, Instant::now());
        let hj212_gate = Arc::new(LoggerGate::new(settings.database.clone(), gate_directory));

        let health_listener =
            TcpListener::bind(settings.health_listen)
                .await
                .map_err(|source| IngestError::Bind {
                    addr: settings.health_listen,
                    source,
                })?;
        let health_addr = health_listener
            .local_addr()
            .map_err(|source| IngestError::Bind {
                addr: settings.health_listen,
                source,
            })?;

        let hj212_listener = match settings.hj212_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| IngestError::Bind { addr, source })?,
            ),
            None => None,
        };
        let hj212_addr = hj212_listener.as_ref().and_then(|l| l.local_addr().ok());

        let mut options = settings.broker.mqtt_options(&settings.client_id)?;
        options.set_clean_session(false);
        options.set_manual_acks(true);
        // rumqttc takes no request (acknowledgements included) while this
        // many of our QoS 1 publishes (station states) wait for the broker's
        // PUBACK; its default of 100 let station states hold back
        // acknowledgements under load.
        options.set_inflight(MQTT_OUTGOING_INFLIGHT);
        let (client, eventloop) = AsyncClient::new(options, MQTT_REQUEST_QUEUE);
        let subscription = topics.sensor_subscription(settings.shared_group());
        let failover = envmon_core::failover::Failover::new(&settings.broker);
        let counts = Arc::new(MessageCounts::default());
        let source = MqttSource::new(
            client.clone(),
            eventloop,
            subscription,
            failover,
            Arc::clone(&counts),
        );
        let rollup_wake = Arc::new(tokio::sync::Notify::new());
        let writer = Writer {
            database: settings.database.clone(),
            store: Some(store),
            topics,
            directory,
            acker: source.acker(),
            states: StatePublisher::new(client.clone()),
            batch_max_messages: settings.batch_max_messages.max(1),
            batch_max_wait: settings.batch_max_wait,
            window: admit::Window {
                future_skew: settings.future_skew,
                max_age: Some(settings.retention.readings).filter(|age| !age.is_zero()),
            },
            database_ok: Arc::new(AtomicBool::new(true)),
            qc: qc::QcState::default(),
            rollup: Arc::clone(&rollup_wake),
            counts: Arc::clone(&counts),
        };
        let rollup = rollup::RollupWorker {
            database: settings.database.clone(),
            topics: settings.broker.topics()?,
            states: StatePublisher::new(client.clone()),
            wake: rollup_wake,
        };
        let alarms = alarms::AlarmWorker {
            database: settings.database.clone(),
            settings: settings.alarms.clone(),
        };
        let maintenance = maintenance::MaintenanceWorker {
            database: settings.database.clone(),
            settings: settings.retention.clone(),
            dead_letter_max_rows: i64::from(settings.dead_letter_max_rows),
        };
        // The first pass before anything writes: every table has this
        // month's partition, and no partition is made under the writer. A
        // failure only delays retention (the default partitions take every
        // row), so ingest starts regardless.
        if let Err(error) = maintenance.pass().await {
            tracing::warn!(error = %error, "First maintenance pass failed; retrying at the interval.");
        }
        Ok(Self {
            hj212_listener,
            hj212_addr,
            hj212_gate,
            hj212_max_connections_per_address: settings.hj212_max_connections_per_address,
            source,
            writer,
            rollup,
            alarms,
            maintenance,
            health_listener,
            health_addr,
            counts,
        })
    }

    /// Where `/healthz` and `/readyz` are served.
    pub fn health_addr(&self) -> SocketAddr {
        self.health_addr
    }

    /// This instance's message counts, live.
    pub fn counts(&self) -> Arc<MessageCounts> {
        Arc::clone(&self.counts)
    }

    /// Where HJ 212 data loggers connect, when enabled.
    pub fn hj212_addr(&self) -> Option<SocketAddr> {
        self.hj212_addr
    }

    /// Runs until `shutdown` completes, then drains in flow order: stop
    /// taking messages, commit the batch in hand, acknowledge it, disconnect.
    ///
    /// Dropping the returned future instead stops at once; whatever was not
    /// committed stays unacknowledged and the broker redelivers it.
    ///
    /// # Errors
    /// When a task fails, panics or ends before `shutdown`: the others are
    /// then stopped and drained the same way, and the error names the
    /// first that failed and how.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), IngestError> {
        let stop = CancellationToken::new();
        // The MQTT loop outlives the writer, to send its last acknowledgements.
        let writer_done = CancellationToken::new();
        let (deliveries_tx, deliveries_rx) = mpsc::channel(DELIVERY_QUEUE);
        metrics::watch_delivery_queue(&deliveries_tx);
        let readiness = health::Readiness {
            broker: self.source.connection(),
            database_ok: Arc::clone(&self.writer.database_ok),
        };

        let mut tasks = Supervisor::default();
        let writer = self.writer.run(deliveries_rx, stop.clone());
        tasks.spawn(Task::Writer, async move { Ok(writer.await?) });
        let rollup = self.rollup.run(stop.clone());
        tasks.spawn(Task::Rollup, async move { Ok(rollup.await?) });
        let alarms = self.alarms.run(stop.clone());
        tasks.spawn(Task::Alarms, cannot_fail(alarms));
        let maintenance = self.maintenance.run(stop.clone());
        tasks.spawn(Task::Maintenance, cannot_fail(maintenance));
        if let Some(listener) = self.hj212_listener {
            let listener = hj212_listener::Hj212Listener {
                listener,
                inputs: deliveries_tx.clone(),
                gate: Arc::clone(&self.hj212_gate),
                max_connections_per_address: self.hj212_max_connections_per_address,
            };
            tasks.spawn(Task::Hj212Listener, cannot_fail(listener.run(stop.clone())));
        }
        let source = self.source.run(deliveries_tx, writer_done.clone());
        tasks.spawn(Task::MqttSource, cannot_fail(source));
        let health = axum::serve(self.health_listener, health::router(readiness))
            .with_graceful_shutdown(stop.clone().cancelled_owned());
        tasks.spawn(Task::Health, async move {
            health.await.map_err(TaskFailure::Health)
        });

        let mut first_failure = None;
        tokio::select! {
            () = shutdown => tracing::info!("Ingest draining."),
            Some((task, result)) = tasks.next() => {
                let cause = result.err().unwrap_or(TaskFailure::EndedEarly);
                first_failure = Some(failed(task, cause, &writer_done));
            }
        }
        stop.cancel();
        while let Some((task, result)) = tasks.next().await {
            if task == Task::Writer {
                writer_done.cancel();
            }
            if let Err(cause) = result {
                let failure = failed(task, cause, &writer_done);
                first_failure.get_or_insert(failure);
            }
        }
        match first_failure {
            None => {
                tracing::info!("Ingest stopped.");
                Ok(())
            }
            Some((task, cause)) => Err(IngestError::Task { task, cause }),
        }
    }
}

/// Logs a task's failure; a failed writer also lets the MQTT loop go.
fn failed(task: Task, cause: TaskFailure, writer_done: &CancellationToken) -> (Task, TaskFailure) {
    if task == Task::Writer {
        writer_done.cancel();
    }
    tracing::error!(%task, error = %ErrorChain(&cause), "Ingest task failed; stopping ingest.");
    (task, cause)
}

/// A task that cannot fail, only end: ending is its failure unless asked,
/// which the caller knows.
async fn cannot_fail(task: impl Future<Output = ()>) -> Result<(), TaskFailure> {
    task.await;
    Ok(())
}

/// An error and its causes on one line, for the log.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(next) = cause {
            write!(f, ": {next}")?;
            cause = next.source();
        }
        Ok(())
    }
}

/// Applies migrations and creates the reading partitions around now.
async fn prepare_database(settings: &db::DatabaseSettings) -> Result<(), DbError> {
    let mut client = settings.open_session("migrations").await?;
    db::migrate(&mut client).await?;
    db::ensure_reading_partitions(&client, Utc::now(), 1, 3).await?;
    Ok(())
}
