//! What a live client asked for: station kinds, stations and districts,
//! and the check of every event against it. Pure: no IO, no clock.
//!
//! A station's news reaches a client when the client named the station, its
//! kind or its district. A client that never subscribed gets everything,
//! as the dashboard expects.

use std::collections::BTreeSet;

use envmon_core::{StationCode, StationKind};
use serde::Deserialize;

/// Where an event belongs, for filtering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// News of one station.
    Station {
        /// The station.
        code: StationCode,
        /// Its kind.
        kind: StationKind,
        /// Its district, by its Chinese and English names.
        district: Option<District>,
    },
    /// An alert notice for an area: districts and stations, both empty for
    /// the whole city.
    Area {
        /// District names as the notice gives them.
        districts: Vec<String>,
        /// Station codes as the notice gives them.
        stations: Vec<String>,
    },
}

/// A district's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct District {
    pub(crate) zh: String,
    pub(crate) en: String,
}

impl District {
    /// Whether `name` names this district: its Chinese name, or its English
    /// name in any case.
    pub(crate) fn is_named(&self, name: &str) -> bool {
        name == self.zh || name.eq_ignore_ascii_case(&self.en)
    }
}

/// The kinds, stations and districts a client follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) kinds: BTreeSet<StationKind>,
    pub(crate) stations: BTreeSet<StationCode>,
    /// Districts as the client named them (Chinese, or English in any case).
    pub(crate) districts: BTreeSet<String>,
}

impl Default for Filter {
    /// Everything: what a client gets before it subscribes.
    fn default() -> Self {
        Self {
            kinds: StationKind::ALL.into_iter().collect(),
            stations: BTreeSet::new(),
            districts: BTreeSet::new(),
        }
    }
}

/// A subscription change as the client sent it: lists of names, each
/// optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Selection {
    #[serde(default)]
    pub(crate) kinds: Vec<String>,
    #[serde(default)]
    pub(crate) stations: Vec<String>,
    #[serde(default)]
    pub(crate) districts: Vec<String>,
}

/// A selection naming something that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SelectionError {
    /// Not `air`, `river` or `source`.
    #[error("`kinds`: unknown station kind {0:?} (air, river or source)")]
    Kind(String),
    /// Not a valid station code.
    #[error("`stations`: {0:?} is not a station code")]
    Station(String),
    /// Empty or absurdly long.
    #[error("`districts`: {0:?} is not a district name")]
    District(String),
}

/// Longest district name a client may send; real ones are a few characters.
const MAX_DISTRICT_NAME: usize = 64;

/// A parsed selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParsedSelection {
    kinds: BTreeSet<StationKind>,
    stations: BTreeSet<StationCode>,
    districts: BTreeSet<String>,
}

impl Selection {
    /// Checks every name.
    ///
    /// # Errors
    /// The first name that is not a kind, a station code or a district name.
    pub(crate) fn parse(&self) -> Result<ParsedSelection, SelectionError> {
        let kinds = self
            .kinds
            .iter()
            .map(|k| StationKind::parse(k).ok_or_else(|| SelectionError::Kind(k.clone())))
            .collect::<Result<_, _>>()?;
        let stations = self
            .stations
            .iter()
            .map(|s| StationCode::parse(s).map_err(|_| SelectionError::Station(s.clone())))
            .collect::<Result<_, _>>()?;
        let districts = self
            .districts
            .iter()
            .map(|d| {
                let trimmed = d.trim();
                if trimmed.is_empty() || trimmed.len() > MAX_DISTRICT_NAME {
                    Err(SelectionError::District(d.clone()))
                } else {
                    Ok(trimmed.to_owned())
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(ParsedSelection {
            kinds,
            stations,
            districts,
        })
    }

    /// Parses comma-separated query values (`kind=air,river&station=…`).
    pub(crate) fn from_query(
        kinds: Option<&str>,
        stations: Option<&str>,
        districts: Option<&str>,
    ) -> Option<Self> {
        if kinds.is_none() && stations.is_none() && districts.is_none() {
            return None;
        }
        let split = |list: Option<&str>| -> Vec<String> {
            list.map(|l| {
                l.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
        };
        Some(Self {
            kinds: split(kinds),
            stations: split(stations),
            districts: split(districts),
        })
    }
}

impl Filter {
    /// Follows nothing yet: the start of an explicit subscription.
    pub(crate) fn nothing() -> Self {
        Self {
            kinds: BTreeSet::new(),
            stations: BTreeSet::new(),
            districts: BTreeSet::new(),
        }
    }

    /// Adds what the selection names.
    pub(crate) fn subscribe(&mut self, selection: ParsedSelection) {
        self.kinds.extend(selection.kinds);
        self.stations.extend(selection.stations);
        self.districts.extend(selection.districts);
    }

    /// Removes what the selection names.
    pub(crate) fn unsubscribe(&mut self, selection: &ParsedSelection) {
        self.kinds.retain(|k| !selection.kinds.contains(k));
        self.stations.retain(|s| !selection.stations.contains(s));
        self.districts.retain(|d| {
            !selection
                .districts
                .iter()
                .any(|gone| gone == d || gone.eq_ignore_ascii_case(d))
        });
    }

    /// A stable text naming this filter, to share snapshots among clients
    /// that follow the same things.
    pub(crate) fn key(&self) -> String {
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.as_str()).collect();
        let stations: Vec<&str> = self.stations.iter().map(StationCode::as_str).collect();
        let districts: Vec<String> = self.districts.iter().map(|d| d.to_lowercase()).collect();
        format!(
            "{}|{}|{}",
            kinds.join(","),
            stations.join(","),
            districts.join(",")
        )
    }

    /// Whether an event in `scope` goes to this client.
    pub(crate) fn matches(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Station {
                code,
                kind,
                district,
            } => {
                self.kinds.contains(kind)
                    || self.stations.contains(code)
                    || district
                        .as_ref()
                        .is_some_and(|d| self.districts.iter().any(|name| d.is_named(name)))
            }
            // A client following a kind follows the city; one following
            // places gets the notices for those places and the city-wide ones.
            Scope::Area {
                districts,
                stations,
            } => {
                !self.kinds.is_empty()
                    || (districts.is_empty() && stations.is_empty())
                    || stations
                        .iter()
                        .any(|s| self.stations.iter().any(|mine| mine.as_str() == s))
                    || districts.iter().any(|d| {
                        self.districts
                            .iter()
                            .any(|mine| mine == d || mine.eq_ignore_ascii_case(d))
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn station(code: &str, kind: StationKind, zh: &str, en: &str) -> Scope {
        Scope::Station {
            code: StationCode::parse(code).unwrap(),
            kind,
            district: Some(District {
                zh: zh.into(),
                en: en.into(),
            }),
        }
    }

    fn selection(kinds: &[&str], stations: &[&str], districts: &[&str]) -> ParsedSelection {
        let owned = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect();
        Selection {
            kinds: owned(kinds),
            stations: owned(stations),
            districts: owned(districts),
        }
        .parse()
        .unwrap()
    }

    #[test]
    fn a_client_that_never_subscribed_gets_everything() {
        let filter = Filter::default();
        assert!(filter.matches(&station("1141A", StationKind::Air, "普陀区", "Putuo")));
        assert!(filter.matches(&station("x1", StationKind::Source, "青浦区", "Qingpu")));
    }

    #[test]
    fn kind_station_and_district_each_select_a_station() {
        let mut filter = Filter::nothing();
        filter.subscribe(selection(&["river"], &["1141A"], &["putuo"]));
        assert!(filter.matches(&station("1141A", StationKind::Air, "静安区", "Jing'an")));
        assert!(filter.matches(&station("1150A", StationKind::Air, "普陀区", "Putuo")));
        assert!(filter.matches(&station("w1", StationKind::River, "青浦区", "Qingpu")));
        assert!(!filter.matches(&station("1142A", StationKind::Air, "黄浦区", "Huangpu")));
        filter.unsubscribe(&selection(&[], &["1141A"], &["Putuo"]));
        assert!(!filter.matches(&station("1141A", StationKind::Air, "静安区", "Jing'an")));
        assert!(!filter.matches(&station("1150A", StationKind::Air, "普陀区", "Putuo")));
    }

    #[test]
    fn notices_reach_kind_followers_and_followers_of_their_area() {
        let area = |d: &[&str]| Scope::Area {
            districts: d.iter().map(|s| (*s).to_owned()).collect(),
            stations: Vec::new(),
        };
        let mut places = Filter::nothing();
        places.subscribe(selection(&[], &[], &["普陀区"]));
        assert!(places.matches(&area(&["普陀区", "静安区"])));
        assert!(!places.matches(&area(&["黄浦区"])));
        assert!(
            places.matches(&area(&[])),
            "city-wide notices reach everyone"
        );
        let mut air = Filter::nothing();
        air.subscribe(selection(&["air"], &[], &[]));
        assert!(air.matches(&area(&["黄浦区"])));
    }

    #[test]
    fn bad_names_are_refused_naming_the_field() {
        let bad = Selection {
            kinds: vec!["lake".into()],
            ..Selection::default()
        };
        assert!(bad.parse().unwrap_err().to_string().starts_with("`kinds`"));
        let bad = Selection {
            stations: vec!["a b".into()],
            ..Selection::default()
        };
        assert!(
            bad.parse()
                .unwrap_err()
                .to_string()
                .starts_with("`stations`")
        );
    }

    #[test]
    fn the_key_does_not_depend_on_order_or_case() {
        let mut a = Filter::nothing();
        a.subscribe(selection(&["air", "river"], &[], &["Putuo"]));
        let mut b = Filter::nothing();
        b.subscribe(selection(&["river", "air"], &[], &["Putuo"]));
        assert_eq!(a.key(), b.key());
    }
}
