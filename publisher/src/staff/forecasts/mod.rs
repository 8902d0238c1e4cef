//! The forecast workflow for staff, the notice workflow's twin for a
//! different document:
//!
//! - `POST /api/v1/staff/forecasts` (operator, admin) `{"content"}`: a new
//!   forecast for an area, as a draft awaiting approval.
//! - `PUT /api/v1/staff/forecasts/{id}/draft` (operator, admin): edit the open draft.
//! - `POST /api/v1/staff/forecasts/{id}/update` (operator, admin): draft a new
//!   version of an issued forecast (it supersedes the issued one once approved).
//! - `POST /api/v1/staff/forecasts/{id}/approve` (approver, admin, never the
//!   draft's author) `{"version", "content_hash"}`: issue the draft, signed
//!   and announced. When the draft has changed since it was reviewed, 409.
//! - `POST /api/v1/staff/forecasts/{id}/withdraw` (approver, admin): withdraw
//!   at once; like a notice's cancellation it needs no second person.
//! - `GET /api/v1/staff/forecasts[/{id}]` (every role): drafts and versions.
//!
//! A newer forecast of the same area supersedes an older one without any
//! step: the public is shown, per area, the current forecast issued last.
//!
//! # Layout
//!
//! - `view`: a forecast's versions as staff see them, and the listing routes;
//! - `draft`: creating and editing drafts, by operators;
//! - `issue`: approving and withdrawing, by approvers: signed and announced;
//! - `demo`: the forecasts `envmon demo` shows.

pub(crate) mod demo;
mod draft;
mod issue;
mod view;

use axum::Router;
use axum::routing::{get, post, put};
use deadpool_postgres::Pool;
use envmon_core::alert::NoticeSigner;

use super::StaffState;
use super::broadcast::Broadcaster;
use super::forecast_store::{self as store, ForecastVersionRow};
use crate::error::ApiError;

pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .route(
            "/api/v1/staff/forecasts",
            get(view::list).post(draft::create),
        )
        .route("/api/v1/staff/forecasts/{id}", get(view::one))
        .route("/api/v1/staff/forecasts/{id}/draft", put(draft::edit))
        .route("/api/v1/staff/forecasts/{id}/update", post(draft::update))
        .route("/api/v1/staff/forecasts/{id}/approve", post(issue::approve))
        .route(
            "/api/v1/staff/forecasts/{id}/withdraw",
            post(issue::withdraw),
        )
}

async fn existing(
    client: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> Result<Vec<ForecastVersionRow>, ApiError> {
    let versions = store::versions(client, id, true).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("no forecast {id}")));
    }
    Ok(versions)
}

/// Announces the latest issued version of every forecast not yet over,
/// after the broadcaster (re)connects: the database is the truth.
pub(crate) async fn reannounce(broadcaster: &Broadcaster, pool: &Pool, signer: &NoticeSigner) {
    let today = crate::public_forecasts::beijing_today();
    match crate::public_forecasts::not_over(pool, signer, today).await {
        Ok(forecasts) => {
            for forecast in &forecasts {
                broadcaster.announce_forecast(forecast).await;
            }
        }
        Err(error) => tracing::warn!(error = %error, "Cannot load forecasts to announce."),
    }
}
