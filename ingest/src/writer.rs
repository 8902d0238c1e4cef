//! The writer: gathers deliveries into batches, decodes them, commits each
//! batch, then acknowledges its messages and publishes the new live state.
//!
//! The order is the guarantee: commit, then acknowledge. A message whose
//! batch did not commit is never acknowledged, so the broker redelivers it.
//! A database outage stalls the writer (retrying with backoff), and the
//! broker holds the backlog meanwhile.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use envmon_core::StationCode;
use envmon_core::backoff::Backoff;
use envmon_core::db::DatabaseSettings;
use envmon_core::registry::load_stations;
use envmon_core::topic::Topics;
use envmon_core::wire::Revision;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::dead_letter::DeadLetter;
use crate::decode::StationLookup;
use crate::decode::hj212::{Hj212Error, records_from_packet};
use crate::decode::{DecodeError, Record, decode};
use crate::events;
use crate::input::{Hj212Input, Input, hj212_topic};
use crate::live::LivePublisher;
use crate::mqtt::{AckOutcome, Acker, Delivery};
use crate::qc::QcState;
use crate::stations::StationDirectory;
use crate::store::Store;

/// How soon acknowledgements the MQTT loop could not take are offered again.
const ACK_RETRY_INTERVAL: Duration = Duration::from_millis(10);

/// The longest pause between attempts to write a failed batch.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);

/// A delivery after decoding.
#[derive(Debug)]
enum Decoded {
    Records(Vec<Record>),
    Refused(DeadLetter),
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

impl Writer {
    /// Writes batches until `shutdown`, finishing the batch in hand first.
    pub(crate) async fn run(
        mut self,
        mut deliveries: mpsc::Receiver<Input>,
        shutdown: CancellationToken,
    ) {
        loop {
            self.flush_acks();
            let first = tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                delivery = deliveries.recv() => match delivery {
                    Some(delivery) => delivery,
                    None => break,
                },
                () = tokio::time::sleep(ACK_RETRY_INTERVAL), if !self.pending_acks.is_empty() => continue,
            };
            let deadline = tokio::time::Instant::now() + self.batch_max_wait;
            let mut batch = vec![first];
            while batch.len() < self.batch_max_messages {
                tokio::select! {
                    delivery = deliveries.recv() => match delivery {
                        Some(delivery) => batch.push(delivery),
                        None => break,
                    },
                    () = tokio::time::sleep_until(deadline) => break,
                    () = shutdown.cancelled() => break,
                }
            }
            self.write_batch(batch, &shutdown).await;
        }
        // Give the last acknowledgements a moment to reach the MQTT loop.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while !self.pending_acks.is_empty() && tokio::time::Instant::now() < deadline {
            self.flush_acks();
            tokio::time::sleep(ACK_RETRY_INTERVAL).await;
        }
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

    /// Decodes, commits and acknowledges one batch. Gives up only when
    /// shutting down, leaving the messages unacknowledged for redelivery.
    async fn write_batch(&mut self, batch: Vec<Input>, shutdown: &CancellationToken) {
        let started = Instant::now();
        let mut backoff = Backoff::new(Duration::from_millis(100), MAX_RETRY_DELAY);
        let decoded = loop {
            match self.decode_all(&batch).await {
                Ok(decoded) => break decoded,
                Err(error) => {
                    if !self.back_off(&error, &mut backoff, shutdown).await {
                        return;
                    }
                }
            }
        };
        let mut records: Vec<(DateTime<Utc>, Record)> = Vec::new();
        let mut dead_letters = Vec::new();
        for (input, decoded) in batch.iter().zip(decoded) {
            match decoded {
                Decoded::Records(decoded) => {
                    for mut record in decoded {
                        for reading in &mut record.readings {
                            self.qc.check(reading);
                        }
                        records.push((input.received_at(), record));
                    }
                }
                Decoded::Refused(letter) => dead_letters.push(letter),
            }
        }
        let committed = loop {
            match self.store().await {
                Ok(store) => match store.write(&records, &dead_letters).await {
                    Ok(committed) => break committed,
                    Err(error) => {
                        self.store = None;
                        if !self.back_off(&error, &mut backoff, shutdown).await {
                            return;
                        }
                    }
                },
                Err(error) => {
                    if !self.back_off(&error, &mut backoff, shutdown).await {
                        return;
                    }
                }
            }
        };
        self.database_ok.store(true, Ordering::Release);
        let messages = batch.len();
        for input in batch {
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
            elapsed: started.elapsed(),
        }
        .emit();
        self.rollup.notify_one();
        let touched: BTreeSet<StationCode> = committed.stations.into_iter().collect();
        self.publish_live(&touched, committed.revisions).await;
    }

    /// Publishes the committed state of `stations` on the live topics, each
    /// with the revisions of earlier readings this batch made.
    async fn publish_live(
        &mut self,
        stations: &BTreeSet<StationCode>,
        revisions: Vec<(StationCode, Revision)>,
    ) {
        let Some(store) = self.store.as_ref() else {
            return;
        };
        let codes: Vec<&str> = stations.iter().map(StationCode::as_str).collect();
        match store.load_states(&codes).await {
            Ok(mut states) => {
                for (station, revision) in revisions {
                    if let Some(state) = states.iter_mut().find(|s| s.station == station) {
                        state.revisions.push(revision);
                    }
                }
                for state in &states {
                    self.live.publish(&self.topics, state);
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "Cannot load committed state for live updates.")
            }
        }
    }

    /// Decodes every delivery, reloading the station directory once when a
    /// station is unknown and the directory is stale.
    async fn decode_all(
        &mut self,
        batch: &[Input],
    ) -> Result<Vec<Decoded>, envmon_core::db::DbError> {
        let mut decoded: Vec<_> = batch.iter().map(|d| self.decode(d)).collect();
        let has_unknown = decoded.iter().any(|d| {
            matches!(d, Decoded::Refused(letter)
                if letter.reason_code == "unknown_station" || letter.reason_code == "hj212_unknown_mn")
        });
        if has_unknown && self.directory.is_stale(Instant::now()) {
            let stations = load_stations(self.store().await?.client()).await?;
            self.directory.replace(stations, Instant::now());
            decoded = batch.iter().map(|d| self.decode(d)).collect();
        }
        Ok(decoded)
    }

    fn decode(&self, input: &Input) -> Decoded {
        let delivery = match input {
            Input::Mqtt(delivery) => delivery,
            Input::Hj212(input) => return self.decode_hj212(input),
            Input::Refused(letter) => return Decoded::Refused(letter.clone()),
        };
        let publish = &delivery.publish;
        let outcome = self
            .topics
            .parse_sensor(&publish.topic)
            .map_err(DecodeError::from)
            .and_then(|(kind, station)| decode(kind, &station, &publish.payload, &self.directory));
        match outcome {
            Ok(records) => Decoded::Records(records),
            Err(error) => {
                events::PayloadRefused {
                    topic: &publish.topic,
                    reason: error.code(),
                }
                .emit();
                Decoded::Refused(DeadLetter::from_error(
                    delivery.received_at,
                    publish.topic.clone(),
                    publish.payload.clone(),
                    &error,
                ))
            }
        }
    }

    /// Finds the station of a TCP logger's packet by its MN, then decodes.
    fn decode_hj212(&self, input: &Hj212Input) -> Decoded {
        let outcome = self
            .directory
            .station_for_mn(&input.packet.mn)
            .ok_or_else(|| DecodeError::from(Hj212Error::UnknownMn(input.packet.mn.clone())))
            .and_then(|station| {
                let kind = self
                    .directory
                    .kind_of(&station)
                    .ok_or_else(|| DecodeError::UnknownStation(station.clone()))?;
                records_from_packet(&input.packet, &station, kind)
            });
        match outcome {
            Ok(records) => Decoded::Records(records),
            Err(error) => {
                let topic = hj212_topic(input.peer);
                events::PayloadRefused {
                    topic: &topic,
                    reason: error.code(),
                }
                .emit();
                Decoded::Refused(DeadLetter::from_error(
                    input.received_at,
                    topic,
                    input.raw.clone(),
                    &error,
                ))
            }
        }
    }

    /// The open store, reconnecting when the session was lost.
    async fn store(&mut self) -> Result<&mut Store, envmon_core::db::DbError> {
        if self.store.as_ref().is_none_or(Store::is_closed) {
            self.store = Some(Store::connect(&self.database).await?);
        }
        Ok(self
            .store
            .as_mut()
            .expect("the store was opened just above"))
    }

    /// Waits before a retry; returns false when shutting down instead.
    async fn back_off(
        &mut self,
        error: &(dyn std::error::Error + Send + Sync),
        backoff: &mut Backoff,
        shutdown: &CancellationToken,
    ) -> bool {
        self.database_ok.store(false, Ordering::Release);
        let delay = backoff.next_delay();
        events::BatchFailed {
            error,
            retry_in: delay,
        }
        .emit();
        let waited = tokio::select! {
            () = tokio::time::sleep(delay) => true,
            () = shutdown.cancelled() => false,
        };
        waited
    }
}
