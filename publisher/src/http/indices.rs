//! `/api/v1/aqi` and `/api/v1/water`: the official indices with their
//! explanations, per station over time, or the latest of every station.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use envmon_core::StationCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use utoipa::{IntoParams, OpenApi};

use super::api_schemas::{AqiPeriod, ErrorResponse, JsonOrCsv, NOT_MODIFIED, RateLimited};
use super::format::{Csv, Format, beijing_day, field, iso_beijing, parse_time};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// Most rows one request returns.
const MAX_LIMIT: i64 = 1000;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/aqi", get(aqi))
        .route("/api/v1/water", get(water))
}

/// The query of both indices; `station` and `period` differ between them,
/// so each handler's annotation describes those two itself.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct IndexQuery {
    #[param(ignore)]
    station: Option<String>,
    #[param(ignore)]
    period: Option<String>,
    /// Start of the range, RFC 3339 with offset, e.g. 2026-11-25T16:00:00+08:00.
    #[param(format = DateTime, example = "2026-11-25T16:00:00+08:00")]
    from: Option<String>,
    /// End of the range, RFC 3339 with offset; default now.
    #[param(format = DateTime, example = "2026-11-26T16:00:00+08:00")]
    to: Option<String>,
    /// Most items, 1 to 1000.
    #[param(minimum = 1, maximum = 1000, example = 24)]
    limit: Option<i64>,
    /// Representation of the list.
    #[param(value_type = Option<JsonOrCsv>, example = "csv")]
    format: Option<String>,
}

/// The indices' routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(aqi, water))]
pub(super) struct Api;

/// A validated query: one station over a range, or the latest of all.
struct Range {
    station: Option<StationCode>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
}

impl IndexQuery {
    fn range(&self, default_span: Duration) -> Result<Range, ApiError> {
        let station = self
            .station
            .as_deref()
            .map(StationCode::parse)
            .transpose()
            .map_err(|e| ApiError::BadRequest(format!("query parameter `station`: {e}")))?;
        let to = parse_time("to", self.to.as_deref())?.unwrap_or_else(Utc::now);
        let from = parse_time("from", self.from.as_deref())?.unwrap_or(to - default_span);
        if from > to {
            return Err(ApiError::BadRequest(
                "query parameter `from` is after `to`".into(),
            ));
        }
        let limit = self.limit.unwrap_or(MAX_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "query parameter `limit` must be 1 to {MAX_LIMIT}"
            )));
        }
        Ok(Range {
            station,
            from,
            to,
            limit,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Period {
    Hourly,
    Daily,
}

#[derive(Debug, Serialize)]
struct AqiItem {
    station: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hour_end: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    day: Option<NaiveDate>,
    edition: String,
    aqi: Option<i16>,
    computed_aqi: Option<i16>,
    level: Option<i16>,
    primary: Vec<String>,
    report: Value,
    /// Hourly items: the US EPA AQI of the same hour, the second index.
    #[serde(skip_serializing_if = "Option::is_none")]
    us_epa: Option<Value>,
}

#[derive(Debug, Serialize)]
struct AqiList {
    period: Period,
    items: Vec<AqiItem>,
}

const AQI_HOURLY_RANGE: &str = "SELECT station_code, hour_end, edition, aqi, computed_aqi, level,
        primary_pollutants, report, us_report
    FROM aqi_hourly WHERE station_code = $1 AND hour_end > $2 AND hour_end <= $3
    ORDER BY hour_end LIMIT $4";
const AQI_HOURLY_LATEST: &str = "SELECT DISTINCT ON (station_code) station_code, hour_end, edition,
        aqi, computed_aqi, level, primary_pollutants, report, us_report
    FROM aqi_hourly ORDER BY station_code, hour_end DESC";
const AQI_DAILY_RANGE: &str = "SELECT station_code, day, edition, aqi, computed_aqi, level,
        primary_pollutants, report
    FROM aqi_daily WHERE station_code = $1 AND day >= $2 AND day <= $3
    ORDER BY day LIMIT $4";
const AQI_DAILY_LATEST: &str = "SELECT DISTINCT ON (station_code) station_code, day, edition,
        aqi, computed_aqi, level, primary_pollutants, report
    FROM aqi_daily ORDER BY station_code, day DESC";

#[utoipa::path(
    get,
    path = "/api/v1/aqi",
    operation_id = "listAqi",
    summary = "The China AQI (HJ 633) with its reports: one station's hourly or daily values, or the latest of every station.",
    tags = ["indices"],
    params(
        ("station" = Option<String>, Query, description = "Station code; without it, the latest of every station.", example = "1141A"),
        ("period" = Option<AqiPeriod>, Query, description = "hourly or daily.", example = "daily"),
        IndexQuery,
    ),
    responses(
        (status = 200, description = "`{\"period\", \"items\": [...]}`.",
            content((Object = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn aqi(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<IndexQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let period = match query.period.as_deref() {
        None | Some("hourly") => Period::Hourly,
        Some("daily") => Period::Daily,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "query parameter `period` must be hourly or daily".into(),
            ));
        }
    };
    let span = if period == Period::Hourly {
        Duration::hours(24)
    } else {
        Duration::days(30)
    };
    let range = query.range(span)?;
    let client = app.pool.get().await?;
    let rows = match (period, &range.station) {
        (Period::Hourly, Some(code)) => {
            client
                .query(
                    AQI_HOURLY_RANGE,
                    &[&code.as_str(), &range.from, &range.to, &range.limit],
                )
                .await
        }
        (Period::Hourly, None) => client.query(AQI_HOURLY_LATEST, &[]).await,
        (Period::Daily, Some(code)) => {
            let (from, to) = (beijing_day(range.from), beijing_day(range.to));
            client
                .query(AQI_DAILY_RANGE, &[&code.as_str(), &from, &to, &range.limit])
                .await
        }
        (Period::Daily, None) => client.query(AQI_DAILY_LATEST, &[]).await,
    }?;
    let items: Vec<AqiItem> = rows
        .iter()
        .map(|row| {
            let (hour_end, day, us_epa) = match period {
                Period::Hourly => (Some(row.get(1)), None, row.get(8)),
                Period::Daily => (None, Some(row.get(1)), None),
            };
            AqiItem {
                station: row.get(0),
                hour_end,
                day,
                edition: row.get(2),
                aqi: row.get(3),
                computed_aqi: row.get(4),
                level: row.get(5),
                primary: row.get(6),
                report: row.get(7),
                us_epa,
            }
        })
        .collect();
    if format == Format::Csv {
        let mut csv = Csv::new(&[
            "station",
            "period_end",
            "edition",
            "aqi",
            "computed_aqi",
            "level",
            "primary",
            "us_aqi",
        ]);
        for item in &items {
            let end = match (item.hour_end, item.day) {
                (Some(hour_end), _) => iso_beijing(hour_end),
                (None, Some(day)) => day.to_string(),
                (None, None) => String::new(),
            };
            let us_aqi = item.us_epa.as_ref().and_then(|u| u["aqi"].as_i64());
            csv.row([
                item.station.clone(),
                end,
                item.edition.clone(),
                field(item.aqi),
                field(item.computed_aqi),
                field(item.level),
                item.primary.join(" "),
                field(us_aqi),
            ]);
        }
        return Ok(csv.into_response("aqi"));
    }
    Ok(Json(AqiList { period, items }).into_response())
}

#[derive(Debug, Serialize)]
struct WaterItem {
    station: String,
    observed_at: DateTime<Utc>,
    class: Option<i16>,
    meets_target: Option<bool>,
    report: Value,
}

#[derive(Debug, Serialize)]
struct WaterList {
    items: Vec<WaterItem>,
}

const WATER_RANGE: &str = "SELECT station_code, observed_at, class, meets_target, report
    FROM water_assessment WHERE station_code = $1 AND observed_at >= $2 AND observed_at <= $3
    ORDER BY observed_at LIMIT $4";
const WATER_LATEST: &str = "SELECT DISTINCT ON (station_code) station_code, observed_at, class,
        meets_target, report
    FROM water_assessment ORDER BY station_code, observed_at DESC";

#[utoipa::path(
    get,
    path = "/api/v1/water",
    operation_id = "listWater",
    summary = "GB 3838-2002 water assessments: one station's over a range, or the latest of every water site.",
    tags = ["indices"],
    params(
        ("station" = Option<String>, Query, description = "Station code; without it, the latest of every water site.", example = "wusongkou"),
        IndexQuery,
    ),
    responses(
        (status = 200, description = "`{\"items\": [...]}`.",
            content((Object = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn water(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<IndexQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    if query.period.is_some() {
        return Err(ApiError::BadRequest(
            "query parameter `period` does not apply to /api/v1/water".into(),
        ));
    }
    let range = query.range(Duration::days(7))?;
    let client = app.pool.get().await?;
    let rows = match &range.station {
        Some(code) => {
            client
                .query(
                    WATER_RANGE,
                    &[&code.as_str(), &range.from, &range.to, &range.limit],
                )
                .await
        }
        None => client.query(WATER_LATEST, &[]).await,
    }?;
    let items: Vec<WaterItem> = rows
        .iter()
        .map(|row| WaterItem {
            station: row.get(0),
            observed_at: row.get(1),
            class: row.get(2),
            meets_target: row.get(3),
            report: row.get(4),
        })
        .collect();
    if format == Format::Csv {
        let mut csv = Csv::new(&["station", "observed_at", "class", "meets_target"]);
        for item in &items {
            csv.row([
                item.station.clone(),
                iso_beijing(item.observed_at),
                field(item.class),
                field(item.meets_target),
            ]);
        }
        return Ok(csv.into_response("water"));
    }
    Ok(Json(WaterList { items }).into_response())
}
