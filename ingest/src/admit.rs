//! What decoded readings may enter the store, judged against the moment
//! ingest received them: the one clock a sensor cannot set.
//!
//! - **Non-finite values** refuse the whole payload (`non_finite`): a NaN or
//!   an infinity is a broken payload, and every decoder refuses broken
//!   payloads whole.
//! - **Readings from the future** (dated more than the allowed skew after
//!   receipt) are refused one by one (`future_time`), and the rest of the
//!   payload is taken. A reading dated 2099 would otherwise be the station's
//!   latest value until 2099, and its hour its latest index; refusing only
//!   those readings loses nothing a station measured, when one bad clock
//!   reading sits in a pack with good ones. The payload itself is kept
//!   whole, as the dead letter of the refused readings.
//! - **Readings older than raw readings are kept** (`[retention] readings`,
//!   when set) are refused the same way (`too_old`): the next maintenance
//!   pass would delete them, while the hourly means and indices computed
//!   from them would stay, history no stored reading stands behind. Within
//!   retention, late data is real data (a logger's backlog) and is taken;
//!   it cannot change what is current (see docs/payloads.md).
//!
//! Pure: the receive time and the bounds are passed in.

use chrono::{DateTime, TimeDelta, Utc};

use crate::decode::{DecodeError, Record};

/// How far from its receipt a reading may be dated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// At most this far after receipt (`[ingest] future_skew`).
    pub(crate) future_skew: std::time::Duration,
    /// At most this far before receipt (`[retention] readings`; `None` when
    /// readings are kept forever).
    pub(crate) max_age: Option<std::time::Duration>,
}

/// The records to store, and the refusals of the readings that may not be.
#[derive(Debug)]
pub(crate) struct Admitted {
    /// Records with at least one reading left.
    pub(crate) records: Vec<Record>,
    /// Why some readings were refused (`future_time`, `too_old`), if any were.
    pub(crate) refused: Vec<DecodeError>,
}

/// Admits the readings of one payload received at `received_at`.
///
/// # Errors
/// [`DecodeError::NonFinite`] for a payload with a NaN or infinite value.
pub(crate) fn admit(
    records: Vec<Record>,
    received_at: DateTime<Utc>,
    window: Window,
) -> Result<Admitted, DecodeError> {
    if let Some(reading) = records
        .iter()
        .flat_map(|r| &r.readings)
        .find(|reading| !reading.value.is_finite())
    {
        return Err(DecodeError::NonFinite {
            parameter: reading.parameter,
        });
    }
    let skew = TimeDelta::from_std(window.future_skew).unwrap_or(TimeDelta::MAX);
    let latest_allowed = received_at
        .checked_add_signed(skew)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let max_age = window
        .max_age
        .map(|age| TimeDelta::from_std(age).unwrap_or(TimeDelta::MAX));
    let earliest_allowed = max_age.map(|age| {
        received_at
            .checked_sub_signed(age)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    });
    let total: usize = records.iter().map(|r| r.readings.len()).sum();
    let (mut future, mut old) = (Refused::default(), Refused::default());
    let mut kept = Vec::with_capacity(records.len());
    for mut record in records {
        record.readings.retain(|reading| {
            let at = reading.observed_at;
            if at > latest_allowed {
                future.add(at);
                false
            } else if earliest_allowed.is_some_and(|earliest| at < earliest) {
                old.add(at);
                false
            } else {
                true
            }
        });
        if !record.readings.is_empty() {
            kept.push(record);
        }
    }
    let taken = total - future.count - old.count;
    let mut refused = Vec::new();
    if let Some(latest) = future.latest {
        refused.push(DecodeError::FutureTime {
            refused: future.count,
            total,
            kept: taken,
            limit: latest_allowed,
            latest,
            skew_seconds: skew.num_seconds(),
        });
    }
    if let (Some(earliest), Some(limit), Some(age)) = (old.earliest, earliest_allowed, max_age) {
        refused.push(DecodeError::TooOld {
            refused: old.count,
            total,
            kept: taken,
            limit,
            earliest,
            retention_days: age.num_days(),
        });
    }
    Ok(Admitted {
        records: kept,
        refused,
    })
}

/// The refused readings of one kind: how many, and their time span.
#[derive(Default)]
struct Refused {
    count: usize,
    earliest: Option<DateTime<Utc>>,
    latest: Option<DateTime<Utc>>,
}

impl Refused {
    fn add(&mut self, at: DateTime<Utc>) {
        self.count += 1;
        self.earliest = Some(self.earliest.map_or(at, |e| e.min(at)));
        self.latest = Some(self.latest.map_or(at, |l| l.max(at)));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use envmon_core::{Parameter, QualityFlag, Reading, StationCode, StationKind};

    use super::*;

    const WINDOW: Window = Window {
        future_skew: Duration::from_secs(600),
        max_age: None,
    };

    fn received() -> DateTime<Utc> {
        "2026-11-25T10:00:00Z".parse().unwrap()
    }

    fn record(observed_at: DateTime<Utc>, values: &[(Parameter, f64)]) -> Record {
        let station = StationCode::parse("1141A").unwrap();
        Record {
            station: station.clone(),
            kind: StationKind::Air,
            observed_at,
            readings: values
                .iter()
                .map(|(parameter, value)| Reading {
                    station: station.clone(),
                    parameter: *parameter,
                    observed_at,
                    value: *value,
                    quality: QualityFlag::Valid,
                    period_seconds: 0,
                })
                .collect(),
        }
    }

    fn at_offset(seconds: i64) -> DateTime<Utc> {
        received() + TimeDelta::seconds(seconds)
    }

    fn pm25_at(at: DateTime<Utc>) -> Vec<Record> {
        vec![record(at, &[(Parameter::Pm25, 1.0)])]
    }

    #[test]
    fn a_reading_exactly_at_the_skew_is_taken_and_one_second_later_refused() {
        let taken = admit(pm25_at(at_offset(600)), received(), WINDOW).unwrap();
        assert_eq!(taken.records.len(), 1);
        assert!(taken.refused.is_empty());

        let late = admit(pm25_at(at_offset(601)), received(), WINDOW).unwrap();
        assert!(late.records.is_empty());
        let [error] = &late.refused[..] else {
            panic!("one refusal")
        };
        assert_eq!(error.code(), "future_time");
        assert!(error.to_string().contains("600 s"), "{error}");
    }

    #[test]
    fn past_and_present_readings_are_taken_when_readings_are_kept_forever() {
        let admitted = admit(
            vec![
                record(
                    "1999-01-01T00:00:00Z".parse().unwrap(),
                    &[(Parameter::Pm25, 1.0)],
                ),
                record(at_offset(-1), &[(Parameter::Pm25, 2.0)]),
                record(received(), &[(Parameter::Pm25, 3.0)]),
            ],
            received(),
            WINDOW,
        )
        .unwrap();
        assert_eq!(admitted.records.len(), 3);
        assert!(admitted.refused.is_empty());
    }

    #[test]
    fn a_reading_older_than_retention_is_refused_at_its_boundary() {
        let window = Window {
            max_age: Some(Duration::from_secs(30 * 86_400)),
            ..WINDOW
        };
        let boundary = received() - TimeDelta::days(30);
        let taken = admit(pm25_at(boundary), received(), window).unwrap();
        assert_eq!((taken.records.len(), taken.refused.len()), (1, 0));
        let old = admit(
            pm25_at(boundary - TimeDelta::seconds(1)),
            received(),
            window,
        )
        .unwrap();
        assert!(old.records.is_empty());
        let [error] = &old.refused[..] else {
            panic!("one refusal")
        };
        assert_eq!(error.code(), "too_old");
        assert!(error.to_string().contains("30 days"), "{error}");
    }

    #[test]
    fn only_the_future_and_expired_readings_of_a_pack_are_refused() {
        let window = Window {
            max_age: Some(Duration::from_secs(365 * 86_400)),
            ..WINDOW
        };
        let admitted = admit(
            vec![
                record(
                    at_offset(-3600),
                    &[(Parameter::Pm25, 1.0), (Parameter::No2, 9.0)],
                ),
                record(
                    "2099-01-01T00:00:00Z".parse().unwrap(),
                    &[(Parameter::Pm25, 500.0)],
                ),
                record(at_offset(660), &[(Parameter::Pm25, 2.0)]),
                record(
                    "2001-01-01T00:00:00Z".parse().unwrap(),
                    &[(Parameter::Pm25, 3.0)],
                ),
            ],
            received(),
            window,
        )
        .unwrap();
        assert_eq!(admitted.records.len(), 1);
        assert_eq!(admitted.records[0].readings.len(), 2);
        let [
            DecodeError::FutureTime {
                refused,
                total,
                kept,
                latest,
                ..
            },
            DecodeError::TooOld {
                refused: old,
                earliest,
                ..
            },
        ] = &admitted.refused[..]
        else {
            panic!("future_time and too_old: {:?}", admitted.refused)
        };
        assert_eq!((*refused, *total, *kept, *old), (2, 5, 2, 1));
        assert_eq!(
            *latest,
            "2099-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            *earliest,
            "2001-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn a_zero_skew_refuses_anything_after_receipt_and_a_huge_one_nothing() {
        let zero = Window {
            future_skew: Duration::ZERO,
            max_age: None,
        };
        let refused = admit(pm25_at(at_offset(1)), received(), zero).unwrap();
        assert!(refused.records.is_empty() && refused.refused.len() == 1);
        let huge = Window {
            future_skew: Duration::MAX,
            max_age: Some(Duration::MAX),
        };
        let far = "9999-01-01T00:00:00Z".parse().unwrap();
        let taken = admit(pm25_at(far), received(), huge).unwrap();
        assert_eq!(taken.records.len(), 1);
        let ancient = admit(pm25_at(DateTime::<Utc>::MIN_UTC), received(), huge).unwrap();
        assert_eq!(ancient.records.len(), 1);
    }

    #[test]
    fn a_non_finite_value_refuses_the_whole_payload() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = admit(
                vec![
                    record(received(), &[(Parameter::No2, 9.0)]),
                    record(received(), &[(Parameter::Pm25, value)]),
                ],
                received(),
                WINDOW,
            )
            .unwrap_err();
            assert_eq!(error.code(), "non_finite");
            assert!(error.to_string().contains("pm25"), "{error}");
        }
    }
}
