//! `/api/v1/stations`, `/api/v1/stations/{code}/latest` and
//! `/api/v1/parameters`.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use envmon_core::db::DbError;
use envmon_core::registry::load_stations;
use envmon_core::wire::{AqiNow, LatestValue, WaterNow};
use envmon_core::{Parameter, Station, StationCode, StationKind};
use serde::Serialize;

use super::{ApiError, AppState};
use crate::snapshot::load_state;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stations", get(stations))
        .route("/api/v1/stations/{code}/latest", get(latest))
        .route(
            "/api/v1/stations/{code}/completeness",
            get(super::completeness::completeness),
        )
        .route("/api/v1/parameters", get(parameters))
}

#[derive(Serialize)]
struct StationList {
    stations: Vec<Station>,
}

async fn stations(State(app): State<AppState>) -> Result<Json<StationList>, ApiError> {
    let client = app.pool.get().await.map_err(DbError::from)?;
    Ok(Json(StationList {
        stations: load_stations(&**client).await?,
    }))
}

/// The latest committed state: a station's `StationState`, where a
/// registered station without data yet has `updated_at: null` and empty
/// `readings` rather than a 404.
#[derive(Serialize)]
struct Latest {
    station: StationCode,
    kind: StationKind,
    updated_at: Option<DateTime<Utc>>,
    readings: BTreeMap<Parameter, LatestValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aqi: Option<AqiNow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    water: Option<WaterNow>,
}

async fn latest(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Latest>, ApiError> {
    let code = StationCode::parse(&code)
        .map_err(|e| ApiError::BadRequest(format!("path parameter `code`: {e}")))?;
    let client = app.pool.get().await.map_err(DbError::from)?;
    let row = client
        .query_opt(
            "SELECT kind FROM station WHERE code = $1",
            &[&code.as_str()],
        )
        .await
        .map_err(DbError::from)?;
    drop(client);
    let kind = row
        .and_then(|row| StationKind::parse(row.get(0)))
        .ok_or_else(|| ApiError::NotFound(format!("no station with code {code}")))?;
    let latest = match load_state(&app.pool, &code).await? {
        Some(state) => Latest {
            station: state.station,
            kind: state.kind,
            updated_at: Some(state.updated_at),
            readings: state.readings,
            aqi: state.aqi,
            water: state.water,
        },
        None => Latest {
            station: code,
            kind,
            updated_at: None,
            readings: BTreeMap::new(),
            aqi: None,
            water: None,
        },
    };
    Ok(Json(latest))
}

#[derive(Serialize)]
struct ParameterView {
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    unit: &'static str,
    kinds: Vec<&'static str>,
}

#[derive(Serialize)]
struct ParameterList {
    parameters: Vec<ParameterView>,
}

async fn parameters() -> Json<ParameterList> {
    let parameters = Parameter::ALL
        .into_iter()
        .map(|p| {
            let info = p.info();
            let kinds = StationKind::ALL
                .into_iter()
                .filter(|k| p.applies_to(*k))
                .map(|k| k.as_str())
                .collect();
            ParameterView {
                code: info.code,
                name_zh: info.name_zh,
                name_en: info.name_en,
                unit: info.unit,
                kinds,
            }
        })
        .collect();
    Json(ParameterList { parameters })
}
