//! Water sites' records: every item of a site observed at one instant,
//! assessed against GB 3838.

use chrono::{DateTime, Utc};
use envmon_core::{Parameter, Station};
use tokio_postgres::Transaction;

use super::indices;
use super::statements::{Params, Statements, execute_each, query_each};

pub(super) const RECORD_READINGS: &str = "SELECT parameter_code, value FROM reading
    WHERE station_code = $1 AND observed_at = $2 AND quality = 'valid'";

pub(super) const UPSERT_WATER: &str = "INSERT INTO water_assessment
        (station_code, observed_at, class, meets_target, report)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (station_code, observed_at) DO UPDATE
        SET class = excluded.class, meets_target = excluded.meets_target,
            report = excluded.report, computed_at = now()";

/// Assesses water records (all items of a site observed at one instant)
/// against GB 3838.
pub(super) async fn assess_water(
    tx: &Transaction<'_>,
    st: &Statements,
    records: &[(&Station, DateTime<Utc>)],
) -> Result<(), tokio_postgres::Error> {
    if records.is_empty() {
        return Ok(());
    }
    let keys: Vec<(&str, DateTime<Utc>)> = records
        .iter()
        .map(|(station, at)| (station.code.as_str(), *at))
        .collect();
    let item_rows = query_each(
        tx,
        &st.record_readings,
        keys.iter()
            .map(|(code, at)| -> Params<'_> { vec![code, at] }),
    )
    .await?;
    let assessments: Vec<_> = records
        .iter()
        .zip(&keys)
        .zip(&item_rows)
        .filter_map(|(((station, _), (code, at)), rows)| {
            let values: Vec<(Parameter, f64)> = rows
                .iter()
                .filter_map(|row| Some((Parameter::parse(row.get(0))?, row.get(1))))
                .collect();
            Some((*code, *at, indices::water(station, &values)?))
        })
        .collect();
    execute_each(
        tx,
        &st.upsert_water,
        assessments.iter().map(|(code, at, row)| -> Params<'_> {
            vec![code, at, &row.class, &row.meets_target, &row.report]
        }),
    )
    .await
}
