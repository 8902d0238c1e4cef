//! Issuing, by approvers and admins: approving a draft, never one's own and
//! only the text reviewed, or cancelling at once. Each makes a signed public
//! notice, stored, audited and announced.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use envmon_core::alert::{NoticeContent, NoticeStatus, PublicNotice, content_hash};
use envmon_core::outbox::OutboxCause;
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::body::JsonBody;
use super::super::notice_store as store;
use super::super::users::{Role, StaffUser};
use super::super::{Staff, StaffState, audit};
use super::existing;
use crate::error::ApiError;

const APPROVERS: &[Role] = &[Role::Approver, Role::Admin];

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
pub(super) struct ApproveBody {
    version: i32,
    content_hash: String,
}

pub(super) async fn approve(
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
    envmon_core::outbox::enqueue(&tx, &OutboxCause::notice(&notice)).await?;
    tx.commit().await?;
    app.staff.broadcaster.announce(&notice).await;
    Ok(Json(serde_json::to_value(&notice).unwrap_or(Value::Null)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct CancelBody {
    #[serde(default)]
    reason: Option<String>,
}

pub(super) async fn cancel(
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
    envmon_core::outbox::enqueue(&tx, &OutboxCause::notice(&notice)).await?;
    tx.commit().await?;
    app.staff.broadcaster.announce(&notice).await;
    Ok(Json(serde_json::to_value(&notice).unwrap_or(Value::Null)))
}
