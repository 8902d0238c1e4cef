//! The whole application: the public HTTP routes, health, the live routes
//! and the staff routes, each owned by its module, merged under the layers every
//! response passes (console separation, CORS, security headers, metrics,
//! tracing). Kept apart from serving so tests can call it directly.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::{Router, middleware};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::health::HealthState;
use crate::live::LiveState;
use crate::security_headers::SecurityHeaders;
use crate::staff::StaffState;
use crate::state::AppState;
use crate::{cors, health, http, live, security_headers, site, staff};

/// The whole public application.
pub(crate) fn app(state: AppState) -> Router {
    let timeout = state.settings.request_timeout;
    let bounded = Router::new()
        .merge(http::router(&state))
        .merge(health::router().with_state(HealthState::from_ref(&state)))
        .merge(staff::router().with_state(StaffState::from_ref(&state)))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    // The live routes stay outside the request timeout: they live long.
    let live = live::router().with_state(LiveState::from_ref(&state));
    let site = Arc::clone(&state.site);
    let headers = Arc::new(SecurityHeaders::new(&site));
    Router::new()
        .merge(live)
        .merge(bounded)
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(middleware::from_fn_with_state(site, site::separate_console))
        .layer(middleware::from_fn(cors::cors))
        .layer(middleware::from_fn_with_state(
            headers,
            security_headers::security_headers,
        ))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
