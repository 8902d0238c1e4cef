//! The rollup worker: runs beside the writer on a connection of its own,
//! woken after every commit (and now and then regardless), drains the
//! pending marks, and publishes the states whose indices changed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use envmon_core::StationCode;
use envmon_core::backoff::Backoff;
use envmon_core::db::{DatabaseSettings, DbError, latest};
use envmon_core::topic::Topics;
use tokio::sync::Notify;
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;

use super::marks::{MARKS_PER_RUN, run_once};
use super::statements::Statements;
use crate::state_publisher::StatePublisher;
use crate::stations::{Registry, StationDirectory};

/// Why the rollup stopped before it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    /// PostgreSQL refuses the rollup's statements, and will go on refusing
    /// them until an operator acts; the marks stay for the next run.
    #[error("the database refuses the rollup's statements; retrying cannot help")]
    Refused(#[source] DbError),
}

/// Runs the rollup beside the writer.
#[derive(Debug)]
pub(crate) struct RollupWorker {
    pub(crate) database: DatabaseSettings,
    pub(crate) topics: Topics,
    pub(crate) states: StatePublisher,
    /// Signalled by the writer after each commit.
    pub(crate) wake: Arc<Notify>,
}

/// How long the worker lets marks gather after a commit wakes it.
const SETTLE: Duration = Duration::from_millis(250);

/// With nothing signalled, pending marks (a failed run's, another
/// instance's) are looked for this often.
const IDLE_INTERVAL: Duration = Duration::from_secs(5);

/// The longest pause between attempts after a failed run.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// The rollup's own session, with its statements prepared.
struct Session {
    client: Client,
    statements: Statements,
}

impl Session {
    async fn open(database: &DatabaseSettings) -> Result<Self, DbError> {
        let client = database.open_session("rollup").await?;
        let statements = Statements::prepare(&client).await?;
        Ok(Self { client, statements })
    }
}

/// The registry without the logger secrets, which the rollup has no use for.
async fn stations_only(client: &Client) -> Result<Registry, DbError> {
    Ok(Registry {
        stations: envmon_core::registry::load_stations(client).await?,
        secrets: Vec::new(),
    })
}

impl RollupWorker {
    /// Rolls up until `shutdown`, reconnecting after database failures.
    ///
    /// # Errors
    /// When the database refuses the rollup for good.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), RollupError> {
        let mut session: Option<Session> = None;
        // Kinds and water fields only: the rollup checks no logger.
        let mut directory = StationDirectory::new(true);
        let mut backoff = Backoff::new(Duration::from_millis(100), MAX_RETRY_DELAY);
        loop {
            tokio::select! {
                () = self.wake.notified() => {
                    // Let the marks of the next few commits gather: with
                    // minute data each commit re-marks the current hour, and
                    // recomputing it after every commit would spend on that
                    // what the writer needs.
                    tokio::select! {
                        () = tokio::time::sleep(SETTLE) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
                () = tokio::time::sleep(IDLE_INTERVAL) => {}
                () = shutdown.cancelled() => break,
            }
            match self.drain(&mut session, &mut directory).await {
                Ok(()) => backoff.reset(),
                Err(error) if error.is_permanent() => return Err(RollupError::Refused(error)),
                Err(error) => {
                    session = None;
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %error, retry_in = ?delay, "Cannot roll up indices; retrying.");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        Ok(())
    }

    /// Processes marks until none are left, then publishes the states whose
    /// indices changed.
    async fn drain(
        &self,
        session: &mut Option<Session>,
        directory: &mut StationDirectory,
    ) -> Result<(), DbError> {
        if session
            .as_ref()
            .is_none_or(|session| session.client.is_closed())
        {
            *session = Some(Session::open(&self.database).await?);
        }
        let Session { client, statements } =
            session.as_mut().expect("the session was opened just above");
        let now = Instant::now();
        if directory.is_stale(now) && directory.is_empty() {
            directory.replace(stations_only(client).await?, now);
        }
        let mut touched = BTreeSet::new();
        let mut areas = BTreeSet::new();
        loop {
            let outcome = run_once(client, statements, directory).await?;
            touched.extend(outcome.stations);
            areas.extend(outcome.areas);
            if outcome.unknown_station && directory.is_stale(Instant::now()) {
                let stations = stations_only(client).await?;
                directory.replace(stations, Instant::now());
                continue;
            }
            if (outcome.marks as i64) < MARKS_PER_RUN {
                break;
            }
        }
        let codes: Vec<&str> = touched.iter().map(StationCode::as_str).collect();
        for state in latest::load_states(&*client, Some(&codes)).await? {
            self.states.publish(&self.topics, &state);
        }
        let ids: Vec<&str> = areas.iter().map(String::as_str).collect();
        for state in latest::load_area_states(&*client, Some(&ids)).await? {
            self.states.publish_area(&self.topics, &state);
        }
        Ok(())
    }
}
