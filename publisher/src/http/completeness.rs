//! `/api/v1/stations/{code}/completeness`: per hour, what a station sent
//! against what makes a complete hour, so operators see gaps and flags.
//!
//! An hour is complete for a parameter when its data cover 60 minutes; the
//! hourly mean counts as valid from 45 (GB 3095-2026 Table 4). Records are
//! the distinct observation instants received, readings the values in them,
//! flagged those quality control or the instrument marked.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Duration, Utc};
use envmon_core::StationCode;
use envmon_core::validity::MIN_MINUTES_PER_HOUR;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use utoipa::{IntoParams, ToSchema};

use super::api_schemas::{ErrorResponse, NOT_MODIFIED, RateLimited};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest span one request may cover.
const MAX_SPAN_DAYS: i64 = 31;

const RECEIVED: &str = "SELECT hour_end, count(DISTINCT observed_at), count(*),
        count(*) FILTER (WHERE quality <> 'valid')
    FROM (SELECT observed_at, quality,
            date_trunc('hour', observed_at - make_interval(secs => period_seconds))
                + interval '1 hour' AS hour_end
        FROM reading
        WHERE station_code = $1 AND observed_at > $2::timestamptz - interval '1 day'
            AND observed_at <= $3::timestamptz
    ) labelled
    WHERE hour_end > $2 AND hour_end <= $3
    GROUP BY hour_end ORDER BY hour_end";

const COVERAGE: &str = "SELECT hour_end, parameter_code, minutes, valid FROM hourly_mean
    WHERE station_code = $1 AND hour_end > $2 AND hour_end <= $3";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct Range {
    /// Start of the range, RFC 3339 with offset, e.g. 2026-11-25T16:00:00+08:00.
    #[param(format = DateTime, example = "2026-11-25T16:00:00+08:00")]
    from: Option<String>,
    /// End of the range, RFC 3339 with offset; default now.
    #[param(format = DateTime, example = "2026-11-26T16:00:00+08:00")]
    to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Completeness {
    station: StationCode,
    /// Minutes of data that make a complete hour.
    expected_minutes: u16,
    /// Minutes that make a valid hourly mean.
    required_minutes: u16,
    hours: Vec<Value>,
}

#[utoipa::path(
    get,
    path = "/api/v1/stations/{code}/completeness",
    operation_id = "stationCompleteness",
    summary = "Per hour: records, readings and flagged values received, and per parameter the minutes covered and whether the hourly mean is valid.",
    tags = ["readings"],
    params(
        ("code" = String, Path, description = "Station code, e.g. 1141A or wusongkou.", pattern = "^[A-Za-z0-9-]{1,32}$", example = "1141A"),
        Range,
    ),
    responses(
        (status = 200, description = "The hours.", body = Completeness,
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 404, response = ErrorResponse),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
pub(crate) async fn completeness(
    State(app): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(range): ApiQuery<Range>,
) -> Result<Json<Completeness>, ApiError> {
    let code = StationCode::parse(&code)
        .map_err(|e| ApiError::BadRequest(format!("path parameter `code`: {e}")))?;
    let parse = |name: &str, text: &Option<String>| -> Result<Option<DateTime<Utc>>, ApiError> {
        text.as_deref()
            .map(|t| {
                DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| {
                        ApiError::BadRequest(format!(
                            "query parameter `{name}` must be an RFC 3339 time with offset"
                        ))
                    })
            })
            .transpose()
    };
    let to = parse("to", &range.to)?.unwrap_or_else(Utc::now);
    let from = parse("from", &range.from)?.unwrap_or(to - Duration::hours(24));
    if from > to || to - from > Duration::days(MAX_SPAN_DAYS) {
        return Err(ApiError::BadRequest(format!(
            "query parameters `from` and `to` must span 0 to {MAX_SPAN_DAYS} days, `from` first"
        )));
    }
    let client = app.pool.get().await?;
    if client
        .query_opt("SELECT 1 FROM station WHERE code = $1", &[&code.as_str()])
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!("no station with code {code}")));
    }
    let received = client
        .query(RECEIVED, &[&code.as_str(), &from, &to])
        .await?;
    let coverage = client
        .query(COVERAGE, &[&code.as_str(), &from, &to])
        .await?;
    let hours = received
        .iter()
        .map(|row| {
            let hour_end: DateTime<Utc> = row.get(0);
            let parameters: Map<String, Value> = coverage
                .iter()
                .filter(|c| c.get::<_, DateTime<Utc>>(0) == hour_end)
                .map(|c| {
                    let minutes: i16 = c.get(2);
                    let valid: bool = c.get(3);
                    (
                        c.get::<_, String>(1),
                        json!({ "minutes": minutes, "valid": valid }),
                    )
                })
                .collect();
            json!({
                "hour_end": hour_end,
                "records": row.get::<_, i64>(1),
                "readings": row.get::<_, i64>(2),
                "flagged": row.get::<_, i64>(3),
                "parameters": parameters,
            })
        })
        .collect();
    Ok(Json(Completeness {
        station: code,
        expected_minutes: 60,
        required_minutes: MIN_MINUTES_PER_HOUR,
        hours,
    }))
}
