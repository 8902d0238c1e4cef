//! The areas the hub knows (the city, its districts): each one's latest AQI, which every change
//! turns into an `area` event. The city's goes to every client (it is everyone's headline); a
//! district's to clients following a kind or that district.

use std::sync::Arc;

use envmon_core::area::AreaKind;
use envmon_core::wire::AreaState;
use serde::Serialize;

use super::super::event::{Event, EventKey};
use super::super::filter::Scope;
use super::{Hub, Inner, encode};

impl Hub {
    /// Keeps an area's state if it is news (a later hour, or the same hour recomputed with late
    /// data) and sends it at the next flush.
    pub(crate) fn apply_area(&self, state: AreaState) {
        let mut inner = self.lock();
        let news = inner.areas.get(&state.area).is_none_or(|current| {
            current.aqi.hour_end < state.aqi.hour_end
                || (current.aqi.hour_end == state.aqi.hour_end && *current != state)
        });
        if news {
            inner.areas.insert(state.area.clone(), state.clone());
            self.emit_area(&mut inner, &state);
        }
    }

    fn emit_area(&self, inner: &mut Inner, state: &AreaState) {
        #[derive(Serialize)]
        struct Message<'a> {
            r#type: &'static str,
            state: &'a AreaState,
            seq: u64,
            epoch: &'a str,
        }
        let seq = inner.seq + 1;
        let Some(text) = encode(&Message {
            r#type: "area",
            state,
            seq,
            epoch: &self.epoch,
        }) else {
            return;
        };
        let key = EventKey::Area(state.area.clone());
        let event = Event::new(
            seq,
            key,
            scope_of_area(state),
            text,
            Arc::clone(&self.epoch),
        );
        self.emit(inner, event);
    }

    /// The areas' latest states that `keep` accepts.
    pub(super) fn areas_matching<'a>(
        inner: &'a Inner,
        keep: impl Fn(&Scope) -> bool + 'a,
    ) -> impl Iterator<Item = &'a AreaState> + 'a {
        inner
            .areas
            .values()
            .filter(move |a| keep(&scope_of_area(a)))
    }
}

/// Whom an area's state concerns: the city everyone, a district those who follow it (by its
/// Chinese or English name) or any kind.
pub(super) fn scope_of_area(state: &AreaState) -> Scope {
    match state.kind {
        AreaKind::City => Scope::Area {
            districts: Vec::new(),
            stations: Vec::new(),
        },
        AreaKind::District => Scope::Area {
            districts: vec![state.name_zh.clone(), state.name_en.clone()],
            stations: Vec::new(),
        },
    }
}
