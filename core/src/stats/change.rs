//! 同比: a figure against the same period a year earlier, as the bulletins print it.
//!
//! A concentration's change is relative, in percent ("PM2.5 年均浓度同比下降 6 %"); a ratio's
//! change (the good-day ratio) is the difference in percentage points ("同比上升 2.1 个百分点").
//! Both are rounded to one decimal.

/// `(current − previous) / previous × 100`, one decimal; `None` when either is missing or the
/// previous value is zero.
///
/// ```
/// use envmon_core::stats::change_percent;
///
/// assert_eq!(change_percent(Some(31.0), Some(33.0)), Some(-6.1));
/// assert_eq!(change_percent(Some(31.0), Some(0.0)), None);
/// ```
pub fn change_percent(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    let (current, previous) = (current?, previous?);
    (previous != 0.0).then(|| round1((current - previous) / previous * 100.0))
}

/// The change of a ratio (0 to 1) in percentage points, one decimal.
///
/// ```
/// use envmon_core::stats::change_points;
///
/// assert_eq!(change_points(Some(0.872), Some(0.851)), Some(2.1));
/// ```
pub fn change_points(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    Some(round1((current? - previous?) * 100.0))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_have_a_direction_and_one_decimal() {
        assert_eq!(change_percent(Some(30.0), Some(32.0)), Some(-6.3));
        assert_eq!(change_percent(Some(32.0), Some(30.0)), Some(6.7));
        assert_eq!(change_percent(None, Some(30.0)), None);
        assert_eq!(change_points(Some(0.8), Some(0.8)), Some(0.0));
        assert_eq!(change_points(Some(0.75), None), None);
    }
}
