//! The committing half of the writer: commits each batch the collector
//! hands over, then acknowledges its messages and publishes the stations'
//! new state. Commit, then acknowledge: a message whose batch did not
//! commit is never acknowledged.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use envmon_core::StationCode;
use envmon_core::backoff::Backoff;
use envmon_core::db::{DatabaseSettings, DbError};
use envmon_core::topic::Topics;
use envmon_core::wire::StationState;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::{Batch, MAX_RETRY_DELAY, Request, WriterError, back_off};
use crate::events;
use crate::input::{Delivery, Input};
use crate::mqtt::{AckOutcome, Acker};
use crate::state_publisher::StatePublisher;
use crate::store::Store;

/// How soon acknowledgements the MQTT loop could not take are offered again.
const ACK_RETRY_INTERVAL: Duration = Duration::from_millis(10);

/// Station states go out at most this often: under load the writer commits a
/// hundred small batches a second, and one update per station per commit
/// would cost the broker and every subscriber more than the readings do.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(20);
/// Commits batches, acknowledges their messages, publishes station states.
pub(super) struct Committer {
    pub(super) database: DatabaseSettings,
    pub(super) store: Option<Store>,
    pub(super) acker: Acker,
    pub(super) states: StatePublisher,
    pub(super) database_ok: Arc<AtomicBool>,
    pub(super) rollup: Arc<tokio::sync::Notify>,
    pub(super) pending_acks: VecDeque<Delivery>,
    /// Committed states not yet published, the newest of each station.
    pub(super) unpublished: BTreeMap<StationCode, StationState>,
    /// When station states last went out.
    pub(super) published_at: tokio::time::Instant,
}

impl Committer {
    /// Asks for batches and commits them until the collector stops.
    pub(super) async fn run(
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
                    () = tokio::time::sleep_until(self.published_at + PUBLISH_INTERVAL),
                        if !self.unpublished.is_empty() => self.publish_states(topics),
                }
            };
            let Some(batch) = batch else { break };
            self.commit(batch, topics, shutdown).await?;
        }
        self.publish_states(topics);
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
        for mut state in committed.states {
            if let Some(earlier) = self.unpublished.remove(&state.station) {
                // Revisions are news once: keep the unpublished ones.
                let mut revisions = earlier.revisions;
                revisions.append(&mut state.revisions);
                state.revisions = revisions;
            }
            self.unpublished.insert(state.station.clone(), state);
        }
        if self.published_at.elapsed() >= PUBLISH_INTERVAL {
            self.publish_states(topics);
        }
        Ok(())
    }

    /// Publishes the committed states not yet published.
    fn publish_states(&mut self, topics: &Topics) {
        for state in std::mem::take(&mut self.unpublished).into_values() {
            self.states.publish(topics, &state);
        }
        self.published_at = tokio::time::Instant::now();
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
