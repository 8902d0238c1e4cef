//! The station directory ingest checks payloads against and assesses
//! readings with: which stations are registered, their kind, and for water
//! sites their water body type and target class.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use envmon_core::{Station, StationCode, StationKind};

use crate::decode::StationLookup;

/// A station missing from the directory triggers a reload, at most this
/// often, so newly imported stations are picked up without a restart while
/// a flood of unknown codes cannot hammer the database.
pub(crate) const RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// The registered stations.
#[derive(Debug, Default)]
pub(crate) struct StationDirectory {
    stations: HashMap<StationCode, Station>,
    loaded_at: Option<Instant>,
}

impl StationDirectory {
    /// Replaces the directory's contents.
    pub(crate) fn replace(&mut self, stations: Vec<Station>, now: Instant) {
        self.stations = stations.into_iter().map(|s| (s.code.clone(), s)).collect();
        self.loaded_at = Some(now);
    }

    /// Whether a miss should reload the directory.
    pub(crate) fn is_stale(&self, now: Instant) -> bool {
        self.loaded_at
            .is_none_or(|at| now.duration_since(at) >= RELOAD_INTERVAL)
    }

    /// Whether nothing has been loaded.
    pub(crate) fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }

    /// A registered station.
    pub(crate) fn get(&self, code: &StationCode) -> Option<&Station> {
        self.stations.get(code)
    }
}

impl StationLookup for StationDirectory {
    fn kind_of(&self, station: &StationCode) -> Option<StationKind> {
        self.stations.get(station).map(|s| s.kind)
    }

    fn hj212_mn(&self, station: &StationCode) -> Option<&str> {
        self.stations
            .get(station)
            .and_then(|s| s.hj212_mn.as_deref())
    }

    fn station_for_mn(&self, mn: &str) -> Option<StationCode> {
        self.stations
            .values()
            .find(|s| s.hj212_mn.as_deref() == Some(mn))
            .map(|s| s.code.clone())
    }
}
