//! The PM NowCast (EPA-454/B-24-002, "How the NowCast is calculated"): the hourly stand-in for
//! the 24-hour PM2.5 or PM10 mean, the same method for both.
//!
//! Over the last 12 hourly concentrations: range = max − min, scaled rate = range / max,
//! weight w = 1 − scaled rate but at least 0.5, and NowCast = Σ wⁱ·cᵢ / Σ wⁱ with i the hours
//! ago (0 = current hour). At least 2 of the 3 most recent hours must be valid. The TAD does
//! not say how missing hours enter the sums; like common practice (reference README §5.11) we
//! skip them in both sums and in the range. The result is raw: [`super::sub_index`] truncates
//! it (0.1 µg/m³ for PM2.5, 1 µg/m³ for PM10) before Eq. 1, as AirNow does.

use super::UsAqiError;

/// Hours the NowCast looks back over, the current one included.
pub const NOWCAST_HOURS: usize = 12;

/// The weight factor's floor; it approximates a 3-hour average.
pub const MIN_WEIGHT: f64 = 0.5;

/// The NowCast of hourly PM concentrations in µg/m³, newest first: `hourly[0]` is the current
/// hour, `hourly[i]` the hour `i` hours earlier, `None` a missing or invalid hour. Only the first
/// [`NOWCAST_HOURS`] entries are used. `Ok(None)` when fewer than 2 of the 3 most recent hours
/// are valid.
///
/// # Errors
///
/// A concentration that is negative or not finite.
///
/// # Example
///
/// ```
/// use envmon_core::aqi::us_epa::{UsIndicator, nowcast, sub_index};
///
/// // Three steady hours: the weight is 1 and the NowCast is their mean.
/// let pm25 = nowcast(&[Some(12.0), Some(12.0), Some(12.0)]).unwrap().unwrap();
/// assert_eq!(pm25, 12.0);
/// assert_eq!(sub_index(UsIndicator::Pm25Day, pm25).unwrap().unwrap().aqi, 56);
/// ```
pub fn nowcast(hourly: &[Option<f64>]) -> Result<Option<f64>, UsAqiError> {
    let hours = &hourly[..hourly.len().min(NOWCAST_HOURS)];
    for (hours_ago, value) in hours.iter().enumerate() {
        if let Some(value) = *value
            && !(value.is_finite() && value >= 0.0)
        {
            return Err(UsAqiError::InvalidHour { hours_ago, value });
        }
    }
    if hours.iter().take(3).flatten().count() < 2 {
        return Ok(None);
    }
    let valid = || {
        hours
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i, c)))
    };
    let max = valid().map(|(_, c)| c).fold(0.0, f64::max);
    let min = valid().map(|(_, c)| c).fold(f64::INFINITY, f64::min);
    // All zero: no change at all, so every hour weighs the same.
    let weight = if max > 0.0 {
        (1.0 - (max - min) / max).max(MIN_WEIGHT)
    } else {
        1.0
    };
    let (mut weighted, mut weights) = (0.0, 0.0);
    for (hours_ago, c) in valid() {
        let w = weight.powi(i32::try_from(hours_ago).expect("at most 12 hours"));
        weighted += w * c;
        weights += w;
    }
    Ok(Some(weighted / weights))
}

#[cfg(test)]
mod tests {
    use super::super::{UsIndicator, sub_index};
    use super::*;

    #[test]
    fn epa_worked_series_gives_17_4() {
        // EPA's "Computing the NowCast" example, oldest to newest:
        // 50 80 75 90 82 53 64 74 21 10 16 13. Range 90 − 10 = 80, scaled rate 80/90,
        // weight 1 − 0.89 = 0.11 → 0.5. Σ 0.5ⁱ·cᵢ = 34.819…, Σ 0.5ⁱ = 1.99951…, NowCast 17.41.
        let oldest_first = [
            50.0, 80.0, 75.0, 90.0, 82.0, 53.0, 64.0, 74.0, 21.0, 10.0, 16.0, 13.0,
        ];
        let newest_first: Vec<_> = oldest_first.iter().rev().map(|c| Some(*c)).collect();
        let value = nowcast(&newest_first).unwrap().unwrap();
        assert!(
            (value - 34.819_335_937_5 / 1.999_511_718_75).abs() < 1e-12,
            "{value}"
        );
        let pm25 = sub_index(UsIndicator::Pm25Day, value).unwrap().unwrap();
        assert_eq!(pm25.concentration, 17.4);
        // 49 / 26.3 × (17.4 − 9.1) + 51 = 66.46 → 66.
        assert_eq!(pm25.aqi, 66);
    }

    #[test]
    fn two_of_the_three_latest_hours_must_be_valid() {
        assert_eq!(
            nowcast(&[None, None, Some(10.0), Some(10.0)]).unwrap(),
            None
        );
        assert_eq!(
            nowcast(&[Some(10.0), None, None, Some(10.0)]).unwrap(),
            None
        );
        assert_eq!(nowcast(&[Some(10.0)]).unwrap(), None);
        assert_eq!(nowcast(&[]).unwrap(), None);
        assert!(nowcast(&[Some(10.0), None, Some(10.0)]).unwrap().is_some());
        assert!(nowcast(&[None, Some(10.0), Some(10.0)]).unwrap().is_some());
    }

    #[test]
    fn missing_hours_are_skipped_in_both_sums() {
        // Weight: range 20 − 10 over max 20 → 0.5. (10 + 0.25 × 20) / (1 + 0.25) = 12.
        let value = nowcast(&[Some(10.0), None, Some(20.0)]).unwrap().unwrap();
        assert!((value - 12.0).abs() < 1e-12, "{value}");
    }

    #[test]
    fn only_twelve_hours_count() {
        let mut hours = vec![Some(10.0); 12];
        hours.push(Some(1000.0));
        assert_eq!(nowcast(&hours).unwrap(), Some(10.0));
    }

    #[test]
    fn weight_stays_above_its_floor_and_all_zero_is_zero() {
        // Range 2 over max 12: w = 1 − 1/6 = 0.833…, not the floor.
        let w: f64 = 1.0 - 2.0 / 12.0;
        let value = nowcast(&[Some(12.0), Some(10.0)]).unwrap().unwrap();
        assert!((value - (12.0 + w * 10.0) / (1.0 + w)).abs() < 1e-12);
        assert_eq!(
            nowcast(&[Some(0.0), Some(0.0), Some(0.0)]).unwrap(),
            Some(0.0)
        );
    }

    #[test]
    fn invalid_hours_are_errors() {
        assert!(matches!(
            nowcast(&[Some(1.0), Some(-1.0)]),
            Err(UsAqiError::InvalidHour { hours_ago: 1, .. })
        ));
        assert!(nowcast(&[Some(f64::NAN), Some(1.0)]).is_err());
    }
}
