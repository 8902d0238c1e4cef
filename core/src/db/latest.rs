//! The `station_latest` table as [`StationState`]s: shared by ingest (which
//! publishes what it just committed) and the publisher (which snapshots it).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use crate::wire::{LatestValue, StationState};
use crate::{Parameter, QualityFlag, StationCode, StationKind};

/// The columns [`states_from_rows`] expects, in order; append a `WHERE`.
pub const SELECT_LATEST: &str = "SELECT l.station_code, s.kind, l.parameter_code, l.observed_at,
        l.value, l.quality
    FROM station_latest l JOIN station s ON s.code = l.station_code";

/// Groups rows of [`SELECT_LATEST`] into one state per station, ordered by
/// code. Rows that break the schema's invariants are skipped.
pub fn states_from_rows(rows: &[Row]) -> Vec<StationState> {
    let mut states: BTreeMap<StationCode, StationState> = BTreeMap::new();
    for row in rows {
        let (Ok(station), Some(kind), Some(parameter), Some(quality)) = (
            StationCode::parse(row.get(0)),
            StationKind::parse(row.get(1)),
            Parameter::parse(row.get(2)),
            QualityFlag::parse(row.get(5)),
        ) else {
            tracing::warn!("Skipping malformed station_latest row.");
            continue;
        };
        let observed_at: DateTime<Utc> = row.get(3);
        let value = LatestValue {
            value: row.get(4),
            unit: parameter.unit().to_owned(),
            observed_at,
            quality,
        };
        let state = states
            .entry(station.clone())
            .or_insert_with(|| StationState {
                station,
                kind,
                updated_at: observed_at,
                readings: BTreeMap::new(),
            });
        state.updated_at = state.updated_at.max(observed_at);
        state.readings.insert(parameter, value);
    }
    states.into_values().collect()
}
