//! The public HTTP routes: open data (stations, readings, indices, alerts,
//! forecasts, charts, oEmbed), the dashboard and its embeds. Each module
//! owns its routes and `router` merges them; the application module
//! adds the live and staff routes.

mod alerts;
mod answer_cache;
mod api_schemas;
mod areas;
mod basemap;
mod caching;
mod charts;
mod completeness;
mod compression;
mod dashboard;
mod drinking;
mod drinking_report;
mod embed;
mod forecasts;
mod format;
mod indices;
mod latest;
mod oembed;
mod oembed_chart;
mod openapi;
mod query;
mod radiation;
mod rankings;
mod readings;
mod station_query;
mod stations;
mod stats;
mod subscription_links;
mod subscriptions;

use std::sync::Arc;

use axum::{Router, middleware};

pub(crate) use api_schemas::{ErrorResponse, RateLimited};

use crate::rate_limit;
use crate::state::AppState;

/// The public routes. Open data is cacheable, compressed and rate-limited
/// per address; charts set their own validators, tied to the data drawn.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let public = Router::new()
        .merge(stations::router())
        .merge(basemap::router())
        .merge(
            Router::new()
                .merge(areas::router())
                .merge(stats::router())
                .merge(rankings::router())
                .layer(middleware::from_fn_with_state(
                    Arc::new(answer_cache::AnswerCache::default()),
                    answer_cache::serve,
                )),
        )
        .merge(latest::router())
        .merge(readings::router())
        .merge(indices::router())
        .merge(openapi::router())
        .merge(alerts::router())
        .merge(forecasts::router())
        .merge(drinking::router())
        .merge(radiation::router())
        .merge(drinking_report::router())
        .layer(middleware::from_fn(caching::conditional))
        .merge(charts::router())
        .merge(subscriptions::router())
        .merge(subscription_links::router())
        .merge(oembed::router())
        .merge(crate::live::snapshot_router())
        .layer(compression::layer())
        .layer(middleware::from_fn(compression::weaken_etag_when_encoded))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state.rate_limiter),
            rate_limit::limit,
        ));
    Router::new()
        .merge(public)
        .merge(embed::router())
        .merge(dashboard::router())
}
