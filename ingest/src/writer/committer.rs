//! The committing half of the writer: commits each batch the collector
//! hands over, then acknowledges its messages and publishes the stations'
//! new state. Commit, then acknowledge: a message whose batch did not
//! commit is never acknowledged.
//!
//! The committer reaches the database through [`BatchStore`] and the broker
//! through [`Acknowledge`], so that this ordering, the retries through an
//! outage and the acknowledgements the MQTT loop cannot take yet are tested
//! against fakes, without services.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
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

use super::{Batch, MAX_RETRY_DELAY, Request, WriterError, back_off};
use crate::counts::MessageCounts;
use crate::dead_letter::DeadLetter;
use crate::decode::Record;
use crate::events;
use crate::input::{Delivery, Input};
use crate::mqtt::{AckOutcome, Acker};
use crate::state_publisher::StatePublisher;
use crate::store::{Committed, Store};

/// How soon acknowledgements the MQTT loop could not take are offered again.
const ACK_RETRY_INTERVAL: Duration = Duration::from_millis(10);

/// Station states go out at most this often: under load the writer commits a
/// hundred small batches a second, and one update per station per commit
/// would cost the broker and every subscriber more than the readings do.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(20);

/// Where batches are committed.
pub(super) trait BatchStore: Send {
    /// Writes one batch in one transaction: all of it, or on error none.
    fn write(
        &mut self,
        records: &[(DateTime<Utc>, Record)],
        dead_letters: &[DeadLetter],
    ) -> impl Future<Output = Result<Committed, DbError>> + Send;
}

/// The writer's [`Store`], opened again after its session was lost.
#[derive(Debug)]
pub(super) struct ReconnectingStore {
    pub(super) database: DatabaseSettings,
    /// The open session; `None` after a failure, until the next write.
    pub(super) store: Option<Store>,
}

impl BatchStore for ReconnectingStore {
    async fn write(
        &mut self,
        records: &[(DateTime<Utc>, Record)],
        dead_letters: &[DeadLetter],
    ) -> Result<Committed, DbError> {
        if self.store.as_ref().is_none_or(Store::is_closed) {
            self.store = Some(Store::connect(&self.database).await?);
        }
        let store = self
            .store
            .as_mut()
            .expect("the store was opened just above");
        let written = store.write(records, dead_letters).await;
        if written.is_err() {
            // Its session may be in any state: start afresh.
            self.store = None;
        }
        written
    }
}

/// Hands acknowledgements to the MQTT loop, without waiting.
pub(super) trait Acknowledge: Send {
    /// Queues the acknowledgement of `delivery`, or says why not.
    fn try_ack(&self, delivery: &Delivery) -> AckOutcome;
}

impl Acknowledge for Acker {
    fn try_ack(&self, delivery: &Delivery) -> AckOutcome {
        Acker::try_ack(self, delivery)
    }
}

/// Commits batches, acknowledges their messages, publishes station states.
pub(super) struct Committer<S, A> {
    store: S,
    acker: A,
    states: StatePublisher,
    /// Whether the last database operation succeeded (for `/readyz`).
    database_ok: Arc<AtomicBool>,
    /// Wakes the rollup after each commit.
    rollup: Arc<tokio::sync::Notify>,
    counts: Arc<MessageCounts>,
    /// Committed messages whose acknowledgement the MQTT loop could not take
    /// yet, oldest first.
    pending_acks: VecDeque<Delivery>,
    /// Committed states not yet published, the newest of each station.
    unpublished: BTreeMap<StationCode, StationState>,
    /// When station states last went out.
    published_at: tokio::time::Instant,
}

impl<S: BatchStore, A: Acknowledge> Committer<S, A> {
    pub(super) fn new(
        store: S,
        acker: A,
        states: StatePublisher,
        database_ok: Arc<AtomicBool>,
        rollup: Arc<tokio::sync::Notify>,
        counts: Arc<MessageCounts>,
    ) -> Self {
        Self {
            store,
            acker,
            states,
            database_ok,
            rollup,
            counts,
            pending_acks: VecDeque::new(),
            unpublished: BTreeMap::new(),
            published_at: tokio::time::Instant::now(),
        }
    }

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
            match self.store.write(&batch.records, &batch.dead_letters).await {
                Ok(committed) => break committed,
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
                Input::Mqtt(delivery) => {
                    self.counts.add_committed(1);
                    self.pending_acks.push_back(delivery);
                }
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
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use rumqttc::{AsyncClient, MqttOptions, Publish, QoS};

    use super::*;

    /// What the fakes saw, in the order they saw it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Seen {
        /// A batch's transaction committed.
        Committed,
        /// A batch's transaction failed, as in an outage.
        Failed,
        /// The message with this packet id was acknowledged.
        Acked(u16),
    }

    type Log = Arc<Mutex<Vec<Seen>>>;

    fn seen(log: &Log) -> Vec<Seen> {
        log.lock().unwrap().clone()
    }

    /// A database that fails the first `failures` writes (a lost
    /// connection, which is retried), then commits.
    struct FakeDatabase {
        log: Log,
        failures: usize,
    }

    impl BatchStore for FakeDatabase {
        async fn write(
            &mut self,
            _records: &[(DateTime<Utc>, Record)],
            _dead_letters: &[DeadLetter],
        ) -> Result<Committed, DbError> {
            if self.failures > 0 {
                self.failures -= 1;
                self.log.lock().unwrap().push(Seen::Failed);
                return Err(DbError::Pool("connection refused".into()));
            }
            self.log.lock().unwrap().push(Seen::Committed);
            Ok(Committed::default())
        }
    }

    /// An MQTT loop that answers from `script` first, then takes every
    /// acknowledgement.
    struct FakeBroker {
        log: Log,
        script: Mutex<VecDeque<AckOutcome>>,
    }

    impl Acknowledge for FakeBroker {
        fn try_ack(&self, delivery: &Delivery) -> AckOutcome {
            let outcome = self
                .script
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(AckOutcome::Sent);
            if outcome == AckOutcome::Sent {
                self.log
                    .lock()
                    .unwrap()
                    .push(Seen::Acked(delivery.publish.pkid));
            }
            outcome
        }
    }

    fn batch(packet_ids: &[u16]) -> Batch {
        let inputs = packet_ids
            .iter()
            .map(|&pkid| {
                let mut publish = Publish::new("sensors/air/1141A", QoS::AtLeastOnce, "{}");
                publish.pkid = pkid;
                Input::Mqtt(Delivery {
                    epoch: 1,
                    received_at: Utc::now(),
                    publish,
                    _unacknowledged: crate::metrics::Unacknowledged::received(),
                })
            })
            .collect();
        Batch {
            inputs,
            ..Batch::default()
        }
    }

    /// Runs a committer over `batches`, handed over as the collector
    /// would, against the fakes; returns how it ended and whether it
    /// thought the database reachable at the end.
    async fn commit_all(
        failures: usize,
        script: &[AckOutcome],
        batches: Vec<Batch>,
        shutdown: CancellationToken,
    ) -> (Result<(), WriterError>, bool, Vec<Seen>) {
        let log = Log::default();
        let database = FakeDatabase {
            log: Arc::clone(&log),
            failures,
        };
        let broker = FakeBroker {
            log: Arc::clone(&log),
            script: Mutex::new(script.iter().copied().collect()),
        };
        // Never polled: station states are not what is tested here.
        let (client, _eventloop) = AsyncClient::new(MqttOptions::new("test", "127.0.0.1", 1), 8);
        let database_ok = Arc::new(AtomicBool::new(true));
        let committer = Committer::new(
            database,
            broker,
            StatePublisher::new(client),
            Arc::clone(&database_ok),
            Arc::default(),
            Arc::default(),
        );
        let (requests, mut requested) = mpsc::channel::<Request>(1);
        let collector = async move {
            for batch in batches {
                let Some(request) = requested.recv().await else {
                    return;
                };
                request.send(batch).unwrap();
            }
        };
        let topics = Topics::new("").unwrap();
        let (ended, ()) = tokio::join!(committer.run(requests, &topics, &shutdown), collector);
        (ended, database_ok.load(Ordering::Acquire), seen(&log))
    }

    #[tokio::test]
    async fn messages_are_acknowledged_only_after_their_batch_commits() {
        let batches = vec![batch(&[1, 2]), batch(&[3])];
        let (ended, database_ok, seen) =
            commit_all(0, &[], batches, CancellationToken::new()).await;
        ended.unwrap();
        assert!(database_ok);
        assert_eq!(
            seen,
            [
                Seen::Committed,
                Seen::Acked(1),
                Seen::Acked(2),
                Seen::Committed,
                Seen::Acked(3),
            ]
        );
    }

    #[tokio::test]
    async fn a_batch_is_retried_through_an_outage_and_acknowledged_once_committed() {
        let (ended, database_ok, seen) =
            commit_all(2, &[], vec![batch(&[7])], CancellationToken::new()).await;
        ended.unwrap();
        assert!(database_ok, "ready again after the commit");
        assert_eq!(
            seen,
            [Seen::Failed, Seen::Failed, Seen::Committed, Seen::Acked(7)]
        );
    }

    #[tokio::test]
    async fn shutting_down_during_an_outage_acknowledges_nothing() {
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        let (ended, database_ok, seen) =
            commit_all(usize::MAX, &[], vec![batch(&[1, 2])], shutdown).await;
        ended.unwrap();
        assert!(!database_ok, "not ready while the database fails");
        assert_eq!(seen, [Seen::Failed], "left for the broker to redeliver");
    }

    #[tokio::test]
    async fn acknowledgements_the_mqtt_loop_cannot_take_yet_are_offered_again_in_order() {
        let full = [AckOutcome::Full, AckOutcome::Full, AckOutcome::Full];
        let (ended, _, seen) =
            commit_all(0, &full, vec![batch(&[1, 2, 3])], CancellationToken::new()).await;
        ended.unwrap();
        assert_eq!(
            seen,
            [
                Seen::Committed,
                Seen::Acked(1),
                Seen::Acked(2),
                Seen::Acked(3)
            ]
        );
    }

    #[tokio::test]
    async fn an_acknowledgement_for_a_lost_connection_is_dropped_not_retried() {
        let (ended, _, seen) = commit_all(
            0,
            &[AckOutcome::Stale],
            vec![batch(&[1, 2])],
            CancellationToken::new(),
        )
        .await;
        ended.unwrap();
        // The broker redelivers 1 on the new connection; that copy is acked.
        assert_eq!(seen, [Seen::Committed, Seen::Acked(2)]);
    }
}
