//! What staff see of a forecast: every version with its content hash (what
//! an approval names), and whether a newer forecast of its area has
//! superseded it.

use axum::Json;
use axum::extract::{Path, State};
use envmon_core::alert::content_hash;
use serde_json::{Value, json};

use super::super::StaffState;
use super::super::forecast_store::{self as store, ForecastVersionRow};
use super::super::users::StaffUser;
use crate::error::ApiError;

fn view(id: &str, versions: &[ForecastVersionRow]) -> Value {
    let area = versions
        .first()
        .and_then(ForecastVersionRow::content)
        .map(|c| c.area);
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "version": v.version,
                "state": v.state,
                "content": v.content,
                "content_hash": content_hash(&v.content),
                "drafted_by": v.drafted_by_name,
                "drafted_at": v.drafted_at,
                "approved_by": v.approved_by_name,
                "published_at": v.published_at,
                "document": v.document,
            })
        })
        .collect();
    json!({ "id": id, "area": area, "versions": versions })
}

pub(super) async fn load_view(
    client: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> Result<Value, ApiError> {
    let versions = store::versions(client, id, false).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("no forecast {id}")));
    }
    Ok(view(id, &versions))
}

pub(super) async fn list(
    State(app): State<StaffState>,
    _user: StaffUser,
) -> Result<Json<Value>, ApiError> {
    let client = app.pool.get().await?;
    let mut forecasts = Vec::new();
    for id in store::recent_ids(&client, 100).await? {
        forecasts.push(load_view(&client, &id).await?);
    }
    let today = crate::public_forecasts::beijing_today();
    let current: Vec<String> =
        crate::public_forecasts::not_over(&app.pool, &app.staff.signer, today)
            .await
            .map(|all| {
                crate::public_forecasts::current(all, today)
                    .into_iter()
                    .map(|f| f.id)
                    .collect()
            })?;
    let areas: Vec<Value> = store::areas(&client)
        .await?
        .into_iter()
        .map(|(id, name)| json!({ "id": id, "name_zh": name.zh, "name_en": name.en }))
        .collect();
    Ok(Json(
        json!({ "forecasts": forecasts, "current": current, "areas": areas }),
    ))
}

pub(super) async fn one(
    State(app): State<StaffState>,
    _user: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let client = app.pool.get().await?;
    Ok(Json(load_view(&client, &id).await?))
}
