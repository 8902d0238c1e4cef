//! The numbered stream: each event takes the next number, joins the replay
//! ring, and waits for the flush that hands all waiting events to the
//! broadcast as one batch.

use std::sync::Arc;

use super::super::event::{Batch, Event};
use super::{Hub, Inner};

/// Events buffered in the broadcast per client before the client counts as
/// lagging (and is sent a fresh snapshot). Clients move events into their
/// own coalescing queue at once, so only a starved task lags this far.
pub(super) const BROADCAST_CAPACITY: usize = 1024;

impl Hub {
    pub(super) fn emit(&self, inner: &mut Inner, event: Event) {
        inner.seq = event.seq;
        inner.snapshots.clear();
        let event = Arc::new(event);
        if inner.ring_capacity > 0 {
            if inner.ring.len() == inner.ring_capacity {
                inner.ring.pop_front();
            }
            inner.ring.push_back(Arc::clone(&event));
        }
        inner.unsent.push(event);
    }

    /// Whether events wait for the next flush.
    pub(crate) fn has_unsent(&self) -> bool {
        !self.lock().unsent.is_empty()
    }

    /// Broadcasts the events made since the last flush, as one batch.
    pub(crate) fn flush(&self) {
        let mut inner = self.lock();
        if inner.unsent.is_empty() {
            return;
        }
        let batch = Arc::new(Batch::new(std::mem::take(&mut inner.unsent)));
        // No receivers is fine: nobody is watching yet.
        let _ = self.events.send(batch);
    }
}

impl Inner {
    /// Whether every event after `seq` is still in the ring.
    pub(super) fn covers(&self, seq: u64) -> bool {
        if seq > self.seq {
            return false;
        }
        match self.ring.front() {
            Some(first) => first.seq <= seq + 1,
            None => seq == self.seq,
        }
    }
}
