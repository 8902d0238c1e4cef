//! A live client's outgoing queue: bounded, and coalescing to the newest
//! event per station (and per notice), so a slow client costs at most one
//! pending event per station and gets the current state when it catches up.
//!
//! Pure: the caller passes the time. Events leave in increasing `seq`
//! order (a coalesced event moves to the back), so the last `seq` a client
//! saw is always a safe point to resume from.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::Utf8Bytes;

use super::event::{Event, SnapshotFrame};

/// What to send next.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A reply to something the client sent (an error); not part of the
    /// numbered stream.
    Reply(Utf8Bytes),
    Snapshot(SnapshotFrame),
    Event(Arc<Event>),
}

/// Replies held at most; a client sending faster than it reads loses the
/// excess replies, never stream messages.
const MAX_REPLIES: usize = 8;

/// The queue is past its bound: the client cannot keep up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow;

/// Pending messages of one client.
#[derive(Debug)]
pub(crate) struct Queue {
    replies: VecDeque<Utf8Bytes>,
    /// A snapshot to send before any event; replaces what was pending.
    snapshot: Option<(SnapshotFrame, Instant)>,
    /// Events in increasing `seq`, at most one per key, each with the time
    /// its key first became pending (the client's lag on that station).
    events: VecDeque<(Arc<Event>, Instant)>,
    /// Most events held at once.
    capacity: usize,
    /// Events with `seq` up to here are already covered by a snapshot.
    floor: u64,
}

impl Queue {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            replies: VecDeque::new(),
            snapshot: None,
            events: VecDeque::new(),
            capacity,
            floor: 0,
        }
    }

    /// Queues an event, replacing a pending one with the same key.
    ///
    /// # Errors
    /// [`Overflow`] when more distinct keys are pending than the capacity.
    pub(crate) fn push(&mut self, event: Arc<Event>, now: Instant) -> Result<(), Overflow> {
        if event.seq <= self.floor {
            return Ok(());
        }
        let mut since = now;
        if let Some(at) = self.events.iter().position(|(e, _)| e.key == event.key)
            && let Some((_, first)) = self.events.remove(at)
        {
            since = first;
        }
        self.events.push_back((event, since));
        if self.events.len() > self.capacity {
            return Err(Overflow);
        }
        Ok(())
    }

    /// Queues a snapshot: it goes first, and the events it already covers
    /// are dropped.
    pub(crate) fn set_snapshot(&mut self, snapshot: SnapshotFrame, now: Instant) {
        self.floor = self.floor.max(snapshot.seq);
        let floor = self.floor;
        self.events.retain(|(e, _)| e.seq > floor);
        let since = self.snapshot.as_ref().map_or(now, |(_, at)| *at);
        self.snapshot = Some((snapshot, since));
    }

    /// Queues a reply, unless too many are waiting.
    pub(crate) fn reply(&mut self, reply: Utf8Bytes) {
        if self.replies.len() < MAX_REPLIES {
            self.replies.push_back(reply);
        }
    }

    /// The next message to send.
    pub(crate) fn pop(&mut self) -> Option<Outgoing> {
        if let Some(reply) = self.replies.pop_front() {
            return Some(Outgoing::Reply(reply));
        }
        if let Some((snapshot, _)) = self.snapshot.take() {
            return Some(Outgoing::Snapshot(snapshot));
        }
        self.events.pop_front().map(|(e, _)| Outgoing::Event(e))
    }

    /// How long the oldest pending news has waited.
    pub(crate) fn lag(&self, now: Instant) -> Duration {
        self.snapshot
            .iter()
            .map(|(_, at)| *at)
            .chain(self.events.iter().map(|(_, at)| *at))
            .min()
            .map_or(Duration::ZERO, |oldest| {
                now.saturating_duration_since(oldest)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::event::EventKey;
    use crate::live::filter::Scope;
    use envmon_core::{StationCode, StationKind};

    fn event(seq: u64, station: &str) -> Arc<Event> {
        let code = StationCode::parse(station).unwrap();
        Arc::new(Event::new(
            seq,
            EventKey::Station(code.clone()),
            Scope::Station {
                code,
                kind: StationKind::Air,
                district: None,
            },
            Utf8Bytes::from(format!("{seq}")),
            Arc::from("e"),
        ))
    }

    fn seqs(queue: &mut Queue) -> Vec<u64> {
        std::iter::from_fn(|| queue.pop())
            .map(|o| match o {
                Outgoing::Snapshot(s) => s.seq + 1000,
                Outgoing::Event(e) => e.seq,
                Outgoing::Reply(_) => 0,
            })
            .collect()
    }

    #[test]
    fn newer_state_of_a_station_replaces_the_pending_one_and_order_stays_increasing() {
        let now = Instant::now();
        let mut queue = Queue::new(10);
        for (seq, station) in [(1, "A"), (2, "B"), (3, "A"), (4, "C"), (5, "B")] {
            queue.push(event(seq, station), now).unwrap();
        }
        assert_eq!(seqs(&mut queue), [3, 4, 5]);
    }

    #[test]
    fn lag_counts_from_when_a_station_first_fell_behind() {
        let start = Instant::now();
        let mut queue = Queue::new(10);
        queue.push(event(1, "A"), start).unwrap();
        queue
            .push(event(2, "A"), start + Duration::from_secs(5))
            .unwrap();
        assert_eq!(
            queue.lag(start + Duration::from_secs(7)),
            Duration::from_secs(7)
        );
        queue.pop();
        assert_eq!(queue.lag(start + Duration::from_secs(8)), Duration::ZERO);
    }

    #[test]
    fn more_distinct_stations_than_the_capacity_overflow() {
        let now = Instant::now();
        let mut queue = Queue::new(2);
        queue.push(event(1, "A"), now).unwrap();
        queue.push(event(2, "B"), now).unwrap();
        queue.push(event(3, "B"), now).unwrap();
        assert_eq!(queue.push(event(4, "C"), now), Err(Overflow));
    }

    #[test]
    fn a_snapshot_goes_first_and_drops_the_events_it_covers() {
        let now = Instant::now();
        let mut queue = Queue::new(10);
        queue.push(event(4, "A"), now).unwrap();
        queue.push(event(6, "B"), now).unwrap();
        queue.set_snapshot(
            SnapshotFrame {
                seq: 5,
                text: Utf8Bytes::from_static("s"),
                epoch: Arc::from("e"),
            },
            now,
        );
        // Arrives late from the broadcast, but the snapshot covers it.
        queue.push(event(5, "C"), now).unwrap();
        assert_eq!(seqs(&mut queue), [1005, 6]);
    }
}
