//! Published air-quality forecasts and how good they were:
//! `/api/v1/forecasts` (the current forecast of each area; JSON or CSV, one
//! row per day), `/api/v1/forecasts/{id}` (JSON, its latest issued version,
//! or a version id such as `FC-2026-00007.v2`), `/api/v1/forecasts.atom`
//! (every issued version, newest first; no CAP: a forecast is not a warning)
//! and `/api/v1/forecasts/scores` (each past forecast day against the
//! observed daily AQI, with the hit rates; JSON or CSV).
//!
//! Every forecast served is signed like a notice, with the keys at
//! `/api/v1/alerts/public-key`.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use envmon_core::alert::atom::ATOM_CONTENT_TYPE;
use envmon_core::forecast::atom::render_forecast_atom;
use envmon_core::forecast::{DayScore, PublicForecast, ScoreSummary};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::OpenApi;

use super::api_schemas::{ErrorResponse, JsonOrCsv, RateLimited};
use super::format::{Csv, Format, iso_beijing};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::public_forecasts::{self as issued, ScoredDay, beijing_today};
use crate::state::AppState;

/// Versions listed by the Atom feed.
const FEED_LIMIT: i64 = 100;

/// The forecast routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(list, atom, scores, one))]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/forecasts", get(list))
        .route("/api/v1/forecasts.atom", get(atom))
        .route("/api/v1/forecasts/scores", get(scores))
        .route("/api/v1/forecasts/{file}", get(one))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    area: Option<String>,
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/forecasts",
    operation_id = "listForecasts",
    summary = "The current air-quality forecast of each area (the newest issued one not yet over), each signed like a notice. CSV: one row per forecast day.",
    tags = ["forecasts"],
    params(
        ("area" = Option<String>, Query, description = "Only this area's (registry id).", example = "shanghai"),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer.", example = "csv"),
    ),
    responses(
        (status = 200, description = "`{\"forecasts\": [...]}`: id, version, version_id, status, area, area_name, issued_at, days (day, part, days_ahead, aqi_low, aqi_high, levels, edition, primary, text), references, signature.",
            content((Object = "application/json"), (String = "text/csv"))),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn list(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let today = beijing_today();
    let all = issued::not_over(&app.pool, &app.staff.signer, today).await?;
    let forecasts: Vec<PublicForecast> = issued::current(all, today)
        .into_iter()
        .filter(|f| query.area.as_ref().is_none_or(|a| *a == f.area))
        .collect();
    if format == Format::Csv {
        return Ok(forecasts_csv(&forecasts).into_response("forecasts"));
    }
    Ok(Json(json!({ "forecasts": forecasts })).into_response())
}

fn forecasts_csv(forecasts: &[PublicForecast]) -> Csv {
    let mut csv = Csv::new(&[
        "forecast_id",
        "version",
        "area",
        "area_name_zh",
        "area_name_en",
        "issued_at",
        "day",
        "part",
        "days_ahead",
        "aqi_low",
        "aqi_high",
        "levels",
        "primary",
        "text_zh",
        "text_en",
    ]);
    for f in forecasts {
        for d in &f.days {
            let levels: Vec<String> = d.levels.iter().map(u8::to_string).collect();
            csv.row([
                f.id.clone(),
                f.version.to_string(),
                f.area.clone(),
                f.area_name.zh.clone(),
                f.area_name.en.clone(),
                iso_beijing(f.issued_at),
                d.day.to_string(),
                d.part.map(|p| p.as_str().to_owned()).unwrap_or_default(),
                d.days_ahead.to_string(),
                d.aqi_low.to_string(),
                d.aqi_high.to_string(),
                levels.join(";"),
                d.primary.join(";"),
                d.text.zh.clone(),
                d.text.en.clone(),
            ]);
        }
    }
    csv
}

#[utoipa::path(
    get,
    path = "/api/v1/forecasts.atom",
    operation_id = "forecastsAtom",
    summary = "Every issued version of a forecast (withdrawals included), newest first, as an Atom feed; each entry links to the signed JSON.",
    tags = ["forecasts"],
    responses(
        (status = 200, description = "OK.", body = String, content_type = "application/atom+xml"),
        (status = 429, response = RateLimited),
    ),
)]
async fn atom(State(app): State<AppState>) -> Result<Response, ApiError> {
    let client = app.pool.get().await?;
    let forecasts = issued::issued_versions(&client, &app.staff.signer, FEED_LIMIT).await?;
    let base = &app.staff.base_url;
    let title = format!(
        "{} 空气质量预报 / {} air quality forecasts",
        app.staff.sender.name_zh, app.staff.sender.name_en
    );
    let body = render_forecast_atom(
        &format!("{base}/api/v1/forecasts.atom"),
        &format!("{base}/api/v1/forecasts"),
        &title,
        &forecasts,
        Utc::now(),
    );
    Ok(([(header::CONTENT_TYPE, ATOM_CONTENT_TYPE)], body).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/forecasts/{file}",
    operation_id = "oneForecast",
    summary = "One forecast: its latest issued version, or a version by its version id (FC-2026-00007.v2).",
    tags = ["forecasts"],
    params(("file" = String, Path, description = "Forecast or version id, optionally with .json.", example = "FC-2026-00007.v1")),
    responses(
        (status = 200, description = "OK.", body = Object),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn one(State(app): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let name = file.strip_suffix(".json").unwrap_or(&file);
    let (id, version) = match name.rsplit_once(".v") {
        Some((id, v)) => {
            let v: i32 = v
                .parse()
                .map_err(|_| ApiError::BadRequest(format!("id: {name:?} has no valid version")))?;
            (id, Some(v))
        }
        None => (name, None),
    };
    let client = app.pool.get().await?;
    let forecast = issued::issued_version(&client, &app.staff.signer, id, version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no issued forecast {name}")))?;
    Ok(Json(forecast).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoresQuery {
    area: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

fn parse_day(name: &str, text: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
            ApiError::BadRequest(format!(
                "query parameter `{name}` must be a day, YYYY-MM-DD"
            ))
        })
    })
    .transpose()
}

#[utoipa::path(
    get,
    path = "/api/v1/forecasts/scores",
    operation_id = "forecastScores",
    summary = "How good past forecasts were: every whole forecast day that is over, of the latest issued version of each forecast not withdrawn, against the area's observed daily AQI. level_hit: the observed level is among the forecast levels; within_range: the AQI fell in the range; abs_error: its distance from the range (0 inside).",
    tags = ["forecasts"],
    params(
        ("area" = Option<String>, Query, description = "Only this area's (registry id).", example = "shanghai"),
        ("from" = Option<String>, Query, description = "First forecast day, YYYY-MM-DD.", format = Date, example = "2026-11-01"),
        ("to" = Option<String>, Query, description = "Last forecast day, YYYY-MM-DD.", format = Date, example = "2026-11-30"),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer (CSV: the items).", example = "csv"),
    ),
    responses(
        (status = 200, description = "`{\"summary\", \"by_days_ahead\": [...], \"items\": [...]}`: summary with scored, level_hits, within_range, level_hit_rate, within_range_rate, mean_abs_error.",
            content((Object = "application/json"), (String = "text/csv"))),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn scores(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<ScoresQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let from = parse_day("from", query.from.as_deref())?;
    let to = parse_day("to", query.to.as_deref())?;
    let client = app.pool.get().await?;
    let items = issued::scores(
        &client,
        &app.staff.signer,
        beijing_today(),
        query.area.as_deref(),
        (from, to),
    )
    .await?;
    if format == Format::Csv {
        return Ok(scores_csv(&items).into_response("forecast-scores"));
    }
    let summary = ScoreSummary::of(items.iter().map(|i| &i.score));
    let by_days_ahead: Vec<Value> = (1..=envmon_core::forecast::MAX_DAYS_AHEAD)
        .map(|ahead| {
            let of: Vec<&DayScore> = items
                .iter()
                .filter(|i| i.days_ahead == ahead)
                .map(|i| &i.score)
                .collect();
            json!({ "days_ahead": ahead, "summary": ScoreSummary::of(of) })
        })
        .collect();
    Ok(
        Json(json!({ "summary": summary, "by_days_ahead": by_days_ahead, "items": items }))
            .into_response(),
    )
}

fn scores_csv(items: &[ScoredDay]) -> Csv {
    let mut csv = Csv::new(&[
        "forecast_id",
        "version",
        "area",
        "issued_at",
        "day",
        "days_ahead",
        "aqi_low",
        "aqi_high",
        "levels",
        "observed_aqi",
        "observed_level",
        "level_hit",
        "within_range",
        "abs_error",
    ]);
    for i in items {
        let levels: Vec<String> = i.levels.iter().map(u8::to_string).collect();
        csv.row([
            i.forecast_id.clone(),
            i.version.to_string(),
            i.area.clone(),
            iso_beijing(i.issued_at),
            i.day.to_string(),
            i.days_ahead.to_string(),
            i.aqi_low.to_string(),
            i.aqi_high.to_string(),
            levels.join(";"),
            i.observed_aqi.to_string(),
            i.observed_level.to_string(),
            i.score.level_hit.to_string(),
            i.score.within_range.to_string(),
            i.score.abs_error.to_string(),
        ]);
    }
    csv
}
