//! Forecasts in PostgreSQL: versions, drafts, issued documents, and the
//! registry's areas they may speak of. Drafts never leave the staff routes;
//! the public reads issued documents through `public_forecasts`.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use envmon_core::alert::Bilingual;
use envmon_core::db::DbError;
use envmon_core::forecast::{ForecastContent, PublicForecast};
use serde_json::Value;

/// One version of a forecast as stored.
#[derive(Debug, Clone)]
pub(crate) struct ForecastVersionRow {
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

impl ForecastVersionRow {
    pub(crate) fn is_draft(&self) -> bool {
        self.state == "draft"
    }

    pub(crate) fn forecast(&self) -> Option<PublicForecast> {
        self.document
            .clone()
            .and_then(|d| serde_json::from_value(d).ok())
    }

    pub(crate) fn content(&self) -> Option<ForecastContent> {
        serde_json::from_value(self.content.clone()).ok()
    }
}

const VERSIONS: &str = "SELECT v.version, v.state, v.content, v.drafted_by, d.username,
        v.drafted_at, a.username, v.published_at, v.document
    FROM forecast_version v
    JOIN staff_user d ON d.id = v.drafted_by
    LEFT JOIN staff_user a ON a.id = v.approved_by
    WHERE v.forecast_id = $1 ORDER BY v.version";

/// Every version of forecast `id`, oldest first; locks them when `lock`
/// (inside a transaction), so two approvals cannot race.
pub(crate) async fn versions(
    client: &impl GenericClient,
    id: &str,
    lock: bool,
) -> Result<Vec<ForecastVersionRow>, DbError> {
    if lock {
        client
            .query(
                "SELECT 1 FROM forecast_version WHERE forecast_id = $1 FOR UPDATE",
                &[&id],
            )
            .await?;
    }
    let rows = client.query(VERSIONS, &[&id]).await?;
    Ok(rows
        .iter()
        .map(|row| ForecastVersionRow {
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

/// Ids of the newest forecasts, newest first.
pub(crate) async fn recent_ids(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let rows = client
        .query(
            "SELECT id FROM forecast ORDER BY created_at DESC, id DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// The registry's areas: id and names, the city first.
pub(crate) async fn areas(
    client: &impl GenericClient,
) -> Result<Vec<(String, Bilingual)>, DbError> {
    let rows = client
        .query(
            "SELECT id, name_zh, name_en FROM area ORDER BY kind, id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            (
                row.get(0),
                Bilingual {
                    zh: row.get(1),
                    en: row.get(2),
                },
            )
        })
        .collect())
}

/// A new forecast with its first draft; returns its id, `FC-{year}-{n:05}`.
pub(crate) async fn create(
    client: &impl GenericClient,
    area: &str,
    content: &Value,
    drafted_by: i64,
    year: i32,
) -> Result<String, DbError> {
    let number: i64 = client
        .query_one("SELECT nextval('forecast_number')", &[])
        .await?
        .get(0);
    let id = format!("FC-{year}-{number:05}");
    client
        .execute(
            "INSERT INTO forecast (id, area_id) VALUES ($1, $2)",
            &[&id, &area],
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
            "INSERT INTO forecast_version (forecast_id, version, state, content, drafted_by)
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
            "UPDATE forecast_version SET content = $3, drafted_by = $4, drafted_at = now()
             WHERE forecast_id = $1 AND version = $2 AND state = 'draft'",
            &[&id, &version, content, &drafted_by],
        )
        .await?;
    Ok(())
}

/// Marks the draft issued with its signed document.
pub(crate) async fn issue_draft(
    client: &impl GenericClient,
    forecast: &PublicForecast,
    approved_by: i64,
) -> Result<(), DbError> {
    let document = serde_json::to_value(forecast).unwrap_or(Value::Null);
    client
        .execute(
            "UPDATE forecast_version SET state = $3, approved_by = $4, published_at = $5,
                document = $6, last_day = $7
             WHERE forecast_id = $1 AND version = $2 AND state = 'draft'",
            &[
                &forecast.id,
                &forecast.version,
                &forecast.status.as_str(),
                &approved_by,
                &forecast.issued_at,
                &document,
                &forecast.last_day(),
            ],
        )
        .await?;
    Ok(())
}

/// Stores a withdrawal version (issued at once, by `withdrawn_by`), and
/// drops any open draft: nothing may follow a withdrawal.
pub(crate) async fn insert_withdrawal(
    client: &impl GenericClient,
    forecast: &PublicForecast,
    withdrawn_by: i64,
) -> Result<(), DbError> {
    client
        .execute(
            "DELETE FROM forecast_version WHERE forecast_id = $1 AND state = 'draft'",
            &[&forecast.id],
        )
        .await?;
    let content = serde_json::to_value(forecast.content()).unwrap_or(Value::Null);
    let document = serde_json::to_value(forecast).unwrap_or(Value::Null);
    client
        .execute(
            "INSERT INTO forecast_version
                (forecast_id, version, state, content, drafted_by, published_at, document, last_day)
             VALUES ($1, $2, 'withdrawn', $3, $4, $5, $6, $7)",
            &[
                &forecast.id,
                &forecast.version,
                &content,
                &withdrawn_by,
                &forecast.issued_at,
                &document,
                &forecast.last_day(),
            ],
        )
        .await?;
    Ok(())
}
