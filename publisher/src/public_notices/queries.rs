//! The issued notices as stored: what the public API, the live feed and the
//! broadcaster read. Drafts never leave this module.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use envmon_core::alert::{NoticeStatus, PublicNotice};
use envmon_core::db::DbError;

/// Every issued version of one notice, oldest first.
const ISSUED_VERSIONS: &str = "SELECT document FROM alert_notice_version
    WHERE notice_id = $1 AND state <> 'draft' ORDER BY version";

/// The latest issued document of each notice, newest first (at most
/// `limit`), as issued: status published, updated or cancelled.
pub(crate) async fn latest_documents(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<PublicNotice>, DbError> {
    let rows = client
        .query(
            "SELECT DISTINCT ON (notice_id) document FROM alert_notice_version
             WHERE state <> 'draft' ORDER BY notice_id, version DESC",
            &[],
        )
        .await?;
    let mut notices: Vec<PublicNotice> = rows
        .iter()
        .filter_map(|row| serde_json::from_value(row.get(0)).ok())
        .collect();
    notices.sort_by_key(|n| std::cmp::Reverse(n.published_at));
    notices.truncate(usize::try_from(limit).unwrap_or(100));
    Ok(notices)
}

/// The latest issued document of every notice that has not expired: what
/// is announced again after a reconnection.
pub(crate) async fn current_documents(pool: &Pool) -> Result<Vec<PublicNotice>, DbError> {
    let client = pool.get().await?;
    let now = Utc::now();
    Ok(latest_documents(&client, 10_000)
        .await?
        .into_iter()
        .filter(|n| n.content.expires > now)
        .collect())
}

/// One issued version by its version id, with the versions issued before
/// it (for CAP references).
pub(crate) async fn issued_version(
    client: &impl GenericClient,
    id: &str,
    version: Option<i32>,
) -> Result<Option<(PublicNotice, Vec<PublicNotice>)>, DbError> {
    let rows = client.query(ISSUED_VERSIONS, &[&id]).await?;
    let issued: Vec<PublicNotice> = rows
        .iter()
        .filter_map(|row| row.get::<_, Option<serde_json::Value>>(0))
        .filter_map(|document| serde_json::from_value(document).ok())
        .collect();
    let position = match version {
        Some(version) => issued.iter().position(|n| n.version == version),
        None => issued.len().checked_sub(1),
    };
    Ok(position.map(|i| (issued[i].clone(), issued[..i].to_vec())))
}

/// What the public sees now: `expired` once past `expires` (unless it was
/// cancelled, which stays cancelled).
pub(crate) fn public_status(notice: &PublicNotice, now: DateTime<Utc>) -> NoticeStatus {
    match notice.status {
        NoticeStatus::Published | NoticeStatus::Updated if notice.content.expires <= now => {
            NoticeStatus::Expired
        }
        status => status,
    }
}
