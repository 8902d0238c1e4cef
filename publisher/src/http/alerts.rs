//! Public alert notices: `/api/v1/alerts` (JSON), `/api/v1/alerts/{id}`
//! (JSON, `.cap` or `.xml` for CAP 1.2), `/api/v1/alerts.atom` and
//! `/api/v1/alerts/public-key`; and the audit chain's signed head,
//! `/api/v1/audit/head` (also carried in the Atom feed).
//!
//! `{id}` is a notice id (its latest issued version) or a version id
//! (`AN-2026-00007.v2`). A notice past its expiry is shown as `expired`, and
//! re-signed in that form, so what is served always verifies.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use envmon_core::alert::atom::{ATOM_CONTENT_TYPE, render_atom};
use envmon_core::alert::cap::{CAP_CONTENT_TYPE, CapReference, render_cap};
use envmon_core::alert::{PublicNotice, signing};
use serde_json::{Value, json};

use utoipa::OpenApi;

use super::api_schemas::{ErrorResponse, RateLimited};
use crate::error::ApiError;
use crate::public_notices::{issued_version, latest_documents};
use crate::state::AppState;

/// Notices listed by the JSON and Atom feeds.
const FEED_LIMIT: i64 = 100;

/// The alert routes in the API document.
#[derive(OpenApi)]
#[openapi(paths(list, atom, public_key, one, audit_head))]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alerts", get(list))
        .route("/api/v1/alerts.atom", get(atom))
        .route("/api/v1/alerts/public-key", get(public_key))
        .route("/api/v1/alerts/{file}", get(one))
        .route("/api/v1/audit/head", get(audit_head))
}

/// The notice as the public sees it now.
fn present(app: &AppState, notice: PublicNotice) -> PublicNotice {
    crate::public_notices::present(&app.staff.signer, notice, Utc::now())
}

#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    operation_id = "listAlerts",
    summary = "Public alert notices (active and recent), newest first, each signed.",
    tags = ["alerts"],
    responses(
        (status = 200, description = "OK.", body = Object),
        (status = 429, response = RateLimited),
    ),
)]
async fn list(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let client = app.pool.get().await?;
    let now = Utc::now();
    let notices: Vec<PublicNotice> = latest_documents(&client, FEED_LIMIT)
        .await?
        .into_iter()
        .map(|n| present(&app, n))
        .collect();
    let active: Vec<&str> = notices
        .iter()
        .filter(|n| n.is_active(now))
        .map(|n| n.id.as_str())
        .collect();
    Ok(Json(json!({ "notices": notices, "active": active })))
}

#[utoipa::path(
    get,
    path = "/api/v1/alerts.atom",
    operation_id = "alertsAtom",
    summary = "The alert notices as an Atom feed.",
    tags = ["alerts"],
    responses(
        (status = 200, description = "OK.", body = String, content_type = "application/atom+xml"),
        (status = 429, response = RateLimited),
    ),
)]
async fn atom(State(app): State<AppState>) -> Result<Response, ApiError> {
    let client = app.pool.get().await?;
    let notices: Vec<PublicNotice> = latest_documents(&client, FEED_LIMIT)
        .await?
        .into_iter()
        .map(|n| present(&app, n))
        .collect();
    let self_url = format!("{}/api/v1/alerts.atom", app.staff.base_url);
    let title = format!(
        "{} / {}",
        app.staff.sender.name_zh, app.staff.sender.name_en
    );
    let head = app.staff.anchor.current().map(|head| head.to_string());
    let body = render_atom(&self_url, &title, &notices, head.as_deref(), Utc::now());
    Ok(([(header::CONTENT_TYPE, ATOM_CONTENT_TYPE)], body).into_response())
}

// The key notices are signed with now, and every key a verifier should
// trust with its period (the current one first): what the dashboard and
// the widget verify notices against.
#[utoipa::path(
    get,
    path = "/api/v1/alerts/public-key",
    operation_id = "alertsPublicKey",
    summary = "The key notices are signed with now, and every key to trust with its validity period (`keys`: `public_key`, `not_before`, `not_after`).",
    tags = ["alerts"],
    responses(
        (status = 200, description = "OK.", content((Object = "application/json"), (String = "text/plain"))),
        (status = 429, response = RateLimited),
    ),
)]
async fn public_key(State(app): State<AppState>) -> Json<Value> {
    Json(json!({
        "algorithm": signing::ALGORITHM,
        "public_key": app.staff.signer.public_key_hex(),
        "keys": app.staff.trusted.keys(),
        "signed": "the RFC 8785 (JCS) canonical JSON of a notice without its signature member",
    }))
}

// The audit chain's latest signed head (see `staff::anchor`).
#[utoipa::path(
    get,
    path = "/api/v1/audit/head",
    operation_id = "auditHead",
    summary = "The staff audit chain's head (last entry's `seq` and `hash`, `signed_at`), signed like a notice: keep it to check later with `envmon audit verify --against HEAD.json` that the chain was not rewritten below it.",
    tags = ["alerts"],
    responses(
        (status = 200, description = "OK.", body = Object),
        (status = 429, response = RateLimited),
        (status = 503, response = ErrorResponse),
    ),
)]
async fn audit_head(State(app): State<AppState>) -> Result<Response, ApiError> {
    let head = app
        .staff
        .anchor
        .current()
        .ok_or_else(|| ApiError::Unavailable("the audit chain's head has not been read yet"))?;
    Ok((
        [(header::CACHE_CONTROL, "no-cache")],
        Json(head.as_ref().clone()),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/alerts/{file}",
    operation_id = "oneAlert",
    summary = "One notice: `{id}` (JSON, its latest issued version; or a version id such as AN-2026-00007.v2), `{id}.cap` or `{id}.xml` for CAP 1.2.",
    tags = ["alerts"],
    params(("file" = String, Path, description = "Notice or version id, optionally with .cap or .xml.", example = "AN-2026-00007.cap")),
    responses(
        (status = 200, description = "OK.", content((Object = "application/json"), (String = "application/cap+xml"))),
        (status = 429, response = RateLimited),
        (status = 400, response = ErrorResponse),
        (status = 404, response = ErrorResponse),
    ),
)]
async fn one(State(app): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let (name, format) = if let Some(name) = file.strip_suffix(".cap") {
        (name, Format::Cap)
    } else if let Some(name) = file.strip_suffix(".xml") {
        (name, Format::Xml)
    } else {
        (file.strip_suffix(".json").unwrap_or(&file), Format::Json)
    };
    let (id, version) = match name.rsplit_once(".v") {
        Some((id, v)) => {
            let v: i32 = v
                .parse()
                .map_err(|_| ApiError::BadRequest(format!("id: {name:?} has no valid version")))?;
            (id, Some(v))
        }
        None => (name, None),
    };
    let client = app.pool.get().await?;
    let (notice, earlier) = issued_version(&client, id, version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no issued notice {name}")))?;
    match format {
        Format::Json => Ok(Json(present(&app, notice)).into_response()),
        Format::Cap | Format::Xml => {
            let references: Vec<CapReference> = earlier
                .iter()
                .map(|n| CapReference {
                    identifier: n.version_id.clone(),
                    sent: n.published_at,
                })
                .collect();
            let body = render_cap(&notice, &references, &app.staff.sender);
            let content_type = if format == Format::Cap {
                CAP_CONTENT_TYPE
            } else {
                "application/xml; charset=utf-8"
            };
            Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Cap,
    Xml,
}
