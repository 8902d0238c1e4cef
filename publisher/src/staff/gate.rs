//! How many password checks run at once. Argon2 is slow on purpose (tens of
//! milliseconds of CPU and 19 MiB each), so a flood of sign-ins, left
//! alone, would take every core from the public site. Checks pass through a
//! gate of `login_concurrency` permits with at most `login_queue` waiting;
//! anyone past that is told to come back in a second, at once.
//!
//! Browsers an account already knows have a lane of their own, so a flood
//! from strangers cannot keep staff from signing in.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::settings::StaffSettings;

/// One lane: permits and a bounded queue.
#[derive(Debug)]
pub(crate) struct Lane {
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Counts a waiter for as long as it waits, even if its request is
/// dropped while waiting.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Lane {
    pub(crate) fn new(permits: usize, max_waiting: usize) -> Self {
        Self {
            permits: Semaphore::new(permits.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// A permit to check one password, or `None` when the queue is full.
    pub(crate) async fn enter(&self) -> Option<SemaphorePermit<'_>> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        let _waiting = Waiting(&self.waiting);
        self.permits.acquire().await.ok()
    }
}

/// The two lanes.
#[derive(Debug)]
pub(crate) struct Gate {
    pub(crate) strangers: Lane,
    pub(crate) known_browsers: Lane,
}

impl Gate {
    pub(crate) fn new(settings: &StaffSettings) -> Self {
        let concurrency = match settings.login_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get() / 2),
            n => n,
        };
        Self {
            strangers: Lane::new(concurrency, settings.login_queue),
            known_browsers: Lane::new(1, settings.login_queue),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_permits_and_the_queue_the_answer_is_no_at_once() {
        let lane = Lane::new(1, 1);
        let first = lane.enter().await.unwrap();
        // One may wait...
        let lane = &lane;
        let waiter = async move { lane.enter().await.is_some() };
        tokio::pin!(waiter);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(20), &mut waiter)
                .await
                .is_err()
        );
        // ...the next is refused without waiting.
        assert!(lane.enter().await.is_none());
        drop(first);
        assert!(waiter.await);
        // A waiter that gave up left the queue.
        assert_eq!(lane.waiting.load(Ordering::Acquire), 0);
    }
}
