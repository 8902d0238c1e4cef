//! Schema migrations, embedded in the binary and applied in order.
//!
//! Several daemons may start at once, so migration runs under a PostgreSQL
//! advisory lock; each version applies in its own transaction and is recorded
//! in `schema_migration`.

use tokio_postgres::Client;

use super::DbError;
use crate::Parameter;

/// One schema version.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version number, strictly increasing.
    pub version: i32,
    /// Short name, from the file name.
    pub name: &'static str,
    /// The SQL to run.
    pub sql: &'static str,
}

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../../migrations/V1__initial.sql"),
    },
    Migration {
        version: 2,
        name: "indices",
        sql: include_str!("../../migrations/V2__indices.sql"),
    },
    Migration {
        version: 3,
        name: "us_aqi",
        sql: include_str!("../../migrations/V3__us_aqi.sql"),
    },
    Migration {
        version: 4,
        name: "hj212_mn",
        sql: include_str!("../../migrations/V4__hj212_mn.sql"),
    },
    Migration {
        version: 6,
        name: "alerts_staff",
        sql: include_str!("../../migrations/V6__alerts_staff.sql"),
    },
    Migration {
        version: 7,
        name: "retention",
        sql: include_str!("../../migrations/V7__retention.sql"),
    },
    Migration {
        version: 8,
        name: "logger_trust",
        sql: include_str!("../../migrations/V8__logger_trust.sql"),
    },
    Migration {
        version: 9,
        name: "sign_in",
        sql: include_str!("../../migrations/V9__sign_in.sql"),
    },
    Migration {
        version: 10,
        name: "areas",
        sql: include_str!("../../migrations/V10__areas.sql"),
    },
    Migration {
        version: 11,
        name: "latest_by_time",
        sql: include_str!("../../migrations/V11__latest_by_time.sql"),
    },
    Migration {
        version: 12,
        name: "forecasts",
        sql: include_str!("../../migrations/V12__forecasts.sql"),
    },
    Migration {
        version: 13,
        name: "subscriptions",
        sql: include_str!("../../migrations/V13__subscriptions.sql"),
    },
    Migration {
        version: 14,
        name: "supply_sites",
        sql: include_str!("../../migrations/V14__supply_sites.sql"),
    },
    Migration {
        version: 15,
        name: "lab_results",
        sql: include_str!("../../migrations/V15__lab_results.sql"),
    },
    Migration {
        version: 16,
        name: "radiation",
        sql: include_str!("../../migrations/V16__radiation.sql"),
    },
];

/// Arbitrary constant naming envmon's migration advisory lock.
const MIGRATION_LOCK_KEY: i64 = 0x656e_766d_6f6e;

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migration (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())";

const UPSERT_PARAMETER: &str = "INSERT INTO parameter
    (code, name_zh, name_en, unit, air, plausible_min, plausible_max)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
        unit = excluded.unit, air = excluded.air,
        plausible_min = excluded.plausible_min, plausible_max = excluded.plausible_max";

/// Applies every migration the database lacks, then refreshes the parameter
/// table from [`Parameter::ALL`]. Returns the versions applied.
///
/// # Errors
/// Fails when a statement fails; the failing version is rolled back.
pub async fn migrate(client: &mut Client) -> Result<Vec<i32>, DbError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await?;
    let outcome = apply_pending(client).await;
    // Unlock even when a migration failed; the session may be reused.
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY])
        .await;
    let applied = outcome?;
    unlocked?;
    Ok(applied)
}

async fn apply_pending(client: &mut Client) -> Result<Vec<i32>, DbError> {
    client.batch_execute(CREATE_LEDGER).await?;
    let rows = client
        .query("SELECT version FROM schema_migration", &[])
        .await?;
    let done: Vec<i32> = rows.iter().map(|row| row.get(0)).collect();
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let tx = client.transaction().await?;
        tx.batch_execute(migration.sql).await?;
        tx.execute(
            "INSERT INTO schema_migration (version, name) VALUES ($1, $2)",
            &[&migration.version, &migration.name],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "Applied migration."
        );
        applied.push(migration.version);
    }
    let upsert = client.prepare(UPSERT_PARAMETER).await?;
    for parameter in Parameter::ALL {
        let info = parameter.info();
        client
            .execute(
                &upsert,
                &[
                    &info.code,
                    &info.name_zh,
                    &info.name_en,
                    &info.unit,
                    &info.air,
                    &info.plausible_min,
                    &info.plausible_max,
                ],
            )
            .await?;
    }
    Ok(applied)
}
