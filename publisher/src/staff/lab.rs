//! Laboratory results for staff: a laboratory's file (format 1, CSV or
//! JSON, see docs/drinking-water.md) checked and previewed, submitted as a
//! pending batch, and published or rejected by a second person.
//!
//! - `POST /api/v1/staff/lab/preview` (every role): what the file would
//!   change, or 422 with every problem by row and column. Stores nothing.
//! - `POST /api/v1/staff/lab/batches[?file_name=]` (operator, admin): the
//!   same check; a clean file becomes a pending batch.
//! - `GET /api/v1/staff/lab/batches[/{id}]` (every role): the batches, and
//!   one with its preview against what is stored now.
//! - `POST /api/v1/staff/lab/batches/{id}/publish` (approver, admin, never
//!   the submitter) `{"body_sha256"}`: the results become data. The hash is
//!   the one reviewed; the text cannot change under a batch id, but the
//!   reviewer says which file they read.
//! - `POST /api/v1/staff/lab/batches/{id}/reject` (approver, admin)
//!   `{"reason"}`.
//!
//! The body's media type picks the form: `text/csv` or `application/json`.
//! Every step is in the audit log.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use envmon_core::db::lab::{self, LabError, LabMedia, Submission, parse_submission, preview};
use envmon_core::lab::LabProblem;
use envmon_core::registry::load_stations;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::JsonBody;
use super::users::{Role, StaffUser};
use super::{StaffState, audit};
use crate::error::ApiError;

/// A quarter of a city's laboratory results is a few hundred kilobytes.
const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

const SUBMITTERS: &[Role] = &[Role::Operator, Role::Admin];
const APPROVERS: &[Role] = &[Role::Approver, Role::Admin];
const EVERYONE: &[Role] = &[Role::Operator, Role::Approver, Role::Admin];

pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .route("/api/v1/staff/lab/preview", post(check))
        .route("/api/v1/staff/lab/batches", get(list).post(submit))
        .route("/api/v1/staff/lab/batches/{id}", get(one))
        .route("/api/v1/staff/lab/batches/{id}/publish", post(publish))
        .route("/api/v1/staff/lab/batches/{id}/reject", post(reject))
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES))
}

/// The body's form, from its media type.
fn media_of(headers: &HeaderMap) -> Result<LabMedia, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("text/csv") {
        Ok(LabMedia::Csv)
    } else if content_type.starts_with("application/json") {
        Ok(LabMedia::Json)
    } else {
        Err(ApiError::BadRequest(
            "body: Content-Type must be text/csv or application/json (format 1, see docs/drinking-water.md)"
                .into(),
        ))
    }
}

fn text_of(body: &axum::body::Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .map_err(|e| ApiError::BadRequest(format!("body: not UTF-8 at byte {}", e.valid_up_to())))
}

/// 422 with every problem of the file.
fn problems_response(problems: &[LabProblem]) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({
            "error": {
                "code": "invalid_file",
                "message": format!("the file has {} problem(s); nothing was stored", problems.len()),
                "problems": problems,
            }
        })),
    )
        .into_response()
}

fn lab_error(error: LabError) -> Result<Response, ApiError> {
    match error {
        LabError::Problems(problems) => Ok(problems_response(&problems)),
        LabError::NotFound(id) => Err(ApiError::NotFound(format!("no laboratory batch {id}"))),
        LabError::NotPending(..) | LabError::Stale(..) => {
            Err(ApiError::Conflict(error.to_string()))
        }
        LabError::OwnImport => Err(ApiError::Forbidden("own_import", error.to_string())),
        LabError::Db(db) => Err(ApiError::Database(db)),
    }
}

async fn check(
    State(app): State<StaffState>,
    user: StaffUser,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    user.require(EVERYONE)?;
    let media = media_of(&headers)?;
    let text = text_of(&body)?;
    let client = app.pool.get().await?;
    let stations = load_stations(&**client).await?;
    match parse_submission(media, text, &stations) {
        Ok(samples) => {
            let preview = preview(&**client, text, &samples, &stations).await?;
            Ok(Json(json!({ "preview": preview })).into_response())
        }
        Err(problems) => Ok(problems_response(&problems)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitQuery {
    file_name: Option<String>,
}

async fn submit(
    State(app): State<StaffState>,
    user: StaffUser,
    Query(query): Query<SubmitQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    user.require(SUBMITTERS)?;
    let media = media_of(&headers)?;
    let text = text_of(&body)?;
    let mut client = app.pool.get().await?;
    let stations = load_stations(&**client).await?;
    let tx = client.transaction().await?;
    let submission = Submission {
        media,
        text,
        file_name: query.file_name.as_deref(),
        submitted_by: &user.username,
    };
    let (id, preview) = match lab::submit(&*tx, submission, &stations).await {
        Ok(done) => done,
        Err(error) => return lab_error(error),
    };
    let detail = json!({
        "body_sha256": preview.body_sha256, "samples": preview.samples,
        "results": preview.results, "failing_samples": preview.failing_samples,
        "file_name": query.file_name,
    });
    audit::append(&tx, &user.username, "lab.submit", &id.to_string(), &detail).await?;
    tx.commit().await?;
    tracing::info!(batch = id, by = %user.username, samples = preview.samples, "Laboratory batch submitted.");
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "state": "pending", "preview": preview })),
    )
        .into_response())
}

async fn list(State(app): State<StaffState>, user: StaffUser) -> Result<Json<Value>, ApiError> {
    user.require(EVERYONE)?;
    let client = app.pool.get().await?;
    let batches = lab::batches(&**client, 100).await?;
    Ok(Json(json!({ "batches": batches })))
}

async fn one(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    user.require(EVERYONE)?;
    let client = app.pool.get().await?;
    let stations = load_stations(&**client).await?;
    match lab::batch(&**client, id, &stations).await {
        Ok((summary, Ok(preview))) => {
            Ok(Json(json!({ "batch": summary, "preview": preview })).into_response())
        }
        Ok((summary, Err(problems))) => {
            Ok(Json(json!({ "batch": summary, "problems": problems })).into_response())
        }
        Err(error) => lab_error(error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    body_sha256: String,
}

async fn publish(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<i64>,
    JsonBody(reviewed): JsonBody<PublishBody>,
) -> Result<Response, ApiError> {
    user.require(APPROVERS)?;
    let mut client = app.pool.get().await?;
    let stations = load_stations(&**client).await?;
    let tx = client.transaction().await?;
    let stored: Option<String> = tx
        .query_opt("SELECT body_sha256 FROM lab_batch WHERE id = $1", &[&id])
        .await?
        .map(|r| r.get(0));
    match stored {
        None => return Err(ApiError::NotFound(format!("no laboratory batch {id}"))),
        Some(hash) if !hash.eq_ignore_ascii_case(&reviewed.body_sha256) => {
            return Err(ApiError::Conflict(format!(
                "batch {id} is the file with SHA-256 {hash}, not the one reviewed ({})",
                reviewed.body_sha256
            )));
        }
        Some(_) => {}
    }
    let published = match lab::publish(&*tx, id, &user.username, &stations).await {
        Ok(published) => published,
        Err(LabError::OwnImport) => {
            drop(tx);
            audit::append_alone(
                &mut client,
                &user.username,
                "lab.publish.refused",
                &id.to_string(),
                &json!({ "reason": "own import" }),
            )
            .await?;
            return lab_error(LabError::OwnImport);
        }
        Err(error) => return lab_error(error),
    };
    let detail = serde_json::to_value(&published).unwrap_or(Value::Null);
    audit::append(&tx, &user.username, "lab.publish", &id.to_string(), &detail).await?;
    tx.commit().await?;
    tracing::info!(batch = id, by = %user.username, samples = published.samples, failing = published.failing_samples, "Laboratory batch published.");
    Ok(Json(json!({ "published": published })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

async fn reject(
    State(app): State<StaffState>,
    user: StaffUser,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<RejectBody>,
) -> Result<Response, ApiError> {
    user.require(APPROVERS)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "reason: say why the batch is rejected".into(),
        ));
    }
    let mut client = app.pool.get().await?;
    let tx = client.transaction().await?;
    if let Err(error) = lab::reject(&*tx, id, &user.username, &body.reason).await {
        return lab_error(error);
    }
    audit::append(
        &tx,
        &user.username,
        "lab.reject",
        &id.to_string(),
        &json!({ "reason": body.reason }),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(json!({ "id": id, "state": "rejected" })).into_response())
}
