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
//!
//! [`content_hash`]: envmon_core::alert::content_hash
//!
//! # Layout
//!
//! - `view`: a notice's versions as staff see them, and the two listing routes;
//! - `draft`: creating and editing drafts, by operators;
//! - `issue`: approving a draft and cancelling, by approvers: signed and
//!   announced.

mod draft;
mod issue;
mod view;

use axum::Router;
use axum::routing::{get, post, put};

use super::StaffState;
use super::notice_store::{self as store, VersionRow};
use crate::error::ApiError;
use draft::{create, edit, update};
use issue::{approve, cancel};
use view::{list, one};

pub(crate) use draft::create_draft;

pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .route("/api/v1/staff/notices", get(list).post(create))
        .route("/api/v1/staff/notices/{id}", get(one))
        .route("/api/v1/staff/notices/{id}/draft", put(edit))
        .route("/api/v1/staff/notices/{id}/update", post(update))
        .route("/api/v1/staff/notices/{id}/approve", post(approve))
        .route("/api/v1/staff/notices/{id}/cancel", post(cancel))
}

pub(super) async fn existing(
    client: &impl deadpool_postgres::GenericClient,
    id: &str,
) -> Result<Vec<VersionRow>, ApiError> {
    let versions = store::versions(client, id, true).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!("no notice {id}")));
    }
    Ok(versions)
}
