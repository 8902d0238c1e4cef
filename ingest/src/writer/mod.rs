//! The writer: gathers deliveries into batches, decodes them, commits each
//! batch, then acknowledges its messages and publishes the stations' new state.
//!
//! The order is the guarantee: commit, then acknowledge. A message whose
//! batch did not commit is never acknowledged, so the broker redelivers it.
//! A database outage stalls the writer (retrying with backoff), and the
//! broker holds the backlog meanwhile. Only a refusal that retrying cannot
//! cure ([`DbError::is_permanent`]: a privilege revoked, a table missing)
//! stops the writer, with [`WriterError`], and so the daemon.
//!
//! Two halves run side by side, so that reading and writing overlap: the
//! [`Collector`] takes deliveries off the queue as they come, decodes and
//! checks each at once and gathers the next batch, while the [`Committer`]
//! writes the previous one. The committer asks for a batch whenever it is
//! free and gets whatever has been gathered: under light load a batch is a
//! few messages written at once (low latency), under heavy load it is what
//! arrived during the last commit (group commit), up to
//! `batch_max_messages`.

mod collector;
mod committer;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use envmon_core::backoff::Backoff;
use envmon_core::db::{DatabaseSettings, DbError};
use envmon_core::topic::Topics;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::admit::Window;
use crate::counts::MessageCounts;
use crate::dead_letter::DeadLetter;
use crate::decode::Record;
use crate::events;
use crate::input::Input;
use crate::mqtt::Acker;
use crate::qc::QcState;
use crate::state_publisher::StatePublisher;
use crate::stations::StationDirectory;
use crate::store::Store;

use collector::Collector;
use committer::{Committer, ReconnectingStore};

/// The longest pause between attempts to write a failed batch.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// Why the writer stopped before it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    /// PostgreSQL refuses what the writer sends, and will go on refusing
    /// it until an operator acts; what was not committed stays
    /// unacknowledged, for the broker to redeliver.
    #[error("the database refuses the writer's statements; retrying cannot help")]
    Refused(#[source] DbError),
}

/// Batches deliveries into the database.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) database: DatabaseSettings,
    pub(crate) store: Option<Store>,
    pub(crate) topics: Topics,
    pub(crate) directory: StationDirectory,
    pub(crate) acker: Acker,
    pub(crate) states: StatePublisher,
    pub(crate) batch_max_messages: usize,
    pub(crate) batch_max_wait: Duration,
    /// How far from their receipt readings may be dated.
    pub(crate) window: Window,
    /// Whether the last database operation succeeded (for `/readyz`).
    pub(crate) database_ok: Arc<AtomicBool>,
    /// Quality control's memory of each series.
    pub(crate) qc: QcState,
    /// Wakes the rollup worker after each commit.
    pub(crate) rollup: Arc<tokio::sync::Notify>,
    pub(crate) counts: Arc<MessageCounts>,
}

/// A batch decoded and checked, ready to commit.
#[derive(Debug, Default)]
struct Batch {
    inputs: Vec<Input>,
    records: Vec<(DateTime<Utc>, Record)>,
    dead_letters: Vec<DeadLetter>,
}

/// The committer's request for the next batch.
type Request = oneshot::Sender<Batch>;

impl Writer {
    /// Writes batches until `shutdown`, finishing the batch in hand first.
    ///
    /// # Errors
    /// When the database refuses the writes for good; the other half is
    /// stopped too, and what it holds is left unacknowledged.
    pub(crate) async fn run(
        self,
        deliveries: mpsc::Receiver<Input>,
        shutdown: CancellationToken,
    ) -> Result<(), WriterError> {
        let (requests_tx, requests_rx) = mpsc::channel(1);
        let collector = Collector {
            database: self.database.clone(),
            session: None,
            topics: self.topics,
            directory: self.directory,
            qc: self.qc,
            batch_max_messages: self.batch_max_messages,
            batch_max_wait: self.batch_max_wait,
            window: self.window,
            database_ok: Arc::clone(&self.database_ok),
            refresh_tried: None,
        };
        let store = ReconnectingStore {
            database: self.database,
            store: self.store,
        };
        let committer = Committer::new(
            store,
            self.acker,
            self.states,
            self.database_ok,
            self.rollup,
            self.counts,
        );
        let topics = collector.topics.clone();
        // Either half failing stops the other, as shutdown would.
        let halt = shutdown.child_token();
        let halt_on_error = |result: Result<(), WriterError>| {
            if result.is_err() {
                halt.cancel();
            }
            result
        };
        let (collected, committed) = tokio::join!(
            async { halt_on_error(collector.run(deliveries, requests_rx, halt.clone()).await) },
            async { halt_on_error(committer.run(requests_tx, &topics, &halt).await) },
        );
        committed.and(collected)
    }
}

/// Waits before a retry; returns false when shutting down instead.
///
/// # Errors
/// When retrying cannot help ([`DbError::is_permanent`]).
async fn back_off(
    database_ok: &AtomicBool,
    error: DbError,
    backoff: &mut Backoff,
    shutdown: &CancellationToken,
) -> Result<bool, WriterError> {
    database_ok.store(false, Ordering::Release);
    if error.is_permanent() {
        return Err(WriterError::Refused(error));
    }
    let delay = backoff.next_delay();
    events::BatchFailed {
        error: &error,
        retry_in: delay,
    }
    .emit();
    Ok(tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = shutdown.cancelled() => false,
    })
}
