//! The notice workflow for staff:
//!
//! - `POST /api/v1/staff/notices` (operator, admin): a new notice, as a draft.
//! - `PUT /api/v1/staff/notices/{id}/draft` (operator, admin): edit the open draft.
//! - `POST /api/v1/staff/notices/{id}/update` (operator, admin): draft a new
//!   version of an issued notice.
//! - `POST /api/v1/staff/notices/{id}/approve` (approver, admin, never the
//!   draft's author) `{"version", "content_hash"}`: issue the draft as
//!   `published` or `updated`, signed, announced on MQTT. The body names
//!   the draft version and the SHA-256 of the content the approver
//!   reviewed ([`content_hash`]); when the draft has changed since, 409:
//!   nobody approves text they did not see.
//! - `POST /api/v1/staff/notices/{id}/cancel` (approver, admin): withdraw
//!   at once; a cancellation needs no second person, since it only stops
//!   a warning, and it is in the audit log like everything else.
//! - `GET /api/v1/staff/notices[/{id}]` (every role): drafts and versions.

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Datelike, Utc};
use envmon_core::alert::{NoticeContent, NoticeStatus, PublicNotice, content_hash};
use serde::Deserialize;
use serde_json::{Value, json};

use super::StaffState;
use super::body::JsonBody;
use super::notice_store::{self as store, VersionRow};
use super::users::{Role, StaffUser};
use super::{Staff, audit};
use crate::error::ApiError;

const DRAFTERS: &[Role] = &[Role::Operator, Role::Admin];
const APPROVERS: &[Role] = &[Role::Approver, Role::Admin];

pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .route("/api/v1/staff/notices", get(list).post(create))
        .route("/api/v1/staff/notices/{id}", get(one))
        .route("/api/v1/staff/notices/{id}/draft", put(edit))
        .route("/api/v1/staff/notices/{id}/update", post(update))
        .route("/api/v1/staff/notices/{id}/approve", post(approve))
        .route("/api/v1/staff/notices/{id}/cancel", post(cancel))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNotice {
    content: NoticeContent,
    #[serde(default)]
    alarm_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftBody {
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

/// A notice's versions as staff see them: each with its content hash (what
/// an approval names) and, for a draft that updates an issued version, the
/// fields it changes.
fn view(id: &str, alarm_id: Option<i64>, versions: &[VersionRow]) -> Value {
    let issued = versions.iter().rev().find(|v| !v.is_draft());
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let changes = match issued {
                Some(issued) if v.is_draft() => {
                    Value::from(changed_fields(&issued.content, &v.content))
                }
                _ => Value::Null,
            };
            json!({
                "version": v.version,
                "state": v.state,
                "content": v.content,
                "content_hash": content_hash(&v.content),
                "changes_from_issued": changes,
                "drafted_by": v.drafted_by_name,
                "drafted_at": v.drafted_at,
                "approved_by": v.approved_by_name,
                "published_at": v.published_at,
                "document": v.document,
            })
        })
        .collect();
    json!({ "id": id, "alarm_id": alarm_id, "versions": versions })
}

/// The dotted paths (`headline.en`, `area.stations`) at which `after`
/// differs from `before`; lists compare whole.
fn changed_fields(before: &Value, after: &Value) -> Vec<String> {
    fn walk(path: &str, before: Option<&Value>, after: Option<&Value>, out: &mut Vec<String>) {
        match (before, after) {
            (Some(Value::Object(b)), Some(Value::Object(a))) => {
                let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let inner = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(&inner, b.get(key.as_str()), a.get(key.as_str()), out);
                }
            }
            (b, a) if b.filter(|v| !v.is_null()) != a.filter(|v| !v.is_null()) => {
                out.push(path.to_owned());
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", Some(before), Some(after), &mut out);
    out
}

async fn load_view(
    client: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> Result<Value, ApiError> {
    let versions = store::versions(client, id, false).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("no notice {id}")));
    }
    Ok(view(id, store::alarm_of(client, id).await?, &versions))
}

async fn list(State(app): State<StaffState>, _user: StaffUser) -> Result<Json<Value>, ApiError> {
    let client = app.pool.get().await?;
    let mut notices = Vec::new();
    for id in store::recent_ids(&client, 100).await? {
        notices.push(load_view(&client, &id).await?);
    }
    Ok(Json(json!({ "notices": notices })))
}

async fn one(
    State(app): State<StaffState>,
    _user: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let client = app.pool.get().await?;
    Ok(Json(load_view(&client, &id).await?))
}

async fn create(
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

async fn edit(
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

async fn update(
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

async fn existing(
    client: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> Result<Vec<VersionRow>, ApiError> {
    let versions = store::versions(client, id, true).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("no notice {id}")));
    }
    Ok(versions)
}

/// Micro-second precision, as PostgreSQL stores it, so the signed document
/// and the stored row agree.
fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The signed public notice of a version; refused when a link in it is
/// not a web link or a path on the site (the content's evidence link was
/// checked on drafting; the CAP link comes from `public_url`).
fn build_notice(
    staff: &Staff,
    id: &str,
    version: i32,
    status: NoticeStatus,
    content: NoticeContent,
    references: Option<String>,
) -> Result<PublicNotice, ApiError> {
    let version_id = PublicNotice::version_id_of(id, version);
    let mut notice = PublicNotice {
        id: id.to_owned(),
        version,
        cap_url: staff.cap_url(&version_id),
        version_id,
        status,
        content,
        published_at: now_micros(),
        references,
        signature: None,
    };
    notice
        .check_links()
        .map_err(|e| ApiError::BadRequest(format!("link: {e}")))?;
    staff.signer.sign(&mut notice);
    Ok(notice)
}

/// What an approver reviewed: the draft version and its content hash.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    version: i32,
    content_hash: String,
}

async fn approve(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<String>,
    JsonBody(reviewed): JsonBody<ApproveBody>,
) -> Result<Json<Value>, ApiError> {
    user.require(APPROVERS)?;
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    let versions = existing(&tx, &id).await?;
    let draft = versions
        .iter()
        .find(|v| v.is_draft())
        .ok_or_else(|| ApiError::Conflict(format!("notice {id} has no draft to approve")))?;
    let current_hash = content_hash(&draft.content);
    if draft.version != reviewed.version
        || !current_hash.eq_ignore_ascii_case(&reviewed.content_hash)
    {
        let detail = json!({
            "version": draft.version, "content_hash": current_hash,
            "reviewed_version": reviewed.version, "reviewed_hash": reviewed.content_hash,
            "reason": "stale",
        });
        drop(tx);
        audit::append_alone(
            &mut client,
            &user.username,
            "notice.approve.refused",
            &id,
            &detail,
        )
        .await?;
        return Err(ApiError::Conflict(format!(
            "stale approval: the draft of {id} is version {} with content hash {current_hash} now, \
             not what was reviewed (version {}, {}); review it again",
            draft.version, reviewed.version, reviewed.content_hash
        )));
    }
    if draft.drafted_by == user.id {
        drop(tx);
        audit::append_alone(
            &mut client,
            &user.username,
            "notice.approve.refused",
            &id,
            &json!({ "version": draft.version, "reason": "own draft" }),
        )
        .await?;
        return Err(ApiError::Forbidden(
            "own_draft",
            "nobody approves their own draft: another approver must".into(),
        ));
    }
    let previous = versions.iter().rev().find(|v| !v.is_draft());
    if previous.is_some_and(|v| v.state == "cancelled") {
        return Err(ApiError::Conflict(format!("notice {id} is cancelled")));
    }
    let content = draft
        .content()
        .ok_or_else(|| ApiError::Internal(format!("stored draft of {id} does not parse")))?;
    content
        .validate()
        .map_err(|e| ApiError::BadRequest(format!("content: {e}")))?;
    let status = if previous.is_some() {
        NoticeStatus::Updated
    } else {
        NoticeStatus::Published
    };
    let references = previous.map(|v| PublicNotice::version_id_of(&id, v.version));
    let notice = build_notice(&app.staff, &id, draft.version, status, content, references)?;
    store::issue_draft(&tx, &notice, user.id).await?;
    let detail = json!({
        "version": notice.version,
        "status": status.as_str(),
        "drafted_by": draft.drafted_by_name,
        "content_hash": current_hash,
        "signature": notice.signature.as_ref().map(|s| &s.value),
    });
    audit::append(&tx, &user.username, "notice.approve", &id, &detail).await?;
    tx.commit().await?;
    app.staff.broadcaster.announce(&notice).await;
    Ok(Json(serde_json::to_value(&notice).unwrap_or(Value::Null)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    #[serde(default)]
    reason: Option<String>,
}

async fn cancel(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CancelBody>,
) -> Result<Json<Value>, ApiError> {
    user.require(APPROVERS)?;
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    let versions = existing(&tx, &id).await?;
    let last_issued = versions
        .iter()
        .rev()
        .find(|v| !v.is_draft())
        .ok_or_else(|| ApiError::Conflict(format!("notice {id} was never issued")))?;
    if last_issued.state == "cancelled" {
        return Err(ApiError::Conflict(format!(
            "notice {id} is already cancelled"
        )));
    }
    let content = last_issued
        .notice()
        .map(|n| n.content)
        .ok_or_else(|| ApiError::Internal(format!("stored document of {id} does not parse")))?;
    // An open draft is dropped by the cancellation, which takes its number.
    let version = match versions.last() {
        Some(v) if v.is_draft() => v.version,
        Some(v) => v.version + 1,
        None => 1,
    };
    let references = Some(PublicNotice::version_id_of(&id, last_issued.version));
    let notice = build_notice(
        &app.staff,
        &id,
        version,
        NoticeStatus::Cancelled,
        content,
        references,
    )?;
    store::insert_cancellation(&tx, &notice, user.id).await?;
    audit::append(
        &tx,
        &user.username,
        "notice.cancel",
        &id,
        &json!({ "version": version, "reason": body.reason }),
    )
    .await?;
    tx.commit().await?;
    app.staff.broadcaster.announce(&notice).await;
    Ok(Json(serde_json::to_value(&notice).unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_names_each_field_it_changes() {
        let before = json!({
            "severity": "orange", "headline": {"zh": "甲", "en": "A"},
            "area": {"districts": ["浦东新区"], "stations": []}, "evidence_url": null
        });
        let after = json!({
            "severity": "red", "headline": {"zh": "甲", "en": "B"},
            "area": {"districts": ["浦东新区", "徐汇区"], "stations": []}
        });
        assert_eq!(
            changed_fields(&before, &after),
            ["area.districts", "headline.en", "severity"]
        );
        assert!(changed_fields(&before, &before).is_empty());
    }
}
