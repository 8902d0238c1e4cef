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

use super::format::{Csv, Format, field};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest period one request may ask for: three years and a leap day.
const MAX_DAYS: i64 = 3 * 365 + 1;

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

async fn air(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<AirQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    if query.area.is_some() && query.station.is_some() {
        return Err(ApiError::BadRequest(
            "query parameters `area` and `station` exclude each other".into(),
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
