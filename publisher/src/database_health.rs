//! Whether PostgreSQL answers, as last seen. The publisher keeps serving
//! what it holds (the live state, fed from the broker) while the database
//! is away, and marks those answers stale; `/readyz` says so but stays 200,
//! so a database blip does not take every publisher out of rotation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

/// How often the database is probed: short enough that answers are marked
/// stale within seconds of an outage, long enough to cost nothing.
const PROBE_INTERVAL: Duration = Duration::from_secs(5);

/// A probe that takes longer than this counts as unreachable: a database
/// that slow cannot serve requests within their timeout either.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The last outcome of talking to the database.
#[derive(Debug)]
pub(crate) struct DatabaseHealth {
    reachable: AtomicBool,
}

impl Default for DatabaseHealth {
    /// Reachable: the publisher only starts after migrating the database.
    fn default() -> Self {
        Self {
            reachable: AtomicBool::new(true),
        }
    }
}

impl DatabaseHealth {
    /// Whether the database answered last time it was asked.
    pub(crate) fn is_reachable(&self) -> bool {
        self.reachable.load(Ordering::Acquire)
    }

    /// Records an outcome, logging only the changes.
    pub(crate) fn record(&self, reachable: bool) {
        let was = self.reachable.swap(reachable, Ordering::AcqRel);
        match (was, reachable) {
            (true, false) => tracing::warn!(
                "Database unreachable; serving the state held in memory, marked stale."
            ),
            (false, true) => tracing::info!("Database reachable again."),
            _ => {}
        }
    }

    /// Asks the database now and records the answer.
    pub(crate) async fn check(&self, pool: &Pool) -> bool {
        let probe = async {
            match pool.get().await {
                Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
                Err(_) => false,
            }
        };
        let reachable = tokio::time::timeout(PROBE_TIMEOUT, probe)
            .await
            .unwrap_or(false);
        self.record(reachable);
        reachable
    }

    /// Probes every few seconds until `stop`.
    pub(crate) async fn run(self: Arc<Self>, pool: Pool, stop: CancellationToken) {
        let mut tick = tokio::time::interval(PROBE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    self.check(&pool).await;
                }
                () = stop.cancelled() => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_reachable_and_follows_the_last_outcome() {
        let health = DatabaseHealth::default();
        assert!(health.is_reachable());
        health.record(false);
        assert!(!health.is_reachable());
        health.record(true);
        assert!(health.is_reachable());
    }
}
