//! `/api/v1/stats/air` and `/api/v1/stats/water`: the period figures the bureau's bulletins
//! quote, computed from the stored daily aggregates and water assessments with the same core
//! functions as `envmon stats` (never by scanning raw readings).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, Months, NaiveDate, Utc};
use envmon_core::db::period::{area_days, load_area, station_days};
use envmon_core::db::water_period::load_water_sites;
use envmon_core::stats::water_period::{CalendarMonth, water_period};
use envmon_core::stats::{AreaClass, air_period, air_report};
use serde::Deserialize;

use utoipa::OpenApi;

use super::api_schemas::{ErrorResponse, JsonOrCsv, NOT_MODIFIED, RateLimited};
use super::format::{Csv, Format, field};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest period one request may ask for: three years and a leap day.
const MAX_DAYS: i64 = 3 * 365 + 1;

/// The statistics' routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(air, water))]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stats/air", get(air))
        .route("/api/v1/stats/water", get(water))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AirQuery {
    area: Option<String>,
    station: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn parse_day(name: &str, text: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
            ApiError::BadRequest(format!(
                "query parameter `{name}` must be a date, e.g. 2027-01-01"
            ))
        })
    })
    .transpose()
}

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&envmon_core::beijing::offset())
        .date_naive()
}

#[utoipa::path(
    get,
    path = "/api/v1/stats/air",
    operation_id = "airStatistics",
    summary = "A period's air statistics for an area or a station: valid days, good-day ratio, days per level and primary pollutant, each pollutant's period statistic against GB 3095-2026, the composite index, and the change against the same days a year earlier.",
    tags = ["statistics"],
    params(
        ("area" = Option<String>, Query, description = "Area id (default shanghai, the city); not with `station`.", example = "pudong"),
        ("station" = Option<String>, Query, description = "An air station instead of an area.", example = "1141A"),
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD; default 1 January of `to`'s year.", format = Date, example = "2027-01-01"),
        ("to" = Option<String>, Query, description = "Last day, inclusive; default today in Beijing. At most 1,096 days.", format = Date, example = "2027-03-31"),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer.", example = "csv"),
    ),
    responses(
        (status = 200, description = "subject, period, composite_index, year_before (as `envmon stats air --json`).",
            content((Object = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn air(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<AirQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    if query.area.is_some() && query.station.is_some() {
        return Err(ApiError::BadRequest(
            "`area` and `station` exclude each other: give one".into(),
        ));
    }
    let to = parse_day("to", query.to.as_deref())?.unwrap_or_else(today);
    let year_start = NaiveDate::from_ymd_opt(to.year(), 1, 1).unwrap_or(to);
    let from = parse_day("from", query.from.as_deref())?.unwrap_or(year_start);
    if from > to {
        return Err(ApiError::BadRequest(
            "query parameter `from` is after `to`".into(),
        ));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(ApiError::BadRequest(format!(
            "the period may be at most {MAX_DAYS} days"
        )));
    }
    let (Some(last_from), Some(last_to)) = (
        from.checked_sub_months(Months::new(12)),
        to.checked_sub_months(Months::new(12)),
    ) else {
        return Err(ApiError::BadRequest("the period is too early".into()));
    };
    let client = app.pool.get().await?;
    let (subject, class, this, last) = match &query.station {
        Some(code) => {
            let known = client
                .query_opt(
                    "SELECT 1 FROM station WHERE code = $1 AND kind = 'air'",
                    &[code],
                )
                .await?;
            if known.is_none() {
                return Err(ApiError::NotFound(format!("no air station {code:?}")));
            }
            (
                code.clone(),
                AreaClass::Two,
                station_days(&**client, code, from, to).await?,
                station_days(&**client, code, last_from, last_to).await?,
            )
        }
        None => {
            let id = query.area.as_deref().unwrap_or("shanghai");
            let Some(area) = load_area(&**client, id).await? else {
                return Err(ApiError::NotFound(format!("no area {id:?}")));
            };
            (
                area.id.clone(),
                area.class,
                area_days(&**client, &area, from, to).await?,
                area_days(&**client, &area, last_from, last_to).await?,
            )
        }
    };
    let last = air_period(last_from, last_to, class, &last);
    let report = air_report(&subject, air_period(from, to, class, &this), &last);
    if format == Format::Csv {
        let mut csv = Csv::new(&[
            "subject",
            "from",
            "to",
            "valid_days",
            "good_days",
            "good_day_ratio",
            "pollutant",
            "statistic",
            "value",
            "days",
            "valid",
            "limit",
            "attains",
            "previous",
            "change_percent",
        ]);
        let p = &report.period;
        for (stat, change) in p.pollutants.iter().zip(&report.year_before.pollutants) {
            let statistic = serde_json::to_value(stat.statistic)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            csv.row([
                report.subject.clone(),
                p.from.to_string(),
                p.to.to_string(),
                p.valid_days.to_string(),
                p.good_days.to_string(),
                field(p.good_day_ratio),
                stat.pollutant.code().to_owned(),
                statistic,
                field(stat.value),
                stat.days.to_string(),
                stat.valid.to_string(),
                field(stat.limit),
                field(stat.attains),
                field(change.previous),
                field(change.change_percent),
            ]);
        }
        return Ok(csv.into_response("stats-air"));
    }
    Ok(Json(report).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaterQuery {
    station: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn parse_month(name: &str, text: Option<&str>) -> Result<Option<CalendarMonth>, ApiError> {
    text.map(|t| {
        CalendarMonth::parse(t).map_err(|_| {
            ApiError::BadRequest(format!(
                "query parameter `{name}` must be a month, e.g. 2027-01"
            ))
        })
    })
    .transpose()
}

#[utoipa::path(
    get,
    path = "/api/v1/stats/water",
    operation_id = "waterStatistics",
    summary = "Surface water over whole months: each section's and source's monthly class and target attainment, the city's shares of classes I-III and worse than V, target attainment rate, main pollutants, and the drinking-water sources' compliance.",
    tags = ["statistics"],
    params(
        ("station" = Option<String>, Query, description = "One river section or drinking-water source; leaves out the city figures.", example = "wusongkou"),
        ("from" = Option<String>, Query, description = "First month, YYYY-MM; default January of `to`'s year.", example = "2027-01"),
        ("to" = Option<String>, Query, description = "Last month, YYYY-MM; default this month. At most 36 months.", example = "2027-03"),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer.", example = "csv"),
    ),
    responses(
        (status = 200, description = "from, to, months, stations, city_months, city, sources (as `envmon stats water --json`).",
            content((Object = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn water(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<WaterQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let this_month = CalendarMonth::of(today());
    let to = parse_month("to", query.to.as_deref())?.unwrap_or(this_month);
    let from = parse_month("from", query.from.as_deref())?
        .unwrap_or_else(|| CalendarMonth::new(to.first_day().year(), 1).unwrap_or(to));
    if from > to {
        return Err(ApiError::BadRequest(
            "query parameter `from` is after `to`".into(),
        ));
    }
    if from.through(to).len() > 36 {
        return Err(ApiError::BadRequest(
            "the period may be at most 36 months".into(),
        ));
    }
    let client = app.pool.get().await?;
    let sites = load_water_sites(&**client, query.station.as_deref(), from, to).await?;
    if let (Some(code), true) = (&query.station, sites.is_empty()) {
        return Err(ApiError::NotFound(format!(
            "no river section or drinking-water source {code:?}"
        )));
    }
    let period = water_period(from, to, &sites);
    if format == Format::Csv {
        let mut csv = Csv::new(&[
            "station",
            "kind",
            "target",
            "class",
            "meets_target",
            "months_assessed",
            "months_meeting_target",
            "determining",
        ]);
        for site in &period.stations {
            let class = site.period.class.map(|c| c.number());
            let target = site.target.number().to_string();
            let determining: Vec<String> = site
                .period
                .determining
                .iter()
                .filter_map(|i| serde_json::to_value(i).ok())
                .map(|v| v.as_str().map(str::to_owned).unwrap_or_default())
                .collect();
            csv.row([
                site.station.clone(),
                site.kind.as_str().to_owned(),
                target,
                field(class),
                field(site.period.meets_target),
                site.months_assessed.to_string(),
                site.months_meeting_target.to_string(),
                determining.join(" "),
            ]);
        }
        return Ok(csv.into_response("stats-water"));
    }
    let mut value = serde_json::to_value(&period)
        .map_err(|e| ApiError::Internal(format!("serialising water statistics: {e}")))?;
    if let (Some(_), Some(object)) = (&query.station, value.as_object_mut()) {
        // One site is not the city.
        for key in ["city_months", "city", "sources"] {
            object.remove(key);
        }
    }
    Ok(Json(value).into_response())
}
