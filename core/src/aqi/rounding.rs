//! Decimal rounding of concentrations before an index is computed.
//!
//! Both rules work on the decimal number a value prints as (Rust's shortest representation
//! that round-trips), not on its binary expansion, so `0.35` rounds like the 0.35 a person
//! reads (binary 0.349999…) and exact integer arithmetic follows. Callers pass finite,
//! non-negative values; the index functions check that first.
//!
//! - [`round_half_even_scaled`]: GB/T 8170 "四舍六入五成双", which HJ 633-2026 §4.2.2/4.2.3
//!   prescribes before the IAQI is computed.
//! - [`truncate_scaled`]: the US EPA's truncation (EPA-454/B-24-002, "Calculating the AQI").

/// Values with more integer digits than this saturate: they are far above every breakpoint of
/// either index, and 10^15 still fits a u64 after scaling by 10^3.
const MAX_INTEGER_DIGITS: usize = 15;

/// `x` rounded half-to-even to `decimals` places, as a count of 10^-`decimals` units.
///
/// Saturates at `u64::MAX` for values of 10^15 or more.
pub(crate) fn round_half_even_scaled(x: f64, decimals: u32) -> u64 {
    let Some((kept, rest)) = split(x, decimals) else {
        return u64::MAX;
    };
    let mut rest = rest.bytes();
    let round_up = match rest.next() {
        Some(b'6'..=b'9') => true,
        // 五成双: a lone 5 rounds to the even neighbour; a 5 followed by anything is above half.
        Some(b'5') => rest.any(|d| d != b'0') || kept % 2 == 1,
        _ => false,
    };
    kept + u64::from(round_up)
}

/// `x` truncated to `decimals` places, as a count of 10^-`decimals` units.
///
/// Saturates at `u64::MAX` for values of 10^15 or more.
pub(crate) fn truncate_scaled(x: f64, decimals: u32) -> u64 {
    split(x, decimals).map_or(u64::MAX, |(kept, _)| kept)
}

/// Splits the decimal representation of `x` into the digits kept at `decimals` places (as an
/// integer) and the digits after them. `None` when the integer part is too long.
fn split(x: f64, decimals: u32) -> Option<(u64, String)> {
    debug_assert!(x.is_finite() && x >= 0.0, "callers validate {x}");
    // `-0.0` prints as "-0"; every other accepted value is positive.
    let text = format!("{}", x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    if int.len() > MAX_INTEGER_DIGITS {
        return None;
    }
    let places = decimals as usize;
    let mut kept = String::with_capacity(int.len() + places);
    kept.push_str(int);
    kept.extend(frac.chars().chain(std::iter::repeat('0')).take(places));
    let rest = frac.get(places..).unwrap_or("").to_owned();
    kept.parse().ok().map(|kept| (kept, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_half_to_even() {
        // GB/T 8170 四舍六入五成双: 4 down, 6 up, a lone 5 to the even neighbour.
        for (x, want) in [
            (0.5, 0),
            (1.5, 2),
            (2.5, 2),
            (3.5, 4),
            (114.5, 114),
            (115.5, 116),
            (2.4999, 2),
            (2.5001, 3),
            (2.6, 3),
            (0.0, 0),
            (-0.0, 0),
            (800.5, 800),
            (801.5, 802),
        ] {
            assert_eq!(round_half_even_scaled(x, 0), want, "{x}");
        }
    }

    #[test]
    fn one_decimal_rounds_the_printed_decimal_not_the_binary_value() {
        // 0.35 is 0.34999… in binary; 五成双 on the decimal 0.35 gives 0.4 (3 is odd).
        for (x, want) in [
            (0.25, 2),
            (0.35, 4),
            (0.15, 2),
            (0.05, 0),
            (1.45, 14),
            (1.55, 16),
            (1.251, 13),
            (4.0, 40),
            (10.04, 100),
            (10.06, 101),
        ] {
            assert_eq!(round_half_even_scaled(x, 1), want, "{x}");
        }
    }

    #[test]
    fn truncation_drops_digits() {
        for (x, decimals, want) in [
            (35.49, 1, 354),
            (35.4, 1, 354),
            (9.09, 1, 90),
            (0.0789, 3, 78),
            (0.07, 3, 70),
            (154.99, 0, 154),
            (1e-7, 3, 0),
        ] {
            assert_eq!(truncate_scaled(x, decimals), want, "{x}");
        }
    }

    #[test]
    fn huge_values_saturate() {
        assert_eq!(round_half_even_scaled(1e300, 1), u64::MAX);
        assert_eq!(truncate_scaled(f64::MAX, 3), u64::MAX);
        assert_eq!(
            round_half_even_scaled(999_999_999_999_999.0, 0),
            999_999_999_999_999
        );
    }
}
