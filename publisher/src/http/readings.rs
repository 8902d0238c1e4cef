//! `/api/v1/stations/{code}/readings`: one parameter's history at one
//! station: raw readings, hourly means or daily statistics with their
//! validity counts, paginated by a cursor, as JSON or CSV.
//!
//! Pages are keyset pages: the cursor is the last item's key, so a page
//! costs the same however deep it is, and rows written meanwhile never
//! shift the pages.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use envmon_core::{Parameter, StationCode, StationKind};
use serde::Deserialize;
use serde_json::{Value, json};

use utoipa::{IntoParams, OpenApi};

use super::api_schemas::{
    ErrorResponse, JsonOrCsv, NOT_MODIFIED, RateLimited, ReadingAggregate, ReadingPage,
};
use super::format::{Csv, Format, field, iso_beijing};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;
use envmon_core::beijing;

/// Items per page unless `limit` says otherwise.
const DEFAULT_LIMIT: i64 = 1000;
/// Most items per page: a page stays well under a few MB.
const MAX_LIMIT: i64 = 10_000;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/stations/{code}/readings", get(readings))
}

/// Raw readings, hourly means or daily statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Raw,
    Hourly,
    Daily,
}

impl Aggregate {
    fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Hourly => "hourly",
            Self::Daily => "daily",
        }
    }

    /// The span covered when `from` is not given.
    fn default_span(self) -> Duration {
        match self {
            Self::Raw => Duration::hours(24),
            Self::Hourly => Duration::days(7),
            Self::Daily => Duration::days(90),
        }
    }

    /// The longest span one request may cover.
    fn max_span(self) -> Duration {
        match self {
            Self::Raw => Duration::days(31),
            Self::Hourly => Duration::days(366),
            Self::Daily => Duration::days(3660),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReadingsQuery {
    /// Parameter code, e.g. pm25; see /api/v1/parameters.
    #[param(required = true, example = "pm25")]
    parameter: Option<String>,
    /// raw (default: last 24 h, at most 31 days), hourly (hour_end, minutes of data, valid at 45; default last 7 days, at most 366) or daily (Beijing calendar days, count of hourly values, valid; default last 90 days).
    #[param(value_type = Option<ReadingAggregate>, example = "hourly")]
    aggregate: Option<String>,
    /// Start of the range, RFC 3339 with offset, e.g. 2026-11-25T16:00:00+08:00.
    #[param(format = DateTime, example = "2026-11-25T16:00:00+08:00")]
    from: Option<String>,
    /// End of the range, RFC 3339 with offset; default now.
    #[param(format = DateTime, example = "2026-11-26T16:00:00+08:00")]
    to: Option<String>,
    /// Items per page, 1 to 10000.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000, default = 1000, example = 100)]
    limit: Option<String>,
    /// Where the previous page ended: take it from `next` or the `Link` header.
    #[param(example = "1764057600000000")]
    cursor: Option<String>,
    /// Representation of the list.
    #[param(value_type = Option<JsonOrCsv>, example = "csv")]
    format: Option<String>,
}

/// The readings' route in the API document.
#[derive(OpenApi)]
#[openapi(paths(readings), components(schemas(ReadingPage)))]
pub(super) struct Api;

/// A checked request.
struct Request {
    station: StationCode,
    parameter: Parameter,
    aggregate: Aggregate,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: i64,
    cursor: Option<Cursor>,
    format: Format,
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq)]
enum Cursor {
    /// Raw and hourly: the last item's time, in microseconds since 1970.
    Time(DateTime<Utc>),
    /// Daily: the last item's day and statistic.
    Day(NaiveDate, String),
}

impl Cursor {
    fn parse(text: &str, aggregate: Aggregate) -> Option<Self> {
        match aggregate {
            Aggregate::Raw | Aggregate::Hourly => {
                DateTime::from_timestamp_micros(text.parse().ok()?).map(Self::Time)
            }
            Aggregate::Daily => {
                let (day, statistic) = text.split_once('.')?;
                let well_formed = statistic
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
                well_formed.then_some(())?;
                Some(Self::Day(day.parse().ok()?, statistic.to_owned()))
            }
        }
    }

    fn encode(&self) -> String {
        match self {
            Self::Time(t) => t.timestamp_micros().to_string(),
            Self::Day(day, statistic) => format!("{day}.{statistic}"),
        }
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

fn parse_time(name: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                bad(format!(
                    "query parameter `{name}` must be an RFC 3339 time with offset, e.g. 2026-11-25T16:00:00+08:00"
                ))
            })
    })
    .transpose()
}

impl ReadingsQuery {
    fn check(&self, code: &str) -> Result<Request, ApiError> {
        let station =
            StationCode::parse(code).map_err(|e| bad(format!("path parameter `code`: {e}")))?;
        let parameter = match self.parameter.as_deref() {
            None => return Err(bad("query parameter `parameter` is required, e.g. pm25")),
            Some(p) => Parameter::parse(p).ok_or_else(|| {
                bad(format!(
                    "query parameter `parameter`: unknown parameter {p:?}; see /api/v1/parameters"
                ))
            })?,
        };
        let aggregate = match self.aggregate.as_deref() {
            None | Some("raw") => Aggregate::Raw,
            Some("hourly") => Aggregate::Hourly,
            Some("daily") => Aggregate::Daily,
            Some(_) => {
                return Err(bad(
                    "query parameter `aggregate` must be raw, hourly or daily",
                ));
            }
        };
        let to = parse_time("to", self.to.as_deref())?.unwrap_or_else(Utc::now);
        let from =
            parse_time("from", self.from.as_deref())?.unwrap_or(to - aggregate.default_span());
        if from > to {
            return Err(bad("query parameter `from` is after `to`"));
        }
        if to - from > aggregate.max_span() {
            return Err(bad(format!(
                "query parameters `from` and `to` may span at most {} days for aggregate={}",
                aggregate.max_span().num_days(),
                aggregate.as_str()
            )));
        }
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| bad(format!("query parameter `limit` must be 1 to {MAX_LIMIT}")))?,
        };
        let cursor = self
            .cursor
            .as_deref()
            .map(|c| {
                Cursor::parse(c, aggregate).ok_or_else(|| {
                    bad("query parameter `cursor` must be a cursor from a `next` link")
                })
            })
            .transpose()?;
        let format = Format::parse(self.format.as_deref(), false)?;
        Ok(Request {
            station,
            parameter,
            aggregate,
            from,
            to,
            limit,
            cursor,
            format,
        })
    }
}

impl Request {
    /// The URL of the page after `last`.
    fn next_url(&self, last: &Cursor) -> String {
        let mut url = format!(
            "/api/v1/stations/{}/readings?parameter={}&aggregate={}&from={}&to={}&limit={}&cursor={}",
            self.station,
            self.parameter,
            self.aggregate.as_str(),
            self.from.format("%Y-%m-%dT%H:%M:%S%.fZ"),
            self.to.format("%Y-%m-%dT%H:%M:%S%.fZ"),
            self.limit,
            last.encode()
        );
        if self.format == Format::Csv {
            url.push_str("&format=csv");
        }
        url
    }
}

const RAW: &str = "SELECT observed_at, value, quality, revision, period_seconds FROM reading
    WHERE station_code = $1 AND parameter_code = $2 AND observed_at >= $3 AND observed_at < $4
        AND observed_at > $5
    ORDER BY observed_at LIMIT $6";
const HOURLY: &str = "SELECT hour_end, value, minutes, valid FROM hourly_mean
    WHERE station_code = $1 AND parameter_code = $2 AND hour_end >= $3 AND hour_end < $4
        AND hour_end > $5
    ORDER BY hour_end LIMIT $6";
const DAILY: &str = "SELECT day, statistic, value, count, valid FROM daily_stat
    WHERE station_code = $1 AND parameter_code = $2 AND day >= $3 AND day <= $4
        AND (day, statistic) > ($5, $6)
    ORDER BY day, statistic LIMIT $7";

/// One page: items as JSON objects and CSV rows, and the last item's key.
struct Page {
    columns: &'static [&'static str],
    json: Vec<Value>,
    csv: Vec<Vec<String>>,
    last: Option<Cursor>,
    more: bool,
}

#[utoipa::path(
    get,
    path = "/api/v1/stations/{code}/readings",
    operation_id = "stationReadings",
    summary = "One parameter's history at one station: raw readings, hourly means or daily statistics with their validity counts, paginated.",
    tags = ["readings"],
    params(
        ("code" = String, Path, description = "Station code, e.g. 1141A or wusongkou.", pattern = "^[A-Za-z0-9-]{1,32}$", example = "1141A"),
        ReadingsQuery,
    ),
    responses(
        (status = 200, description = "A page of items; `next` (and `Link: <...>; rel=\"next\"`) when more follow.",
            content((ReadingPage = "application/json"), (String = "text/csv")),
            headers(
                ("ETag" = String, description = "Validator of the body; send it back in If-None-Match."),
                ("Cache-Control" = String, description = "How long the answer may be reused."),
                ("Link" = String, description = "`<url>; rel=\"next\"` when another page follows."),
            ),
        ),
        (status = 404, response = ErrorResponse),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn readings(
    State(app): State<AppState>,
    Path(code): Path<String>,
    ApiQuery(query): ApiQuery<ReadingsQuery>,
) -> Result<Response, ApiError> {
    let request = query.check(&code)?;
    let client = app.pool.get().await?;
    let kind = client
        .query_opt(
            "SELECT kind FROM station WHERE code = $1",
            &[&request.station.as_str()],
        )
        .await?
        .and_then(|row| StationKind::parse(row.get(0)))
        .ok_or_else(|| ApiError::NotFound(format!("no station with code {}", request.station)))?;
    if !request.parameter.applies_to(kind) {
        return Err(bad(format!(
            "query parameter `parameter`: {} is not measured at {kind} stations",
            request.parameter
        )));
    }
    let page = fetch(&client, &request).await?;
    let next = page
        .last
        .as_ref()
        .filter(|_| page.more)
        .map(|last| request.next_url(last));
    let mut response = match request.format {
        Format::Csv => {
            let mut csv = Csv::new(page.columns);
            for row in &page.csv {
                csv.row(row);
            }
            csv.into_response(&format!(
                "{}-{}-{}",
                request.station,
                request.parameter,
                request.aggregate.as_str()
            ))
        }
        Format::Json | Format::GeoJson => Json(json!({
            "station": request.station,
            "parameter": request.parameter,
            "unit": request.parameter.unit(),
            "aggregate": request.aggregate.as_str(),
            "from": iso_beijing(request.from),
            "to": iso_beijing(request.to),
            "items": page.json,
            "next": next,
        }))
        .into_response(),
    };
    if let Some(next) = next
        && let Ok(link) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\""))
    {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

async fn fetch(client: &deadpool_postgres::Client, request: &Request) -> Result<Page, ApiError> {
    let station = request.station.as_str();
    let parameter = request.parameter.to_string();
    // One row more than the page, to know whether another page follows.
    let fetch_limit = request.limit + 1;
    let mut page = match request.aggregate {
        Aggregate::Raw | Aggregate::Hourly => {
            // Without a cursor, "after" is just before the range.
            let after = match &request.cursor {
                Some(Cursor::Time(t)) => *t,
                _ => request.from - Duration::microseconds(1),
            };
            let sql = if request.aggregate == Aggregate::Raw {
                RAW
            } else {
                HOURLY
            };
            let rows = client
                .query(
                    sql,
                    &[
                        &station,
                        &parameter,
                        &request.from,
                        &request.to,
                        &after,
                        &fetch_limit,
                    ],
                )
                .await?;
            time_page(request.aggregate, &rows)
        }
        Aggregate::Daily => {
            let from = request.from.with_timezone(&beijing::offset()).date_naive();
            // Without a cursor, every statistic of the first day sorts after
            // the empty one.
            let (after_day, after_statistic) = match &request.cursor {
                Some(Cursor::Day(day, statistic)) => (*day, statistic.clone()),
                _ => (from, String::new()),
            };
            let to = request.to.with_timezone(&beijing::offset()).date_naive();
            let rows = client
                .query(
                    DAILY,
                    &[
                        &station,
                        &parameter,
                        &from,
                        &to,
                        &after_day,
                        &after_statistic,
                        &fetch_limit,
                    ],
                )
                .await?;
            daily_page(&rows)
        }
    };
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    page.more = page.json.len() > limit;
    if page.more {
        page.json.truncate(limit);
        page.csv.truncate(limit);
        page.last = page.last_of(limit, request.aggregate);
    }
    Ok(page)
}

impl Page {
    /// The key of item `limit - 1`, recomputed after truncating.
    fn last_of(&self, limit: usize, aggregate: Aggregate) -> Option<Cursor> {
        let item = self.json.get(limit.checked_sub(1)?)?;
        match aggregate {
            Aggregate::Raw | Aggregate::Hourly => {
                let key = if aggregate == Aggregate::Raw {
                    "observed_at"
                } else {
                    "hour_end"
                };
                let t = DateTime::parse_from_rfc3339(item[key].as_str()?).ok()?;
                Some(Cursor::Time(t.with_timezone(&Utc)))
            }
            Aggregate::Daily => Some(Cursor::Day(
                item["day"].as_str()?.parse().ok()?,
                item["statistic"].as_str()?.to_owned(),
            )),
        }
    }
}

fn time_page(aggregate: Aggregate, rows: &[tokio_postgres::Row]) -> Page {
    let mut page = Page {
        columns: if aggregate == Aggregate::Raw {
            &[
                "observed_at",
                "value",
                "quality",
                "revision",
                "period_seconds",
            ]
        } else {
            &["hour_end", "value", "minutes", "valid"]
        },
        json: Vec::with_capacity(rows.len()),
        csv: Vec::with_capacity(rows.len()),
        last: None,
        more: false,
    };
    for row in rows {
        let at: DateTime<Utc> = row.get(0);
        let time = iso_beijing(at);
        if aggregate == Aggregate::Raw {
            let value: f64 = row.get(1);
            let quality: String = row.get(2);
            let revision: i32 = row.get(3);
            let period: i32 = row.get(4);
            page.csv.push(vec![
                time.clone(),
                value.to_string(),
                quality.clone(),
                revision.to_string(),
                period.to_string(),
            ]);
            page.json.push(json!({
                "observed_at": time, "value": value, "quality": quality,
                "revision": revision, "period_seconds": period,
            }));
        } else {
            let value: Option<f64> = row.get(1);
            let minutes: i16 = row.get(2);
            let valid: bool = row.get(3);
            page.csv.push(vec![
                time.clone(),
                field(value),
                minutes.to_string(),
                valid.to_string(),
            ]);
            page.json.push(json!({
                "hour_end": time, "value": value, "minutes": minutes, "valid": valid,
            }));
        }
        page.last = Some(Cursor::Time(at));
    }
    page
}

fn daily_page(rows: &[tokio_postgres::Row]) -> Page {
    let mut page = Page {
        columns: &["day", "statistic", "value", "count", "valid"],
        json: Vec::with_capacity(rows.len()),
        csv: Vec::with_capacity(rows.len()),
        last: None,
        more: false,
    };
    for row in rows {
        let day: NaiveDate = row.get(0);
        let statistic: String = row.get(1);
        let value: Option<f64> = row.get(2);
        let count: i16 = row.get(3);
        let valid: bool = row.get(4);
        page.csv.push(vec![
            day.to_string(),
            statistic.clone(),
            field(value),
            count.to_string(),
            valid.to_string(),
        ]);
        page.json.push(json!({
            "day": day.to_string(), "statistic": statistic.clone(), "value": value,
            "count": count, "valid": valid,
        }));
        page.last = Some(Cursor::Day(day, statistic));
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let t: DateTime<Utc> = "2026-11-25T08:00:00.123456Z".parse().unwrap();
        let cursor = Cursor::Time(t);
        assert_eq!(
            Cursor::parse(&cursor.encode(), Aggregate::Raw),
            Some(cursor)
        );
        let day = Cursor::Day("2026-11-25".parse().unwrap(), "max_8h".into());
        assert_eq!(Cursor::parse(&day.encode(), Aggregate::Daily), Some(day));
        assert_eq!(Cursor::parse("yesterday", Aggregate::Hourly), None);
        assert_eq!(Cursor::parse("2026-11-25.x'--", Aggregate::Daily), None);
    }
}
