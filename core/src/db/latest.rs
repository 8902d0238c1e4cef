//! The `station_latest` table as [`StationState`]s: shared by ingest (which
//! publishes what it just committed) and the publisher (which snapshots it).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Row};

use crate::area::AreaKind;
use crate::wire::{AqiNow, AreaState, LatestValue, StationState, WaterNow};
use crate::{Parameter, QualityFlag, StationCode, StationKind};

/// The columns [`states_from_rows`] expects, in order; append a `WHERE`.
pub const SELECT_LATEST: &str = "SELECT l.station_code, s.kind, l.parameter_code, l.observed_at,
        l.value, l.quality
    FROM station_latest l JOIN station s ON s.code = l.station_code";

/// [`SELECT_LATEST`] for the stations in `$1`.
pub const SELECT_LATEST_OF: &str = "SELECT l.station_code, s.kind, l.parameter_code, l.observed_at,
        l.value, l.quality
    FROM station_latest l JOIN station s ON s.code = l.station_code
    WHERE l.station_code = ANY($1)";

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
                aqi: None,
                water: None,
                radiation: None,
                revisions: Vec::new(),
                committed_at: None,
            });
        state.updated_at = state.updated_at.max(observed_at);
        state.readings.insert(parameter, value);
    }
    states.into_values().collect()
}

/// The newest hourly AQI of each station in `$1`: one index probe per
/// station (newest `hour_end` first), however long the history.
pub const LATEST_AQI: &str = "SELECT a.station_code, a.hour_end, a.edition, a.aqi, a.level,
        a.primary_pollutants, a.report, a.us_report
    FROM unnest($1::text[]) AS c(code)
    CROSS JOIN LATERAL (SELECT * FROM aqi_hourly h WHERE h.station_code = c.code
        ORDER BY h.hour_end DESC LIMIT 1) a";

/// The newest water assessment of each station in `$1`, as [`LATEST_AQI`].
pub const LATEST_WATER: &str = "SELECT w.station_code, w.observed_at, w.class, w.meets_target,
        w.report
    FROM unnest($1::text[]) AS c(code)
    CROSS JOIN LATERAL (SELECT * FROM water_assessment a WHERE a.station_code = c.code
        ORDER BY a.observed_at DESC LIMIT 1) w";

/// The newest radiation hour of each station in `$1`, as [`LATEST_AQI`].
pub const LATEST_RADIATION: &str = "SELECT r.station_code, r.hour_end, r.mean, r.state,
        r.investigate, r.report
    FROM unnest($1::text[]) AS c(code)
    CROSS JOIN LATERAL (SELECT * FROM radiation_hourly h WHERE h.station_code = c.code
        ORDER BY h.hour_end DESC LIMIT 1) r";

/// Fills in each state's latest radiation hour from rows of
/// [`LATEST_RADIATION`].
pub fn attach_radiation_rows(states: &mut [StationState], rows: &[Row]) {
    for state in states.iter_mut() {
        let code = state.station.as_str();
        if let Some(row) = rows.iter().find(|r| r.get::<_, &str>(0) == code) {
            state.radiation = Some(crate::wire::RadiationNow {
                hour_end: row.get(1),
                mean: row.get(2),
                state: row.get(3),
                investigate: row.get(4),
                report: row.get(5),
            });
        }
    }
}

/// Fills in each state's latest AQI or water assessment.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn attach_indices(
    client: &impl GenericClient,
    states: &mut [StationState],
) -> Result<(), tokio_postgres::Error> {
    if states.is_empty() {
        return Ok(());
    }
    let codes: Vec<&str> = states.iter().map(|s| s.station.as_str()).collect();
    let aqi_rows = client.query(LATEST_AQI, &[&codes]).await?;
    let water_rows = client.query(LATEST_WATER, &[&codes]).await?;
    let radiation_rows = client.query(LATEST_RADIATION, &[&codes]).await?;
    attach_index_rows(states, &aqi_rows, &water_rows);
    attach_radiation_rows(states, &radiation_rows);
    Ok(())
}

/// Fills in each state's latest AQI and water assessment from rows of
/// [`LATEST_AQI`] and [`LATEST_WATER`] (for callers that pipeline them).
pub fn attach_index_rows(states: &mut [StationState], aqi_rows: &[Row], water_rows: &[Row]) {
    for state in states.iter_mut() {
        let code = state.station.as_str();
        if let Some(row) = aqi_rows.iter().find(|r| r.get::<_, &str>(0) == code) {
            state.aqi = Some(AqiNow {
                hour_end: row.get(1),
                edition: row.get(2),
                aqi: row.get(3),
                level: row.get(4),
                primary: row.get(5),
                report: row.get(6),
                us_epa: row.get(7),
            });
        }
        if let Some(row) = water_rows.iter().find(|r| r.get::<_, &str>(0) == code) {
            state.water = Some(WaterNow {
                observed_at: row.get(1),
                class: row.get(2),
                meets_target: row.get(3),
                report: row.get(4),
            });
        }
    }
}

/// The committed state of `stations` (every station when `None`), with
/// their latest indices.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn load_states(
    client: &impl GenericClient,
    stations: Option<&[&str]>,
) -> Result<Vec<StationState>, tokio_postgres::Error> {
    let rows = match stations {
        None => client.query(SELECT_LATEST, &[]).await?,
        Some([]) => return Ok(Vec::new()),
        Some(codes) => client.query(SELECT_LATEST_OF, &[&codes]).await?,
    };
    let mut states = states_from_rows(&rows);
    attach_indices(client, &mut states).await?;
    Ok(states)
}

const SELECT_AREA_STATES: &str = "SELECT DISTINCT ON (a.id) a.id, a.kind, a.name_zh, a.name_en,
        a.parent, h.stations, h.hour_end, h.edition, h.aqi, h.level, h.primary_pollutants,
        h.report
    FROM area a JOIN area_aqi_hourly h ON h.area_id = a.id
    WHERE $1::text[] IS NULL OR a.id = ANY($1)
    ORDER BY a.id, h.hour_end DESC";

/// The latest hourly AQI of `areas` (every area when `None`) that have one.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn load_area_states(
    client: &impl GenericClient,
    areas: Option<&[&str]>,
) -> Result<Vec<AreaState>, tokio_postgres::Error> {
    if areas.is_some_and(<[&str]>::is_empty) {
        return Ok(Vec::new());
    }
    let ids: Option<Vec<&str>> = areas.map(<[&str]>::to_vec);
    let rows = client.query(SELECT_AREA_STATES, &[&ids]).await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let kind = match row.get::<_, &str>(1) {
                "city" => AreaKind::City,
                "district" => AreaKind::District,
                _ => return None,
            };
            Some(AreaState {
                area: row.get(0),
                kind,
                name_zh: row.get(2),
                name_en: row.get(3),
                parent: row.get(4),
                stations: row.get(5),
                aqi: AqiNow {
                    hour_end: row.get(6),
                    edition: row.get(7),
                    aqi: row.get(8),
                    level: row.get(9),
                    primary: row.get(10),
                    report: row.get(11),
                    us_epa: None,
                },
            })
        })
        .collect())
}
