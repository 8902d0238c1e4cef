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

use axum::body::Bytes;
use axum::extract::ws::Utf8Bytes;

use super::event::{Batch, Event, Form, SnapshotFrame};

/// What to send next.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A WebSocket pong answering the client's ping.
    Pong(Bytes),
    /// A reply to something the client sent (an error); not part of the
    /// numbered stream.
    Reply(Utf8Bytes),
    Snapshot(SnapshotFrame),
    /// A whole batch in its usual form: the client followed every event of
    /// it and had nothing else pending.
    Batch(Arc<Batch>),
    Event(Arc<Event>, Form),
}

/// Replies held at most; a client sending faster than it reads loses the
/// excess replies, never stream messages.
const MAX_REPLIES: usize = 8;

/// The queue is past its bound: the client cannot keep up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overflow;

/// An event waiting to be sent.
#[derive(Debug)]
struct Pending {
    event: Arc<Event>,
    /// When its key first became pending: the client's lag on that station.
    since: Instant,
    /// The form to send: whole once an earlier event of the key was
    /// coalesced away, as the client never got what this one leaves out.
    form: Form,
}

/// Pending messages of one client.
#[derive(Debug)]
pub(crate) struct Queue {
    /// The pong for the client's latest ping (RFC 6455 §5.5.3 lets an
    /// endpoint answer only the latest).
    pong: Option<Bytes>,
    replies: VecDeque<Utf8Bytes>,
    /// A snapshot to send before any event; replaces what was pending.
    snapshot: Option<(SnapshotFrame, Instant)>,
    /// A whole batch, when it arrived with nothing else pending; any later
    /// arrival breaks it into `events`.
    batch: Option<(Arc<Batch>, Instant)>,
    /// Events in increasing `seq`, at most one per key.
    events: VecDeque<Pending>,
    /// Most events held at once.
    capacity: usize,
    /// Events with `seq` up to here are already covered by a snapshot.
    floor: u64,
}

impl Queue {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            pong: None,
            replies: VecDeque::new(),
            snapshot: None,
            batch: None,
            events: VecDeque::new(),
            capacity,
            floor: 0,
        }
    }

    /// Queues an event from the stream, replacing a pending one with the
    /// same key.
    ///
    /// # Errors
    /// [`Overflow`] when more distinct keys are pending than the capacity.
    pub(crate) fn push(&mut self, event: Arc<Event>, now: Instant) -> Result<(), Overflow> {
        self.push_as(event, now, Form::Usual)
    }

    /// Queues an event replayed to a resuming client: whole, as the client
    /// may have missed the events before it.
    ///
    /// # Errors
    /// As [`Queue::push`].
    pub(crate) fn push_replayed(
        &mut self,
        event: Arc<Event>,
        now: Instant,
    ) -> Result<(), Overflow> {
        self.push_as(event, now, Form::Whole)
    }

    /// Queues a batch whose every event the client follows: whole, when
    /// nothing else is pending, so that its frames made once for all such
    /// clients leave as they are; else event by event.
    ///
    /// # Errors
    /// As [`Queue::push`].
    pub(crate) fn push_batch(&mut self, batch: Arc<Batch>, now: Instant) -> Result<(), Overflow> {
        let fresh = batch.events.first().is_some_and(|e| e.seq > self.floor);
        if fresh && self.batch.is_none() && self.snapshot.is_none() && self.events.is_empty() {
            self.batch = Some((batch, now));
            return Ok(());
        }
        batch
            .events
            .iter()
            .try_for_each(|event| self.push(Arc::clone(event), now))
    }

    /// Breaks a pending batch into events, so later ones can coalesce.
    fn break_batch(&mut self) {
        if let Some((batch, since)) = self.batch.take() {
            for event in &batch.events {
                // Nothing else was pending: no key repeats, no overflow
                // beyond what the batch itself holds.
                let _ = self.push_as(Arc::clone(event), since, Form::Usual);
            }
        }
    }

    fn push_as(&mut self, event: Arc<Event>, now: Instant, form: Form) -> Result<(), Overflow> {
        self.break_batch();
        if event.seq <= self.floor {
            return Ok(());
        }
        let mut pending = Pending {
            event,
            since: now,
            form,
        };
        if let Some(at) = self
            .events
            .iter()
            .position(|p| p.event.key == pending.event.key)
            && let Some(replaced) = self.events.remove(at)
        {
            pending.since = replaced.since;
            pending.form = Form::Whole;
        }
        self.events.push_back(pending);
        if self.events.len() > self.capacity {
            return Err(Overflow);
        }
        Ok(())
    }

    /// Queues a snapshot: it goes first, and the events it already covers
    /// are dropped.
    pub(crate) fn set_snapshot(&mut self, snapshot: SnapshotFrame, now: Instant) {
        self.break_batch();
        self.floor = self.floor.max(snapshot.seq);
        let floor = self.floor;
        self.events.retain(|p| p.event.seq > floor);
        let since = self.snapshot.as_ref().map_or(now, |(_, at)| *at);
        self.snapshot = Some((snapshot, since));
    }

    /// Ignores events up to `seq` from now on: the client's start already
    /// covers them.
    pub(crate) fn skip_through(&mut self, seq: u64) {
        self.floor = self.floor.max(seq);
    }

    /// Queues a reply, unless too many are waiting.
    pub(crate) fn reply(&mut self, reply: Utf8Bytes) {
        if self.replies.len() < MAX_REPLIES {
            self.replies.push_back(reply);
        }
    }

    /// Queues a pong, replacing one not yet sent.
    pub(crate) fn pong(&mut self, frame: Bytes) {
        self.pong = Some(frame);
    }

    /// The next message to send.
    pub(crate) fn pop(&mut self) -> Option<Outgoing> {
        if let Some(pong) = self.pong.take() {
            return Some(Outgoing::Pong(pong));
        }
        if let Some(reply) = self.replies.pop_front() {
            return Some(Outgoing::Reply(reply));
        }
        if let Some((snapshot, _)) = self.snapshot.take() {
            return Some(Outgoing::Snapshot(snapshot));
        }
        if let Some((batch, _)) = self.batch.take() {
            return Some(Outgoing::Batch(batch));
        }
        self.events
            .pop_front()
            .map(|p| Outgoing::Event(p.event, p.form))
    }

    /// The next messages to send together, in order: at least one if any
    /// is pending, then more while they fit in `max_bytes`.
    pub(crate) fn pop_batch(&mut self, max_bytes: usize) -> Vec<Outgoing> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while let Some(next) = self.peek_len() {
            if !batch.is_empty() && bytes + next > max_bytes {
                break;
            }
            let Some(message) = self.pop() else { break };
            bytes += next;
            batch.push(message);
        }
        batch
    }

    /// The size of what `pop` would return next.
    fn peek_len(&self) -> Option<usize> {
        if let Some(pong) = &self.pong {
            return Some(pong.len());
        }
        if let Some(reply) = self.replies.front() {
            return Some(reply.len());
        }
        if let Some((snapshot, _)) = &self.snapshot {
            return Some(snapshot.text.len());
        }
        if let Some((batch, _)) = &self.batch {
            return Some(batch.joined().len());
        }
        self.events.front().map(|p| p.event.text(p.form).len())
    }

    /// How long the oldest pending news has waited.
    pub(crate) fn lag(&self, now: Instant) -> Duration {
        self.snapshot
            .iter()
            .map(|(_, at)| *at)
            .chain(self.batch.iter().map(|(_, at)| *at))
            .chain(self.events.iter().map(|p| p.since))
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
                Outgoing::Event(e, _) => e.seq,
                Outgoing::Batch(b) => b.events.iter().map(|e| e.seq * 100).sum(),
                Outgoing::Reply(_) | Outgoing::Pong(_) => 0,
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
    fn an_event_that_replaced_a_pending_one_or_was_replayed_goes_whole() {
        let now = Instant::now();
        let mut queue = Queue::new(10);
        let forms = |queue: &mut Queue| -> Vec<(u64, Form)> {
            std::iter::from_fn(|| queue.pop())
                .map(|o| match o {
                    Outgoing::Event(e, form) => (e.seq, form),
                    _ => (0, Form::Usual),
                })
                .collect()
        };
        queue.push(event(1, "A"), now).unwrap();
        queue.push(event(2, "B"), now).unwrap();
        queue.push(event(3, "A"), now).unwrap();
        assert_eq!(forms(&mut queue), [(2, Form::Usual), (3, Form::Whole)]);
        queue.push(event(4, "A"), now).unwrap();
        assert_eq!(forms(&mut queue), [(4, Form::Usual)], "3 was sent whole");
        queue.push_replayed(event(5, "C"), now).unwrap();
        assert_eq!(forms(&mut queue), [(5, Form::Whole)]);
    }

    #[test]
    fn a_batch_goes_whole_to_a_client_with_nothing_pending_and_breaks_up_on_news() {
        let now = Instant::now();
        let batch = |events: Vec<Arc<Event>>| Arc::new(Batch::new(events));
        let mut queue = Queue::new(10);
        queue
            .push_batch(batch(vec![event(1, "A"), event(2, "B")]), now)
            .unwrap();
        assert_eq!(seqs(&mut queue), [100 + 200], "one message: the batch");

        // A second batch while the first still waits: both by event, and
        // A coalesces (whole, as its earlier state was never sent).
        queue
            .push_batch(batch(vec![event(3, "A"), event(4, "B")]), now)
            .unwrap();
        queue.push_batch(batch(vec![event(5, "A")]), now).unwrap();
        let mut forms = Vec::new();
        while let Some(message) = queue.pop() {
            if let Outgoing::Event(e, form) = message {
                forms.push((e.seq, form));
            }
        }
        assert_eq!(forms, [(4, Form::Usual), (5, Form::Whole)]);
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
    fn a_batch_takes_messages_in_order_up_to_its_byte_budget_but_at_least_one() {
        let now = Instant::now();
        let mut queue = Queue::new(10);
        // Each event's text is its seq: "10", "11", "12", "13".
        for (seq, station) in [(10, "A"), (11, "B"), (12, "C"), (13, "D")] {
            queue.push(event(seq, station), now).unwrap();
        }
        let seqs_of = |batch: Vec<Outgoing>| -> Vec<u64> {
            batch
                .into_iter()
                .map(|o| match o {
                    Outgoing::Event(e, _) => e.seq,
                    _ => 0,
                })
                .collect()
        };
        assert_eq!(seqs_of(queue.pop_batch(5)), [10, 11]);
        assert_eq!(seqs_of(queue.pop_batch(1)), [12]);
        assert_eq!(seqs_of(queue.pop_batch(100)), [13]);
        assert!(queue.pop_batch(100).is_empty());
    }

    #[test]
    fn a_snapshot_goes_first_and_drops_the_events_it_covers() {
        let now = Instant::now();
        let mut queue = Queue::new(10);
        queue.push(event(4, "A"), now).unwrap();
        queue.push(event(6, "B"), now).unwrap();
        queue.set_snapshot(
            SnapshotFrame::new(5, Utf8Bytes::from_static("s"), Arc::from("e")),
            now,
        );
        // Arrives late from the broadcast, but the snapshot covers it.
        queue.push(event(5, "C"), now).unwrap();
        assert_eq!(seqs(&mut queue), [1005, 6]);
    }
}
