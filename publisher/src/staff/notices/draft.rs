//! Drafting, by operators and admins: a new notice, an edit of its open
//! draft, or a draft of a new version of an issued notice. Content is
//! checked before anything is stored.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{Datelike, Utc};
use envmon_core::alert::NoticeContent;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::StaffState;
use super::super::audit;
use super::super::body::JsonBody;
use super::super::notice_store::{self as store, VersionRow};
use super::super::users::{Role, StaffUser};
use super::existing;
use super::view::load_view;
use crate::error::ApiError;

const DRAFTERS: &[Role] = &[Role::Operator, Role::Admin];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewNotice {
    content: NoticeContent,
    #[serde(default)]
    alarm_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DraftBody {
    content: NoticeContent,
}

/// Validates content, including that its stations are registered.
async fn checked(app: &StaffState, content: &NoticeContent) -> Result<Value, ApiError> {
    content
        .validate()
        .map_err(|e| ApiError::BadRequest(format!("content: {e}")))?;
    let client = app.pool.get().await?;
    let known: Vec<String> = client
        .query(
            "SELECT code FROM station WHERE code = ANY($1)",
            &[&content.area.stations],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if let Some(unknown) = content.area.stations.iter().find(|s| !known.contains(s)) {
        return Err(ApiError::BadRequest(format!(
            "content.area.stations: no station {unknown:?}"
        )));
    }
    serde_json::to_value(content).map_err(|e| ApiError::Internal(e.to_string()))
}

pub(super) async fn create(
    State(app): State<StaffState>,
    user: StaffUser,
    JsonBody(body): JsonBody<NewNotice>,
) -> Result<Json<Value>, ApiError> {
    user.require(DRAFTERS)?;
    let content = checked(&app, &body.content).await?;
    create_draft(&app, &user, &content, body.alarm_id, "notice.draft").await
}

/// Creates a notice with its first draft (also used for drafts prefilled
/// from an alarm).
pub(crate) async fn create_draft(
    app: &StaffState,
    user: &StaffUser,
    content: &Value,
    alarm_id: Option<i64>,
    action: &str,
) -> Result<Json<Value>, ApiError> {
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    if let Some(alarm) = alarm_id {
        let exists = tx
            .query_opt("SELECT 1 FROM alarm WHERE id = $1", &[&alarm])
            .await?;
        if exists.is_none() {
            return Err(ApiError::BadRequest(format!("alarm_id: no alarm {alarm}")));
        }
    }
    let id = store::create(&tx, content, user.id, alarm_id, Utc::now().year()).await?;
    audit::append(
        &tx,
        &user.username,
        action,
        &id,
        &json!({ "version": 1, "alarm_id": alarm_id, "content": content }),
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
    let content = checked(&app, &body.content).await?;
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    let versions = existing(&tx, &id).await?;
    let draft = versions
        .iter()
        .find(|v| v.is_draft())
        .ok_or_else(|| ApiError::Conflict(format!("notice {id} has no open draft")))?;
    store::edit_draft(&tx, &id, draft.version, &content, user.id).await?;
    audit::append(
        &tx,
        &user.username,
        "notice.edit",
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
    let content = checked(&app, &body.content).await?;
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    let versions = existing(&tx, &id).await?;
    if versions.iter().any(VersionRow::is_draft) {
        return Err(ApiError::Conflict(format!(
            "notice {id} already has an open draft: edit it instead"
        )));
    }
    let last = versions
        .last()
        .ok_or_else(|| ApiError::NotFound(format!("no notice {id}")))?;
    if last.state == "cancelled" {
        return Err(ApiError::Conflict(format!("notice {id} is cancelled")));
    }
    let version = last.version + 1;
    store::insert_draft(&tx, &id, version, &content, user.id).await?;
    audit::append(
        &tx,
        &user.username,
        "notice.update",
        &id,
        &json!({ "version": version, "content": content }),
    )
    .await?;
    let view = load_view(&tx, &id).await?;
    tx.commit().await?;
    Ok(Json(view))
}
