//! Notices in PostgreSQL: versions, drafts, issued documents.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use envmon_core::alert::{NoticeContent, PublicNotice};
use envmon_core::db::DbError;
use serde_json::Value;

/// One version of a notice as stored.
#[derive(Debug, Clone)]
pub(crate) struct VersionRow {
    pub(crate) version: i32,
    pub(crate) state: String,
    pub(crate) content: Value,
    pub(crate) drafted_by: i64,
    pub(crate) drafted_by_name: String,
    pub(crate) drafted_at: DateTime<Utc>,
    pub(crate) approved_by_name: Option<String>,
    pub(crate) published_at: Option<DateTime<Utc>>,
    pub(crate) document: Option<Value>,
}

impl VersionRow {
    pub(crate) fn is_draft(&self) -> bool {
        self.state == "draft"
    }

    pub(crate) fn notice(&self) -> Option<PublicNotice> {
        self.document
            .clone()
            .and_then(|d| serde_json::from_value(d).ok())
    }

    pub(crate) fn content(&self) -> Option<NoticeContent> {
        serde_json::from_value(self.content.clone()).ok()
    }
}

const VERSIONS: &str = "SELECT v.version, v.state, v.content, v.drafted_by, d.username,
        v.drafted_at, a.username, v.published_at, v.document
    FROM alert_notice_version v
    JOIN staff_user d ON d.id = v.drafted_by
    LEFT JOIN staff_user a ON a.id = v.approved_by
    WHERE v.notice_id = $1 ORDER BY v.version";

/// Every version of notice `id`, oldest first; locks them when `lock`
/// (inside a transaction), so two approvals cannot race.
pub(crate) async fn versions(
    client: &impl GenericClient,
    id: &str,
    lock: bool,
) -> Result<Vec<VersionRow>, DbError> {
    if lock {
        client
            .query(
                "SELECT 1 FROM alert_notice_version WHERE notice_id = $1 FOR UPDATE",
                &[&id],
            )
            .await?;
    }
    let rows = client.query(VERSIONS, &[&id]).await?;
    Ok(rows
        .iter()
        .map(|row| VersionRow {
            version: row.get(0),
            state: row.get(1),
            content: row.get(2),
            drafted_by: row.get(3),
            drafted_by_name: row.get(4),
            drafted_at: row.get(5),
            approved_by_name: row.get(6),
            published_at: row.get(7),
            document: row.get(8),
        })
        .collect())
}

/// The alarm a notice was drafted from.
pub(crate) async fn alarm_of(
    client: &impl GenericClient,
    id: &str,
) -> Result<Option<i64>, DbError> {
    Ok(client
        .query_opt("SELECT alarm_id FROM alert_notice WHERE id = $1", &[&id])
        .await?
        .and_then(|row| row.get(0)))
}

/// Ids of the newest notices, newest first.
pub(crate) async fn recent_ids(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let rows = client
        .query(
            "SELECT id FROM alert_notice ORDER BY created_at DESC, id DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// A new notice with its first draft; returns its id.
pub(crate) async fn create(
    client: &impl GenericClient,
    content: &Value,
    drafted_by: i64,
    alarm_id: Option<i64>,
    year: i32,
) -> Result<String, DbError> {
    let number: i64 = client
        .query_one("SELECT nextval('alert_notice_number')", &[])
        .await?
        .get(0);
    let id = format!("AN-{year}-{number:05}");
    client
        .execute(
            "INSERT INTO alert_notice (id, alarm_id) VALUES ($1, $2)",
            &[&id, &alarm_id],
        )
        .await?;
    insert_draft(client, &id, 1, content, drafted_by).await?;
    Ok(id)
}

pub(crate) async fn insert_draft(
    client: &impl GenericClient,
    id: &str,
    version: i32,
    content: &Value,
    drafted_by: i64,
) -> Result<(), DbError> {
    client
        .execute(
            "INSERT INTO alert_notice_version (notice_id, version, state, content, drafted_by)
             VALUES ($1, $2, 'draft', $3, $4)",
            &[&id, &version, content, &drafted_by],
        )
        .await?;
    Ok(())
}

/// Replaces the open draft's content; the editor becomes its author.
pub(crate) async fn edit_draft(
    client: &impl GenericClient,
    id: &str,
    version: i32,
    content: &Value,
    drafted_by: i64,
) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE alert_notice_version SET content = $3, drafted_by = $4, drafted_at = now()
             WHERE notice_id = $1 AND version = $2 AND state = 'draft'",
            &[&id, &version, content, &drafted_by],
        )
        .await?;
    Ok(())
}

/// Marks the draft issued with its signed document.
pub(crate) async fn issue_draft(
    client: &impl GenericClient,
    notice: &PublicNotice,
    approved_by: i64,
) -> Result<(), DbError> {
    let document = serde_json::to_value(notice).unwrap_or(Value::Null);
    client
        .execute(
            "UPDATE alert_notice_version SET state = $3, approved_by = $4, published_at = $5,
                document = $6
             WHERE notice_id = $1 AND version = $2 AND state = 'draft'",
            &[
                &notice.id,
                &notice.version,
                &notice.status.as_str(),
                &approved_by,
                &notice.published_at,
                &document,
            ],
        )
        .await?;
    Ok(())
}

/// Stores a cancellation version (issued at once, by `cancelled_by`), and
/// drops any open draft: nothing may follow a cancellation.
pub(crate) async fn insert_cancellation(
    client: &impl GenericClient,
    notice: &PublicNotice,
    cancelled_by: i64,
) -> Result<(), DbError> {
    client
        .execute(
            "DELETE FROM alert_notice_version WHERE notice_id = $1 AND state = 'draft'",
            &[&notice.id],
        )
        .await?;
    let content = serde_json::to_value(&notice.content).unwrap_or(Value::Null);
    let document = serde_json::to_value(notice).unwrap_or(Value::Null);
    client
        .execute(
            "INSERT INTO alert_notice_version
                (notice_id, version, state, content, drafted_by, published_at, document)
             VALUES ($1, $2, 'cancelled', $3, $4, $5, $6)",
            &[
                &notice.id,
                &notice.version,
                &content,
                &cancelled_by,
                &notice.published_at,
                &document,
            ],
        )
        .await?;
    Ok(())
}
