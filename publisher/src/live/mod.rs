//! Live fan-out: every station's current state and the active alert
//! notices, fed from the live topics, numbered into one stream and pushed to
//! WebSocket and SSE clients.
//!
//! Flow: `feed` (MQTT) -> `hub` (state, numbering, replay ring, one
//! serialisation per event) -> per client a `session` (`filter`, coalescing
//! `queue`) -> `ws` or `sse`. `admission` caps connections; `request` reads
//! what a connection asks for; `notice` verifies alert notices and `forecast` forecasts; `frame` makes
//! the WebSocket frames the server writes; `first_snapshot` serves the
//! snapshot over compressed HTTP for clients on slow lines.

mod admission;
mod event;
mod feed;
mod filter;
mod first_snapshot;
mod forecast;
mod frame;
mod hub;
mod notice;
mod queue;
mod request;
mod session;
mod sse;
mod upgrade;
mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use tokio_util::sync::CancellationToken;

use crate::Settings;

pub(crate) use admission::Admission;
pub(crate) use feed::{LiveFeed, NoticeTrust, reload_forecasts, reload_notices};
pub(crate) use filter::District;
pub(crate) use hub::Hub;

/// What the live handlers reach: a part of the application state, so the
/// live routes depend on nothing of the HTTP ones.
#[derive(Debug, Clone)]
pub(crate) struct LiveState {
    pub(crate) settings: Arc<Settings>,
    pub(crate) live: Arc<Hub>,
    pub(crate) admission: Arc<Admission>,
    /// Cancelled on shutdown, so live clients are closed with a reason.
    pub(crate) shutdown: CancellationToken,
}

/// The live routes. They stay outside the request timeout: they live long.
/// The live routes in the open-data API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(ws::live, sse::sse, first_snapshot::snapshot))]
pub(crate) struct Api;

/// The snapshot over HTTP: a short request, merged among the open-data
/// routes so it is compressed and rate-limited like them.
pub(crate) fn snapshot_router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    LiveState: FromRef<S>,
{
    Router::new().route("/api/v1/live/snapshot", get(first_snapshot::snapshot))
}

pub(crate) fn router() -> Router<LiveState> {
    Router::new()
        .route("/api/v1/live", get(ws::live))
        .route("/api/v1/live/sse", get(sse::sse))
}
