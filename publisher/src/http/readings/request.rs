//! The query of a readings request, checked: station, parameter, aggregate,
//! a bounded time range and page size, the cursor and the format.

use chrono::{DateTime, Duration, Utc};
use envmon_core::{Parameter, StationCode};
use serde::Deserialize;
use utoipa::IntoParams;

use super::super::api_schemas::{JsonOrCsv, ReadingAggregate};

use super::super::format::{Format, parse_time};
use super::bad;
use super::cursor::Cursor;
use crate::error::ApiError;

/// Items per page unless `limit` says otherwise.
const DEFAULT_LIMIT: i64 = 1000;
/// Most items per page: a page stays well under a few MB.
const MAX_LIMIT: i64 = 10_000;

/// Raw readings, hourly means or daily statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Aggregate {
    Raw,
    Hourly,
    Daily,
}

impl Aggregate {
    pub(super) fn as_str(self) -> &'static str {
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
pub(super) struct ReadingsQuery {
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

/// A checked request.
pub(super) struct Request {
    /// Whether `to` was given: without it the period ends now, and moves.
    pub(super) fixed_period: bool,
    pub(super) station: StationCode,
    pub(super) parameter: Parameter,
    pub(super) aggregate: Aggregate,
    pub(super) from: DateTime<Utc>,
    pub(super) to: DateTime<Utc>,
    pub(super) limit: i64,
    pub(super) cursor: Option<Cursor>,
    pub(super) format: Format,
}

impl Request {
    /// The request's normal form, for a validator: the same for however the query was written.
    pub(super) fn key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{:?}|{:?}",
            self.station,
            self.parameter,
            self.aggregate.as_str(),
            self.from.timestamp_micros(),
            self.to.timestamp_micros(),
            self.limit,
            self.cursor,
            self.format
        )
    }
}

impl ReadingsQuery {
    pub(super) fn check(&self, code: &str) -> Result<Request, ApiError> {
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
            fixed_period: self.to.is_some(),
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
    pub(super) fn next_url(&self, last: &Cursor) -> String {
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
