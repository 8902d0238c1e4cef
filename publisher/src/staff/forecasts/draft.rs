//! Drafting, by operators and admins: a new forecast, an edit of its open
//! draft, or a draft of a new version of an issued forecast. Content is
//! checked (against today's Beijing day and the registry's areas) before
//! anything is stored.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{Datelike, Utc};
use envmon_core::forecast::ForecastContent;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::StaffState;
use super::super::audit;
use super::super::body::JsonBody;
use super::super::forecast_store::{self as store, ForecastVersionRow};
use super::super::users::{Role, StaffUser};
use super::existing;
use super::view::load_view;
use crate::error::ApiError;

const DRAFTERS: &[Role] = &[Role::Operator, Role::Admin];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DraftBody {
    content: ForecastContent,
}

/// Validates content for issue today; returns it as stored.
pub(super) async fn checked(
    client: &impl deadpool_postgres::GenericClient,
    content: &ForecastContent,
) -> Result<Value, ApiError> {
    let areas = store::areas(client).await?;
    let known: Vec<&str> = areas.iter().map(|(id, _)| id.as_str()).collect();
    content
        .validate(crate::public_forecasts::beijing_today(), &known)
        .map_err(|e| ApiError::BadRequest(format!("content: {e}")))?;
    serde_json::to_value(content).map_err(|e| ApiError::Internal(e.to_string()))
}

pub(super) async fn create(
    State(app): State<StaffState>,
    user: StaffUser,
    JsonBody(body): JsonBody<DraftBody>,
) -> Result<Json<Value>, ApiError> {
    user.require(DRAFTERS)?;
    let mut client = app.pool.get().await?;
    let content = checked(&client, &body.content).await?;
    let tx = client.transaction().await?;
    let id = store::create(
        &tx,
        &body.content.area,
        &content,
        user.id,
        Utc::now().year(),
    )
    .await?;
    audit::append(
        &tx,
        &user.username,
        "forecast.draft",
        &id,
        &json!({ "version": 1, "content": content }),
    )
    .await?;
    let view = load_view(&tx, &id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

pub(super) async fn edit(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DraftBody>,
) -> Result<Json<Value>, ApiError> {
    user.require(DRAFTERS)?;
    let mut client = app.pool.get().await?;
    let content = checked(&client, &body.content).await?;
    let tx = client.transaction().await?;
    let versions = existing(&tx, &id).await?;
    same_area(&versions, &body.content, &id)?;
    let draft = versions
        .iter()
        .find(|v| v.is_draft())
        .ok_or_else(|| ApiError::Conflict(format!("forecast {id} has no open draft")))?;
    store::edit_draft(&tx, &id, draft.version, &content, user.id).await?;
    audit::append(
        &tx,
        &user.username,
        "forecast.edit",
        &id,
        &json!({ "version": draft.version, "content": content }),
    )
    .await?;
    let view = load_view(&tx, &id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

pub(super) async fn update(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DraftBody>,
) -> Result<Json<Value>, ApiError> {
    user.require(DRAFTERS)?;
    let mut client = app.pool.get().await?;
    let content = checked(&client, &body.content).await?;
    let tx = client.transaction().await?;
    let versions = existing(&tx, &id).await?;
    same_area(&versions, &body.content, &id)?;
    if versions.iter().any(ForecastVersionRow::is_draft) {
        return Err(ApiError::Conflict(format!(
            "forecast {id} already has an open draft: edit it instead"
        )));
    }
    let last = versions
        .last()
        .ok_or_else(|| ApiError::NotFound(format!("no forecast {id}")))?;
    if last.state == "withdrawn" {
        return Err(ApiError::Conflict(format!("forecast {id} is withdrawn")));
    }
    let version = last.version + 1;
    store::insert_draft(&tx, &id, version, &content, user.id).await?;
    audit::append(
        &tx,
        &user.username,
        "forecast.update",
        &id,
        &json!({ "version": version, "content": content }),
    )
    .await?;
    let view = load_view(&tx, &id).await?;
    tx.commit().await?;
    Ok(Json(view))
}

/// A forecast speaks of one area for all its versions: another area is
/// another forecast.
fn same_area(
    versions: &[ForecastVersionRow],
    content: &ForecastContent,
    id: &str,
) -> Result<(), ApiError> {
    let first = versions.first().and_then(ForecastVersionRow::content);
    match first {
        Some(first) if first.area != content.area => Err(ApiError::BadRequest(format!(
            "content.area: forecast {id} is for {}; draft a new forecast for {}",
            first.area, content.area
        ))),
        _ => Ok(()),
    }
}
