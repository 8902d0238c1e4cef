//! Units: converting a value to its parameter's canonical unit.
//!
//! Decoders call [`to_canonical`] at the edge, so everything past decoding
//! holds values in [`Parameter::unit`] only. A unit is first recognised from
//! its spelling (UCUM codes, SenML registered units, and the usual human
//! spellings such as `µg/m³` or `°C`), then converted only within the quantity
//! the parameter has: a mass concentration in air stays one, a water
//! concentration stays one. Whatever would need a guess (a ratio for PM2.5,
//! `mg/L` for an air gas, % saturation for dissolved oxygen, an unknown
//! spelling) is refused with a [`UnitError`] that says why.
//!
//! Every conversion, its factor and its source are listed in `docs/units.md`.
//! Gas mixing ratios become mass concentrations at the reference state of
//! GB 3095-2026 §4.3 (298.15 K, 1013.25 hPa), where one mole of gas occupies
//! [`MOLAR_VOLUME_L_PER_MOL`]: `µg/m³ = ppb × M / 24.45`.
//!
//! ```
//! use envmon_core::Parameter;
//! use envmon_core::unit::to_canonical;
//!
//! // 100 ppb NO2 = 100 × 46.01 / 24.45 µg/m³.
//! let no2 = to_canonical(Parameter::No2, 100.0, "ppb").unwrap();
//! assert!((no2 - 188.18).abs() < 0.01);
//! assert!((to_canonical(Parameter::Temp, 293.15, "K").unwrap() - 20.0).abs() < 1e-9);
//! assert!(to_canonical(Parameter::Pm25, 12.0, "ppb").is_err());
//! ```

use crate::Parameter;

/// Litres occupied by one mole of an ideal gas at the reference state of
/// GB 3095-2026 §4.3 (298.15 K, 1013.25 hPa).
///
/// R·T/p gives 24.465 L/mol; 24.45 is the value conventionally used for
/// 25 °C and 1 atm (and by [`crate::aqi::us_epa`]), 0.06 % lower.
pub const MOLAR_VOLUME_L_PER_MOL: f64 = 24.45;

/// Molar mass in g/mol of the gases whose mixing ratios can be converted;
/// `None` for particulate matter and water items, which have none.
pub fn molar_mass_g_per_mol(parameter: Parameter) -> Option<f64> {
    match parameter {
        Parameter::So2 => Some(64.07),
        Parameter::No2 => Some(46.01),
        Parameter::O3 => Some(48.00),
        Parameter::Co => Some(28.01),
        _ => None,
    }
}

/// Why a value cannot be converted to its parameter's canonical unit.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{parameter} in {unit:?} cannot be converted to {canonical}: {reason}")]
pub struct UnitError {
    /// The parameter the value is for.
    pub parameter: Parameter,
    /// The unit as given, unaltered.
    pub unit: String,
    /// The parameter's canonical unit.
    pub canonical: &'static str,
    /// What stands in the way.
    pub reason: UnitErrorReason,
}

/// What stands in the way of a conversion.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UnitErrorReason {
    /// No known spelling matches the unit.
    #[error("the unit is not one envmon recognises (see docs/units.md)")]
    UnknownUnit,
    /// The unit measures another quantity than the parameter.
    #[error("it measures {given}, not {expected}")]
    WrongQuantity {
        /// What the given unit measures.
        given: &'static str,
        /// What the parameter's canonical unit measures.
        expected: &'static str,
    },
    /// ppb or ppm for PM2.5 or PM10.
    #[error(
        "ppb and ppm are mixing ratios of a gas; particulate matter has none, give it in ug/m3"
    )]
    MixingRatioOfParticles,
    /// The value is NaN or infinite.
    #[error("the value {value} is not a finite number")]
    NotFinite {
        /// The value as given.
        value: f64,
    },
    /// The converted value does not fit in an `f64`.
    #[error("the converted value is too large to represent")]
    Overflow,
}

/// `value` in `unit`, converted to `parameter`'s canonical unit
/// ([`Parameter::unit`]).
///
/// The canonical unit itself always converts to the value unchanged.
///
/// # Errors
/// When the value is not finite, the unit is unknown, it measures another
/// quantity than the parameter, or the result overflows.
pub fn to_canonical(parameter: Parameter, value: f64, unit: &str) -> Result<f64, UnitError> {
    let error = |reason| UnitError {
        parameter,
        unit: unit.to_owned(),
        canonical: parameter.unit(),
        reason,
    };
    if !value.is_finite() {
        return Err(error(UnitErrorReason::NotFinite { value }));
    }
    if unit == parameter.unit() {
        return Ok(value);
    }
    let given = Unit::parse(unit).ok_or_else(|| error(UnitErrorReason::UnknownUnit))?;
    let converted = conversion(parameter, given).map_err(error)?.apply(value);
    if converted.is_finite() {
        Ok(converted)
    } else {
        Err(error(UnitErrorReason::Overflow))
    }
}

/// What a unit measures. Values convert only within one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    AirConcentration,
    MixingRatio,
    WaterConcentration,
    Conductivity,
    Temperature,
    Turbidity,
    Dimensionless,
    Ratio,
    DoseRate,
    Precipitation,
}

impl Quantity {
    fn of(parameter: Parameter) -> Self {
        match parameter {
            Parameter::Pm25
            | Parameter::Pm10
            | Parameter::So2
            | Parameter::No2
            | Parameter::Co
            | Parameter::O3 => Self::AirConcentration,
            Parameter::Do
            | Parameter::Codmn
            | Parameter::Nh3n
            | Parameter::Tp
            | Parameter::Tn
            | Parameter::Sulfate
            | Parameter::Chloride
            | Parameter::Nitrate
            | Parameter::Fe
            | Parameter::Mn
            | Parameter::FreeChlorine
            | Parameter::TotalChlorine => Self::WaterConcentration,
            Parameter::Ph => Self::Dimensionless,
            Parameter::DoseRate => Self::DoseRate,
            Parameter::Precipitation => Self::Precipitation,
            Parameter::Turbidity => Self::Turbidity,
            Parameter::Conductivity => Self::Conductivity,
            Parameter::Temp => Self::Temperature,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::AirConcentration => "a mass concentration in air",
            Self::MixingRatio => "a gas mixing ratio",
            Self::WaterConcentration => "a mass concentration in water",
            Self::Conductivity => "a conductivity",
            Self::Temperature => "a temperature",
            Self::Turbidity => "a turbidity",
            Self::Dimensionless => "a dimensionless number such as pH",
            Self::Ratio => "a ratio",
            Self::DoseRate => {
                "an absorbed dose rate in air (Gy/h; a dose equivalent in Sv is another quantity)"
            }
            Self::Precipitation => "a depth of precipitation",
        }
    }
}

/// A recognised unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    MicrogramPerCubicMetre,
    MilligramPerCubicMetre,
    PartsPerBillion,
    PartsPerMillion,
    MicrogramPerLitre,
    MilligramPerLitre,
    GramPerLitre,
    MicrosiemensPerCentimetre,
    MillisiemensPerCentimetre,
    MillisiemensPerMetre,
    SiemensPerMetre,
    Celsius,
    Kelvin,
    Fahrenheit,
    Ntu,
    Dimensionless,
    Ratio,
    NanograyPerHour,
    MicrograyPerHour,
    Millimetre,
}

impl Unit {
    /// Recognises a spelling. UCUM and SenML are case-sensitive (`mS` is
    /// millisiemens, `MS` megasiemens; SenML `C` is the coulomb), so letters
    /// are matched exactly; only the micro sign, Greek mu, superscript three
    /// and surrounding blanks are normalised.
    fn parse(spelling: &str) -> Option<Self> {
        let normal: String = spelling
            .trim()
            .chars()
            .map(|c| match c {
                'µ' | 'μ' => 'u', // U+00B5 micro sign, U+03BC Greek mu
                '³' => '3',
                c => c,
            })
            .collect();
        let unit = match normal.as_str() {
            "ug/m3" => Self::MicrogramPerCubicMetre,
            "mg/m3" => Self::MilligramPerCubicMetre,
            "[ppb]" | "ppb" | "ppbv" => Self::PartsPerBillion,
            "[ppm]" | "ppm" | "ppmv" => Self::PartsPerMillion,
            "ug/L" | "ug/l" => Self::MicrogramPerLitre,
            "mg/L" | "mg/l" => Self::MilligramPerLitre,
            "g/L" | "g/l" => Self::GramPerLitre,
            "uS/cm" => Self::MicrosiemensPerCentimetre,
            "mS/cm" => Self::MillisiemensPerCentimetre,
            "mS/m" => Self::MillisiemensPerMetre,
            "S/m" => Self::SiemensPerMetre,
            "Cel" | "°C" | "degC" | "℃" => Self::Celsius,
            "K" => Self::Kelvin,
            "[degF]" | "°F" | "degF" | "℉" => Self::Fahrenheit,
            "NTU" => Self::Ntu,
            "nGy/h" => Self::NanograyPerHour,
            "uGy/h" => Self::MicrograyPerHour,
            "mm" => Self::Millimetre,
            "1" | "" | "pH" | "[pH]" => Self::Dimensionless,
            "/" | "%" | "/100" | "/1000" => Self::Ratio,
            _ => return None,
        };
        Some(unit)
    }

    fn quantity(self) -> Quantity {
        match self {
            Self::MicrogramPerCubicMetre | Self::MilligramPerCubicMetre => {
                Quantity::AirConcentration
            }
            Self::PartsPerBillion | Self::PartsPerMillion => Quantity::MixingRatio,
            Self::MicrogramPerLitre | Self::MilligramPerLitre | Self::GramPerLitre => {
                Quantity::WaterConcentration
            }
            Self::MicrosiemensPerCentimetre
            | Self::MillisiemensPerCentimetre
            | Self::MillisiemensPerMetre
            | Self::SiemensPerMetre => Quantity::Conductivity,
            Self::Celsius | Self::Kelvin | Self::Fahrenheit => Quantity::Temperature,
            Self::Ntu => Quantity::Turbidity,
            Self::NanograyPerHour | Self::MicrograyPerHour => Quantity::DoseRate,
            Self::Millimetre => Quantity::Precipitation,
            Self::Dimensionless => Quantity::Dimensionless,
            Self::Ratio => Quantity::Ratio,
        }
    }
}

/// How a value in a given unit becomes a value in the canonical unit.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Conversion {
    /// `value × times / per`, written so the factors read as in docs/units.md.
    Scale { times: f64, per: f64 },
    /// SI Brochure (9th ed.) §2.3.1: t/°C = T/K − 273.15.
    KelvinToCelsius,
    /// NIST SP 811 (2008) B.8: t/°C = (t/°F − 32)/1.8.
    FahrenheitToCelsius,
}

impl Conversion {
    const IDENTITY: Self = Self::Scale {
        times: 1.0,
        per: 1.0,
    };

    fn apply(self, value: f64) -> f64 {
        match self {
            Self::Scale { times, per } => value * times / per,
            Self::KelvinToCelsius => value - 273.15,
            Self::FahrenheitToCelsius => (value - 32.0) / 1.8,
        }
    }
}

/// The conversion from `given` to `parameter`'s canonical unit.
fn conversion(parameter: Parameter, given: Unit) -> Result<Conversion, UnitErrorReason> {
    use Unit::*;
    let scale = |times, per| Ok(Conversion::Scale { times, per });
    // CO is canonical in mg/m³, the other air pollutants in µg/m³.
    let per_air_canonical = if parameter == Parameter::Co {
        1000.0
    } else {
        1.0
    };
    match (Quantity::of(parameter), given) {
        (Quantity::AirConcentration, MicrogramPerCubicMetre) => scale(1.0, per_air_canonical),
        (Quantity::AirConcentration, MilligramPerCubicMetre) => scale(1000.0, per_air_canonical),
        (Quantity::AirConcentration, PartsPerBillion | PartsPerMillion) => {
            let molar_mass =
                molar_mass_g_per_mol(parameter).ok_or(UnitErrorReason::MixingRatioOfParticles)?;
            // µg/m³ = ppb × M / Vm; 1 ppm = 1000 ppb.
            let ppb = if given == PartsPerMillion {
                1000.0
            } else {
                1.0
            };
            scale(ppb * molar_mass, MOLAR_VOLUME_L_PER_MOL * per_air_canonical)
        }
        (Quantity::WaterConcentration, MicrogramPerLitre) => scale(1.0, 1000.0),
        (Quantity::WaterConcentration, MilligramPerLitre) => Ok(Conversion::IDENTITY),
        (Quantity::WaterConcentration, GramPerLitre) => scale(1000.0, 1.0),
        (Quantity::Conductivity, MicrosiemensPerCentimetre) => Ok(Conversion::IDENTITY),
        (Quantity::Conductivity, MillisiemensPerCentimetre) => scale(1000.0, 1.0),
        // 1 mS/m = 1000 µS / 100 cm = 10 µS/cm; 1 S/m = 10⁶ µS / 100 cm.
        (Quantity::Conductivity, MillisiemensPerMetre) => scale(10.0, 1.0),
        (Quantity::Conductivity, SiemensPerMetre) => scale(10_000.0, 1.0),
        (Quantity::Temperature, Celsius) => Ok(Conversion::IDENTITY),
        (Quantity::Temperature, Kelvin) => Ok(Conversion::KelvinToCelsius),
        (Quantity::Temperature, Fahrenheit) => Ok(Conversion::FahrenheitToCelsius),
        (Quantity::Turbidity, Ntu)
        | (Quantity::Dimensionless, Dimensionless)
        | (Quantity::DoseRate, NanograyPerHour)
        | (Quantity::Precipitation, Millimetre) => Ok(Conversion::IDENTITY),
        (Quantity::DoseRate, MicrograyPerHour) => scale(1000.0, 1.0),
        (expected, given) => Err(UnitErrorReason::WrongQuantity {
            given: given.quantity().describe(),
            expected: expected.describe(),
        }),
    }
}

#[cfg(test)]
mod tests;
