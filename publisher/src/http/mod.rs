//! The HTTP face of the publisher: each module owns its routes and `app`
//! merges them, kept apart from serving so tests can call it directly.

mod alerts;
mod caching;
mod charts;
pub(crate) mod client_address;
mod completeness;
mod cors;
mod dashboard;
mod embed;
mod error;
mod format;
mod health;
mod indices;
mod latest_cache;
mod oembed;
mod openapi;
pub(crate) mod public_url;
mod query;
pub(crate) mod rate_limit;
mod readings;
pub(crate) mod security_headers;
pub(crate) mod site;
mod station_query;
mod stations;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::routing::get;
use axum::{Router, middleware};
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
    pub(crate) rate_limiter: Arc<rate_limit::RateLimiter>,
    pub(crate) latest_cache: Arc<latest_cache::LatestCache>,
    pub(crate) broker_connected: Arc<AtomicBool>,
    /// Cancelled on shutdown, so live clients are closed with a reason.
    pub(crate) shutdown: CancellationToken,
    /// Chart font, render cache and attribution.
    pub(crate) charts: Arc<Charts>,
    /// Staff sign-in, notice signing and broadcasting.
    pub(crate) staff: Arc<crate::staff::Staff>,
    /// The public origin (and the console's), from the settings.
    pub(crate) site: Arc<site::Site>,
    /// Sign-in limits: per address, per name or browser, argon2 in flight.
    pub(crate) sign_in: Arc<crate::staff::SignIn>,
}

/// The whole public application.
pub(crate) fn app(state: AppState) -> Router {
    let timeout = state.settings.request_timeout;
    // Open data: cacheable, cross-origin, rate-limited per address. Charts
    // set their own validators, tied to the data drawn.
    let public = Router::new()
        .merge(stations::router())
        .merge(readings::router())
        .merge(indices::router())
        .merge(openapi::router())
        .merge(alerts::router())
        .layer(middleware::from_fn(caching::conditional))
        .merge(charts::router())
        .merge(oembed::router())
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state.rate_limiter),
            rate_limit::limit,
        ));
    let api = Router::new()
        .merge(public)
        .merge(embed::router())
        .merge(health::router())
        .merge(dashboard::router())
        .merge(crate::staff::router())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    // The live routes stay outside the request timeout: they live long.
    let live = Router::new()
        .route("/api/v1/live", get(ws::live))
        .route("/api/v1/live/sse", get(sse::sse));
    let site = Arc::clone(&state.site);
    let headers = Arc::new(security_headers::SecurityHeaders::new(&site));
    Router::new()
        .merge(live)
        .merge(api)
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

/// The request-rate limiter the settings ask for.
pub(crate) fn rate_limiter(settings: &Settings) -> Arc<rate_limit::RateLimiter> {
    Arc::new(rate_limit::RateLimiter::new(
        settings.rate_limit_per_second,
        settings.rate_limit_burst,
        settings.trusted_proxies.clone(),
    ))
}
