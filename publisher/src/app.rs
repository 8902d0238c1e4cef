//! The whole application: the public HTTP routes, health, the live routes
//! and the staff routes, each owned by its module, merged under the layers
//! every response passes (console separation, security headers, metrics,
//! tracing); CORS covers the public side only. Kept apart from serving so
//! tests can call it directly.

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
    let timeout =
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.settings.request_timeout);
    let public = Router::new()
        .merge(http::router(&state))
        .merge(health::router().with_state(HealthState::from_ref(&state)))
        .layer(timeout)
        // The live routes stay outside the request timeout: they live long.
        .merge(live::router().with_state(LiveState::from_ref(&state)))
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(cors::layer());
    let staff = staff::router()
        .with_state(StaffState::from_ref(&state))
        .layer(timeout);
    let site = Arc::clone(&state.site);
    let headers = Arc::new(SecurityHeaders::new(&site, state.settings.basemap.as_ref()));
    Router::new()
        .merge(public)
        .merge(staff)
        .layer(middleware::from_fn_with_state(site, site::separate_console))
        .layer(middleware::from_fn_with_state(
            headers,
            security_headers::security_headers,
        ))
        .layer(middleware::from_fn(crate::metrics::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
