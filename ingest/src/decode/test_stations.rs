//! A two-station directory for the decoders' tests: `1141A` (air) and
//! `wusongkou` (river), without HJ 212 loggers.

use std::collections::HashMap;

use envmon_core::{StationCode, StationKind};

use super::StationLookup;

pub(crate) struct Directory(HashMap<StationCode, StationKind>);

impl StationLookup for Directory {
    fn kind_of(&self, station: &StationCode) -> Option<StationKind> {
        self.0.get(station).copied()
    }

    fn hj212_mn(&self, _station: &StationCode) -> Option<&str> {
        None
    }

    fn station_for_mn(&self, _mn: &str) -> Option<StationCode> {
        None
    }

    fn hj212_credential(&self, _station: &StationCode) -> Option<&super::hj212::LoggerCredential> {
        None
    }

    fn hj212_require_secret(&self) -> bool {
        false
    }
}

pub(crate) fn code(s: &str) -> StationCode {
    StationCode::parse(s).unwrap()
}

pub(crate) fn directory() -> Directory {
    Directory(HashMap::from([
        (code("1141A"), StationKind::Air),
        (code("wusongkou"), StationKind::River),
    ]))
}
