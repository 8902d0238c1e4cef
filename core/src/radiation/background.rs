//! A station's natural background range of the gamma dose rate.
//!
//! The national radiation network publishes, per automatic station, the
//! range its dose rate fluctuates in naturally (天然本底涨落范围); a bureau
//! configures it in the registry (`background_low`, `background_high`).
//! Without one, envmon learns it from the station's own dry valid hours:
//! the mean ± 3 standard deviations, once a week of such hours exists.

use serde::Serialize;

/// Dry valid hours needed before a background is learned: a week.
pub const LEARNING_HOURS: usize = 7 * 24;

/// Where a background range comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackgroundSource {
    /// The registry's range for the station.
    Configured,
    /// Learned from the station's own dry valid hours.
    Learned {
        /// Their mean, nGy/h.
        mean: f64,
        /// Their standard deviation, nGy/h.
        sigma: f64,
        /// How many hours.
        hours: usize,
    },
}

/// A natural background range, nGy/h.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Background {
    /// The low end.
    pub low: f64,
    /// The high end: above it, a value is above the natural background.
    pub high: f64,
    /// Where the range comes from.
    pub source: BackgroundSource,
}

impl Background {
    /// The registry's range.
    pub fn configured(low: f64, high: f64) -> Self {
        Self {
            low,
            high,
            source: BackgroundSource::Configured,
        }
    }
}

/// The background learned from `dry_hourly_means` (nGy/h): mean ± 3σ, or
/// `None` before [`LEARNING_HOURS`] of them exist. Non-finite values are
/// ignored.
pub fn learn_background(dry_hourly_means: &[f64]) -> Option<Background> {
    let values: Vec<f64> = dry_hourly_means
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if values.len() < LEARNING_HOURS {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let sigma = variance.sqrt();
    Some(Background {
        low: (mean - 3.0 * sigma).max(0.0),
        high: mean + 3.0 * sigma,
        source: BackgroundSource::Learned {
            mean,
            sigma,
            hours: values.len(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_learned_before_a_week_of_dry_hours() {
        assert_eq!(learn_background(&vec![80.0; LEARNING_HOURS - 1]), None);
        let steady = learn_background(&vec![80.0; LEARNING_HOURS]).unwrap();
        assert_eq!((steady.low, steady.high), (80.0, 80.0));
    }

    #[test]
    fn the_learned_range_is_the_mean_plus_and_minus_three_sigma() {
        // Alternating 78 and 82: mean 80, sample sigma 2 x sqrt(n/(n-1)).
        let hours: Vec<f64> = (0..LEARNING_HOURS)
            .map(|i| if i % 2 == 0 { 78.0 } else { 82.0 })
            .collect();
        let learned = learn_background(&hours).unwrap();
        let n = LEARNING_HOURS as f64;
        let sigma = 2.0 * (n / (n - 1.0)).sqrt();
        assert!((learned.high - (80.0 + 3.0 * sigma)).abs() < 1e-9);
        assert!((learned.low - (80.0 - 3.0 * sigma)).abs() < 1e-9);
        assert!(
            matches!(learned.source, BackgroundSource::Learned { hours, .. } if hours == LEARNING_HOURS)
        );
    }
}
