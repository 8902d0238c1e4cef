//! The maintenance task: creates the coming months' partitions and drops
//! expired ones (see `envmon_core::db::retention`), once before ingest
//! writes and then periodically, on a connection of its own so it never waits on the
//! writer's.

use std::time::Duration;

use chrono::Utc;
use envmon_core::db::{DatabaseSettings, DbError, RetentionSettings, run_maintenance};
use tokio_util::sync::CancellationToken;

/// Runs the retention pass every `settings.interval`.
#[derive(Debug)]
pub(crate) struct MaintenanceWorker {
    pub(crate) database: DatabaseSettings,
    pub(crate) settings: RetentionSettings,
}

impl MaintenanceWorker {
    /// Runs a pass every interval (`Ingest::build` ran the first), until
    /// `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        let interval = self.settings.interval.max(Duration::from_secs(1));
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = shutdown.cancelled() => return,
            }
            tokio::select! {
                outcome = self.pass() => if let Err(error) = outcome {
                    tracing::warn!(error = %error, "Maintenance pass failed; retrying at the next interval.");
                },
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// One pass as of now, on a connection of its own.
    pub(crate) async fn pass(&self) -> Result<(), DbError> {
        let (client, connection) = self.database.connect().await?;
        let connection = tokio::spawn(connection);
        let report = run_maintenance(&client, &self.settings, Utc::now()).await;
        drop(client);
        let _ = connection.await;
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
}
