//! `/api/v1/charts/station/{code}/{parameter}.svg|png|json` and
//! `/api/v1/charts/compare/{parameter}.svg|png|json?stations=A,B` and
//! `/api/v1/charts/area/{id}/calendar|good-days|annual.svg|png?year=`: the chart
//! images with HTTP caching tied to the data. The ETag changes when the
//! data, the window or the request changes; a matching `If-None-Match`
//! gets 304 without drawing anything.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Datelike, Utc};

use utoipa::{IntoParams, OpenApi};

use super::api_schemas::{ChartLang, ChartRange, ChartTheme, ErrorResponse, PngImage, RateLimited};
use crate::charts::{
    AreaChartRequest, ChartError, ChartRequest, Charts, Outcome, Rendered, RequestError,
    beijing_today,
};
use crate::error::ApiError;
use crate::state::AppState;

/// Browsers and CDNs may reuse a chart for a minute, then revalidate
/// (cheap: a 304 costs one small query). Hourly data changes at most that
/// often in a way readers would notice.
const CACHE_CONTROL: &str = "public, max-age=60";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/charts/station/{code}/{file}", get(station))
        .route("/api/v1/charts/compare/{file}", get(compare))
        .route("/api/v1/charts/area/{id}/{file}", get(area))
}

/// The chart options, for the API document: `ChartRequest` reads them
/// from the query map and refuses any other name.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "describes the query that ChartRequest reads from a map"
)]
struct ChartOptions {
    /// Time span.
    #[param(value_type = Option<ChartRange>, example = "7d")]
    range: Option<String>,
    /// Labels.
    #[param(value_type = Option<ChartLang>, example = "en")]
    lang: Option<String>,
    /// Colours.
    #[param(value_type = Option<ChartTheme>, example = "dark")]
    theme: Option<String>,
    /// Time zone of the axis.
    #[param(example = "Asia/Shanghai")]
    tz: Option<String>,
    /// Width in pixels, 400 to 1600.
    #[param(minimum = 400, maximum = 1600, example = 800)]
    width: Option<u32>,
    /// Height in pixels, 240 to 1200.
    #[param(minimum = 240, maximum = 1200, example = 400)]
    height: Option<u32>,
}

/// The charts' routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(station, compare, area))]
pub(super) struct Api;

type QueryMap = Result<Query<HashMap<String, String>>, QueryRejection>;

fn query_map(query: QueryMap) -> Result<HashMap<String, String>, ApiError> {
    query
        .map(|Query(map)| map)
        .map_err(|e| ApiError::BadRequest(format!("query string: {}", e.body_text())))
}

fn bad_request(error: RequestError) -> ApiError {
    ApiError::BadRequest(error.to_string())
}

#[utoipa::path(
    get,
    path = "/api/v1/charts/station/{code}/{file}",
    operation_id = "stationChart",
    summary = "A station's chart of one parameter with the official bands (see docs/charts.md).",
    tags = ["charts"],
    params(
        ("code" = String, Path, description = "Station code.", example = "1141A"),
        ("file" = String, Path, description = "`{parameter}.svg`, `.png` or `.json`; parameter `aqi` draws hourly AQI bars by level.", example = "pm25.svg"),
        ChartOptions,
    ),
    responses(
        (status = 200, description = "The chart.",
            content(
                (String = "image/svg+xml"),
                (PngImage = "image/png"),
                (Object = "application/json"),
            ),
            headers(
                ("ETag" = String, description = "Validator of the body; send it back in If-None-Match."),
                ("Cache-Control" = String, description = "How long the answer may be reused."),
            ),
        ),
        (status = 304, description = "Not modified."),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn station(
    State(app): State<AppState>,
    Path((code, file)): Path<(String, String)>,
    query: QueryMap,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let request = ChartRequest::station(&code, &file, &query_map(query)?).map_err(bad_request)?;
    serve(&app, &request, &headers).await
}

#[utoipa::path(
    get,
    path = "/api/v1/charts/compare/{file}",
    operation_id = "compareChart",
    summary = "One parameter at several stations (at most 8) on one chart.",
    tags = ["charts"],
    params(
        ("file" = String, Path, description = "`{parameter}.svg`, `.png` or `.json`; parameter `aqi` draws hourly AQI bars by level.", example = "pm25.svg"),
        ("stations" = String, Query, description = "Station codes, comma-separated.", example = "1141A,1142A"),
        ChartOptions,
    ),
    responses(
        (status = 200, description = "The chart.",
            content(
                (String = "image/svg+xml"),
                (PngImage = "image/png"),
                (Object = "application/json"),
            ),
            headers(
                ("ETag" = String, description = "Validator of the body; send it back in If-None-Match."),
                ("Cache-Control" = String, description = "How long the answer may be reused."),
            ),
        ),
        (status = 304, description = "Not modified."),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn compare(
    State(app): State<AppState>,
    Path(file): Path<String>,
    query: QueryMap,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let request = ChartRequest::compare(&file, &query_map(query)?).map_err(bad_request)?;
    serve(&app, &request, &headers).await
}

/// The year charts' options, for the API document.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "describes the query that AreaChartRequest reads from a map"
)]
struct AreaChartOptions {
    /// Calendar year (Beijing); default this year.
    #[param(minimum = 2013, maximum = 2100, example = 2026)]
    year: Option<i32>,
    /// Labels.
    #[param(value_type = Option<ChartLang>, example = "en")]
    lang: Option<String>,
    /// Colours.
    #[param(value_type = Option<ChartTheme>, example = "dark")]
    theme: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/charts/area/{id}/{file}",
    operation_id = "areaChart",
    summary = "An area's year: calendar heat map of daily AQI, monthly good-day ratio against the year before, or annual statistics against the GB 3095-2026 limits.",
    tags = ["charts"],
    params(
        ("id" = String, Path, description = "Area id from `/api/v1/areas` (`shanghai`, `pudong`, ...).", example = "shanghai"),
        ("file" = String, Path, description = "`calendar`, `good-days` or `annual`, then `.svg` or `.png`.", example = "calendar.svg"),
        AreaChartOptions,
    ),
    responses(
        (status = 200, description = "The chart.",
            content((String = "image/svg+xml"), (PngImage = "image/png")),
            headers(
                ("ETag" = String, description = "Validator of the body; send it back in If-None-Match."),
                ("Cache-Control" = String, description = "How long the answer may be reused."),
            ),
        ),
        (status = 304, description = "Not modified."),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn area(
    State(app): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    query: QueryMap,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let this_year = beijing_today(now).year();
    let request =
        AreaChartRequest::parse(&id, &file, &query_map(query)?, this_year).map_err(bad_request)?;
    // Taken before the data is read, so a change after it gives the next request a new one.
    let announced = app
        .aggregate_versions
        .area(&request.area)
        .map(|version| announced_etag(&request.key(), &version, beijing_today(now)));
    if let Some(etag) = &announced
        && matches(&headers, etag)
    {
        return Ok(not_modified(etag));
    }
    let charts: &Arc<Charts> = &app.charts;
    let resolved = charts
        .resolve_area(&app.pool, &request, now)
        .await
        .map_err(api_error)?;
    let etag = announced.unwrap_or_else(|| resolved.etag.clone());
    if matches(&headers, &etag) {
        return Ok(not_modified(&etag));
    }
    let (rendered, outcome) = charts
        .get_area(&app.pool, &request, &resolved)
        .await
        .map_err(api_error)?;
    Ok(image(&etag, &rendered, outcome))
}

/// An ETag from an announced aggregate version (see [`crate::aggregate_versions`]): the
/// request's normal form, the version and Beijing's day (a year so far ends yesterday).
pub(super) fn announced_etag(key: &str, version: &str, today: chrono::NaiveDate) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (key, version, today).hash(&mut hasher);
    format!("\"m{:016x}\"", hasher.finish())
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The policy of a chart image (an SVG is a document when opened directly).
const IMAGE_POLICY: &str = "default-src 'none'; sandbox";

async fn serve(
    app: &AppState,
    request: &ChartRequest,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let charts: &Arc<Charts> = &app.charts;
    let resolved = charts
        .resolve(&app.pool, request, Utc::now())
        .await
        .map_err(api_error)?;
    if matches(headers, &resolved.etag) {
        return Ok(not_modified(&resolved.etag));
    }
    let (rendered, outcome) = charts
        .get(&app.pool, request, &resolved)
        .await
        .map_err(api_error)?;
    Ok(image(&resolved.etag, &rendered, outcome))
}

fn not_modified(etag: &str) -> Response {
    let etag = HeaderValue::from_str(etag).expect("an ETag is hex in quotes");
    let cache_control = HeaderValue::from_static(CACHE_CONTROL);
    (
        StatusCode::NOT_MODIFIED,
        [(header::ETAG, etag), (header::CACHE_CONTROL, cache_control)],
    )
        .into_response()
}

/// A chart image with its validators and the headers that let other sites
/// use it.
fn image(etag: &str, rendered: &Rendered, outcome: Outcome) -> Response {
    let etag = HeaderValue::from_str(etag).expect("an ETag is hex in quotes");
    let cache_control = HeaderValue::from_static(CACHE_CONTROL);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(rendered.content_type),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache_control),
            // Charts are public data meant for other sites' pages.
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
            // An image opened on its own runs nothing and loads nothing; no
            // frame-ancestors, since other sites may frame a chart.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(IMAGE_POLICY),
            ),
            (
                header::HeaderName::from_static("x-envmon-render"),
                HeaderValue::from_static(outcome.as_str()),
            ),
        ],
        rendered.body.clone(),
    )
        .into_response()
}

fn api_error(error: ChartError) -> ApiError {
    match error {
        ChartError::Database(e) => ApiError::Database(e),
        ChartError::UnknownStation(code) => {
            ApiError::NotFound(format!("no station with code {code}"))
        }
        ChartError::UnknownArea(id) => ApiError::NotFound(format!("no area with id {id}")),
        ChartError::NotApplicable(_) => ApiError::BadRequest(error.to_string()),
        ChartError::Render(ref e @ crate::charts::RenderError::NoFont(_)) => {
            tracing::warn!(error = %e, "Cannot draw a PNG chart.");
            ApiError::Unavailable("PNG charts are unavailable: no CJK font is installed")
        }
        other => {
            tracing::error!(error = %other, "Chart drawing failed.");
            ApiError::Unavailable("the chart could not be drawn")
        }
    }
}
