//! The public dashboard: static files embedded in the binary, so one binary
//! serves the page with no build step and no files to deploy beside it.
//! `[publisher] dashboard_dir` serves them from disk instead, for working on
//! the page without rebuilding.

use std::path::Path;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;

/// The page's files: name, content type, embedded content.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../../dashboard/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../dashboard/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../dashboard/style.css"),
    ),
];

/// Browsers revalidate after a minute: a new release shows up quickly.
const CACHE_CONTROL: &str = "public, max-age=60";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|state| asset(state, 0)))
        .route("/app.js", get(|state| asset(state, 1)))
        .route("/style.css", get(|state| asset(state, 2)))
}

async fn asset(State(app): State<AppState>, index: usize) -> Response {
    let (name, content_type, embedded) = ASSETS[index];
    let body = match &app.settings.dashboard_dir {
        None => embedded.to_owned(),
        Some(dir) => match tokio::fs::read_to_string(Path::new(dir).join(name)).await {
            Ok(body) => body,
            Err(error) => {
                tracing::warn!(file = name, error = %error, "Cannot read dashboard file.");
                return StatusCode::NOT_FOUND.into_response();
            }
        },
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, CACHE_CONTROL),
        ],
        body,
    )
        .into_response()
}
