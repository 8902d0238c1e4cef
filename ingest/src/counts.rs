//! Message counts of one ingest instance.
//!
//! The Prometheus metrics (`metrics`) are process-wide; these belong to
//! one [`Ingest`](crate::Ingest), so a process running several instances
//! side by side (a test of a shared subscription, say) can tell them
//! apart.

use std::sync::atomic::{AtomicU64, Ordering};

/// How many sensor messages this instance took from the broker and how
/// many of those it committed (and so acknowledged, or tried to).
#[derive(Debug, Default)]
pub struct MessageCounts {
    received: AtomicU64,
    committed: AtomicU64,
}

impl MessageCounts {
    /// Sensor messages received from the broker, redeliveries included.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// Sensor messages whose batch committed.
    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::Relaxed)
    }

    pub(crate) fn add_received(&self) {
        self.received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_committed(&self, messages: u64) {
        self.committed.fetch_add(messages, Ordering::Relaxed);
    }
}
