//! The staff console page at `/staff/` (dashboard/staff.html, staff.js,
//! staff.css, and the dashboard's trust.js), embedded in the binary like the public dashboard, or read
//! from `[publisher] dashboard_dir` when set.
//!
//! The page may not be framed (clickjacking an "approve" button is the
//! attack) and loads nothing but its own files.

use std::path::Path;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::StaffState;
use crate::security_headers::CONSOLE_POLICY;

const ASSETS: [(&str, &str, &str); 7] = [
    (
        "staff.html",
        "text/html; charset=utf-8",
        include_str!("../../../dashboard/staff.html"),
    ),
    (
        "staff.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../dashboard/staff.js"),
    ),
    (
        "staff.css",
        "text/css; charset=utf-8",
        include_str!("../../../dashboard/staff.css"),
    ),
    // The dashboard's canonical JSON and link rules, for the content hash
    // an approval names and the evidence link the review shows.
    (
        "trust.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../dashboard/trust.js"),
    ),
    (
        "staff_forecast.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../dashboard/staff_forecast.js"),
    ),
    (
        "staff_delivery.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../dashboard/staff_delivery.js"),
    ),
    (
        "staff_lab.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../dashboard/staff_lab.js"),
    ),
];

pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .route("/staff", get(|| async { Redirect::permanent("/staff/") }))
        .route("/staff/", get(|state| asset(state, 0)))
        .route("/staff/staff.js", get(|state| asset(state, 1)))
        .route("/staff/staff.css", get(|state| asset(state, 2)))
        .route("/staff/trust.js", get(|state| asset(state, 3)))
        .route("/staff/staff_forecast.js", get(|state| asset(state, 4)))
        .route("/staff/staff_delivery.js", get(|state| asset(state, 5)))
        .route("/staff/staff_lab.js", get(|state| asset(state, 6)))
}

async fn asset(State(app): State<StaffState>, index: usize) -> Response {
    let (name, content_type, embedded) = ASSETS[index];
    let body = match &app.settings.dashboard_dir {
        None => embedded.to_owned(),
        Some(dir) => match tokio::fs::read_to_string(Path::new(dir).join(name)).await {
            Ok(body) => body,
            Err(error) => {
                tracing::warn!(file = name, error = %error, "Cannot read console file.");
                return StatusCode::NOT_FOUND.into_response();
            }
        },
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CONSOLE_POLICY),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "same-origin"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}
