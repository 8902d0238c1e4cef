//! `/healthz` (the process serves) and `/readyz` (broker and database reachable).

use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
}

async fn ready(State(app): State<AppState>) -> (StatusCode, &'static str) {
    if !app.broker_connected.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "broker unreachable");
    }
    let database_ok = match app.pool.get().await {
        Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    if database_ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}
