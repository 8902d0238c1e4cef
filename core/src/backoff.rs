//! Exponential backoff with jitter between retries of a broker or database
//! connection.
//!
//! The jitter is what keeps a fleet from moving in step: when a broker or
//! PostgreSQL restarts, every daemon (and every simulated sensor) loses its
//! connection at the same instant, and without it they would all retry at
//! the same instants too, each wave hitting the server as it comes up.

use std::time::Duration;

/// Delays doubling from `first` up to `max`, each drawn at random from the
/// upper half of its step; [`Backoff::reset`] after a success starts again
/// from `first`.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    max: Duration,
    /// The ceiling of the next delay: `first`, doubled per failure, at most `max`.
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

    /// The delay to wait now, between half its step and the step; the
    /// following step is twice as long.
    ///
    /// ```
    /// use std::time::Duration;
    /// use envmon_core::backoff::Backoff;
    /// let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(300));
    /// let steps = [100, 200, 300, 300];
    /// for step in steps {
    ///     let delay = backoff.next_delay().as_millis();
    ///     assert!(step / 2 <= delay && delay <= step, "{delay} ms for a step of {step} ms");
    /// }
    /// ```
    pub fn next_delay(&mut self) -> Duration {
        let step = self.next;
        self.next = (self.next * 2).min(self.max);
        // Without randomness (which the OS does not fail to give in
        // practice) the plain step is still a correct delay.
        jittered(step, getrandom::u64().unwrap_or(u64::MAX))
    }

    /// Starts again from the first delay.
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

/// A delay in `[step / 2, step]`, chosen by `random`: never less than half
/// the step, so a retry storm still backs off, and never more than the step.
fn jittered(step: Duration, random: u64) -> Duration {
    let floor = step / 2;
    let span = u64::try_from((step - floor).as_nanos()).unwrap_or(u64::MAX);
    let offset = match span.checked_add(1) {
        Some(choices) => random % choices,
        None => random,
    };
    floor + Duration::from_nanos(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jitter_spans_the_upper_half_of_the_step() {
        let step = Duration::from_millis(200);
        assert_eq!(jittered(step, 0), Duration::from_millis(100));
        assert_eq!(jittered(step, 100_000_000), step);
        assert!(jittered(step, u64::MAX) <= step);
        assert_eq!(jittered(Duration::ZERO, u64::MAX), Duration::ZERO);
        let odd = Duration::from_nanos(3);
        assert_eq!(jittered(odd, 0), Duration::from_nanos(1));
        assert_eq!(jittered(odd, 2), odd);
    }

    #[test]
    fn delays_stay_within_their_doubling_steps_and_reset_starts_over() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        for _ in 0..20 {
            let steps = [100, 200, 400, 800, 1000, 1000];
            for step in steps.map(Duration::from_millis) {
                let delay = backoff.next_delay();
                assert!(step / 2 <= delay && delay <= step, "{delay:?} for {step:?}");
            }
            backoff.reset();
        }
    }

    #[test]
    fn delays_are_spread_not_in_step() {
        let mut delays: Vec<Duration> = (0..32)
            .map(|_| Backoff::new(Duration::from_secs(1), Duration::from_secs(1)).next_delay())
            .collect();
        delays.sort();
        delays.dedup();
        assert!(delays.len() > 1, "32 fresh backoffs all chose {delays:?}");
    }
}
