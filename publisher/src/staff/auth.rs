//! Sign-in and accounts: `/api/v1/staff/login`, `logout`, `me`, `tokens`,
//! `users` (admin) and `audit` (admin).
//!
//! Wrong passwords are counted per account; after `max_failed_logins` in a
//! row the account is locked for `lockout`, and every attempt, good or bad,
//! is in the audit log.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use envmon_core::db::DbError;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::session::{COOKIE, check_origin, clear_cookie, cookie, session_cookie};
use super::tokens::{new_token, token_hash};
use super::users::{Role, StaffUser, UserError, add_user};
use super::{audit, password};
use crate::http::{ApiError, AppState};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/staff/login", post(login))
        .route("/api/v1/staff/logout", post(logout))
        .route("/api/v1/staff/me", get(me))
        .route("/api/v1/staff/tokens", post(create_token))
        .route("/api/v1/staff/users", post(create_user))
        .route("/api/v1/staff/audit", get(audit_entries))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::hours(1))
}

async fn login(
    State(app): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Login>,
) -> Result<Response, ApiError> {
    let settings = &app.settings.staff;
    // Login is state-changing too: a forged cross-site sign-in would put
    // the victim's browser into the attacker's account.
    check_origin(&headers, settings)?;
    // The name is the attacker's text in the audit log: bound it.
    let name_for_audit: String = body.username.chars().take(64).collect();
    let mut client = app.pool.get().await.map_err(DbError::from)?;
    let row = client
        .query_opt(
            "SELECT id, role, password_hash, locked_until > now() AS locked, disabled
             FROM staff_user WHERE username = $1",
            &[&body.username],
        )
        .await
        .map_err(DbError::from)?;
    let refused = || ApiError::Unauthorized("wrong username or password".into());
    let Some(row) = row else {
        // Same work and answer as a wrong password, so names cannot be probed.
        password::verify_blocking(body.password, None).await;
        audit::append_alone(
            &mut client,
            "-",
            "login.failed",
            &name_for_audit,
            &json!({"reason": "unknown user"}),
        )
        .await?;
        return Err(refused());
    };
    let id: i64 = row.get(0);
    let role: String = row.get(1);
    let phc: String = row.get(2);
    let locked: Option<bool> = row.get(3);
    let disabled: bool = row.get(4);
    if locked == Some(true) {
        audit::append_alone(&mut client, "-", "login.locked", &body.username, &json!({})).await?;
        return Err(ApiError::TooMany(
            "too many wrong passwords: the account is locked for a while".into(),
        ));
    }
    if !password::verify_blocking(body.password, Some(phc)).await || disabled {
        let lockout_secs = i64::try_from(settings.lockout.as_secs()).unwrap_or(900);
        let max = i32::try_from(settings.max_failed_logins).unwrap_or(5);
        client
            .execute(
                "UPDATE staff_user SET
                    failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
                    locked_until = CASE WHEN failed_logins + 1 >= $2
                        THEN now() + make_interval(secs => $3) ELSE locked_until END
                 WHERE id = $1",
                &[&id, &max, &(lockout_secs as f64)],
            )
            .await
            .map_err(DbError::from)?;
        audit::append_alone(
            &mut client,
            "-",
            "login.failed",
            &body.username,
            &json!({"reason": "wrong password"}),
        )
        .await?;
        return Err(refused());
    }
    let token = new_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let expires_at = Utc::now() + to_chrono(settings.session_ttl);
    let tx = client.transaction().await.map_err(DbError::from)?;
    // Expired sessions are useless; sign-ins are rare enough to sweep them.
    tx.execute("DELETE FROM staff_session WHERE expires_at < now()", &[])
        .await
        .map_err(DbError::from)?;
    tx.execute(
        "UPDATE staff_user SET failed_logins = 0, locked_until = NULL WHERE id = $1",
        &[&id],
    )
    .await
    .map_err(DbError::from)?;
    tx.execute(
        "INSERT INTO staff_session (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        &[&token_hash(&token), &id, &expires_at],
    )
    .await
    .map_err(DbError::from)?;
    audit::append(&tx, &body.username, "login", &body.username, &json!({})).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok((
        [(header::SET_COOKIE, session_cookie(&token, settings))],
        Json(json!({ "username": body.username, "role": role, "expires_at": expires_at })),
    )
        .into_response())
}

async fn logout(
    State(app): State<AppState>,
    user: StaffUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut client = app.pool.get().await.map_err(DbError::from)?;
    if let Some(token) = cookie(&headers, COOKIE) {
        client
            .execute(
                "DELETE FROM staff_session WHERE token_hash = $1",
                &[&token_hash(token)],
            )
            .await
            .map_err(DbError::from)?;
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
        [(header::SET_COOKIE, clear_cookie(&app.settings.staff))],
        Json(json!({ "signed_out": true })),
    )
        .into_response())
}

async fn me(user: StaffUser) -> Json<Value> {
    Json(json!({ "username": user.username, "role": user.role }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    label: String,
}

/// An API token for the caller's own account, shown once.
async fn create_token(
    State(app): State<AppState>,
    user: StaffUser,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<Json<Value>, ApiError> {
    if body.label.trim().is_empty() || body.label.len() > 100 {
        return Err(ApiError::BadRequest("label: 1-100 characters".into()));
    }
    let token = new_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut client = app.pool.get().await.map_err(DbError::from)?;
    let tx = client.transaction().await.map_err(DbError::from)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO api_token (token_hash, user_id, label) VALUES ($1, $2, $3) RETURNING id",
            &[&token_hash(&token), &user.id, &body.label],
        )
        .await
        .map_err(DbError::from)?
        .get(0);
    audit::append(
        &tx,
        &user.username,
        "token.create",
        &id.to_string(),
        &json!({"label": body.label}),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Json(
        json!({ "id": id, "token": token, "label": body.label }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    role: String,
    password: String,
}

async fn create_user(
    State(app): State<AppState>,
    user: StaffUser,
    JsonBody(body): JsonBody<NewUser>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::Admin])?;
    let role = Role::parse(&body.role).map_err(|e| ApiError::BadRequest(format!("role: {e}")))?;
    let mut client = app.pool.get().await.map_err(DbError::from)?;
    match add_user(
        &mut client,
        &user.username,
        &body.username,
        role,
        &body.password,
    )
    .await
    {
        Ok(id) => Ok(Json(
            json!({ "id": id, "username": body.username, "role": role }),
        )),
        Err(UserError::Exists(name)) => {
            Err(ApiError::Conflict(format!("user {name} already exists")))
        }
        Err(UserError::Database(e)) => Err(ApiError::Database(e)),
        Err(UserError::Password(e)) => Err(ApiError::Internal(e.to_string())),
        Err(e @ UserError::Username) => Err(ApiError::BadRequest(format!("username: {e}"))),
        Err(e @ UserError::WeakPassword) => Err(ApiError::BadRequest(format!("password: {e}"))),
        Err(e @ UserError::Role(_)) => Err(ApiError::BadRequest(format!("role: {e}"))),
    }
}

#[derive(Deserialize)]
struct AuditQuery {
    after: Option<i64>,
    limit: Option<i64>,
}

async fn audit_entries(
    State(app): State<AppState>,
    user: StaffUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::Admin])?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit: must be 1-1000".into()));
    }
    let client = app.pool.get().await.map_err(DbError::from)?;
    let rows = client
        .query(
            "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log
             WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&query.after.unwrap_or(0), &limit],
        )
        .await
        .map_err(DbError::from)?;
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
