//! The collecting half of the writer: takes deliveries off the queue as
//! they come, decodes and checks each at once, and gathers the next batch
//! for the committer.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use envmon_core::backoff::Backoff;
use envmon_core::db::{DatabaseSettings, DbError};
use envmon_core::topic::Topics;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Batch, MAX_RETRY_DELAY, Request, WriterError, back_off};
use crate::admit::{Window, admit};
use crate::dead_letter::DeadLetter;
use crate::decode::StationLookup;
use crate::decode::hj212::records_from_packet;
use crate::decode::{DecodeError, Record, decode};
use crate::events;
use crate::input::{Hj212Input, Input, hj212_topic};
use crate::qc::QcState;
use crate::stations::{RELOAD_INTERVAL, Registry, StationDirectory};

/// A delivery after decoding and admission: the records to store, and
/// what was refused (all of it, or only readings from the future or older
/// than retention, one refusal per reason).
#[derive(Debug, Default)]
struct Decoded {
    records: Vec<Record>,
    refused: Vec<Refused>,
}

/// A refusal on its way to the dead letters.
#[derive(Debug)]
struct Refused {
    letter: DeadLetter,
    /// Why, when judged here; `None` for what the TCP listener refused,
    /// against its own directory, and has counted already.
    error: Option<DecodeError>,
}

impl Decoded {
    fn refused(letter: DeadLetter, error: Option<DecodeError>) -> Self {
        Self {
            records: Vec::new(),
            refused: vec![Refused { letter, error }],
        }
    }

    /// Whether it was refused whole, here, for what a newer directory may
    /// know ([`DecodeError::may_pass_after_reload`]).
    fn may_pass_after_reload(&self) -> bool {
        self.records.is_empty()
            && self
                .refused
                .first()
                .and_then(|refused| refused.error.as_ref())
                .is_some_and(DecodeError::may_pass_after_reload)
    }
}
/// Takes deliveries, decodes and checks them, and hands batches over.
pub(super) struct Collector {
    pub(super) database: DatabaseSettings,
    /// A session for reloading the station directory, opened when needed.
    pub(super) session: Option<tokio_postgres::Client>,
    pub(super) topics: Topics,
    pub(super) directory: StationDirectory,
    pub(super) qc: QcState,
    pub(super) batch_max_messages: usize,
    pub(super) batch_max_wait: Duration,
    pub(super) window: Window,
    pub(super) database_ok: Arc<AtomicBool>,
    /// When the periodic reload of the directory was last tried.
    pub(super) refresh_tried: Option<Instant>,
}

impl Collector {
    /// Gathers until `shutdown` or the end of the deliveries, then hands
    /// over the batch in hand and stops (which tells the committer).
    pub(super) async fn run(
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
        if decoded.may_pass_after_reload() && self.directory.is_stale(Instant::now()) {
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
        for Refused { letter, error } in decoded.refused {
            // Counted once, on the final answer: a stale directory
            // decodes twice.
            if let Some(error) = error {
                events::PayloadRefused {
                    topic: &letter.topic,
                    reason: letter.reason_code,
                }
                .emit();
                if let Some(refusal) = error.logger_refusal() {
                    events::LoggerRefused {
                        transport: "mqtt",
                        from: &letter.topic,
                        mn: None,
                        reason: refusal.code(),
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
            self.session = Some(self.database.open_session("station directory").await?);
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
            Input::Refused(letter) => return Decoded::refused(letter.clone(), None),
        };
        let received_at = input.received_at();
        let refused = |error: DecodeError| Refused {
            letter: DeadLetter::from_error(received_at, topic.clone(), payload.clone(), &error),
            error: Some(error),
        };
        match outcome.and_then(|records| admit(records, received_at, self.window)) {
            Ok(admitted) => Decoded {
                records: admitted.records,
                refused: admitted.refused.into_iter().map(refused).collect(),
            },
            Err(error) => Decoded {
                records: Vec::new(),
                refused: vec![refused(error)],
            },
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
