//! The writer: gathers deliveries into batches, decodes them, commits each
//! batch, then acknowledges its messages and publishes the new live state.
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

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use envmon_core::StationCode;
use envmon_core::backoff::Backoff;
use envmon_core::db::{DatabaseSettings, DbError};
use envmon_core::topic::Topics;
use envmon_core::wire::StationState;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::admit::{Window, admit};
use crate::dead_letter::DeadLetter;
use crate::decode::StationLookup;
use crate::decode::hj212::records_from_packet;
use crate::decode::{DecodeError, Record, decode};
use crate::events;
use crate::input::{Hj212Input, Input, hj212_topic};
use crate::live::LivePublisher;
use crate::mqtt::{AckOutcome, Acker, Delivery};
use crate::qc::QcState;
use crate::stations::{RELOAD_INTERVAL, Registry, StationDirectory};
use crate::store::Store;

/// How soon acknowledgements the MQTT loop could not take are offered again.
const ACK_RETRY_INTERVAL: Duration = Duration::from_millis(10);

/// Live state goes out at most this often: under load the writer commits a
/// hundred small batches a second, and one update per station per commit
/// would cost the broker and every subscriber more than the readings do.
const LIVE_INTERVAL: Duration = Duration::from_millis(20);

/// The longest pause between attempts to write a failed batch.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// A delivery after decoding and admission: the records to store, and the
/// dead letters of what was refused (all of it, or only readings from the
/// future or older than retention, one letter per reason).
#[derive(Debug, Default)]
struct Decoded {
    records: Vec<Record>,
    letters: Vec<DeadLetter>,
}

impl Decoded {
    fn refused(letter: DeadLetter) -> Self {
        Self {
            records: Vec::new(),
            letters: vec![letter],
        }
    }

    /// Whether it was refused whole for what a newer directory may know:
    /// a station not (yet) registered, or a logger secret just set.
    fn may_pass_after_reload(&self) -> bool {
        self.records.is_empty()
            && self.letters.first().is_some_and(|letter| {
                letter.reason_code == "unknown_station"
                    || letter.reason_code == "hj212_unknown_mn"
                    || LOGGER_REFUSALS.contains(&letter.reason_code)
            })
    }
}

/// The reason codes of an HJ 212 logger that is not let in.
const LOGGER_REFUSALS: [&str; 3] = ["hj212_password", "hj212_no_secret", "hj212_network"];

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
    pub(crate) live: LivePublisher,
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
    /// Committed messages whose acknowledgement the MQTT loop could not take
    /// yet, oldest first.
    pub(crate) pending_acks: VecDeque<Delivery>,
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
        let committer = Committer {
            database: self.database,
            store: self.store,
            acker: self.acker,
            live: self.live,
            database_ok: self.database_ok,
            rollup: self.rollup,
            pending_acks: self.pending_acks,
            live_pending: BTreeMap::new(),
            live_sent: tokio::time::Instant::now(),
        };
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

/// Takes deliveries, decodes and checks them, and hands batches over.
struct Collector {
    database: DatabaseSettings,
    /// A session for reloading the station directory, opened when needed.
    session: Option<tokio_postgres::Client>,
    topics: Topics,
    directory: StationDirectory,
    qc: QcState,
    batch_max_messages: usize,
    batch_max_wait: Duration,
    window: Window,
    database_ok: Arc<AtomicBool>,
    /// When the periodic reload of the directory was last tried.
    refresh_tried: Option<Instant>,
}

impl Collector {
    /// Gathers until `shutdown` or the end of the deliveries, then hands
    /// over the batch in hand and stops (which tells the committer).
    async fn run(
        mut self,
        mut deliveries: mpsc::Receiver<Input>,
        mut requests: mpsc::Receiver<Request>,
        shutdown: CancellationToken,
    ) -> Result<(), WriterError> {
        let mut batch = Batch::default();
        // When the batch's first message may wait no longer for others.
        let mut due: Option<tokio::time::Instant> = None;
        loop {
            let full = batch.inputs.len() >= self.batch_max_messages;
            let ready = !batch.inputs.is_empty()
                && (full || due.is_some_and(|due| due <= tokio::time::Instant::now()));
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                request = requests.recv(), if ready => match request {
                    Some(request) => {
                        due = None;
                        // The committer only stops after the collector.
                        drop(request.send(std::mem::take(&mut batch)));
                    }
                    None => return Ok(()),
                },
                delivery = deliveries.recv(), if !full => match delivery {
                    Some(input) => {
                        if batch.inputs.is_empty() {
                            due = Some(tokio::time::Instant::now() + self.batch_max_wait);
                        }
                        if !self.add(&mut batch, input, &shutdown).await? {
                            break;
                        }
                    }
                    None => break,
                },
                () = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now)),
                    if !ready && due.is_some() => {}
            }
        }
        if !batch.inputs.is_empty()
            && let Some(request) = requests.recv().await
        {
            drop(request.send(batch));
        }
        Ok(())
    }

    /// Decodes and checks one input into the batch. Returns false when
    /// shutting down while the database cannot be reached.
    async fn add(
        &mut self,
        batch: &mut Batch,
        input: Input,
        shutdown: &CancellationToken,
    ) -> Result<bool, WriterError> {
        self.refresh_directory().await;
        let mut decoded = self.decode(&input);
        // What the TCP listener refused it judged against its own directory.
        let judged_here = !matches!(input, Input::Refused(_));
        if judged_here && decoded.may_pass_after_reload() && self.directory.is_stale(Instant::now())
        {
            let mut backoff = Backoff::new(Duration::from_millis(100), MAX_RETRY_DELAY);
            loop {
                match self.reload_directory().await {
                    Ok(()) => break,
                    Err(error) => {
                        self.session = None;
                        if !back_off(&self.database_ok, error, &mut backoff, shutdown).await? {
                            return Ok(false);
                        }
                    }
                }
            }
            decoded = self.decode(&input);
        }
        let received_at = input.received_at();
        for mut record in decoded.records {
            for reading in &mut record.readings {
                self.qc.check(reading);
            }
            batch.records.push((received_at, record));
        }
        for letter in decoded.letters {
            // Counted once, on the final answer: a stale directory
            // decodes twice. The TCP listener counts its own refusals.
            if judged_here {
                events::PayloadRefused {
                    topic: &letter.topic,
                    reason: letter.reason_code,
                }
                .emit();
                if let Some(reason) = LOGGER_REFUSALS
                    .into_iter()
                    .find(|code| *code == letter.reason_code)
                {
                    events::LoggerRefused {
                        transport: "mqtt",
                        from: &letter.topic,
                        mn: None,
                        reason,
                    }
                    .emit();
                }
            }
            batch.dead_letters.push(letter);
        }
        batch.inputs.push(input);
        Ok(true)
    }

    /// The periodic reload, so changed logger secrets and networks take
    /// effect: tried at most every [`RELOAD_INTERVAL`] once due; a failure
    /// keeps the directory in hand (the commit will meet the same outage).
    async fn refresh_directory(&mut self) {
        let now = Instant::now();
        if !self.directory.is_due_refresh(now)
            || self
                .refresh_tried
                .is_some_and(|at| now.duration_since(at) < RELOAD_INTERVAL)
        {
            return;
        }
        self.refresh_tried = Some(now);
        if let Err(error) = self.reload_directory().await {
            self.session = None;
            tracing::warn!(error = %error, "Cannot reload the station directory; keeping the one in hand.");
        }
    }

    /// Loads the station registry again.
    async fn reload_directory(&mut self) -> Result<(), DbError> {
        if self
            .session
            .as_ref()
            .is_none_or(tokio_postgres::Client::is_closed)
        {
            let (client, connection) = self.database.connect().await?;
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(error = %error, "Directory session closed.");
                }
            });
            self.session = Some(client);
        }
        let client = self.session.as_ref().expect("opened just above");
        let registry = Registry::load(client).await?;
        self.directory.replace(registry, Instant::now());
        Ok(())
    }

    fn decode(&self, input: &Input) -> Decoded {
        let (outcome, topic, payload) = match input {
            Input::Mqtt(delivery) => {
                let publish = &delivery.publish;
                let outcome = self
                    .topics
                    .parse_sensor(&publish.topic)
                    .map_err(DecodeError::from)
                    .and_then(|(kind, station)| {
                        decode(kind, &station, &publish.payload, &self.directory)
                    });
                (outcome, publish.topic.clone(), &publish.payload)
            }
            Input::Hj212(input) => (
                self.decode_hj212(input),
                hj212_topic(input.peer),
                &input.raw,
            ),
            Input::Refused(letter) => return Decoded::refused(letter.clone()),
        };
        let received_at = input.received_at();
        let letter = |error: &DecodeError| {
            DeadLetter::from_error(received_at, topic.clone(), payload.clone(), error)
        };
        match outcome.and_then(|records| admit(records, received_at, self.window)) {
            Ok(admitted) => Decoded {
                records: admitted.records,
                letters: admitted.refused.iter().map(letter).collect(),
            },
            Err(error) => Decoded::refused(letter(&error)),
        }
    }

    /// Decodes a TCP logger's packet for the station the listener let it in
    /// as.
    fn decode_hj212(&self, input: &Hj212Input) -> Result<Vec<Record>, DecodeError> {
        let kind = self
            .directory
            .kind_of(&input.station)
            .ok_or_else(|| DecodeError::UnknownStation(input.station.clone()))?;
        records_from_packet(&input.packet, &input.station, kind)
    }
}

/// Commits batches, acknowledges their messages, publishes live state.
struct Committer {
    database: DatabaseSettings,
    store: Option<Store>,
    acker: Acker,
    live: LivePublisher,
    database_ok: Arc<AtomicBool>,
    rollup: Arc<tokio::sync::Notify>,
    pending_acks: VecDeque<Delivery>,
    /// Committed states not yet published, the newest of each station.
    live_pending: BTreeMap<StationCode, StationState>,
    /// When live state last went out.
    live_sent: tokio::time::Instant,
}

impl Committer {
    /// Asks for batches and commits them until the collector stops.
    async fn run(
        mut self,
        requests: mpsc::Sender<Request>,
        topics: &Topics,
        shutdown: &CancellationToken,
    ) -> Result<(), WriterError> {
        loop {
            self.flush_acks();
            let (request, mut reply) = oneshot::channel();
            if requests.send(request).await.is_err() {
                break;
            }
            let batch = loop {
                tokio::select! {
                    batch = &mut reply => break batch.ok(),
                    () = tokio::time::sleep(ACK_RETRY_INTERVAL), if !self.pending_acks.is_empty() => {
                        self.flush_acks();
                    }
                    () = tokio::time::sleep_until(self.live_sent + LIVE_INTERVAL),
                        if !self.live_pending.is_empty() => self.publish_live(topics),
                }
            };
            let Some(batch) = batch else { break };
            self.commit(batch, topics, shutdown).await?;
        }
        self.publish_live(topics);
        // Give the last acknowledgements a moment to reach the MQTT loop.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while !self.pending_acks.is_empty() && tokio::time::Instant::now() < deadline {
            self.flush_acks();
            tokio::time::sleep(ACK_RETRY_INTERVAL).await;
        }
        Ok(())
    }

    /// Queues as many pending acknowledgements as the MQTT loop takes now.
    fn flush_acks(&mut self) {
        while let Some(delivery) = self.pending_acks.front() {
            if self.acker.try_ack(delivery) == AckOutcome::Full {
                break;
            }
            self.pending_acks.pop_front();
        }
    }

    /// Commits and acknowledges one batch. Gives up only when shutting
    /// down or refused for good, leaving the messages unacknowledged for
    /// redelivery.
    async fn commit(
        &mut self,
        batch: Batch,
        topics: &Topics,
        shutdown: &CancellationToken,
    ) -> Result<(), WriterError> {
        let started = Instant::now();
        let mut backoff = Backoff::new(Duration::from_millis(100), MAX_RETRY_DELAY);
        let committed = loop {
            match self.store().await {
                Ok(store) => match store.write(&batch.records, &batch.dead_letters).await {
                    Ok(committed) => break committed,
                    Err(error) => {
                        self.store = None;
                        if !back_off(&self.database_ok, error, &mut backoff, shutdown).await? {
                            return Ok(());
                        }
                    }
                },
                Err(error) => {
                    if !back_off(&self.database_ok, error, &mut backoff, shutdown).await? {
                        return Ok(());
                    }
                }
            }
        };
        self.database_ok.store(true, Ordering::Release);
        let messages = batch.inputs.len();
        for input in batch.inputs {
            match input {
                Input::Mqtt(delivery) => self.pending_acks.push_back(delivery),
                // The logger may have gone; then there is no one to tell.
                Input::Hj212(input) => drop(input.committed.send(())),
                Input::Refused(_) => {}
            }
        }
        self.flush_acks();
        events::BatchCommitted {
            messages,
            readings: committed.readings,
            dead_letters: committed.dead_letters,
            merged: committed.merged,
            elapsed: started.elapsed(),
        }
        .emit();
        self.rollup.notify_one();
        let committed_at = Utc::now();
        for mut state in committed.states {
            state.committed_at = Some(committed_at);
            if let Some(earlier) = self.live_pending.remove(&state.station) {
                // Revisions are news once: keep the unpublished ones.
                let mut revisions = earlier.revisions;
                revisions.append(&mut state.revisions);
                state.revisions = revisions;
            }
            self.live_pending.insert(state.station.clone(), state);
        }
        if self.live_sent.elapsed() >= LIVE_INTERVAL {
            self.publish_live(topics);
        }
        Ok(())
    }

    /// Publishes the committed states not yet published.
    fn publish_live(&mut self, topics: &Topics) {
        for state in std::mem::take(&mut self.live_pending).into_values() {
            self.live.publish(topics, &state);
        }
        self.live_sent = tokio::time::Instant::now();
    }

    /// The open store, reconnecting when the session was lost.
    async fn store(&mut self) -> Result<&mut Store, DbError> {
        if self.store.as_ref().is_none_or(Store::is_closed) {
            self.store = Some(Store::connect(&self.database).await?);
        }
        Ok(self
            .store
            .as_mut()
            .expect("the store was opened just above"))
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
