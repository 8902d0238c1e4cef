//! The latest state: `/api/v1/latest` (every station, from the live state
//! held in memory) and `/api/v1/stations/{code}/latest` (one station, from
//! the database). While the database does not answer, both serve what the
//! live feed brought, marked stale: the `envmon-stale` header, and
//! `"stale": true` in JSON.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use envmon_core::wire::{AqiNow, LatestValue, RadiationNow, StationState, WaterNow};
use envmon_core::{Parameter, StationCode, StationKind};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::api_schemas::{ErrorResponse, NOT_MODIFIED, RateLimited};
use super::format::{Csv, Format, beijing, iso_beijing};
use super::query::ApiQuery;
use super::station_query::StationParams;
use super::stations::{FormatQuery, ListQuery};
use crate::error::ApiError;
use crate::snapshot::load_state;
use crate::state::AppState;

/// The latest-state routes in the API document.
#[derive(OpenApi)]
#[openapi(
    paths(latest_all, latest),
    components(schemas(Latest, LatestList, LatestItem, LatestReading))
)]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/latest", get(latest_all))
        .route("/api/v1/stations/{code}/latest", get(latest))
}

/// One station's latest state in the open-data list, times in Beijing.
#[derive(Serialize, ToSchema)]
struct LatestItem {
    station: StationCode,
    kind: StationKind,
    #[serde(serialize_with = "beijing")]
    updated_at: DateTime<Utc>,
    readings: BTreeMap<Parameter, LatestReading>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aqi: Option<AqiNow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    water: Option<WaterNow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    radiation: Option<RadiationNow>,
}

/// A parameter's latest value, observed in Beijing time.
#[derive(Serialize, ToSchema)]
struct LatestReading {
    value: f64,
    unit: String,
    #[serde(serialize_with = "beijing")]
    observed_at: DateTime<Utc>,
    quality: envmon_core::QualityFlag,
}

// Every station's latest committed state, as this server holds it (fed
// by the live topics and the database). An answer is built once per
// change of the live state and query, then served from memory: popular
// during an episode, it must cost next to nothing.
#[utoipa::path(
    get,
    path = "/api/v1/latest",
    operation_id = "listLatest",
    summary = "Every station's latest committed state, filtered by kind, district and station (times in Beijing time).",
    tags = ["latest"],
    params(StationParams, FormatQuery),
    responses(
        (status = 200, description = "`{\"items\": [...]}`; CSV has one row per station and parameter.",
            content((LatestList = "application/json"), (String = "text/csv")),
            headers(
                ("ETag" = String, description = "Validator of the body; send it back in If-None-Match."),
                ("Cache-Control" = String, description = "How long the answer may be reused."),
                ("Envmon-Stale" = String, description = "`database-unreachable` when the answer comes from memory while the database does not answer."),
            ),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn latest_all(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let filter = query.stations().parse()?;
    let seq = app.live.seq();
    let stale = !app.database.is_reachable();
    let key = format!(
        "{:?}|{:?}|{:?}|{}|{stale}",
        query.kind,
        query.district,
        query.station,
        format == Format::Csv
    );
    let body = match app.latest_cache.get(&key, seq) {
        Some(body) => body,
        None => {
            let states = app
                .live
                .states(|code, kind, district| filter.matches(code, kind, district));
            let body = if format == Format::Csv {
                latest_csv(&states)
            } else {
                latest_json(states, stale)
            };
            app.latest_cache.put(key, seq, body.clone());
            body
        }
    };
    let content_type = if format == Format::Csv {
        "text/csv; charset=utf-8; header=present"
    } else {
        "application/json"
    };
    let mut response = ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response();
    if stale {
        mark_stale(&mut response);
    }
    Ok(response)
}

/// The header saying an answer comes from memory while the database is
/// unreachable (CSV has no field to say it in; JSON also says `stale`).
const STALE_HEADER: &str = "envmon-stale";

fn mark_stale(response: &mut Response) {
    response.headers_mut().insert(
        STALE_HEADER,
        axum::http::HeaderValue::from_static("database-unreachable"),
    );
}

fn latest_csv(states: &[StationState]) -> Bytes {
    let mut csv = Csv::new(&[
        "station",
        "kind",
        "parameter",
        "value",
        "unit",
        "observed_at",
        "quality",
    ]);
    for state in states {
        for (parameter, reading) in &state.readings {
            csv.row([
                state.station.to_string(),
                state.kind.to_string(),
                parameter.to_string(),
                reading.value.to_string(),
                reading.unit.clone(),
                iso_beijing(reading.observed_at),
                reading.quality.to_string(),
            ]);
        }
    }
    Bytes::from(csv.into_bytes())
}

#[derive(Serialize, ToSchema)]
struct LatestList {
    items: Vec<LatestItem>,
    /// Present, and true, only while the database does not answer: the state is what the live feed last brought, held in memory.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stale: bool,
}

fn latest_json(states: Vec<StationState>, stale: bool) -> Bytes {
    let items = states
        .into_iter()
        .map(|s| LatestItem {
            station: s.station,
            kind: s.kind,
            updated_at: s.updated_at,
            readings: s
                .readings
                .into_iter()
                .map(|(p, r)| {
                    (
                        p,
                        LatestReading {
                            value: r.value,
                            unit: r.unit,
                            observed_at: r.observed_at,
                            quality: r.quality,
                        },
                    )
                })
                .collect(),
            aqi: s.aqi,
            water: s.water,
            radiation: s.radiation,
        })
        .collect();
    Bytes::from(serde_json::to_vec(&LatestList { items, stale }).unwrap_or_default())
}

/// The latest committed state: a station's `StationState`, where a
/// registered station without data yet has `updated_at: null` and empty
/// `readings` rather than a 404.
#[derive(Serialize, ToSchema)]
#[schema(as = StationState)]
struct Latest {
    station: StationCode,
    kind: StationKind,
    updated_at: Option<DateTime<Utc>>,
    readings: BTreeMap<Parameter, LatestValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aqi: Option<AqiNow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    water: Option<WaterNow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    radiation: Option<RadiationNow>,
    /// Present, and true, only while the database does not answer: the state is what the live feed last brought, held in memory.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stale: bool,
}

impl Latest {
    fn of(state: StationState) -> Self {
        Self {
            station: state.station,
            kind: state.kind,
            updated_at: Some(state.updated_at),
            readings: state.readings,
            aqi: state.aqi,
            water: state.water,
            radiation: state.radiation,
            stale: false,
        }
    }

    /// A registered station without data yet.
    fn empty(station: StationCode, kind: StationKind) -> Self {
        Self {
            station,
            kind,
            updated_at: None,
            readings: BTreeMap::new(),
            aqi: None,
            water: None,
            radiation: None,
            stale: false,
        }
    }
}

// From the database, or, while it does not answer, from the live state
// held in memory, marked stale.
#[utoipa::path(
    get,
    path = "/api/v1/stations/{code}/latest",
    operation_id = "stationLatest",
    summary = "One station's latest committed state (times in UTC).",
    tags = ["latest"],
    params(
        ("code" = String, Path, description = "Station code, e.g. 1141A or wusongkou.", pattern = "^[A-Za-z0-9-]{1,32}$", example = "1141A"),
    ),
    responses(
        (status = 200, description = "The state; `updated_at` is null before the first data.", body = Latest,
            headers(
                ("ETag" = String, description = "Validator of the body; send it back in If-None-Match."),
                ("Cache-Control" = String, description = "How long the answer may be reused."),
                ("Envmon-Stale" = String, description = "`database-unreachable` when the answer comes from memory while the database does not answer."),
            ),
        ),
        (status = 404, response = ErrorResponse),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn latest(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let code = StationCode::parse(&code)
        .map_err(|e| ApiError::BadRequest(format!("path parameter `code`: {e}")))?;
    match committed_latest(&app, code.clone()).await {
        Err(ApiError::Database(error)) => {
            tracing::debug!(error = %error, station = %code, "Serving the held state: the database failed.");
            app.database.record(false);
            let latest = held_latest(&app, code)?;
            let mut response = Json(latest).into_response();
            mark_stale(&mut response);
            Ok(response)
        }
        other => Ok(Json(other?).into_response()),
    }
}

/// The station's state as the live feed last brought it.
fn held_latest(app: &AppState, code: StationCode) -> Result<Latest, ApiError> {
    let kind = app
        .live
        .kind_of(&code)
        .ok_or_else(|| ApiError::NotFound(format!("no station with code {code}")))?;
    let held = app.live.states(|c, _, _| *c == code).into_iter().next();
    let mut latest = held.map_or_else(|| Latest::empty(code, kind), Latest::of);
    latest.stale = true;
    Ok(latest)
}

/// The station's committed state, read from the database.
async fn committed_latest(app: &AppState, code: StationCode) -> Result<Latest, ApiError> {
    let client = app.pool.get().await?;
    let row = client
        .query_opt(
            "SELECT kind FROM station WHERE code = $1",
            &[&code.as_str()],
        )
        .await?;
    drop(client);
    let kind = row
        .and_then(|row| StationKind::parse(row.get(0)))
        .ok_or_else(|| ApiError::NotFound(format!("no station with code {code}")))?;
    Ok(match load_state(&app.pool, &code).await? {
        Some(state) => Latest::of(state),
        None => Latest::empty(code, kind),
    })
}
