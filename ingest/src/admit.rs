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
//!
//! Pure: the receive time and the skew are passed in.

use chrono::{DateTime, TimeDelta, Utc};

use crate::decode::{DecodeError, Record};

/// The records to store, and the refusal of those that may not be.
#[derive(Debug)]
pub(crate) struct Admitted {
    /// Records with at least one reading left.
    pub(crate) records: Vec<Record>,
    /// Why some readings were refused (`future_time`), if any were.
    pub(crate) refused: Option<DecodeError>,
}

/// Admits the readings of one payload received at `received_at`.
///
/// # Errors
/// [`DecodeError::NonFinite`] for a payload with a NaN or infinite value.
pub(crate) fn admit(
    records: Vec<Record>,
    received_at: DateTime<Utc>,
    future_skew: std::time::Duration,
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
    let skew = TimeDelta::from_std(future_skew).unwrap_or(TimeDelta::MAX);
    let limit = received_at
        .checked_add_signed(skew)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let total: usize = records.iter().map(|r| r.readings.len()).sum();
    let mut refused = 0;
    let mut latest: Option<DateTime<Utc>> = None;
    let mut kept = Vec::with_capacity(records.len());
    for mut record in records {
        record.readings.retain(|reading| {
            let in_time = reading.observed_at <= limit;
            if !in_time {
                refused += 1;
                latest = latest.max(Some(reading.observed_at));
            }
            in_time
        });
        if !record.readings.is_empty() {
            kept.push(record);
        }
    }
    let refused = latest.map(|latest| DecodeError::FutureTime {
        refused,
        total,
        kept: total - refused,
        limit,
        latest,
        skew_seconds: skew.num_seconds(),
    });
    Ok(Admitted {
        records: kept,
        refused,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use envmon_core::{Parameter, QualityFlag, Reading, StationCode, StationKind};

    use super::*;

    const SKEW: Duration = Duration::from_secs(600);

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

    #[test]
    fn a_reading_exactly_at_the_skew_is_taken_and_one_second_later_refused() {
        let taken = admit(
            vec![record(at_offset(600), &[(Parameter::Pm25, 1.0)])],
            received(),
            SKEW,
        )
        .unwrap();
        assert_eq!(taken.records.len(), 1);
        assert!(taken.refused.is_none());

        let late = admit(
            vec![record(at_offset(601), &[(Parameter::Pm25, 1.0)])],
            received(),
            SKEW,
        )
        .unwrap();
        assert!(late.records.is_empty());
        let error = late.refused.unwrap();
        assert_eq!(error.code(), "future_time");
        assert!(error.to_string().contains("600 s"), "{error}");
    }

    #[test]
    fn past_and_present_readings_are_always_taken() {
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
            SKEW,
        )
        .unwrap();
        assert_eq!(admitted.records.len(), 3);
        assert!(admitted.refused.is_none());
    }

    #[test]
    fn only_the_future_readings_of_a_pack_are_refused() {
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
            ],
            received(),
            SKEW,
        )
        .unwrap();
        assert_eq!(admitted.records.len(), 1);
        assert_eq!(admitted.records[0].readings.len(), 2);
        let DecodeError::FutureTime {
            refused,
            total,
            kept,
            latest,
            ..
        } = admitted.refused.unwrap()
        else {
            panic!("future_time expected")
        };
        assert_eq!((refused, total, kept), (2, 4, 2));
        assert_eq!(
            latest,
            "2099-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn a_zero_skew_refuses_anything_after_receipt_and_a_huge_one_nothing() {
        let one_second = vec![record(at_offset(1), &[(Parameter::Pm25, 1.0)])];
        let refused = admit(one_second.clone(), received(), Duration::ZERO).unwrap();
        assert!(refused.records.is_empty() && refused.refused.is_some());
        let far = vec![record(
            "9999-01-01T00:00:00Z".parse().unwrap(),
            &[(Parameter::Pm25, 1.0)],
        )];
        let taken = admit(far, received(), Duration::MAX).unwrap();
        assert_eq!(taken.records.len(), 1);
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
                SKEW,
            )
            .unwrap_err();
            assert_eq!(error.code(), "non_finite");
            assert!(error.to_string().contains("pm25"), "{error}");
        }
    }
}
