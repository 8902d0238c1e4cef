//! Alarms for staff: `GET /api/v1/staff/alarms` (every role), `POST
//! /api/v1/staff/alarms/{id}/ack` (every role) and `POST
//! /api/v1/staff/alarms/{id}/draft` (operator, admin): a notice draft
//! prefilled from the alarm, linked to it as evidence. Alarms are raised
//! and cleared by ingest; they are never public.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;
use envmon_core::alert::{Area, Bilingual, Certainty, NoticeContent, Severity, Urgency};
use envmon_core::db::DbError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::StaffState;
use super::audit;
use super::notices::create_draft;
use super::users::{Role, StaffUser};
use crate::error::ApiError;

pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .route("/api/v1/staff/alarms", get(list))
        .route("/api/v1/staff/alarms/{id}/ack", post(acknowledge))
        .route("/api/v1/staff/alarms/{id}/draft", post(draft_from_alarm))
}

const ALARM_COLUMNS: &str = "a.id, a.rule, a.station_code, a.parameter_code, a.state, a.raised_at,
    a.cleared_at, a.threshold, a.worst, a.message, a.evidence, u.username, a.acknowledged_at,
    a.changed_at, s.district_zh, s.district_en, s.name_zh, s.name_en";

const ALARM_FROM: &str = "FROM alarm a LEFT JOIN staff_user u ON u.id = a.acknowledged_by
    LEFT JOIN station s ON s.code = a.station_code";

/// An alarm as JSON for staff.
pub(crate) fn alarm_json(row: &tokio_postgres::Row) -> Value {
    json!({
        "id": row.get::<_, i64>(0),
        "rule": row.get::<_, String>(1),
        "station": row.get::<_, String>(2),
        "parameter": row.get::<_, Option<String>>(3),
        "state": row.get::<_, String>(4),
        "raised_at": row.get::<_, DateTime<Utc>>(5),
        "cleared_at": row.get::<_, Option<DateTime<Utc>>>(6),
        "threshold": row.get::<_, Option<f64>>(7),
        "worst": row.get::<_, Option<f64>>(8),
        "message": row.get::<_, String>(9),
        "evidence": row.get::<_, Value>(10),
        "acknowledged_by": row.get::<_, Option<String>>(11),
        "acknowledged_at": row.get::<_, Option<DateTime<Utc>>>(12),
        "changed_at": row.get::<_, DateTime<Utc>>(13),
        "district": { "zh": row.get::<_, Option<String>>(14), "en": row.get::<_, Option<String>>(15) },
        "station_name": { "zh": row.get::<_, Option<String>>(16), "en": row.get::<_, Option<String>>(17) },
    })
}

/// Alarms changed after `since`, oldest change first.
pub(crate) async fn changed_since(
    client: &impl GenericClient,
    since: DateTime<Utc>,
) -> Result<Vec<tokio_postgres::Row>, DbError> {
    Ok(client
        .query(
            &format!("SELECT {ALARM_COLUMNS} {ALARM_FROM} WHERE a.changed_at > $1 ORDER BY a.changed_at, a.id LIMIT 500"),
            &[&since],
        )
        .await?)
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
}

async fn list(
    State(app): State<StaffState>,
    _user: StaffUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let state = match query.state.as_deref() {
        None | Some("all") => None,
        Some(s @ ("raised" | "cleared")) => Some(s.to_owned()),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "state: must be raised, cleared or all, not {other:?}"
            )));
        }
    };
    let client = app.pool.get().await?;
    let rows = client
        .query(
            &format!(
                "SELECT {ALARM_COLUMNS} {ALARM_FROM} WHERE $1::text IS NULL OR a.state = $1
                ORDER BY (a.state = 'raised') DESC, a.raised_at DESC LIMIT 200"
            ),
            &[&state],
        )
        .await?;
    Ok(Json(
        json!({ "alarms": rows.iter().map(alarm_json).collect::<Vec<_>>() }),
    ))
}

async fn load(client: &impl GenericClient, id: i64) -> Result<Value, ApiError> {
    let row = client
        .query_opt(
            &format!("SELECT {ALARM_COLUMNS} {ALARM_FROM} WHERE a.id = $1"),
            &[&id],
        )
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no alarm {id}")))?;
    Ok(alarm_json(&row))
}

fn alarm_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::BadRequest(format!("id: {raw:?} is not an alarm id")))
}

async fn acknowledge(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::Operator, Role::Approver, Role::Admin])?;
    let id = alarm_id(&id)?;
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    let updated = tx
        .execute(
            "UPDATE alarm SET acknowledged_by = $2, acknowledged_at = now(), changed_at = now()
             WHERE id = $1 AND acknowledged_at IS NULL",
            &[&id, &user.id],
        )
        .await?;
    let alarm = load(&tx, id).await?;
    if updated == 0 {
        return Err(ApiError::Conflict(format!(
            "alarm {id} is already acknowledged"
        )));
    }
    audit::append(
        &tx,
        &user.username,
        "alarm.ack",
        &id.to_string(),
        &json!({ "rule": alarm["rule"], "station": alarm["station"] }),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(alarm))
}

async fn draft_from_alarm(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::Operator, Role::Admin])?;
    let id = alarm_id(&id)?;
    let alarm = {
        let client = app.pool.get().await?;
        load(&client, id).await?
    };
    let content = prefill(&alarm, Utc::now());
    let content = serde_json::to_value(&content).map_err(|e| ApiError::Internal(e.to_string()))?;
    create_draft(&app, &user, &content, Some(id), "notice.draft_from_alarm").await
}

/// A starting point the operator edits: the alarm's station and district,
/// its message, a colour from how far the worst value went past the
/// threshold, 24 hours from now. Staff decide the final words.
fn prefill(alarm: &Value, now: DateTime<Utc>) -> NoticeContent {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let station = text(&alarm["station"]);
    let message = text(&alarm["message"]);
    let ratio = match (alarm["worst"].as_f64(), alarm["threshold"].as_f64()) {
        (Some(worst), Some(threshold)) if threshold > 0.0 => worst / threshold,
        _ => 1.0,
    };
    let severity = match ratio {
        r if r >= 2.0 => Severity::Red,
        r if r >= 1.5 => Severity::Orange,
        r if r >= 1.2 => Severity::Yellow,
        _ => Severity::Blue,
    };
    let name_zh = alarm["station_name"]["zh"]
        .as_str()
        .unwrap_or(&station)
        .to_owned();
    let name_en = alarm["station_name"]["en"]
        .as_str()
        .unwrap_or(&station)
        .to_owned();
    let districts = alarm["district"]["zh"]
        .as_str()
        .map(|d| vec![d.to_owned()])
        .unwrap_or_default();
    NoticeContent {
        severity,
        urgency: Urgency::Expected,
        certainty: Certainty::Likely,
        headline: Bilingual {
            zh: format!("{name_zh}空气质量{}预警", severity.name(envmon_core::alert::notice::Lang::Zh)),
            en: format!("{} warning: air quality at {name_en}", severity.name(envmon_core::alert::notice::Lang::En)),
        },
        description: Bilingual {
            zh: format!("{name_zh}监测点：{message}"),
            en: format!("{name_en}: {message}"),
        },
        instruction: Bilingual {
            zh: "儿童、老年人及心脏病、呼吸系统疾病患者应减少户外活动。".into(),
            en: "Children, the elderly and people with heart or lung disease should reduce outdoor activity.".into(),
        },
        area: Area {
            districts,
            stations: vec![station.clone()],
        },
        effective: now,
        expires: now + Duration::hours(24),
        evidence_url: Some(format!("/api/v1/stations/{station}/latest")),
    }
}
