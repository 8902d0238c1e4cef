//! The HTTP face of the publisher: each module owns its routes and `app`
//! merges them, kept apart from serving so tests can call it directly.

mod charts;
mod completeness;
mod dashboard;
mod embed;
mod error;
mod health;
mod indices;
mod oembed;
mod stations;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::routing::get;
use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub(crate) use error::ApiError;

use crate::Settings;
use crate::charts::Charts;
use crate::live::{Admission, Hub, sse, ws};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) settings: Arc<Settings>,
    pub(crate) pool: Pool,
    pub(crate) live: Arc<Hub>,
    pub(crate) admission: Arc<Admission>,
    pub(crate) broker_connected: Arc<AtomicBool>,
    /// Cancelled on shutdown, so live clients are closed with a reason.
    pub(crate) shutdown: CancellationToken,
    /// Chart font, render cache and attribution.
    pub(crate) charts: Arc<Charts>,
}

/// The whole public application.
pub(crate) fn app(state: AppState) -> Router {
    let timeout = state.settings.request_timeout;
    // The live routes stay outside the request timeout: they live long.
    let api = Router::new()
        .merge(stations::router())
        .merge(indices::router())
        .merge(charts::router())
        .merge(embed::router())
        .merge(oembed::router())
        .merge(health::router())
        .merge(dashboard::router())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    Router::new()
        .route("/api/v1/live", get(ws::live))
        .route("/api/v1/live/sse", get(sse::sse))
        .merge(api)
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
