//! Reading the committed latest state of stations from the database.

use deadpool_postgres::Pool;
use envmon_core::StationCode;
use envmon_core::db::DbError;
use envmon_core::db::latest;
use envmon_core::wire::{AreaState, StationState};

/// Every station's latest state, with its indices.
///
/// # Errors
/// Fails when the database cannot be queried.
pub(crate) async fn load_states(pool: &Pool) -> Result<Vec<StationState>, DbError> {
    let client = pool.get().await?;
    Ok(latest::load_states(&**client, None).await?)
}

/// Every area's latest AQI.
///
/// # Errors
/// Fails when the database cannot be queried.
pub(crate) async fn load_area_states(pool: &Pool) -> Result<Vec<AreaState>, DbError> {
    let client = pool.get().await?;
    Ok(latest::load_area_states(&**client, None).await?)
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
    let states = latest::load_states(&**client, Some(&[station.as_str()])).await?;
    Ok(states.into_iter().next())
}
