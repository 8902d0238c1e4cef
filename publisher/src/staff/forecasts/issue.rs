//! Issuing, by approvers and admins: approving a draft, never one's own and
//! only the text reviewed, or withdrawing at once. Each makes a signed
//! public forecast, stored, audited and announced.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use envmon_core::alert::{NoticeSigner, content_hash};
use envmon_core::forecast::{ForecastContent, ForecastStatus, PublicForecast, PublicForecastDay};
use serde::Deserialize;
use serde_json::{Value, json};

use super::super::body::JsonBody;
use super::super::forecast_store as store;
use super::super::users::{Role, StaffUser};
use super::super::{StaffState, audit};
use super::draft::checked;
use super::existing;
use crate::error::ApiError;

const APPROVERS: &[Role] = &[Role::Approver, Role::Admin];

/// Micro-second precision, as PostgreSQL stores it, so the signed document
/// and the stored row agree.
fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The signed public forecast of a version, issued at `issued_at` (its
/// Beijing day counts the days ahead).
pub(super) async fn build_forecast(
    client: &impl deadpool_postgres::GenericClient,
    signer: &NoticeSigner,
    (id, version, issued_at): (&str, i32, DateTime<Utc>),
    status: ForecastStatus,
    content: &ForecastContent,
    references: Option<String>,
) -> Result<PublicForecast, ApiError> {
    let areas = store::areas(client).await?;
    let area_name = areas
        .into_iter()
        .find(|(area, _)| *area == content.area)
        .map(|(_, name)| name)
        .ok_or_else(|| ApiError::BadRequest(format!("content.area: no area {}", content.area)))?;
    let issue_day = crate::public_forecasts::beijing_day(issued_at);
    let mut forecast = PublicForecast {
        id: id.to_owned(),
        version,
        version_id: PublicForecast::version_id_of(id, version),
        status,
        area: content.area.clone(),
        area_name,
        issued_at,
        days: content
            .days
            .iter()
            .map(|d| PublicForecastDay::from_written(d, issue_day))
            .collect(),
        references,
        signature: None,
    };
    forecast.sign(signer);
    Ok(forecast)
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
        .ok_or_else(|| ApiError::Conflict(format!("forecast {id} has no draft to approve")))?;
    let current_hash = content_hash(&draft.content);
    let refusal = if draft.version != reviewed.version
        || !current_hash.eq_ignore_ascii_case(&reviewed.content_hash)
    {
        Some((
            json!({
                "version": draft.version, "content_hash": current_hash,
                "reviewed_version": reviewed.version, "reviewed_hash": reviewed.content_hash,
                "reason": "stale",
            }),
            ApiError::Conflict(format!(
                "stale approval: the draft of {id} is version {} with content hash {current_hash} now, \
                 not what was reviewed (version {}, {}); review it again",
                draft.version, reviewed.version, reviewed.content_hash
            )),
        ))
    } else if draft.drafted_by == user.id {
        Some((
            json!({ "version": draft.version, "reason": "own draft" }),
            ApiError::Forbidden(
                "own_draft",
                "nobody approves their own draft: another approver must".into(),
            ),
        ))
    } else {
        None
    };
    if let Some((detail, error)) = refusal {
        drop(tx);
        audit::append_alone(
            &mut client,
            &user.username,
            "forecast.approve.refused",
            &id,
            &detail,
        )
        .await?;
        return Err(error);
    }
    let previous = versions.iter().rev().find(|v| !v.is_draft());
    if previous.is_some_and(|v| v.state == "withdrawn") {
        return Err(ApiError::Conflict(format!("forecast {id} is withdrawn")));
    }
    let content = draft
        .content()
        .ok_or_else(|| ApiError::Internal(format!("stored draft of {id} does not parse")))?;
    // Checked again: a draft written yesterday may speak of today by now.
    checked(&tx, &content).await?;
    let status = if previous.is_some() {
        ForecastStatus::Updated
    } else {
        ForecastStatus::Published
    };
    let references = previous.map(|v| PublicForecast::version_id_of(&id, v.version));
    let forecast = build_forecast(
        &tx,
        &app.staff.signer,
        (&id, draft.version, now_micros()),
        status,
        &content,
        references,
    )
    .await?;
    store::issue_draft(&tx, &forecast, user.id).await?;
    let detail = json!({
        "version": forecast.version,
        "status": status.as_str(),
        "drafted_by": draft.drafted_by_name,
        "content_hash": current_hash,
        "signature": forecast.signature.as_ref().map(|s| &s.value),
    });
    audit::append(&tx, &user.username, "forecast.approve", &id, &detail).await?;
    commit_published_forecast(tx, &forecast).await?;
    app.staff.broadcaster.announce_forecast(&forecast).await;
    Ok(Json(serde_json::to_value(&forecast).unwrap_or(Value::Null)))
}

/// Commits the transaction that issued `forecast` (stored and audited): the
/// one place a forecast becomes public. Whatever must happen exactly when a
/// forecast is published, and only then, belongs in this transaction.
async fn commit_published_forecast(
    tx: deadpool_postgres::Transaction<'_>,
    forecast: &PublicForecast,
) -> Result<(), ApiError> {
    // Subscribers to the daily forecast are owed a message exactly when this commits.
    if let Some(summary) = envmon_core::forecast::summary(forecast) {
        envmon_core::outbox::enqueue(
            &tx,
            &envmon_core::outbox::OutboxCause::DailyForecast(summary),
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(forecast = %forecast.version_id, area = %forecast.area, "Forecast published.");
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct WithdrawBody {
    #[serde(default)]
    reason: Option<String>,
}

pub(super) async fn withdraw(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<WithdrawBody>,
) -> Result<Json<Value>, ApiError> {
    user.require(APPROVERS)?;
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    let versions = existing(&tx, &id).await?;
    let last_issued = versions
        .iter()
        .rev()
        .find(|v| !v.is_draft())
        .ok_or_else(|| ApiError::Conflict(format!("forecast {id} was never issued")))?;
    if last_issued.state == "withdrawn" {
        return Err(ApiError::Conflict(format!(
            "forecast {id} is already withdrawn"
        )));
    }
    let issued = last_issued
        .forecast()
        .ok_or_else(|| ApiError::Internal(format!("stored document of {id} does not parse")))?;
    // An open draft is dropped by the withdrawal, which takes its number.
    let version = match versions.last() {
        Some(v) if v.is_draft() => v.version,
        Some(v) => v.version + 1,
        None => 1,
    };
    let mut forecast = build_forecast(
        &tx,
        &app.staff.signer,
        (&id, version, now_micros()),
        ForecastStatus::Withdrawn,
        &issued.content(),
        Some(issued.version_id.clone()),
    )
    .await?;
    // The days keep the distance from the issue they were forecast at.
    forecast.days = issued.days.clone();
    forecast.sign(&app.staff.signer);
    store::insert_withdrawal(&tx, &forecast, user.id).await?;
    audit::append(
        &tx,
        &user.username,
        "forecast.withdraw",
        &id,
        &json!({ "version": version, "reason": body.reason }),
    )
    .await?;
    tx.commit().await?;
    app.staff.broadcaster.announce_forecast(&forecast).await;
    Ok(Json(serde_json::to_value(&forecast).unwrap_or(Value::Null)))
}
