//! Averages and their data validity (GB 3095-2026 §6.4 Table 4; HJ 663).
//!
//! An average that fails its validity rule is reported as invalid with the
//! count that failed it, never silently computed: every function here
//! returns an [`Average`] that carries both the value it would be and
//! whether the standard lets it stand.
//!
//! Time labels follow the national platform: an hourly mean is labelled by
//! the end of its hour (16:00 is the mean of 15:00–16:00, Beijing time); a
//! daily value by its Beijing calendar day. Pure functions, no clock.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

/// GB 3095-2026 Table 4: a 1-hour average needs at least 45 minutes of data.
pub const MIN_MINUTES_PER_HOUR: u16 = 45;
/// GB 3095-2026 Table 4: a daily (24-hour) average needs 20 hourly values.
pub const MIN_HOURS_PER_DAY: u16 = 20;
/// GB 3095-2026 Table 4: an 8-hour O3 average needs 6 hourly values.
pub const MIN_HOURS_PER_8H: u16 = 6;
/// HJ 663 §6.1.2 (SECONDARY, see shared/reference/README.md §2): the O3 daily
/// maximum 8-hour average needs 14 valid 8-hour averages among the day's 17
/// windows (ending 08:00 … 24:00)...
pub const MIN_O3_8H_WINDOWS: u16 = 14;
/// ...unless the maximum found exceeds the concentration limit anyway: the
/// GB 3095-2026 Table 1 grade II O3 daily maximum 8-hour limit, 160 µg/m³.
pub const O3_8H_LIMIT_UG_M3: f64 = 160.0;

/// A mean and whether the standard's data-validity rule lets it stand.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Average {
    /// The arithmetic mean of the data there was; `None` with no data.
    pub value: Option<f64>,
    /// How much data there was: minutes for an hourly mean, hourly values
    /// for 8-hour and daily means, valid windows for the O3 daily maximum.
    pub count: u16,
    /// The minimum `count` the standard asks for.
    pub required: u16,
    /// Whether the average is valid.
    pub valid: bool,
}

impl Average {
    /// The value, only when valid: what the indices may use.
    pub fn valid_value(&self) -> Option<f64> {
        self.value.filter(|_| self.valid)
    }

    fn of(values: impl IntoIterator<Item = f64>, count: u16, required: u16) -> Self {
        let (sum, n) = values
            .into_iter()
            .fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
        let value = (n > 0).then(|| sum / f64::from(n));
        Self {
            value,
            count,
            required,
            valid: value.is_some() && count >= required,
        }
    }
}

/// One valid reading that feeds an hourly mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// When it was observed: the end of its averaging period, if any.
    pub observed_at: DateTime<Utc>,
    /// Its value, in the parameter's canonical unit.
    pub value: f64,
    /// The averaging period the sensor declared (zero for an instantaneous
    /// value, which covers the minute it falls in).
    pub period: Duration,
}

/// The label of the hour a reading belongs to: the end of the hour in which
/// its averaging period starts. An instantaneous reading at 15:20 belongs to
/// the hour labelled 16:00; an hourly mean labelled 16:00 to 16:00 itself.
pub fn hour_label(observed_at: DateTime<Utc>, period: Duration) -> DateTime<Utc> {
    let start = observed_at - period;
    let hour = Duration::hours(1);
    start.duration_trunc(hour).unwrap_or(start) + hour
}

/// The 1-hour mean of the hour labelled `hour_end`, from the valid samples
/// of that hour (others are ignored). Valid with at least
/// [`MIN_MINUTES_PER_HOUR`] distinct minutes covered: a sample covers the
/// minutes of its declared period, an instantaneous one its own minute.
///
/// GB 3095-2026 Table 4 states the 45-minute rule for SO2, NO2, CO, O3 and
/// NOx; envmon applies it to the PM 1-hour values of the real-time report
/// too, which the table does not list.
pub fn hourly_mean(hour_end: DateTime<Utc>, samples: &[Sample]) -> Average {
    let in_hour: Vec<&Sample> = samples
        .iter()
        .filter(|s| hour_label(s.observed_at, s.period) == hour_end)
        .collect();
    let hour_start = hour_end - Duration::hours(1);
    let mut covered = [false; 60];
    for sample in &in_hour {
        let from = sample.observed_at - sample.period.max(Duration::zero());
        let minutes = sample.period.num_minutes().max(1);
        for m in 0..minutes {
            let minute = (from + Duration::minutes(m) - hour_start).num_minutes();
            if let Ok(index) = usize::try_from(minute)
                && let Some(slot) = covered.get_mut(index)
            {
                *slot = true;
            }
        }
    }
    let count = covered.iter().filter(|c| **c).count() as u16;
    Average::of(in_hour.iter().map(|s| s.value), count, MIN_MINUTES_PER_HOUR)
}

/// The daily (24-hour) mean from the day's valid hourly means; valid with
/// at least [`MIN_HOURS_PER_DAY`] of them.
pub fn daily_mean(hourly: &[Option<f64>]) -> Average {
    let values: Vec<f64> = hourly.iter().flatten().copied().collect();
    let count = values.len() as u16;
    Average::of(values, count, MIN_HOURS_PER_DAY)
}

/// The 8-hour moving average ending with the last of `window` (up to 8
/// hourly values, oldest first); valid with [`MIN_HOURS_PER_8H`] of them.
pub fn eight_hour_mean(window: &[Option<f64>]) -> Average {
    let values: Vec<f64> = window.iter().rev().take(8).flatten().copied().collect();
    let count = values.len() as u16;
    Average::of(values, count, MIN_HOURS_PER_8H)
}

/// The O3 daily maximum 8-hour average of one day, from 31 hourly values:
/// the 7 hours before the day (labelled 18:00 … 24:00 of the day before)
/// then the day's 24 (labelled 01:00 … 24:00). The windows counted end at
/// 08:00 … 24:00 (HJ 663 §6.1.2, SECONDARY). Valid with at least
/// [`MIN_O3_8H_WINDOWS`] valid windows, or with fewer when the maximum still
/// exceeds [`O3_8H_LIMIT_UG_M3`].
pub fn o3_daily_max_8h(hourly: &[Option<f64>; 31]) -> Average {
    // Window ending at the day's hour h (1-based) spans indices h-1 ..= h+6.
    let windows: Vec<Average> = (8..=24)
        .map(|h| eight_hour_mean(&hourly[h - 1..h + 7]))
        .collect();
    let valid: Vec<f64> = windows.iter().filter_map(Average::valid_value).collect();
    let count = valid.len() as u16;
    let value = valid.iter().copied().reduce(f64::max);
    let valid_enough =
        count >= MIN_O3_8H_WINDOWS || value.is_some_and(|max| max > O3_8H_LIMIT_UG_M3);
    Average {
        value,
        count,
        required: MIN_O3_8H_WINDOWS,
        valid: value.is_some() && valid_enough,
    }
}

/// The day's maximum 1-hour value (HJ 633-2012's O3 daily maximum 1-hour
/// indicator), valid under the daily rule: at least [`MIN_HOURS_PER_DAY`]
/// hourly values.
pub fn daily_max(hourly: &[Option<f64>]) -> Average {
    let values: Vec<f64> = hourly.iter().flatten().copied().collect();
    let count = values.len() as u16;
    let value = values.iter().copied().reduce(f64::max);
    Average {
        value,
        count,
        required: MIN_HOURS_PER_DAY,
        valid: value.is_some() && count >= MIN_HOURS_PER_DAY,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, s).unwrap()
    }

    fn instant(t: DateTime<Utc>, value: f64) -> Sample {
        Sample {
            observed_at: t,
            value,
            period: Duration::zero(),
        }
    }

    #[test]
    fn an_instant_belongs_to_the_hour_that_ends_after_it() {
        assert_eq!(hour_label(at(15, 20, 0), Duration::zero()), at(16, 0, 0));
        assert_eq!(hour_label(at(15, 0, 0), Duration::zero()), at(16, 0, 0));
        // An hourly mean labelled 16:00 is the mean of 15:00-16:00.
        assert_eq!(hour_label(at(16, 0, 0), Duration::hours(1)), at(16, 0, 0));
        // A 5-minute mean ending 15:05 covers 15:00-15:05.
        assert_eq!(hour_label(at(15, 5, 0), Duration::minutes(5)), at(16, 0, 0));
    }

    #[test]
    fn forty_five_minutes_make_a_valid_hour_and_forty_four_do_not() {
        // GB 3095-2026 Table 4: 1-hour average, >= 45 minutes of data.
        let samples: Vec<Sample> = (0..45).map(|m| instant(at(15, m, 0), 10.0)).collect();
        let hour = hourly_mean(at(16, 0, 0), &samples);
        assert_eq!((hour.count, hour.valid, hour.value), (45, true, Some(10.0)));
        let short = hourly_mean(at(16, 0, 0), &samples[..44]);
        assert_eq!((short.count, short.valid), (44, false));
        assert_eq!(short.value, Some(10.0), "the value is kept, marked invalid");
        assert_eq!(short.valid_value(), None);
    }

    #[test]
    fn several_samples_in_one_minute_cover_it_once() {
        let samples: Vec<Sample> = (0..50).map(|s| instant(at(15, 0, s), 1.0)).collect();
        assert_eq!(hourly_mean(at(16, 0, 0), &samples).count, 1);
    }

    #[test]
    fn declared_periods_cover_their_minutes() {
        let hourly = [Sample {
            observed_at: at(16, 0, 0),
            value: 42.0,
            period: Duration::hours(1),
        }];
        let mean = hourly_mean(at(16, 0, 0), &hourly);
        assert_eq!((mean.count, mean.valid, mean.value), (60, true, Some(42.0)));
        let five_min: Vec<Sample> = (1..=9)
            .map(|i| Sample {
                observed_at: at(15, i * 5, 0),
                value: 3.0,
                period: Duration::minutes(5),
            })
            .collect();
        assert_eq!(hourly_mean(at(16, 0, 0), &five_min).count, 45);
    }

    #[test]
    fn daily_mean_needs_twenty_hours() {
        // GB 3095-2026 Table 4: daily average, >= 20 hourly values.
        let mut hours = vec![Some(30.0); 20];
        hours.extend([None; 4]);
        assert!(daily_mean(&hours).valid);
        hours[0] = None;
        let day = daily_mean(&hours);
        assert_eq!((day.count, day.valid), (19, false));
    }

    #[test]
    fn eight_hour_mean_needs_six_hours() {
        // GB 3095-2026 Table 4: 8-hour O3 average, >= 6 hourly values.
        let window = [
            None,
            None,
            Some(1.0),
            Some(2.0),
            Some(3.0),
            Some(4.0),
            Some(5.0),
            Some(6.0),
        ];
        let mean = eight_hour_mean(&window);
        assert_eq!((mean.count, mean.valid, mean.value), (6, true, Some(3.5)));
        let five = [
            None,
            None,
            None,
            Some(2.0),
            Some(3.0),
            Some(4.0),
            Some(5.0),
            Some(6.0),
        ];
        let mean = eight_hour_mean(&five);
        assert_eq!((mean.count, mean.valid), (5, false));
    }

    #[test]
    fn o3_daily_max_counts_windows_ending_0800_to_2400() {
        let mut hourly = [Some(50.0); 31];
        // The afternoon peak: hours labelled 13:00-16:00 of the day.
        for h in 13..=16 {
            hourly[h + 6] = Some(210.0);
        }
        let max = o3_daily_max_8h(&hourly);
        // The best window holds the four 210s and four 50s: 130.
        assert_eq!((max.value, max.count, max.valid), (Some(130.0), 17, true));
    }

    #[test]
    fn o3_daily_max_with_few_windows_stands_only_above_the_limit() {
        // Data up to the hour labelled 18:00: windows ending 08:00-20:00 are valid (13).
        let mut hourly = [None; 31];
        for slot in hourly.iter_mut().take(25) {
            *slot = Some(100.0);
        }
        let low = o3_daily_max_8h(&hourly);
        assert_eq!((low.count, low.valid), (13, false));
        for slot in hourly.iter_mut().take(25) {
            *slot = Some(170.0);
        }
        let high = o3_daily_max_8h(&hourly);
        assert_eq!(
            (high.count, high.valid),
            (13, true),
            "above 160 ug/m3 it stands anyway"
        );
    }
}
