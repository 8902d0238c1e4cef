//! Rebuilding the areas' days from their stations' stored daily statistics, outside the
//! rollup's runs: after the registry changes which stations an area counts, or to restore the
//! area table from the stations' history. The computation is the rollup's own
//! ([`super::areas::roll_areas`]), so a rebuilt day equals a rolled-up one.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate};
use envmon_core::StationCode;
use envmon_core::db::data_changes::{self, Changed};
use tokio_postgres::Client;

/// Days recomputed per transaction, so a rebuild of years holds no lock for long.
const DAYS_PER_TRANSACTION: u64 = 31;

/// Every (station, day) of `from..=to` with daily statistics, for stations some area counts.
const STATION_DAYS: &str = "SELECT DISTINCT d.station_code, d.day FROM daily_stat d
    WHERE d.day BETWEEN $1 AND $2
      AND EXISTS (SELECT 1 FROM area_station s WHERE s.station_code = d.station_code)";

/// Recomputes the daily AQI of every area for the days of `from..=to` on which one of its
/// stations has statistics; returns the number of (station, day) pairs read.
///
/// # Errors
/// When a query fails; the transactions committed before it stay.
pub async fn rebuild_area_days(
    client: &mut Client,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<usize, tokio_postgres::Error> {
    let mut total = 0;
    let mut start = from;
    while start <= to {
        let end = start
            .checked_add_days(Days::new(DAYS_PER_TRANSACTION - 1))
            .map_or(to, |d| d.min(to));
        let tx = client.transaction().await?;
        let rows = tx.query(STATION_DAYS, &[&start, &end]).await?;
        let pairs: Vec<(StationCode, NaiveDate)> = rows
            .iter()
            .filter_map(|row| {
                let code: &str = row.get(0);
                Some((StationCode::parse(code).ok()?, row.get(1)))
            })
            .collect();
        let days: BTreeSet<(&StationCode, NaiveDate)> =
            pairs.iter().map(|(code, day)| (code, *day)).collect();
        let areas = super::areas::roll_areas(&tx, &[], &days).await?;
        let changed = Changed::These {
            stations: Vec::new(),
            areas: areas.into_iter().collect(),
        };
        data_changes::announce(&tx, &changed).await?;
        tx.commit().await?;
        total += pairs.len();
        let Some(next) = end.succ_opt() else { break };
        start = next;
    }
    Ok(total)
}
