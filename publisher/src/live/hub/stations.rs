//! The stations the hub knows: their kind and district from the registry,
//! and each one's merged state, which every change turns into an update
//! event.

use std::sync::Arc;

use envmon_core::wire::StationState;
use envmon_core::{Station, StationCode, StationKind};
use serde::Serialize;

use super::super::event::{Event, EventKey};
use super::super::filter::{District, Scope};
use super::{Hub, Inner, encode};

impl Hub {
    /// Learns the kind and district of every registered station.
    pub(crate) fn set_registry(&self, stations: &[Station]) {
        let mut inner = self.lock();
        inner.registry = stations
            .iter()
            .map(|s| {
                let district = District {
                    zh: s.district_zh.clone(),
                    en: s.district_en.clone(),
                };
                (s.code.clone(), (s.kind, district))
            })
            .collect();
        inner.snapshots.clear();
    }

    /// Merges a station's committed state and sends the merged result (at
    /// the next flush), with the revisions the update carried (the kept
    /// state holds none).
    pub(crate) fn apply_update(&self, mut incoming: StationState) {
        let revisions = std::mem::take(&mut incoming.revisions);
        let mut inner = self.lock();
        let (mut merged, unchanged) = match inner.stations.get_mut(&incoming.station) {
            Some(current) => {
                let before = Blocks::of(current);
                current.merge(incoming);
                (current.clone(), before.unchanged_in(current))
            }
            None => {
                inner
                    .stations
                    .insert(incoming.station.clone(), incoming.clone());
                (incoming, Vec::new())
            }
        };
        merged.revisions = revisions;
        self.emit_update(&mut inner, &merged, &unchanged);
    }

    /// Merges states read from the database and sends an update for each
    /// station they changed, so clients (and resumes) see what the live
    /// topics missed while this server was not subscribed.
    pub(crate) fn apply_reload(&self, states: Vec<StationState>) {
        let mut inner = self.lock();
        for state in states {
            let merged = match inner.stations.get_mut(&state.station) {
                Some(current) => {
                    let before = current.clone();
                    current.merge(state);
                    (*current != before).then(|| {
                        let before = Blocks {
                            aqi: before.aqi,
                            water: before.water,
                        };
                        (current.clone(), before.unchanged_in(current))
                    })
                }
                None => {
                    inner.stations.insert(state.station.clone(), state.clone());
                    Some((state, Vec::new()))
                }
            };
            if let Some((merged, unchanged)) = merged {
                self.emit_update(&mut inner, &merged, &unchanged);
            }
        }
    }

    /// Sends a station's state; `unchanged` names the blocks that are as
    /// in its previous update, left out of the usual form.
    fn emit_update(&self, inner: &mut Inner, state: &StationState, unchanged: &[&'static str]) {
        #[derive(Serialize)]
        struct Message<'a> {
            r#type: &'static str,
            state: &'a StationState,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            unchanged: &'a [&'static str],
            seq: u64,
            epoch: &'a str,
        }
        let seq = inner.seq + 1;
        let message = |state, unchanged| {
            encode(&Message {
                r#type: "update",
                state,
                unchanged,
                seq,
                epoch: &self.epoch,
            })
        };
        let Some(whole) = message(state, &[]) else {
            return;
        };
        let scope = inner.scope_of(state);
        let key = EventKey::Station(state.station.clone());
        let event = if unchanged.is_empty() {
            Event::new(seq, key, scope, whole, Arc::clone(&self.epoch))
        } else {
            let mut usual = state.clone();
            for block in unchanged {
                match *block {
                    AQI => usual.aqi = None,
                    WATER => usual.water = None,
                    _ => {}
                }
            }
            let Some(text) = message(&usual, unchanged) else {
                return;
            };
            Event::new(seq, key, scope, text, Arc::clone(&self.epoch)).with_whole(whole)
        };
        self.emit(inner, event);
    }

    /// The kind of a registered station, as learned at start.
    pub(crate) fn kind_of(&self, station: &StationCode) -> Option<StationKind> {
        self.lock().registry.get(station).map(|(kind, _)| *kind)
    }

    /// The latest state of every station with data that `keep` accepts,
    /// given its code, kind and district; for the open-data API.
    pub(crate) fn states(
        &self,
        keep: impl Fn(&StationCode, StationKind, Option<&District>) -> bool,
    ) -> Vec<StationState> {
        let inner = self.lock();
        inner
            .stations
            .values()
            .filter(|s| {
                let district = inner.registry.get(&s.station).map(|(_, d)| d);
                keep(&s.station, s.kind, district)
            })
            .cloned()
            .collect()
    }
}

impl Inner {
    pub(super) fn scope_of(&self, state: &StationState) -> Scope {
        let district = self
            .registry
            .get(&state.station)
            .map(|(_, district)| district.clone());
        Scope::Station {
            code: state.station.clone(),
            kind: state.kind,
            district,
        }
    }
}

/// The names of a state's blocks in `unchanged`.
const AQI: &str = "aqi";
const WATER: &str = "water";

/// A state's blocks before a merge, to tell which the merge left as they
/// were.
struct Blocks {
    aqi: Option<envmon_core::wire::AqiNow>,
    water: Option<envmon_core::wire::WaterNow>,
}

impl Blocks {
    fn of(state: &StationState) -> Self {
        Self {
            aqi: state.aqi.clone(),
            water: state.water.clone(),
        }
    }

    /// The blocks `after` holds exactly as before.
    fn unchanged_in(&self, after: &StationState) -> Vec<&'static str> {
        let mut unchanged = Vec::new();
        if after.aqi.is_some() && after.aqi == self.aqi {
            unchanged.push(AQI);
        }
        if after.water.is_some() && after.water == self.water {
            unchanged.push(WATER);
        }
        unchanged
    }
}
