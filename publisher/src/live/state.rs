//! The publisher's view of every station's latest state.
//!
//! Rebuilt from the database on start and after every broker reconnect, and
//! kept current by the live topics. Each change is serialised once and
//! broadcast to every client as shared bytes.

use std::collections::BTreeMap;
use std::sync::RwLock;

use axum::extract::ws::Utf8Bytes;
use envmon_core::StationCode;
use envmon_core::wire::{LiveMessage, StationState};
use tokio::sync::broadcast;

/// Frames buffered per client before it counts as lagging. A lagging client
/// is sent a fresh snapshot instead of the frames it missed, so this bounds
/// memory per client, not correctness.
const BROADCAST_CAPACITY: usize = 1024;

/// Current state plus the broadcast of changes.
#[derive(Debug)]
pub(crate) struct LiveState {
    stations: RwLock<BTreeMap<StationCode, StationState>>,
    frames: broadcast::Sender<Utf8Bytes>,
}

impl Default for LiveState {
    fn default() -> Self {
        Self {
            stations: RwLock::default(),
            frames: broadcast::channel(BROADCAST_CAPACITY).0,
        }
    }
}

impl LiveState {
    /// Merges a station's state and broadcasts the merged result, with the
    /// revisions the update carried (the stored state keeps none).
    pub(crate) fn apply(&self, mut incoming: StationState) {
        let revisions = std::mem::take(&mut incoming.revisions);
        let mut merged = {
            let mut stations = self.stations.write().unwrap_or_else(|p| p.into_inner());
            match stations.get_mut(&incoming.station) {
                Some(current) => {
                    current.merge(incoming);
                    current.clone()
                }
                None => {
                    stations.insert(incoming.station.clone(), incoming.clone());
                    incoming
                }
            }
        };
        merged.revisions = revisions;
        self.broadcast(&LiveMessage::Update {
            state: Box::new(merged),
        });
    }

    /// Merges many states (a database reload) and broadcasts one snapshot,
    /// which replaces whatever clients held.
    pub(crate) fn apply_snapshot(&self, states: Vec<StationState>) {
        {
            let mut stations = self.stations.write().unwrap_or_else(|p| p.into_inner());
            for state in states {
                match stations.get_mut(&state.station) {
                    Some(current) => current.merge(state),
                    None => {
                        stations.insert(state.station.clone(), state);
                    }
                }
            }
        }
        self.broadcast(&self.snapshot());
    }

    /// The snapshot a new client starts from.
    pub(crate) fn snapshot(&self) -> LiveMessage {
        let stations = self.stations.read().unwrap_or_else(|p| p.into_inner());
        LiveMessage::Snapshot {
            stations: stations.values().cloned().collect(),
        }
    }

    /// A receiver of every frame broadcast from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Utf8Bytes> {
        self.frames.subscribe()
    }

    fn broadcast(&self, message: &LiveMessage) {
        if let Some(frame) = encode(message) {
            // No receivers is fine: nobody is watching yet.
            let _ = self.frames.send(frame);
        }
    }
}

/// Serialises a message into a frame.
pub(crate) fn encode(message: &LiveMessage) -> Option<Utf8Bytes> {
    match serde_json::to_string(message) {
        Ok(text) => Some(Utf8Bytes::from(text)),
        Err(error) => {
            tracing::error!(error = %error, "Cannot serialise live message.");
            None
        }
    }
}
