//! `/api/v1/stations/{code}/readings`: one parameter's history at one
//! station: raw readings, hourly means or daily statistics with their
//! validity counts, paginated by a cursor, as JSON or CSV.
//!
//! Pages are keyset pages: the cursor is the last item's key, so a page
//! costs the same however deep it is, and rows written meanwhile never
//! shift the pages.
//!
//! # Layout
//!
//! - `request`: the query checked into a `Request`, with its bounds;
//! - `cursor`: the keyset cursor that a `next` link carries;
//! - `page`: the queries, and one page of rows as JSON and CSV.

mod cursor;
mod page;
mod request;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use envmon_core::StationKind;
use serde_json::json;

use utoipa::OpenApi;

use super::api_schemas::{ErrorResponse, NOT_MODIFIED, RateLimited, ReadingPage};
use super::format::{Csv, Format, iso_beijing};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;
use page::fetch;
use request::{Aggregate, ReadingsQuery};

use super::charts::announced_etag;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/stations/{code}/readings", get(readings))
}

/// Whether `If-None-Match` names `etag`.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim().trim_start_matches("W/") == etag)
}

fn not_modified(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    // As the 200 it stands for (`super::caching`).
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

/// The readings' route in the API document.
#[derive(OpenApi)]
#[openapi(paths(readings), components(schemas(ReadingPage)))]
pub(super) struct Api;

#[utoipa::path(
    get,
    path = "/api/v1/stations/{code}/readings",
    operation_id = "stationReadings",
    summary = "One parameter's history at one station: raw readings, hourly means or daily statistics with their validity counts, paginated.",
    tags = ["readings"],
    params(
        ("code" = String, Path, description = "Station code, e.g. 1141A or wusongkou.", pattern = "^[A-Za-z0-9-]{1,32}$", example = "1141A"),
        request::ReadingsQuery,
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
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ReadingsQuery>,
) -> Result<Response, ApiError> {
    let request = query.check(&code)?;
    // Aggregates over a fixed period change only when the rollup says so (see
    // `crate::aggregate_versions`); taken before the rows are read.
    let announced = (request.aggregate != Aggregate::Raw && request.fixed_period)
        .then(|| app.aggregate_versions.station(request.station.as_str()))
        .flatten()
        .map(|version| announced_etag(&request.key(), &version, chrono::NaiveDate::default()));
    if let Some(etag) = &announced
        && if_none_match(&headers, etag)
    {
        return Ok(not_modified(etag));
    }
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
    if let Some(etag) = announced.and_then(|e| HeaderValue::from_str(&e).ok()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}
