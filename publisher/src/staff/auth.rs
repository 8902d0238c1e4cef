//! Who is signed in, and accounts: `/api/v1/staff/login` (see `login`),
//! `logout`, `me`, `tokens` (see `api_tokens`), `users/{name}/disable` and
//! `audit` (admin).
//!
//! Accounts are created only with `envmon user add` on the server, never
//! here: an admin who could create accounts over the web could create a
//! second person to approve their own drafts. Disabling one, which only
//! takes power away, is an admin's web action too.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::StaffState;
use super::audit;
use super::session::{clear_cookie, session_token};
use super::tokens::token_hash;
use super::users::{Role, StaffUser, UserError, disable_user};
use crate::error::ApiError;

pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .route("/api/v1/staff/login", post(super::login::login))
        .route("/api/v1/staff/logout", post(logout))
        .route("/api/v1/staff/me", get(me))
        .route("/api/v1/staff/users/{username}/disable", post(disable))
        .route("/api/v1/staff/audit", get(audit_entries))
        .merge(super::api_tokens::router())
}

async fn logout(
    State(app): State<StaffState>,
    user: StaffUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut client = app.pool.get().await?;
    if let Some(token) = session_token(&headers, &app.site) {
        client
            .execute(
                "DELETE FROM staff_session WHERE token_hash = $1",
                &[&token_hash(token)],
            )
            .await?;
    }
    audit::append_alone(
        &mut client,
        &user.username,
        "logout",
        &user.username,
        &json!({}),
    )
    .await?;
    Ok((
        [(header::SET_COOKIE, clear_cookie(&app.site))],
        Json(json!({ "signed_out": true })),
    )
        .into_response())
}

async fn me(user: StaffUser) -> Json<Value> {
    Json(json!({ "username": user.username, "role": user.role }))
}

/// Disables an account: its sessions end and its tokens are revoked at
/// once (admin).
async fn disable(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(username): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::Admin])?;
    let mut client = app.pool.get().await?;
    match disable_user(&mut client, &user.username, &username).await {
        Ok(()) => Ok(Json(json!({ "username": username, "disabled": true }))),
        Err(UserError::Unknown(name)) => Err(ApiError::NotFound(format!("no user {name}"))),
        Err(UserError::Database(e)) => Err(ApiError::Database(e)),
        Err(other) => Err(ApiError::Internal(other.to_string())),
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn audit_entries(
    State(app): State<StaffState>,
    user: StaffUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::Admin])?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit: must be 1-1000".into()));
    }
    let client = app.pool.get().await?;
    let rows = client
        .query(
            "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log
             WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&query.after.unwrap_or(0), &limit],
        )
        .await?;
    let entries: Vec<Value> = rows
        .iter()
        .map(|row| {
            let detail: String = row.get(5);
            json!({
                "seq": row.get::<_, i64>(0),
                "at": row.get::<_, chrono::DateTime<Utc>>(1),
                "actor": row.get::<_, String>(2),
                "action": row.get::<_, String>(3),
                "subject": row.get::<_, String>(4),
                "detail": serde_json::from_str::<Value>(&detail).unwrap_or(Value::String(detail)),
                "hash": row.get::<_, String>(6),
            })
        })
        .collect();
    Ok(Json(json!({ "entries": entries })))
}
