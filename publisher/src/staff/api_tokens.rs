//! API tokens for automation:
//!
//! - `POST /api/v1/staff/tokens` `{"label", "role"?, "expires_at"?}`: a
//!   token for the caller's account, shown once. Its role defaults to the
//!   caller's and may be no higher (admin may give any role; operator and
//!   approver only their own). It expires after `token_ttl` (90 days by
//!   default), or earlier at `expires_at`.
//! - `GET /api/v1/staff/tokens`: the caller's tokens; admins may ask for
//!   another account's (`?user=NAME`) or everyone's (`?all=true`).
//! - `DELETE /api/v1/staff/tokens/{id}`: revokes one of the caller's
//!   tokens, or anyone's for an admin.
//!
//! Disabling an account revokes all of its tokens (`users::disable_user`),
//! and a token is refused once its owner's role no longer covers its own.

use axum::extract::{Path, Query, State};
use axum::routing::{delete, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::StaffState;
use super::audit;
use super::body::JsonBody;
use super::login::to_chrono;
use super::tokens::{new_token, token_hash};
use super::users::{Role, StaffUser};
use crate::error::ApiError;

/// Most tokens listed at once.
const LIST_LIMIT: i64 = 1000;

const INSERT: &str = "INSERT INTO api_token (token_hash, user_id, label, role, expires_at)
    VALUES ($1, $2, $3, $4, $5) RETURNING id";

const LIST: &str = "SELECT t.id, u.username, t.label, t.role, t.created_at, t.expires_at,
        t.revoked_at, t.revoked_by, t.revoked_at IS NULL AND t.expires_at > now()
    FROM api_token t JOIN staff_user u ON u.id = t.user_id
    WHERE ($1::text IS NULL OR u.username = $1)
    ORDER BY t.id DESC LIMIT $2";

/// Revokes token `$1` if it is active and `$3` owns it or `$4` (admin).
const REVOKE: &str = "UPDATE api_token t SET revoked_at = now(), revoked_by = $2
    FROM staff_user u
    WHERE t.id = $1 AND u.id = t.user_id AND t.revoked_at IS NULL AND (t.user_id = $3 OR $4)
    RETURNING u.username, t.label";

pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .route("/api/v1/staff/tokens", post(create).get(list))
        .route("/api/v1/staff/tokens/{id}", delete(revoke))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    label: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
}

/// An API token for the caller's own account, shown once.
async fn create(
    State(app): State<StaffState>,
    user: StaffUser,
    JsonBody(body): JsonBody<NewToken>,
) -> Result<Json<Value>, ApiError> {
    if body.label.trim().is_empty() || body.label.chars().count() > 100 {
        return Err(ApiError::BadRequest("label: 1-100 characters".into()));
    }
    let role = match &body.role {
        None => user.role,
        Some(name) => Role::parse(name).map_err(|e| ApiError::BadRequest(format!("role: {e}")))?,
    };
    if !user.role.covers(role) {
        return Err(ApiError::Forbidden(
            "role",
            format!(
                "role: a {} may not create a token with the {} role",
                user.role.as_str(),
                role.as_str()
            ),
        ));
    }
    let now = Utc::now();
    let longest = now + to_chrono(app.settings.staff.token_ttl);
    let expires_at = match body.expires_at {
        None => longest,
        Some(at) if at <= now => {
            return Err(ApiError::BadRequest(
                "expires_at: must be in the future".into(),
            ));
        }
        Some(at) if at > longest => {
            return Err(ApiError::BadRequest(format!(
                "expires_at: at most {} from now (token_ttl)",
                humantime_serde::re::humantime::format_duration(app.settings.staff.token_ttl)
            )));
        }
        Some(at) => at,
    };
    let token = new_token().map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    let id: i64 = tx
        .query_one(
            INSERT,
            &[
                &token_hash(&token),
                &user.id,
                &body.label,
                &role.as_str(),
                &expires_at,
            ],
        )
        .await?
        .get(0);
    audit::append(
        &tx,
        &user.username,
        "token.create",
        &id.to_string(),
        &json!({"label": body.label, "role": role.as_str(), "expires_at": expires_at}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({
        "id": id,
        "token": token,
        "label": body.label,
        "role": role.as_str(),
        "expires_at": expires_at,
    })))
}

#[derive(Deserialize)]
struct ListQuery {
    user: Option<String>,
    #[serde(default)]
    all: bool,
}

async fn list(
    State(app): State<StaffState>,
    user: StaffUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let whose: Option<String> = if query.all {
        user.require(&[Role::Admin])?;
        None
    } else {
        match query.user {
            Some(name) if name != user.username => {
                user.require(&[Role::Admin])?;
                Some(name)
            }
            _ => Some(user.username.clone()),
        }
    };
    let client = app.pool.get().await?;
    let rows = client.query(LIST, &[&whose, &LIST_LIMIT]).await?;
    let tokens: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "id": row.get::<_, i64>(0),
                "user": row.get::<_, String>(1),
                "label": row.get::<_, String>(2),
                "role": row.get::<_, String>(3),
                "created_at": row.get::<_, DateTime<Utc>>(4),
                "expires_at": row.get::<_, DateTime<Utc>>(5),
                "revoked_at": row.get::<_, Option<DateTime<Utc>>>(6),
                "revoked_by": row.get::<_, Option<String>>(7),
                "active": row.get::<_, bool>(8),
            })
        })
        .collect();
    Ok(Json(json!({ "tokens": tokens })))
}

async fn revoke(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("path: token id {id:?} is not a number")))?;
    let admin = user.role == Role::Admin;
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    // Someone else's token is "not found" to a non-admin: ids are not
    // probed for whose they are.
    let row = tx
        .query_opt(REVOKE, &[&id, &user.username, &user.id, &admin])
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no active token {id} of yours")))?;
    let owner: String = row.get(0);
    let label: String = row.get(1);
    audit::append(
        &tx,
        &user.username,
        "token.revoke",
        &id.to_string(),
        &json!({"owner": owner, "label": label}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "id": id, "revoked": true })))
}
