//! The live stream's snapshot over plain HTTP, at `/api/v1/live/snapshot`.
//!
//! A WebSocket here carries no compression (no permessage-deflate), and a
//! city's snapshot is some 140 KB of JSON: seconds on a slow mobile line.
//! Over HTTP the same message is gzip- or Brotli-compressed like the rest
//! of the open data (about twenty-fold), and its `epoch` and `seq` let the
//! client open the live connection with `?resume=EPOCH:SEQ`, so the socket
//! brings only what changed since instead of the snapshot again.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::LiveState;
use super::request::LiveQuery;
use crate::error::ApiError;

/// The snapshot a live connection with the same query would start with.
#[utoipa::path(
    get,
    path = "/api/v1/live/snapshot",
    operation_id = "liveSnapshot",
    summary = "The live stream's snapshot over HTTP (compressed): open the live connection after it with ?resume=EPOCH:SEQ from its epoch and seq.",
    tags = ["live"],
    params(
        ("kind" = Option<String>, Query, description = "Comma-separated station kinds: air, river, source.", example = "air,river"),
        ("district" = Option<String>, Query, description = "Comma-separated districts, by Chinese name (普陀区) or English name in any case (putuo).", example = "putuo"),
        ("station" = Option<String>, Query, description = "Comma-separated station codes.", example = "1141A"),
    ),
    responses(
        (status = 200, description = "The snapshot message, as the live stream sends it.", body = String, content_type = "application/json"),
        (status = 400, response = crate::http::ErrorResponse),
        (status = 429, response = crate::http::RateLimited),
    ),
)]
pub(crate) async fn snapshot(
    State(app): State<LiveState>,
    query: Result<Query<LiveQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let opening = match query
        .map_err(|e| ApiError::BadRequest(e.body_text()))
        .and_then(|Query(q)| q.opening(None))
    {
        Ok(opening) => opening,
        Err(error) => return error.into_response(),
    };
    if opening.resume.is_some() {
        return ApiError::BadRequest(
            "query parameter `resume` belongs to the live connection; this answer is always a whole snapshot"
                .into(),
        )
        .into_response();
    }
    let snapshot = app.live.snapshot(&opening.filter);
    let mut response = snapshot.text.as_str().to_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    // Current only until the next event: never reused.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
