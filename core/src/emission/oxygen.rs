//! Conversion of a flue-gas concentration to the reference O2 (折算).
//!
//! `C_ref = C × (21 − O2_ref) / (21 − O2_measured)`, O2 in % by volume.
//!
//! Where the formula is written: HJ 212-2017 only names the converted
//! fields (`-ZsRtd`, `-ZsAvg`: "flue gas normalised to reference O2",
//! `shared/reference/hj212/README.md` §5) without a formula. The GB 13223 /
//! GB 13271 / HJ 75 texts were not available to read. The formula in this
//! form was read in Taiwan's 電力設施空氣污染物排放標準 第5條
//! (law.moj.gov.tw, pcode O0020026: `C = (21−On)/(21−Os)·Cs`) and, as the
//! practice of HJ 75-2017 / GB 13223-2011, in public flue-gas calculators
//! (SECONDARY: code, not the standard text). Which reference O2 applies is
//! registry data with its citation (see [`point`](super::point)); no
//! reference O2 value is set in code.

use serde::Serialize;

/// The O2 content of air, % by volume: the "21" of the formula.
pub const AIR_O2_PERCENT: f64 = 21.0;

/// Why an O2 value cannot be used for a conversion.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case", tag = "error", content = "o2_percent")]
pub enum OxygenError {
    /// The measured O2 is not a number between 0 and 21 %.
    #[error("measured O2 {0} % is outside 0–21 %")]
    MeasuredOutOfRange(f64),
    /// The measured O2 is that of air (21 %): the gas is air, and the
    /// conversion would divide by zero.
    #[error("measured O2 {0} % is that of air, so nothing can be converted")]
    MeasuredIsAir(f64),
    /// The reference O2 is not a number from 0 up to, not including, 21 %.
    #[error("reference O2 {0} % must be at least 0 and below 21 %")]
    ReferenceOutOfRange(f64),
}

/// Checks a reference O2 (0 ≤ O2 < 21).
///
/// # Errors
/// [`OxygenError::ReferenceOutOfRange`] otherwise, and for NaN.
pub fn check_reference(reference_o2: f64) -> Result<f64, OxygenError> {
    if (0.0..AIR_O2_PERCENT).contains(&reference_o2) {
        Ok(reference_o2)
    } else {
        Err(OxygenError::ReferenceOutOfRange(reference_o2))
    }
}

/// Checks a measured O2 (0 ≤ O2 < 21).
///
/// # Errors
/// [`OxygenError::MeasuredIsAir`] at exactly 21 %,
/// [`OxygenError::MeasuredOutOfRange`] below 0, above 21, or NaN.
pub fn check_measured(measured_o2: f64) -> Result<f64, OxygenError> {
    if measured_o2 == AIR_O2_PERCENT {
        Err(OxygenError::MeasuredIsAir(measured_o2))
    } else if (0.0..AIR_O2_PERCENT).contains(&measured_o2) {
        Ok(measured_o2)
    } else {
        Err(OxygenError::MeasuredOutOfRange(measured_o2))
    }
}

/// The factor `(21 − O2_ref) / (21 − O2_measured)` that multiplies a
/// measured concentration.
///
/// # Errors
/// When either O2 is outside its range (see [`check_measured`] and
/// [`check_reference`]).
pub fn conversion_factor(measured_o2: f64, reference_o2: f64) -> Result<f64, OxygenError> {
    let measured = check_measured(measured_o2)?;
    let reference = check_reference(reference_o2)?;
    Ok((AIR_O2_PERCENT - reference) / (AIR_O2_PERCENT - measured))
}

/// `concentration` measured at `measured_o2`, converted to `reference_o2`.
///
/// ```
/// use envmon_core::emission::oxygen::to_reference_o2;
/// // Measured at the reference O2: unchanged.
/// assert_eq!(to_reference_o2(18.0, 6.0, 6.0), Ok(18.0));
/// // Diluted gas (more O2) converts upwards.
/// assert!(to_reference_o2(18.0, 9.8, 6.0).unwrap() > 18.0);
/// ```
///
/// # Errors
/// When either O2 is outside its range.
pub fn to_reference_o2(
    concentration: f64,
    measured_o2: f64,
    reference_o2: f64,
) -> Result<f64, OxygenError> {
    Ok(concentration * conversion_factor(measured_o2, reference_o2)?)
}

/// The reference O2 that turns `measured` at `measured_o2` into
/// `converted`: `21 − (21 − O2_measured) × C_ref / C`. Used to say which
/// reference O2 a data logger's `-ZsAvg` implies.
///
/// `None` when the values cannot say (a non-positive value, or an O2 out of
/// range).
pub fn implied_reference_o2(measured: f64, converted: f64, measured_o2: f64) -> Option<f64> {
    let measured_o2 = check_measured(measured_o2).ok()?;
    if !(measured > 0.0 && converted > 0.0) {
        return None;
    }
    Some(AIR_O2_PERCENT - (AIR_O2_PERCENT - measured_o2) * converted / measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn at_the_reference_o2_the_concentration_is_unchanged() {
        for o2 in [0.0, 3.5, 6.0, 9.0, 15.0] {
            assert_eq!(to_reference_o2(42.0, o2, o2), Ok(42.0), "{o2}");
        }
    }

    #[test]
    fn o2_of_20_9_gives_a_large_factor() {
        // (21 − 6) / (21 − 20.9) = 150.
        let f = conversion_factor(20.9, 6.0).unwrap();
        assert!(close(f, 150.0, 1e-9), "{f}");
    }

    #[test]
    fn o2_of_21_is_refused_as_air() {
        assert_eq!(
            to_reference_o2(10.0, 21.0, 6.0),
            Err(OxygenError::MeasuredIsAir(21.0))
        );
    }

    #[test]
    fn o2_outside_0_to_21_is_refused() {
        for o2 in [-0.1, 21.5, 100.0, f64::NAN, f64::INFINITY] {
            assert!(
                matches!(
                    to_reference_o2(10.0, o2, 6.0),
                    Err(OxygenError::MeasuredOutOfRange(_))
                ),
                "{o2}"
            );
        }
        for reference in [21.0, -1.0, f64::NAN] {
            assert!(
                matches!(
                    to_reference_o2(10.0, 9.8, reference),
                    Err(OxygenError::ReferenceOutOfRange(_))
                ),
                "{reference}"
            );
        }
    }

    #[test]
    fn o2_of_0_is_accepted() {
        let f = conversion_factor(0.0, 6.0).unwrap();
        assert!(close(f, 15.0 / 21.0, 1e-12));
    }

    #[test]
    fn implied_reference_o2_inverts_the_conversion() {
        let converted = to_reference_o2(18.0, 9.8, 6.0).unwrap();
        let implied = implied_reference_o2(18.0, converted, 9.8).unwrap();
        assert!(close(implied, 6.0, 1e-9), "{implied}");
        assert_eq!(implied_reference_o2(0.0, 1.0, 9.8), None);
        assert_eq!(implied_reference_o2(1.0, 1.0, 21.0), None);
    }
}
