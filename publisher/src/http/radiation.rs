//! `/api/v1/radiation`: radiation stations' hours (the gamma dose rate's
//! mean, its validity, the rain, the verdict against the station's natural
//! background, and whether it reached the investigation level) and days.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::OpenApi;

use super::api_schemas::{ErrorResponse, JsonOrCsv, RateLimited};
use super::format::{Csv, Format, field, iso_beijing, parse_time};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// The radiation routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(radiation))]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/radiation", get(radiation))
}

const HOURS: &str = "SELECT h.station_code, h.hour_end, h.mean, h.valid, h.rain_mm, h.state,
        h.excess, h.investigate, h.report
    FROM radiation_hourly h JOIN station s ON s.code = h.station_code
    WHERE s.kind = 'radiation' AND ($1::text IS NULL OR h.station_code = $1)
        AND h.hour_end > $2 AND h.hour_end <= $3
    ORDER BY h.station_code, h.hour_end";

const DAYS: &str = "SELECT d.station_code, d.day, d.mean, d.valid_hours, d.valid
    FROM radiation_daily d JOIN station s ON s.code = d.station_code
    WHERE s.kind = 'radiation' AND ($1::text IS NULL OR d.station_code = $1)
        AND d.day >= $2 AND d.day <= $3
    ORDER BY d.station_code, d.day";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RadiationQuery {
    station: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/radiation",
    operation_id = "radiation",
    summary = "Radiation stations' ambient gamma dose rate (nGy/h): hourly means with validity, rain and the verdict against each station's natural background (configured or learned from its dry hours), or daily means.",
    tags = ["radiation"],
    params(
        ("station" = Option<String>, Query, description = "Only this station.", example = "rad-xuhui"),
        ("period" = Option<String>, Query, description = "`hourly` (default: the last 24 hours) or `daily` (default: the last 30 days).", example = "hourly"),
        ("from" = Option<String>, Query, description = "From (RFC 3339).", example = "2026-12-01T00:00:00+08:00"),
        ("to" = Option<String>, Query, description = "To (RFC 3339).", example = "2026-12-02T00:00:00+08:00"),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer.", example = "csv"),
    ),
    responses(
        (status = 200, description = "`{\"period\", \"items\": [...]}`: hourly items station, hour_end, mean, valid, rain_mm, state (within, above, below, no_background, invalid), excess, investigate, report (background, explanation_en, explanation_zh); daily items station, day, mean, valid_hours, valid.",
            content((Object = "application/json"), (String = "text/csv"))),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn radiation(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<RadiationQuery>,
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
    let now = Utc::now();
    let back = if daily {
        Duration::days(30)
    } else {
        Duration::hours(24)
    };
    let to = parse_time("to", query.to.as_deref())?.unwrap_or(now);
    let from = parse_time("from", query.from.as_deref())?.unwrap_or(to - back);
    if to <= from {
        return Err(ApiError::BadRequest("`to` must be after `from`".into()));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::BadRequest(
            "the range may be at most 366 days".into(),
        ));
    }
    let client = app.pool.get().await?;
    if daily {
        let day = |t: DateTime<Utc>| -> NaiveDate {
            t.with_timezone(&envmon_core::beijing::offset())
                .date_naive()
        };
        let rows = client
            .query(DAYS, &[&query.station, &day(from), &day(to)])
            .await?;
        if format == Format::Csv {
            let mut csv = Csv::new(&["station", "day", "mean_ngy_h", "valid_hours", "valid"]);
            for r in &rows {
                csv.row([
                    r.get::<_, String>(0),
                    r.get::<_, NaiveDate>(1).to_string(),
                    field(r.get::<_, Option<f64>>(2)),
                    r.get::<_, i16>(3).to_string(),
                    r.get::<_, bool>(4).to_string(),
                ]);
            }
            return Ok(csv.into_response("radiation-daily"));
        }
        let items: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "station": r.get::<_, String>(0),
                    "day": r.get::<_, NaiveDate>(1),
                    "mean": r.get::<_, Option<f64>>(2),
                    "valid_hours": r.get::<_, i16>(3),
                    "valid": r.get::<_, bool>(4),
                })
            })
            .collect();
        return Ok(Json(json!({ "period": "daily", "items": items })).into_response());
    }
    let rows = client.query(HOURS, &[&query.station, &from, &to]).await?;
    if format == Format::Csv {
        let mut csv = Csv::new(&[
            "station",
            "hour_end",
            "mean_ngy_h",
            "valid",
            "rain_mm",
            "state",
            "excess_ngy_h",
            "investigate",
            "background_low",
            "background_high",
        ]);
        for r in &rows {
            let report: Value = r.get(8);
            let bound = |k: &str| {
                report
                    .pointer(&format!("/background/{k}"))
                    .and_then(Value::as_f64)
            };
            csv.row([
                r.get::<_, String>(0),
                iso_beijing(r.get(1)),
                field(r.get::<_, Option<f64>>(2)),
                r.get::<_, bool>(3).to_string(),
                r.get::<_, f64>(4).to_string(),
                r.get::<_, String>(5),
                field(r.get::<_, Option<f64>>(6)),
                r.get::<_, bool>(7).to_string(),
                field(bound("low")),
                field(bound("high")),
            ]);
        }
        return Ok(csv.into_response("radiation-hourly"));
    }
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "station": r.get::<_, String>(0),
                "hour_end": iso_beijing(r.get(1)),
                "mean": r.get::<_, Option<f64>>(2),
                "valid": r.get::<_, bool>(3),
                "rain_mm": r.get::<_, f64>(4),
                "state": r.get::<_, String>(5),
                "excess": r.get::<_, Option<f64>>(6),
                "investigate": r.get::<_, bool>(7),
                "report": r.get::<_, Value>(8),
            })
        })
        .collect();
    Ok(Json(json!({ "period": "hourly", "items": items })).into_response())
}
