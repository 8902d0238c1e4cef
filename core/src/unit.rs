//! Units: converting a value to its parameter's canonical unit.

use crate::Parameter;

/// Why a value cannot be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("parameter {parameter} given in {unit:?}, which cannot be converted to {canonical:?}")]
pub struct UnitError {
    /// The parameter.
    pub parameter: Parameter,
    /// The unit given.
    pub unit: String,
    /// The canonical unit.
    pub canonical: &'static str,
}

/// `value` in `unit`, converted to `parameter`'s canonical unit.
///
/// # Errors
/// When the unit is not the canonical one (conversions come later).
pub fn to_canonical(parameter: Parameter, value: f64, unit: &str) -> Result<f64, UnitError> {
    if unit == parameter.unit() {
        Ok(value)
    } else {
        Err(UnitError {
            parameter,
            unit: unit.to_owned(),
            canonical: parameter.unit(),
        })
    }
}
