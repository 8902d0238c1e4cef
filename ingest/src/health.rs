//! `/healthz` (the process runs) and `/readyz` (broker and database are
//! reachable) on the internal health listener.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::mqtt::Connection;

/// What `/readyz` reports on.
#[derive(Debug, Clone)]
pub(crate) struct Readiness {
    pub(crate) broker: Arc<Connection>,
    pub(crate) database_ok: Arc<AtomicBool>,
}

pub(crate) fn router(readiness: Readiness) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(readiness)
}

async fn ready(State(readiness): State<Readiness>) -> (StatusCode, &'static str) {
    match (
        readiness.broker.is_subscribed(),
        readiness.database_ok.load(Ordering::Acquire),
    ) {
        (true, true) => (StatusCode::OK, "ready"),
        (false, _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not subscribed to the broker",
        ),
        (true, false) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}
