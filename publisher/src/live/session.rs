//! One live client, whatever carries it (WebSocket or SSE): moves the
//! events it follows from the broadcast into its coalescing queue at once,
//! and writes from the queue as fast as the client takes them.
//!
//! Both halves run in the client's own task, so a slow client only ever
//! waits on itself. It is disconnected when a write takes longer than the
//! write timeout, or when its oldest pending news is older than the lag
//! limit even after coalescing.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, broadcast};
use tokio::time::MissedTickBehavior;

use super::event::Batch;
use super::filter::Filter;
use super::hub::{Hub, Joined, Start};
use super::queue::{Outgoing, Queue};

/// Distinct pending events (stations and notices) a client may hold;
/// coalescing keeps one per station, so only a registry of thousands of
/// stations would come near.
const QUEUE_CAPACITY: usize = 4096;

/// Bytes of messages written together with one flush. Everything pending
/// leaves in one write instead of one write per message: on a busy server
/// the cost is per write far more than per byte, so a client that fell
/// behind catches up faster. A snapshot larger than this still goes whole.
const BATCH_BYTES: usize = 128 * 1024;

/// The timing limits of a live client.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) write_timeout: Duration,
    pub(crate) max_lag: Duration,
    pub(crate) ping_interval: Duration,
}

/// Why a client's session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// The client went away or the transport failed.
    Gone,
    /// The client could not keep up.
    TooSlow,
    /// The server is stopping.
    Shutdown,
}

/// Where a session writes.
pub(crate) trait Outlet: Send {
    /// Sends messages in order, together; resolves once the transport has
    /// taken them all.
    fn send(&mut self, batch: &[Outgoing]) -> impl Future<Output = Result<(), ()>> + Send;
    /// Sends a keep-alive.
    fn ping(&mut self) -> impl Future<Output = Result<(), ()>> + Send;
}

/// The state a client's halves share.
#[derive(Debug)]
pub(crate) struct Session {
    queue: Mutex<Queue>,
    filter: Mutex<Filter>,
    ready: Notify,
    limits: Limits,
}

impl Session {
    /// Joins `hub` following `filter`, from a snapshot or (with `resume`)
    /// a replay of what the client missed.
    pub(crate) fn join(
        hub: &Hub,
        filter: Filter,
        resume: Option<(&str, u64)>,
        limits: Limits,
    ) -> (Self, broadcast::Receiver<Arc<Batch>>) {
        let Joined {
            start,
            through,
            events,
        } = hub.join(&filter, resume);
        let now = Instant::now();
        let mut queue = Queue::new(QUEUE_CAPACITY);
        match start {
            Start::Snapshot(snapshot) => queue.set_snapshot(snapshot, now),
            Start::Replay(missed) => {
                for event in missed {
                    // Replay holds at most one event per key after coalescing.
                    let _ = queue.push_replayed(event, now);
                }
            }
        }
        queue.skip_through(through);
        let session = Self {
            queue: Mutex::new(queue),
            filter: Mutex::new(filter),
            ready: Notify::new(),
            limits,
        };
        session.ready.notify_one();
        (session, events)
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes what the client follows and queues the snapshot of it.
    pub(crate) fn refilter(&self, hub: &Hub, change: impl FnOnce(&mut Filter)) {
        let filter = {
            let mut filter = self.filter.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut filter);
            filter.clone()
        };
        let snapshot = hub.snapshot(&filter);
        self.queue().set_snapshot(snapshot, Instant::now());
        self.ready.notify_one();
    }

    /// Queues a reply to the client.
    pub(crate) fn reply(&self, text: axum::extract::ws::Utf8Bytes) {
        self.queue().reply(text);
        self.ready.notify_one();
    }

    /// Queues a pong (a WebSocket frame) answering the client's ping.
    pub(crate) fn pong(&self, frame: axum::body::Bytes) {
        self.queue().pong(frame);
        self.ready.notify_one();
    }

    /// Moves the events the client follows into its queue until it ends.
    pub(crate) async fn fan_in(
        &self,
        hub: &Hub,
        mut events: broadcast::Receiver<Arc<Batch>>,
    ) -> End {
        loop {
            match events.recv().await {
                Ok(batch) => {
                    let filter = self.filter.lock().unwrap_or_else(|p| p.into_inner());
                    let followed = batch
                        .events
                        .iter()
                        .filter(|e| filter.matches(&e.scope))
                        .count();
                    if followed == 0 {
                        continue;
                    }
                    let now = Instant::now();
                    let mut queue = self.queue();
                    let queued = if followed == batch.events.len() {
                        queue.push_batch(batch, now)
                    } else {
                        batch
                            .events
                            .iter()
                            .filter(|e| filter.matches(&e.scope))
                            .try_for_each(|event| queue.push(Arc::clone(event), now))
                    };
                    if queued.is_err() {
                        return End::TooSlow;
                    }
                    if queue.lag(now) > self.limits.max_lag {
                        return End::TooSlow;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let filter = self
                        .filter
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .clone();
                    let snapshot = hub.snapshot(&filter);
                    self.queue().set_snapshot(snapshot, Instant::now());
                }
                Err(broadcast::error::RecvError::Closed) => return End::Shutdown,
            }
            self.ready.notify_one();
        }
    }

    /// Writes queued messages, and a keep-alive every ping interval, until
    /// the client fails or falls too far behind.
    pub(crate) async fn write(&self, outlet: &mut impl Outlet) -> End {
        let limits = self.limits;
        let mut ping = tokio::time::interval_at(
            tokio::time::Instant::now() + limits.ping_interval,
            limits.ping_interval,
        );
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let sent = tokio::select! {
                biased;
                _ = ping.tick() => {
                    tokio::time::timeout(limits.write_timeout, outlet.ping()).await
                }
                batch = self.next_batch() => {
                    tokio::time::timeout(limits.write_timeout, outlet.send(&batch)).await
                }
            };
            match sent {
                Ok(Ok(())) => {}
                Ok(Err(())) => return End::Gone,
                Err(_) => return End::TooSlow,
            }
        }
    }

    /// The queued messages to send next, waiting for at least one.
    async fn next_batch(&self) -> Vec<Outgoing> {
        loop {
            let batch = self.queue().pop_batch(BATCH_BYTES);
            if !batch.is_empty() {
                return batch;
            }
            self.ready.notified().await;
        }
    }
}
