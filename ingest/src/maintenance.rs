//! The maintenance task: creates the coming months' partitions and drops
//! expired ones (see `envmon_core::db::retention`), at start and then
//! periodically, on a connection of its own so it never waits on the
//! writer's.

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
    /// Runs a pass now and then every interval, until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                outcome = self.pass() => if let Err(error) = outcome {
                    crate::metrics::MAINTENANCE_PASSES.inc(&["failed"]);
                    tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "Maintenance pass failed; retrying at the next interval.");
                },
                () = shutdown.cancelled() => return,
            }
            tokio::select! {
                () = tokio::time::sleep(self.settings.interval.max(std::time::Duration::from_secs(1))) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    async fn pass(&self) -> Result<(), DbError> {
        let (client, connection) = self
            .database
            .pg_config()?
            .connect(tokio_postgres::NoTls)
            .await?;
        let connection = tokio::spawn(connection);
        let report = run_maintenance(&client, &self.settings, Utc::now()).await;
        drop(client);
        let _ = connection.await;
        let report = report?;
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
