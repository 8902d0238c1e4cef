//! The audit chain anchored outside the database: every
//! `audit_head_interval` the publisher reads the chain's last entry and
//! signs its sequence number and hash ([`AuditHead`]), and serves that at
//! `/api/v1/audit/head` and in the Atom feed. Anyone who keeps a head can
//! later run `envmon audit verify --against HEAD.json`: a table rewritten
//! below that head (even with every hash recomputed) no longer passes
//! through it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use deadpool_postgres::Pool;
use envmon_core::alert::NoticeSigner;
use envmon_core::alert::audit::AuditHead;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::audit::last_entry;

/// The latest signed head, kept for serving.
#[derive(Debug, Default)]
pub(crate) struct AuditAnchor {
    latest: Mutex<Option<Arc<Value>>>,
}

impl AuditAnchor {
    /// The latest signed head, if one has been made.
    pub(crate) fn current(&self) -> Option<Arc<Value>> {
        self.latest.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Reads the chain's head and signs it. A failure is logged and the
    /// previous head kept: it is still a true statement about the past.
    pub(crate) async fn refresh(&self, pool: &Pool, signer: &NoticeSigner) {
        let last = match pool.get().await {
            Ok(client) => last_entry(&client).await,
            Err(error) => Err(error.into()),
        };
        match last {
            Ok(last) => {
                let head = AuditHead::after(last.as_ref(), Utc::now()).signed(signer);
                if let Ok(mut latest) = self.latest.lock() {
                    *latest = Some(Arc::new(head));
                }
            }
            Err(error) => tracing::warn!(error = %error, "Cannot read the audit chain's head."),
        }
    }

    /// Signs the head every `interval` until `shutdown`.
    pub(crate) async fn run(
        self: Arc<Self>,
        pool: Pool,
        signer: Arc<NoticeSigner>,
        interval: Duration,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(interval.max(Duration::from_millis(50)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.refresh(&pool, &signer).await,
                () = shutdown.cancelled() => break,
            }
        }
    }
}
