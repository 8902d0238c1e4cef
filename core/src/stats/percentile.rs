//! The percentile of HJ 663 (环境空气质量评价技术规范), by which a period's CO and O3 are judged.
//!
//! HJ 663-2013 §6 (SECONDARY: the text was not in the reference set; the formula is the one the
//! national bulletins use): sort the n values ascending as X(1) … X(n); the rank of the p-th
//! percentile is k = 1 + (n − 1) × p %; with s the integer part of k,
//! m_p = X(s) + (X(s+1) − X(s)) × (k − s), and m_p = X(n) when s = n. This is linear
//! interpolation between closest ranks (numpy's default), not the nearest-rank method.

/// The p-th percentile (0 ≤ p ≤ 100) of `values` by HJ 663's method; `None` for no values.
///
/// ```
/// use envmon_core::stats::percentile;
///
/// // n = 5, p = 90: k = 1 + 4 × 0.9 = 4.6, so X(4) + 0.6 × (X(5) − X(4)).
/// assert_eq!(percentile(&[10.0, 50.0, 20.0, 40.0, 30.0], 90.0), Some(46.0));
/// ```
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let k = 1.0 + (n - 1) as f64 * p / 100.0;
    // `k` is in 1..=n for 0 ≤ p ≤ 100; clamp guards the float edges.
    let s = (k.floor() as usize).clamp(1, n);
    let low = sorted[s - 1];
    if s == n {
        return Some(low);
    }
    let high = sorted[s];
    Some(low + (high - low) * (k - s as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_between_closest_ranks() {
        // Table: (values, p, expected), each worked by hand.
        let cases: &[(&[f64], f64, f64)] = &[
            // n = 1: every percentile is the value.
            (&[7.0], 95.0, 7.0),
            // n = 2, p = 95: k = 1.95 → 10 + 0.95 × 10.
            (&[10.0, 20.0], 95.0, 19.5),
            // n = 20, p = 95: k = 19.05 → X(19) + 0.05 × (X(20) − X(19)) = 19.05.
            (&(1..=20).map(f64::from).collect::<Vec<_>>(), 95.0, 19.05),
            // n = 31, p = 90: k = 28 exactly → X(28).
            (&(1..=31).map(f64::from).collect::<Vec<_>>(), 90.0, 28.0),
            // n = 365, p = 90: k = 328.6 → 328.6 for the values 1..=365.
            (&(1..=365).map(f64::from).collect::<Vec<_>>(), 90.0, 328.6),
            // p = 100 is the maximum, p = 0 the minimum.
            (&[3.0, 1.0, 2.0], 100.0, 3.0),
            (&[3.0, 1.0, 2.0], 0.0, 1.0),
        ];
        for (values, p, expected) in cases {
            let got = percentile(values, *p).unwrap();
            assert!(
                (got - expected).abs() < 1e-9,
                "{p}th of {values:?}: {got} != {expected}"
            );
        }
    }

    #[test]
    fn no_values_no_percentile() {
        assert_eq!(percentile(&[], 95.0), None);
    }

    #[test]
    fn order_of_the_input_does_not_matter() {
        let a = [5.0, 1.0, 9.0, 3.0, 7.0];
        let mut b = a;
        b.reverse();
        assert_eq!(percentile(&a, 95.0), percentile(&b, 95.0));
    }
}
