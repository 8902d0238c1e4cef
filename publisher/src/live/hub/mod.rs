//! The hub: every station's latest state and the active alert notices, the
//! numbered stream of events, and the ring of recent events that lets a
//! reconnecting client resume.
//!
//! Each event is numbered and serialised once, under one lock with the
//! state change, then broadcast to every client as shared bytes; a client
//! joins under the same lock, so what it starts from (a snapshot or a
//! replay) and what the broadcast brings next meet with no gap.
//!
//! Events leave at [`Hub::flush`], all that are waiting in one batch: the
//! feed flushes a few milliseconds after the first of a burst, so the
//! states of a committed batch reach each client together, and it wakes
//! once and writes them in one go instead of once per station.
//!
//! # Layout
//!
//! One lock guards all the state below, so each part is an `impl Hub` of
//! its own over the shared `Inner`:
//!
//! - `stations`: the station registry and each station's merged state,
//!   turned into update events;
//! - `notices`: alert notices, with the ranks that refuse replayed versions;
//! - `forecasts`: published forecasts, ranked the same way;
//! - `stream`: numbering, the replay ring, and the handoff of waiting events
//!   to the broadcast as one batch;
//! - `areas`: the city's and districts' latest AQI, turned into area events;
//! - `join`: how a client starts (replay or snapshot) and the snapshot cache.

mod areas;
mod forecasts;
mod join;
mod notices;
mod stations;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use envmon_core::wire::{AreaState, StationState};
use envmon_core::{StationCode, StationKind};
use serde::Serialize;
use tokio::sync::broadcast;

use super::event::{Batch, Event, SnapshotFrame};
use super::filter::District;
use super::forecast::Forecast;
use super::notice::Notice;

pub(crate) use join::{Joined, Start};

/// The live state and its stream.
#[derive(Debug)]
pub(crate) struct Hub {
    epoch: Arc<str>,
    inner: Mutex<Inner>,
    events: broadcast::Sender<Arc<Batch>>,
}

#[derive(Debug)]
struct Inner {
    /// The last event's number; 0 before any.
    seq: u64,
    stations: BTreeMap<StationCode, StationState>,
    /// Each area's latest AQI.
    areas: BTreeMap<String, AreaState>,
    /// Kind and district of each registered station, for filtering.
    registry: HashMap<StationCode, (StationKind, District)>,
    /// The newest version of every notice seen, active or not.
    notices: BTreeMap<String, Notice>,
    /// The newest rank ([`Notice::rank`]) of every notice ever accepted,
    /// never dropped: notices are few, and only signed ones get here.
    ranks: HashMap<String, (i64, u8)>,
    /// The newest version of every forecast seen, current or not.
    forecasts: BTreeMap<String, Forecast>,
    /// The newest rank ([`Forecast::rank`]) of every forecast ever accepted.
    forecast_ranks: HashMap<String, (i64, u8)>,
    ring: VecDeque<Arc<Event>>,
    ring_capacity: usize,
    snapshots: HashMap<String, SnapshotFrame>,
    /// Events numbered but not yet broadcast (see [`Hub::flush`]).
    unsent: Vec<Arc<Event>>,
}

impl Hub {
    /// An empty hub keeping `ring_capacity` events for resuming clients.
    pub(crate) fn new(ring_capacity: usize) -> Self {
        Self {
            epoch: Arc::from(new_epoch()),
            inner: Mutex::new(Inner {
                seq: 0,
                stations: BTreeMap::new(),
                areas: BTreeMap::new(),
                registry: HashMap::new(),
                notices: BTreeMap::new(),
                ranks: HashMap::new(),
                forecasts: BTreeMap::new(),
                forecast_ranks: HashMap::new(),
                ring: VecDeque::new(),
                ring_capacity,
                snapshots: HashMap::new(),
                unsent: Vec::new(),
            }),
            events: broadcast::channel(stream::BROADCAST_CAPACITY).0,
        }
    }

    /// This server's epoch: sequence numbers are comparable only within it.
    #[cfg(test)]
    pub(crate) fn epoch(&self) -> &str {
        &self.epoch
    }

    /// The last event's number: while it stays, nothing held has changed.
    pub(crate) fn seq(&self) -> u64 {
        self.lock().seq
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Serialises a message into a text frame.
fn encode<T: Serialize>(message: &T) -> Option<Utf8Bytes> {
    match serde_json::to_string(message) {
        Ok(text) => Some(Utf8Bytes::from(text)),
        Err(error) => {
            tracing::error!(error = %error, "Cannot serialise live message.");
            None
        }
    }
}

/// A name for this server's run: the start time in nanoseconds and the
/// process id, so two servers (or two runs) never share one.
fn new_epoch() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STARTED: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}{:x}{n:x}", std::process::id())
}
