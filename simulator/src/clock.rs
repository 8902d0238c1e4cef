//! Simulated time: runs `speedup` times faster than real time from `start`
//! until it catches up with now, then follows real time. A start in the past
//! with a large speed-up backfills history, then the simulation goes live.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// Maps real elapsed time to simulated time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SimClock {
    start: DateTime<Utc>,
    speedup: f64,
}

impl SimClock {
    pub(crate) fn new(start: DateTime<Utc>, speedup: f64) -> Self {
        Self {
            start,
            speedup: speedup.max(1.0),
        }
    }

    /// Simulated time after `elapsed` of real time, when the real clock now
    /// reads `real_now`.
    pub(crate) fn at(&self, elapsed: Duration, real_now: DateTime<Utc>) -> DateTime<Utc> {
        let fast = chrono::Duration::from_std(elapsed.mul_f64(self.speedup))
            .unwrap_or(chrono::Duration::MAX);
        let fast = self
            .start
            .checked_add_signed(fast)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if self.start > real_now {
            fast
        } else {
            fast.min(real_now)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn runs_fast_until_it_reaches_now_then_follows_real_time() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let clock = SimClock::new(now - chrono::Duration::hours(2), 3600.0);
        assert_eq!(
            clock.at(Duration::from_secs(1), now),
            now - chrono::Duration::hours(1)
        );
        assert_eq!(clock.at(Duration::from_secs(5), now), now);
    }
}
