//! `/healthz` (the process serves) and `/readyz` (ready to serve), on the
//! public address and, when `health_listen` is set, on an internal one.
//!
//! Ready means the live feed holds the broker: without it the state held
//! goes stale unseen. A database that does not answer leaves the publisher
//! ready (it serves what it holds, marked stale) and the body says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use deadpool_postgres::Pool;

use crate::database_health::DatabaseHealth;

/// What readiness is judged on.
#[derive(Debug, Clone)]
pub(crate) struct HealthState {
    pub(crate) broker_connected: Arc<AtomicBool>,
    pub(crate) database: Arc<DatabaseHealth>,
    pub(crate) pool: Pool,
}

/// What `/readyz` answers while the database is away.
pub(crate) const READY_WITHOUT_DATABASE: &str =
    "ready; database unreachable: serving the state held in memory, marked stale";

pub(crate) fn router() -> Router<HealthState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
}

async fn ready(State(health): State<HealthState>) -> (StatusCode, &'static str) {
    if !health.broker_connected.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "broker unreachable");
    }
    if health.database.check(&health.pool).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::OK, READY_WITHOUT_DATABASE)
    }
}
