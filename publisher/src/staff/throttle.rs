//! How often a name may be tried: delays that grow with wrong passwords,
//! kept in PostgreSQL so that every publisher counts the same attempts.
//!
//! A *subject* is what is throttled: `user:{name}` for a name typed in a
//! browser the account does not know (known or unknown names alike, so the
//! answers cannot tell them apart), or `browser:{hash}` for a browser that
//! signed in to the account before (see `login`). After
//! `login_free_attempts` wrong passwords in a row, each further attempt on
//! the subject must wait `login_delay`, doubling with every wrong password
//! up to `login_max_delay`; an attempt before its time is answered 429 with
//! `Retry-After` and its password is not even checked. Nothing ever locks:
//! the right password gets in at the first attempt after the wait.
//!
//! An attempt *claims* its slot before the password is checked (one
//! statement, under the row's lock), counting itself as wrong until proven
//! right; so a thousand parallel attempts on one name get `free + 1` checks,
//! not a thousand. A claim that is refused is remembered in memory until
//! its time, so a flood on one name costs the database nothing more.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use deadpool_postgres::GenericClient;
use envmon_core::db::DbError;

use crate::settings::StaffSettings;

/// Subjects remembered as waiting; past this, the database alone decides.
const MAX_REMEMBERED: usize = 10_000;

/// Every this many claims, rows idle for a day are swept.
const SWEEP_EVERY: u64 = 1_000;

/// Claims the next attempt on `$1` if its time has come; else returns the
/// seconds left. `$2` free attempts, `$3` first delay and `$4` longest
/// delay in seconds. The exponent is bounded so the power cannot overflow.
const CLAIM: &str = "WITH claimed AS (
    INSERT INTO login_throttle AS t (subject, failures, next_attempt_at, updated_at)
    VALUES ($1, 1, now() + make_interval(secs => CASE WHEN 1 < $2 THEN 0
        ELSE least($3 * power(2.0::float8, least(1 - $2, 60)::float8), $4) END), now())
    ON CONFLICT (subject) DO UPDATE SET
        failures = t.failures + 1,
        next_attempt_at = now() + make_interval(secs => CASE WHEN t.failures + 1 < $2 THEN 0
            ELSE least($3 * power(2.0::float8, least(t.failures + 1 - $2, 60)::float8), $4) END),
        updated_at = now()
    WHERE t.next_attempt_at <= now()
    RETURNING failures)
SELECT (SELECT failures FROM claimed),
       (SELECT extract(epoch FROM next_attempt_at - now())::float8
        FROM login_throttle WHERE subject = $1)";

const RESET: &str = "DELETE FROM login_throttle WHERE subject = $1";

/// A day without attempts forgets a subject.
const SWEEP: &str = "DELETE FROM login_throttle
    WHERE updated_at < now() - interval '1 day' AND next_attempt_at < now()";

/// The delays.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    free: u32,
    first: Duration,
    longest: Duration,
}

impl Schedule {
    pub(crate) fn new(settings: &StaffSettings) -> Self {
        Self {
            free: settings.login_free_attempts.max(1),
            first: settings.login_delay,
            longest: settings.login_max_delay.max(settings.login_delay),
        }
    }

    /// The wait after `failures` wrong passwords in a row (the same rule as
    /// [`CLAIM`], for messages and tests).
    pub(crate) fn delay(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free).min(60);
        let seconds = self.first.as_secs_f64() * 2f64.powi(doublings as i32);
        Duration::from_secs_f64(seconds.min(self.longest.as_secs_f64()))
    }
}

/// What a claim got.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Claim {
    /// Check the password; this is wrong password number `failures` in a
    /// row unless it proves right.
    Granted { failures: u32 },
    /// Not before this many seconds.
    Wait(u64),
}

/// The per-subject throttle.
#[derive(Debug)]
pub(crate) struct Throttle {
    schedule: Schedule,
    /// Subjects known to be waiting, and until when.
    waiting: Mutex<HashMap<String, Instant>>,
    claims: AtomicU64,
}

/// Whole seconds to wait, at least one.
fn whole_seconds(seconds: f64) -> u64 {
    // Saturating float-to-int conversion.
    (seconds.ceil() as u64).max(1)
}

impl Throttle {
    pub(crate) fn new(schedule: Schedule) -> Self {
        Self {
            schedule,
            waiting: Mutex::default(),
            claims: AtomicU64::new(0),
        }
    }

    pub(crate) fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// The wait this publisher already knows of for `subject`, if any.
    pub(crate) fn known_wait(&self, subject: &str, now: Instant) -> Option<u64> {
        let waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        waiting
            .get(subject)
            .filter(|until| **until > now)
            .map(|until| whole_seconds((*until - now).as_secs_f64()))
    }

    fn remember(&self, subject: &str, until: Instant, now: Instant) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if waiting.len() >= MAX_REMEMBERED {
            waiting.retain(|_, until| *until > now);
        }
        if waiting.len() < MAX_REMEMBERED {
            waiting.insert(subject.to_owned(), until);
        }
    }

    /// Claims an attempt on `subject` (one short statement).
    ///
    /// # Errors
    /// When the database fails.
    pub(crate) async fn claim(
        &self,
        client: &impl GenericClient,
        subject: &str,
    ) -> Result<Claim, DbError> {
        let now = Instant::now();
        if let Some(wait) = self.known_wait(subject, now) {
            return Ok(Claim::Wait(wait));
        }
        if self.claims.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            client.execute(SWEEP, &[]).await?;
        }
        let free = i32::try_from(self.schedule.free).unwrap_or(i32::MAX);
        let row = client
            .query_one(
                CLAIM,
                &[
                    &subject,
                    &free,
                    &self.schedule.first.as_secs_f64(),
                    &self.schedule.longest.as_secs_f64(),
                ],
            )
            .await?;
        match row.get::<_, Option<i32>>(0) {
            Some(failures) => Ok(Claim::Granted {
                failures: u32::try_from(failures).unwrap_or(0),
            }),
            None => {
                let left = row.get::<_, Option<f64>>(1).unwrap_or(1.0).max(0.001);
                self.remember(subject, now + Duration::from_secs_f64(left), now);
                Ok(Claim::Wait(whole_seconds(left)))
            }
        }
    }

    /// The right password: the subject starts afresh.
    ///
    /// # Errors
    /// When the database fails.
    pub(crate) async fn reset(
        &self,
        client: &impl GenericClient,
        subject: &str,
    ) -> Result<(), DbError> {
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(subject);
        client.execute(RESET, &[&subject]).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule::new(&StaffSettings::default())
    }

    #[test]
    fn delays_start_after_the_free_attempts_double_and_stop_growing() {
        let s = schedule();
        assert_eq!(s.delay(4), Duration::ZERO);
        assert_eq!(s.delay(5), Duration::from_secs(1));
        assert_eq!(s.delay(6), Duration::from_secs(2));
        assert_eq!(s.delay(9), Duration::from_secs(16));
        assert_eq!(s.delay(14), Duration::from_secs(300));
        assert_eq!(s.delay(u32::MAX), Duration::from_secs(300));
    }

    #[test]
    fn a_known_wait_is_answered_from_memory_until_it_ends() {
        let throttle = Throttle::new(schedule());
        let now = Instant::now();
        throttle.remember("user:alice", now + Duration::from_millis(1500), now);
        assert_eq!(throttle.known_wait("user:alice", now), Some(2));
        assert_eq!(throttle.known_wait("user:bob", now), None);
        assert_eq!(
            throttle.known_wait("user:alice", now + Duration::from_secs(2)),
            None
        );
        assert_eq!(whole_seconds(0.0001), 1);
    }
}
