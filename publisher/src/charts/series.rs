//! Time series as charts draw them: valid values that lines join, flagged
//! values that get a mark, and the rule that splits a line at missing data.
//!
//! Pure: no IO, no clock.

use chrono::{DateTime, Duration, Utc};

/// A valid value at an instant (an hourly mean is labelled by its hour's
/// end).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub(crate) at: DateTime<Utc>,
    pub(crate) value: f64,
}

/// A value that does not count: flagged readings, or an hourly mean with
/// too few minutes. `value` is `None` when there is nothing to place it by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Mark {
    pub(crate) at: DateTime<Utc>,
    pub(crate) value: Option<f64>,
}

/// One station's data for one parameter over the chart's window.
#[derive(Debug, Clone, Default)]
pub(crate) struct Series {
    /// Valid values, by time.
    pub(crate) points: Vec<Point>,
    /// Flagged or incomplete values, by time.
    pub(crate) marks: Vec<Mark>,
}

/// The spacing a series is expected to have: the lower quartile of the
/// spacings between its points (so a series with many holes still shows
/// its own pace, not the holes'), and never less than `resolution` (the
/// bucket the data was averaged into).
pub(crate) fn typical_step(points: &[Point], resolution: Duration) -> Duration {
    let mut steps: Vec<Duration> = points.windows(2).map(|w| w[1].at - w[0].at).collect();
    if steps.is_empty() {
        return resolution;
    }
    steps.sort_unstable();
    steps[steps.len() / 4].max(resolution)
}

/// Splits `points` into runs a line may join: two neighbours are joined
/// only when they are at most one and a half typical steps apart, so one
/// missing hour in an hourly series breaks the line. A run of one point is
/// kept (drawn as a dot).
pub(crate) fn segments(points: &[Point], resolution: Duration) -> Vec<&[Point]> {
    let step = typical_step(points, resolution);
    let max_gap = step + step / 2;
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=points.len() {
        if i == points.len() || points[i].at - points[i - 1].at > max_gap {
            if start < i {
                runs.push(&points[start..i]);
            }
            start = i;
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hourly(hours: &[i64]) -> Vec<Point> {
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap();
        hours
            .iter()
            .map(|&h| Point {
                at: start + Duration::hours(h),
                value: 10.0,
            })
            .collect()
    }

    #[test]
    fn one_missing_hour_breaks_an_hourly_line() {
        let points = hourly(&[0, 1, 2, 4, 5]);
        let runs = segments(&points, Duration::hours(1));
        let lens: Vec<usize> = runs.iter().map(|r| r.len()).collect();
        assert_eq!(lens, [3, 2]);
    }

    #[test]
    fn a_series_without_holes_is_one_line() {
        let points = hourly(&(0..168).collect::<Vec<_>>());
        assert_eq!(segments(&points, Duration::hours(1)).len(), 1);
    }

    #[test]
    fn a_four_hourly_water_series_is_joined_at_its_own_pace() {
        // The national water network samples every 4 hours: no gap there,
        // but a missed sample (8 hours) is one.
        let points = hourly(&[0, 4, 8, 12, 20, 24]);
        let lens: Vec<usize> = segments(&points, Duration::hours(1))
            .iter()
            .map(|r| r.len())
            .collect();
        assert_eq!(lens, [4, 2]);
    }

    #[test]
    fn isolated_points_stay_as_runs_of_one() {
        let points = hourly(&[0, 1, 5, 9, 10]);
        let lens: Vec<usize> = segments(&points, Duration::hours(1))
            .iter()
            .map(|r| r.len())
            .collect();
        assert_eq!(lens, [2, 1, 2]);
        assert!(segments(&[], Duration::hours(1)).is_empty());
    }
}
