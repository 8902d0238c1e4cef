//! The maintenance task: keeps the tables to their limits, on connections
//! of its own so it never waits on the writer's.
//!
//! Two chores, each on its own clock: the retention pass (see
//! `envmon_core::db::retention`), which creates the coming months'
//! partitions and drops expired ones, once before ingest writes and then
//! every `[retention] interval`; and the dead-letter cap
//! (`[ingest] dead_letter_max_rows`), enforced every few seconds, since a
//! misconfigured sensor can send garbage far faster than an hour's pass
//! would notice.

use std::time::Duration;

use chrono::Utc;
use envmon_core::db::{DatabaseSettings, DbError, RetentionSettings, run_maintenance};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_postgres::Client;
use tokio_util::sync::CancellationToken;

/// How often the dead-letter cap is enforced: the table may exceed its cap
/// by what arrives in this time, and the delete costs one index lookup
/// when there is nothing to drop.
const DEAD_LETTER_TRIM_INTERVAL: Duration = Duration::from_secs(5);

/// Keeps the newest dead letters only: a misconfigured sensor sending
/// garbage every second must not fill the disk.
const TRIM_DEAD_LETTERS: &str = "DELETE FROM dead_letter
    WHERE id <= (SELECT max(id) FROM dead_letter) - $1";

/// Runs the retention pass every `settings.interval` and trims the dead
/// letters every [`DEAD_LETTER_TRIM_INTERVAL`].
#[derive(Debug)]
pub(crate) struct MaintenanceWorker {
    pub(crate) database: DatabaseSettings,
    pub(crate) settings: RetentionSettings,
    /// The dead-letter table keeps at most this many rows, the newest.
    pub(crate) dead_letter_max_rows: i64,
}

impl MaintenanceWorker {
    /// Runs both chores until `shutdown` (`Ingest::build` ran the first
    /// retention pass). A failure is retried at the chore's next turn.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let interval = self.settings.interval.max(Duration::from_secs(1));
        let mut passes = tokio::time::interval_at(Instant::now() + interval, interval);
        passes.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut trims = tokio::time::interval(DEAD_LETTER_TRIM_INTERVAL);
        trims.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Kept between trims: opening a session every few seconds would
        // cost more than the delete.
        let mut trim_session: Option<Client> = None;
        loop {
            tokio::select! {
                _ = passes.tick() => tokio::select! {
                    outcome = self.pass() => if let Err(error) = outcome {
                        tracing::warn!(error = %error, "Maintenance pass failed; retrying at the next interval.");
                    },
                    () = shutdown.cancelled() => return,
                },
                _ = trims.tick() => tokio::select! {
                    outcome = self.trim_dead_letters(&mut trim_session) => if let Err(error) = outcome {
                        trim_session = None;
                        tracing::warn!(error = %error, "Cannot trim the dead letters; retrying.");
                    },
                    () = shutdown.cancelled() => return,
                },
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// One pass as of now, on a connection of its own.
    pub(crate) async fn pass(&self) -> Result<(), DbError> {
        let client = self.database.open_session("maintenance").await?;
        let report = run_maintenance(&client, &self.settings, Utc::now()).await;
        drop(client);
        let report = match report {
            Ok(report) => report,
            Err(error) => {
                crate::metrics::MAINTENANCE_PASSES.inc(&["failed"]);
                return Err(error);
            }
        };
        crate::metrics::MAINTENANCE_PASSES.inc(&["ok"]);
        crate::metrics::PARTITIONS_DROPPED.add(report.dropped.len() as u64);
        if report.ran {
            tracing::info!(
                created = report.created.len(),
                dropped = report.dropped.len(),
                deleted_from_default = report.deleted_from_default,
                "Maintenance pass done."
            );
        }
        Ok(())
    }

    /// Drops the oldest dead letters beyond the cap.
    async fn trim_dead_letters(&self, session: &mut Option<Client>) -> Result<(), DbError> {
        if session.as_ref().is_none_or(Client::is_closed) {
            *session = Some(self.database.open_session("dead-letter trim").await?);
        }
        let client = session.as_ref().expect("the session was opened just above");
        let trimmed = client
            .execute(TRIM_DEAD_LETTERS, &[&self.dead_letter_max_rows])
            .await?;
        if trimmed > 0 {
            tracing::warn!(
                trimmed,
                kept = self.dead_letter_max_rows,
                "Dropped the oldest dead letters."
            );
        }
        Ok(())
    }
}
