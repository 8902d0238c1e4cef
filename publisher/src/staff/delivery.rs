//! `/api/v1/staff/delivery`: how subscriptions and their messages fare,
//! as counts (no subscriber's address is shown, even to staff).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::StaffState;
use super::users::StaffUser;
use crate::error::ApiError;

pub(super) fn router() -> Router<StaffState> {
    Router::new().route("/api/v1/staff/delivery", get(health))
}

async fn health(State(app): State<StaffState>, _user: StaffUser) -> Result<Json<Value>, ApiError> {
    let client = app.pool.get().await?;
    Ok(Json(crate::delivery::health::report(&**client).await?))
}
