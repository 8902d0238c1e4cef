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
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use envmon_core::StationKind;
use serde_json::json;

use super::format::{Csv, Format, iso_beijing};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;
use page::fetch;
use request::ReadingsQuery;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/stations/{code}/readings", get(readings))
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest(message.into())
}

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
