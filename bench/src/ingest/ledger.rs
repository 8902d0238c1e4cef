//! The bench's books: what the load generator published, and what ingest has
//! shown to be committed.
//!
//! Every station's messages carry consecutive observation minutes counted
//! from one origin, one minute per message. Ingest commits a station's
//! messages in the order the broker delivers them, which is the order they
//! were published (one publishing client, QoS 1, no reconnect). So the
//! newest committed minute of a station names exactly which of its messages
//! are committed. That lets the bench count committed readings from the 19
//! rows of `station_latest` instead of a `count(*)` over millions of rows,
//! and match each live update to the messages it confirms. The run ends with
//! one exact `count(*)` that checks this.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Messages and readings, published or committed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Progress {
    pub(super) messages: u64,
    pub(super) readings: u64,
}

/// A run of a station's messages that hold the same number of readings.
#[derive(Debug, Clone, Copy)]
struct Segment {
    first_minute: u64,
    readings_before: u64,
    per_message: u64,
}

/// A message published and not yet seen committed.
#[derive(Debug, Clone, Copy)]
struct Pending {
    minute: u64,
    handed_over: Instant,
    step: usize,
}

#[derive(Debug, Default)]
struct StationBook {
    /// The minute the station's next message will carry.
    next_minute: u64,
    /// Ordered by `first_minute`; a new one starts when the shape changes.
    segments: Vec<Segment>,
    /// Oldest first.
    pending: VecDeque<Pending>,
}

impl StationBook {
    /// Readings in the messages of minutes `..=minute`.
    fn readings_through(&self, minute: u64) -> u64 {
        let Some(last) = self.next_minute.checked_sub(1).map(|l| l.min(minute)) else {
            return 0;
        };
        self.segments
            .iter()
            .rev()
            .find(|s| s.first_minute <= last)
            .map_or(0, |s| {
                s.readings_before + (last - s.first_minute + 1) * s.per_message
            })
    }
}

/// The books of every station, shared by the generator, the live watcher
/// and the step driver.
#[derive(Debug)]
pub(super) struct Ledger {
    origin: DateTime<Utc>,
    index: HashMap<String, usize>,
    books: Vec<StationBook>,
    /// Broker-to-live latencies in milliseconds, by step.
    latencies: Vec<Vec<f32>>,
    pending: usize,
    published: Progress,
}

impl Ledger {
    /// Books for `stations`, whose first messages observe `origin`.
    pub(super) fn new(origin: DateTime<Utc>, stations: &[String]) -> Self {
        Self {
            origin,
            index: stations
                .iter()
                .enumerate()
                .map(|(i, code)| (code.clone(), i))
                .collect(),
            books: stations.iter().map(|_| StationBook::default()).collect(),
            latencies: Vec::new(),
            pending: 0,
            published: Progress::default(),
        }
    }

    /// Books a message of `readings` readings for station number `station`
    /// and returns its observation time, unless `window` is given and that
    /// many messages are already waiting, or the oldest has waited longer
    /// than the window allows.
    pub(super) fn book(
        &mut self,
        station: usize,
        readings: u64,
        step: usize,
        now: Instant,
        window: Option<(usize, Duration)>,
    ) -> Option<DateTime<Utc>> {
        if let Some((messages, age)) = window {
            let too_old = self
                .oldest_pending(step)
                .is_some_and(|oldest| now.duration_since(oldest) > age);
            if self.pending >= messages || too_old {
                return None;
            }
        }
        let book = self.books.get_mut(station)?;
        let minute = book.next_minute;
        if book
            .segments
            .last()
            .is_none_or(|s| s.per_message != readings)
        {
            book.segments.push(Segment {
                first_minute: minute,
                readings_before: book.readings_through(u64::MAX),
                per_message: readings,
            });
        }
        book.next_minute += 1;
        book.pending.push_back(Pending {
            minute,
            handed_over: now,
            step,
        });
        self.pending += 1;
        self.published.messages += 1;
        self.published.readings += readings;
        Some(self.observed_at(minute))
    }

    /// A live update at `at`: `station` has committed everything it
    /// observed up to `updated_at`. Each message it confirms for the first
    /// time gives one latency sample, in the step it was published in.
    pub(super) fn confirm(&mut self, station: &str, updated_at: DateTime<Utc>, at: Instant) {
        let (Some(&i), Some(minute)) = (self.index.get(station), self.minute_of(updated_at)) else {
            return;
        };
        let book = &mut self.books[i];
        while let Some(first) = book.pending.front().copied().filter(|p| p.minute <= minute) {
            book.pending.pop_front();
            self.pending -= 1;
            if self.latencies.len() <= first.step {
                self.latencies.resize_with(first.step + 1, Vec::new);
            }
            let waited = at.saturating_duration_since(first.handed_over);
            self.latencies[first.step].push(waited.as_secs_f32() * 1000.0);
        }
    }

    /// What is committed when each station's newest committed observation
    /// is as given (stations not listed have nothing committed).
    pub(super) fn committed(&self, newest: &[(String, DateTime<Utc>)]) -> Progress {
        let mut total = Progress::default();
        for (station, at) in newest {
            let (Some(&i), Some(minute)) = (self.index.get(station), self.minute_of(*at)) else {
                continue;
            };
            let book = &self.books[i];
            total.messages += (minute + 1).min(book.next_minute);
            total.readings += book.readings_through(minute);
        }
        total
    }

    /// Takes `newest` (read from the database) as confirmation, without a
    /// latency sample, of messages whose live update never came: a live
    /// update dropped while ingest's request queue was full. Returns how
    /// many messages that settled.
    pub(super) fn settle(&mut self, newest: &[(String, DateTime<Utc>)]) -> usize {
        let mut settled = 0;
        for (station, at) in newest {
            let (Some(&i), Some(minute)) = (self.index.get(station), self.minute_of(*at)) else {
                continue;
            };
            let book = &mut self.books[i];
            while book.pending.front().is_some_and(|p| p.minute <= minute) {
                book.pending.pop_front();
                settled += 1;
            }
        }
        self.pending -= settled;
        settled
    }

    /// Everything published so far.
    pub(super) fn published(&self) -> Progress {
        self.published
    }

    /// Messages published and not yet seen committed on the live topics.
    pub(super) fn pending(&self) -> usize {
        self.pending
    }

    /// When the oldest message not yet seen committed was handed over,
    /// among those of `step` and later (an earlier step's leftovers, when
    /// its backlog did not drain in time, are not this step's lag).
    pub(super) fn oldest_pending(&self, step: usize) -> Option<Instant> {
        self.books
            .iter()
            .filter_map(|b| {
                let first = b.pending.partition_point(|p| p.step < step);
                b.pending.get(first).map(|p| p.handed_over)
            })
            .min()
    }

    /// The latency samples of `step`, in milliseconds, unsorted.
    pub(super) fn take_latencies(&mut self, step: usize) -> Vec<f32> {
        self.latencies
            .get_mut(step)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn observed_at(&self, minute: u64) -> DateTime<Utc> {
        self.origin + chrono::Duration::minutes(i64::try_from(minute).unwrap_or(i64::MAX))
    }

    fn minute_of(&self, at: DateTime<Utc>) -> Option<u64> {
        u64::try_from((at - self.origin).num_minutes()).ok()
    }
}

/// Locks the shared ledger. A panic elsewhere cannot leave it half-updated
/// in a way that matters to a benchmark, so a poisoned lock is taken as is.
pub(super) fn lock(ledger: &Mutex<Ledger>) -> MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn ledger() -> Ledger {
        let origin = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        Ledger::new(origin, &["A".to_owned(), "B".to_owned()])
    }

    #[test]
    fn committed_readings_follow_the_shape_of_each_message() {
        let mut ledger = ledger();
        let now = Instant::now();
        for _ in 0..3 {
            ledger.book(0, 6, 0, now, None).unwrap();
        }
        let fourth = ledger.book(0, 1, 1, now, None).unwrap();
        ledger.book(0, 1, 1, now, None).unwrap();
        assert_eq!(ledger.published().readings, 20);

        let through_fourth = ledger.committed(&[("A".into(), fourth)]);
        assert_eq!(
            through_fourth,
            Progress {
                messages: 4,
                readings: 19
            }
        );
    }

    #[test]
    fn a_live_update_confirms_every_earlier_message_of_its_station_once() {
        let mut ledger = ledger();
        let start = Instant::now();
        let first = ledger.book(0, 6, 0, start, None).unwrap();
        let second = ledger.book(0, 6, 0, start, None).unwrap();
        ledger.book(1, 6, 0, start, None).unwrap();
        let later = start + Duration::from_millis(40);

        ledger.confirm("A", second, later);
        ledger.confirm("A", first, later + Duration::from_millis(5));

        let latencies = ledger.take_latencies(0);
        assert_eq!(latencies.len(), 2);
        assert!(latencies.iter().all(|ms| (ms - 40.0).abs() < 0.01));
        assert_eq!(ledger.pending(), 1);
    }

    #[test]
    fn a_full_window_refuses_to_book() {
        let mut ledger = ledger();
        let now = Instant::now();
        let window = Some((2, Duration::from_secs(2)));
        assert!(ledger.book(0, 1, 0, now, window).is_some());
        assert!(ledger.book(1, 1, 0, now, window).is_some());
        assert!(ledger.book(0, 1, 0, now, window).is_none());
        let stale = Some((10, Duration::from_secs(2)));
        assert!(
            ledger
                .book(0, 1, 0, now + Duration::from_secs(3), stale)
                .is_none()
        );
    }
}
