//! How a client joins the stream: a replay of what it missed when the ring
//! still holds it, else a snapshot, shared between clients with the same
//! filter.

use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use chrono::Utc;
use envmon_core::wire::{AreaState, StationState};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::broadcast;

use super::super::event::{Batch, Event, SnapshotFrame};
use super::super::filter::Filter;
use super::{Hub, Inner, encode};

/// Snapshots kept ready, one per distinct filter: thousands of clients
/// following the same stations share one serialisation.
const SNAPSHOT_CACHE: usize = 64;

/// How a client starts.
#[derive(Debug)]
pub(crate) enum Start {
    /// The current state of what it follows.
    Snapshot(SnapshotFrame),
    /// The events it missed since its last `seq` (to be coalesced).
    Replay(Vec<Arc<Event>>),
}

/// A client joining the stream.
#[derive(Debug)]
pub(crate) struct Joined {
    pub(crate) start: Start,
    /// The last event the start covers: later batches may still bring
    /// events up to here, which the client has already.
    pub(crate) through: u64,
    pub(crate) events: broadcast::Receiver<Arc<Batch>>,
}

impl Hub {
    /// Joins the stream following `filter`: resumes after `resume` (epoch,
    /// last seq seen) when this server still holds every event since, else
    /// starts from a snapshot.
    pub(crate) fn join(&self, filter: &Filter, resume: Option<(&str, u64)>) -> Joined {
        let mut inner = self.lock();
        let events = self.events.subscribe();
        let replay = resume.and_then(|(epoch, seq)| {
            (epoch == &*self.epoch && inner.covers(seq)).then(|| {
                inner
                    .ring
                    .iter()
                    .filter(|e| e.seq > seq && filter.matches(&e.scope))
                    .cloned()
                    .collect()
            })
        });
        let start = match replay {
            Some(events) => Start::Replay(events),
            None => Start::Snapshot(self.snapshot_locked(&mut inner, filter)),
        };
        Joined {
            start,
            through: inner.seq,
            events,
        }
    }

    /// The current state of what `filter` follows.
    pub(crate) fn snapshot(&self, filter: &Filter) -> SnapshotFrame {
        let mut inner = self.lock();
        self.snapshot_locked(&mut inner, filter)
    }

    fn snapshot_locked(&self, inner: &mut Inner, filter: &Filter) -> SnapshotFrame {
        let key = filter.key();
        if let Some(cached) = inner.snapshots.get(&key) {
            return cached.clone();
        }
        #[derive(Serialize)]
        struct Message<'a> {
            r#type: &'static str,
            stations: Vec<&'a StationState>,
            areas: Vec<&'a AreaState>,
            notices: Vec<&'a Value>,
            forecasts: Vec<&'a Value>,
            seq: u64,
            epoch: &'a str,
        }
        let now = Utc::now();
        let message = Message {
            r#type: "snapshot",
            stations: inner
                .stations
                .values()
                .filter(|s| filter.matches(&inner.scope_of(s)))
                .collect(),
            areas: Hub::areas_matching(inner, |scope| filter.matches(scope)).collect(),
            notices: inner
                .notices
                .values()
                .filter(|n| n.is_active(now) && filter.matches(&n.scope()))
                .map(|n| &n.body)
                .collect(),
            forecasts: Hub::current_forecasts(inner),
            seq: inner.seq,
            epoch: &self.epoch,
        };
        let text = encode(&message).unwrap_or_else(|| Utf8Bytes::from_static("{}"));
        let frame = SnapshotFrame::new(inner.seq, text, Arc::clone(&self.epoch));
        if inner.snapshots.len() >= SNAPSHOT_CACHE {
            inner.snapshots.clear();
        }
        inner.snapshots.insert(key, frame.clone());
        frame
    }
}
