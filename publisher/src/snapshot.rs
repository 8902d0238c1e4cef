//! Reading the committed latest state of stations from the database.

use deadpool_postgres::Pool;
use envmon_core::StationCode;
use envmon_core::db::DbError;
use envmon_core::db::latest::{SELECT_LATEST, attach_indices, states_from_rows};
use envmon_core::wire::StationState;

/// Every station's latest state.
///
/// # Errors
/// Fails when the database cannot be queried.
pub(crate) async fn load_states(pool: &Pool) -> Result<Vec<StationState>, DbError> {
    let client = pool.get().await?;
    let statement = client.prepare_cached(SELECT_LATEST).await?;
    let rows = client.query(&statement, &[]).await?;
    let mut states = states_from_rows(&rows);
    attach_indices(&**client, &mut states).await?;
    Ok(states)
}

/// One station's latest state, or `None` when it has no data yet.
///
/// # Errors
/// Fails when the database cannot be queried.
pub(crate) async fn load_state(
    pool: &Pool,
    station: &StationCode,
) -> Result<Option<StationState>, DbError> {
    let client = pool.get().await?;
    let sql = format!("{SELECT_LATEST} WHERE l.station_code = $1");
    let statement = client.prepare_cached(&sql).await?;
    let rows = client.query(&statement, &[&station.as_str()]).await?;
    let mut states = states_from_rows(&rows);
    attach_indices(&**client, &mut states).await?;
    Ok(states.into_iter().next())
}
