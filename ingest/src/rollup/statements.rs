//! The rollup's statements, prepared once per session, and the two ways a
//! step runs one statement for many marks at once.

use futures_util::TryStreamExt;
use futures_util::future::try_join_all;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement, Transaction};

use super::{days, hours, marks, water};

/// The rollup's statements, prepared once per session: parsing and
/// planning a dozen statements for every mark cost more than running them.
#[derive(Debug)]
pub(super) struct Statements {
    pub(super) try_lock: Statement,
    pub(super) take_marks: Statement,
    pub(super) delete_marks: Statement,
    pub(super) hour_readings: Statement,
    pub(super) upsert_hourly: Statement,
    pub(super) day_hourly: Statement,
    pub(super) upsert_daily: Statement,
    pub(super) upsert_aqi_hourly: Statement,
    pub(super) hourly_history: Statement,
    pub(super) upsert_aqi_daily: Statement,
    pub(super) record_readings: Statement,
    pub(super) upsert_water: Statement,
}

impl Statements {
    /// Prepares every statement on `client`'s session.
    pub(super) async fn prepare(client: &Client) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            try_lock: client.prepare(marks::TRY_LOCK).await?,
            take_marks: client.prepare(marks::TAKE_MARKS).await?,
            delete_marks: client.prepare(marks::DELETE_MARKS).await?,
            hour_readings: client.prepare(hours::HOUR_READINGS).await?,
            upsert_hourly: client.prepare(hours::UPSERT_HOURLY).await?,
            day_hourly: client.prepare(days::DAY_HOURLY).await?,
            upsert_daily: client.prepare(days::UPSERT_DAILY).await?,
            upsert_aqi_hourly: client.prepare(hours::UPSERT_AQI_HOURLY).await?,
            hourly_history: client.prepare(hours::HOURLY_HISTORY).await?,
            upsert_aqi_daily: client.prepare(days::UPSERT_AQI_DAILY).await?,
            record_readings: client.prepare(water::RECORD_READINGS).await?,
            upsert_water: client.prepare(water::UPSERT_WATER).await?,
        })
    }
}

/// Parameters of one statement execution.
pub(super) type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

/// Runs `statement` once per parameter list, all sent at once (pipelined:
/// one round trip for the lot), and returns each run's rows in order.
pub(super) async fn query_each<'a>(
    tx: &Transaction<'_>,
    statement: &Statement,
    params: impl Iterator<Item = Params<'a>>,
) -> Result<Vec<Vec<Row>>, tokio_postgres::Error> {
    try_join_all(params.map(|p| async move {
        tx.query_raw(statement, p)
            .await?
            .try_collect::<Vec<Row>>()
            .await
    }))
    .await
}

/// Runs `statement` once per parameter list, pipelined.
pub(super) async fn execute_each<'a>(
    tx: &Transaction<'_>,
    statement: &Statement,
    params: impl Iterator<Item = Params<'a>>,
) -> Result<(), tokio_postgres::Error> {
    try_join_all(params.map(|p| tx.execute_raw(statement, p))).await?;
    Ok(())
}
