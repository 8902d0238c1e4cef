//! Rollup: from stored readings to hourly means, daily statistics and the
//! official indices, for whatever the writer marked pending.
//!
//! The writer marks (station, hour) for air and (station, instant) for water
//! in the same transaction that stores the readings; this stage takes a
//! slice of those marks, recomputes, and deletes the marks in one
//! transaction. A crash in between leaves the marks for the next run; a late
//! reading marks its own hour again, so aggregates always follow the data.
//!
//! A mark can be marked again while a run is computing it: the writer's
//! upsert then gives the row a new version (a new `xmin`), without waiting
//! for the run, and the run deletes only the versions it read. So a mark
//! whose hour gained readings the run may not have seen stays for the next
//! run (the run's delete waits for a writer still holding the row). One run
//! at a time, across ingest instances (an advisory lock).
//!
//! [`RollupWorker`] runs beside the writer on its own connection, woken after
//! every commit, so computing indices never slows storing readings; it
//! publishes the states whose indices it changed.
//!
//! One module per step of a run, in order: `marks` (take, then delete the
//! marks; the run's transaction), `hours` (hourly means, hourly AQI),
//! `water` (GB 3838 assessments), `days` (daily statistics, daily AQI),
//! `areas` (the AQI of the city and districts those stations count for),
//! with `indices` adapting aggregates to the index calculations and
//! `statements` holding every step's prepared statements. `rebuild` recomputes the areas'
//! days outside the runs, for `envmon stats rebuild-areas`.

mod areas;
mod days;
mod hours;
mod indices;
mod marks;
mod radiation;
mod rebuild;
mod statements;
mod water;
mod worker;

pub use rebuild::rebuild_area_days;
pub use worker::RollupError;
pub(crate) use worker::RollupWorker;
