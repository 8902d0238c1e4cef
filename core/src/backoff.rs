//! Exponential backoff between retries of a broker or database connection.

use std::time::Duration;

/// Delays doubling from `first` up to `max`; [`Backoff::reset`] after a
/// success starts again from `first`.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// Delays from `first`, doubling, never above `max`.
    pub const fn new(first: Duration, max: Duration) -> Self {
        Self {
            first,
            max,
            next: first,
        }
    }

    /// The delay to wait now; the following one will be twice as long.
    ///
    /// ```
    /// use std::time::Duration;
    /// use envmon_core::backoff::Backoff;
    /// let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(300));
    /// let delays: Vec<_> = (0..4).map(|_| backoff.next_delay().as_millis()).collect();
    /// assert_eq!(delays, [100, 200, 300, 300]);
    /// ```
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// Starts again from the first delay.
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}
