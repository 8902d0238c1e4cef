//! `/api/v1/areas` and `/api/v1/areas/{id}/aqi`: the city and its districts, their evaluation
//! stations, and their AQI over time (hourly or daily), as ingest stores it.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use utoipa::OpenApi;

use super::api_schemas::{AqiPeriod, ErrorResponse, JsonOrCsv, NOT_MODIFIED, RateLimited};
use super::format::{Csv, Format, beijing_day, field, iso_beijing, parse_time};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// Most rows one request returns.
const MAX_LIMIT: i64 = 1000;

/// The areas' routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(areas, area_aqi))]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/areas", get(areas))
        .route("/api/v1/areas/{id}/aqi", get(area_aqi))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    format: Option<String>,
}

#[derive(Debug, Serialize)]
struct AreaItem {
    id: String,
    kind: String,
    name_zh: String,
    name_en: String,
    parent: Option<String>,
    /// GB 3095-2026 area class (1 or 2).
    area_class: i16,
    min_reporting_share: f64,
    stations: Vec<String>,
}

const AREAS: &str = "SELECT a.id, a.kind, a.name_zh, a.name_en, a.parent, a.area_class,
        a.min_reporting_share,
        coalesce(array_agg(s.station_code ORDER BY s.station_code)
            FILTER (WHERE s.station_code IS NOT NULL), '{}')
    FROM area a LEFT JOIN area_station s ON s.area_id = a.id
    GROUP BY a.id ORDER BY a.kind = 'district', a.id";

#[utoipa::path(
    get,
    path = "/api/v1/areas",
    operation_id = "listAreas",
    summary = "The city and its districts with their evaluation stations.",
    tags = ["areas"],
    params(("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer.", example = "csv")),
    responses(
        (status = 200, description = "`{\"items\": [...]}`: id, kind (city or district), names, parent, area_class, min_reporting_share, stations.",
            content((Object = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn areas(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let client = app.pool.get().await?;
    let items: Vec<AreaItem> = client
        .query(AREAS, &[])
        .await?
        .iter()
        .map(|row| AreaItem {
            id: row.get(0),
            kind: row.get(1),
            name_zh: row.get(2),
            name_en: row.get(3),
            parent: row.get(4),
            area_class: row.get(5),
            min_reporting_share: row.get(6),
            stations: row.get(7),
        })
        .collect();
    if format == Format::Csv {
        let mut csv = Csv::new(&["id", "kind", "name_zh", "name_en", "parent", "stations"]);
        for a in &items {
            csv.row([
                a.id.clone(),
                a.kind.clone(),
                a.name_zh.clone(),
                a.name_en.clone(),
                a.parent.clone().unwrap_or_default(),
                a.stations.join(" "),
            ]);
        }
        return Ok(csv.into_response("areas"));
    }
    Ok(Json(serde_json::json!({ "items": items })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AqiQuery {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<i64>,
    format: Option<String>,
}

#[derive(Debug, Serialize)]
struct AreaAqiItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    hour_end: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    day: Option<NaiveDate>,
    edition: String,
    aqi: Option<i16>,
    computed_aqi: Option<i16>,
    level: Option<i16>,
    primary: Vec<String>,
    /// The area's evaluation stations.
    stations: i16,
    /// The AQI report, with `area_means`: each pollutant's mean and how many stations counted.
    report: Value,
}

const HOURLY: &str = "SELECT hour_end, edition, aqi, computed_aqi, level, primary_pollutants,
        stations, report
    FROM area_aqi_hourly WHERE area_id = $1 AND hour_end > $2 AND hour_end <= $3
    ORDER BY hour_end LIMIT $4";
const DAILY: &str = "SELECT day, edition, aqi, computed_aqi, level, primary_pollutants,
        stations, report
    FROM area_aqi_daily WHERE area_id = $1 AND day >= $2 AND day <= $3
    ORDER BY day LIMIT $4";

#[utoipa::path(
    get,
    path = "/api/v1/areas/{id}/aqi",
    operation_id = "listAreaAqi",
    summary = "An area's real-time or daily AQI from the mean of its evaluation stations (HJ 663), with each pollutant's mean and how many stations counted.",
    tags = ["areas"],
    params(
        ("id" = String, Path, description = "Area id: shanghai (the city) or a district such as pudong.", example = "pudong"),
        ("period" = Option<AqiPeriod>, Query, description = "hourly or daily.", example = "daily"),
        ("from" = Option<String>, Query, description = "Start, RFC 3339 with offset; default 24 hours (hourly) or 30 days (daily) before `to`.", format = DateTime, example = "2026-11-25T16:00:00+08:00"),
        ("to" = Option<String>, Query, description = "End, RFC 3339 with offset; default now.", format = DateTime, example = "2026-11-26T16:00:00+08:00"),
        ("limit" = Option<i64>, Query, description = "Most items, 1 to 1000.", minimum = 1, maximum = 1000, example = 24),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer.", example = "csv"),
    ),
    responses(
        (status = 200, description = "`{\"area\", \"period\", \"items\": [...]}`: hour_end or day, edition, aqi, computed_aqi, level, primary, stations, report (with area_means).",
            content((Object = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn area_aqi(
    State(app): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<AqiQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let daily = match query.period.as_deref() {
        None | Some("hourly") => false,
        Some("daily") => true,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "query parameter `period` must be hourly or daily".into(),
            ));
        }
    };
    let span = if daily {
        Duration::days(30)
    } else {
        Duration::hours(24)
    };
    let to = parse_time("to", query.to.as_deref())?.unwrap_or_else(Utc::now);
    let from = parse_time("from", query.from.as_deref())?.unwrap_or(to - span);
    if from > to {
        return Err(ApiError::BadRequest(
            "query parameter `from` is after `to`".into(),
        ));
    }
    let limit = query.limit.unwrap_or(MAX_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "query parameter `limit` must be 1 to {MAX_LIMIT}"
        )));
    }
    let client = app.pool.get().await?;
    let known = client
        .query_opt("SELECT 1 FROM area WHERE id = $1", &[&id])
        .await?;
    if known.is_none() {
        return Err(ApiError::NotFound(format!("no area {id:?}")));
    }
    let rows = if daily {
        let (from, to) = (beijing_day(from), beijing_day(to));
        client.query(DAILY, &[&id, &from, &to, &limit]).await?
    } else {
        client.query(HOURLY, &[&id, &from, &to, &limit]).await?
    };
    let items: Vec<AreaAqiItem> = rows
        .iter()
        .map(|row| {
            let (hour_end, day) = if daily {
                (None, Some(row.get(0)))
            } else {
                (Some(row.get(0)), None)
            };
            AreaAqiItem {
                hour_end,
                day,
                edition: row.get(1),
                aqi: row.get(2),
                computed_aqi: row.get(3),
                level: row.get(4),
                primary: row.get(5),
                stations: row.get(6),
                report: row.get(7),
            }
        })
        .collect();
    if format == Format::Csv {
        let mut csv = Csv::new(&[
            "area",
            "period_end",
            "edition",
            "aqi",
            "computed_aqi",
            "level",
            "primary",
            "stations",
        ]);
        for item in &items {
            let end = match (item.hour_end, item.day) {
                (Some(hour_end), _) => iso_beijing(hour_end),
                (None, Some(day)) => day.to_string(),
                (None, None) => String::new(),
            };
            csv.row([
                id.clone(),
                end,
                item.edition.clone(),
                field(item.aqi),
                field(item.computed_aqi),
                field(item.level),
                item.primary.join(" "),
                item.stations.to_string(),
            ]);
        }
        return Ok(csv.into_response("area-aqi"));
    }
    let period = if daily { "daily" } else { "hourly" };
    Ok(Json(serde_json::json!({ "area": id, "period": period, "items": items })).into_response())
}
