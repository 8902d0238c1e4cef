//! Tests of the conversion to canonical units.

use proptest::prelude::*;

use super::*;

fn convert(parameter: Parameter, value: f64, unit: &str) -> f64 {
    to_canonical(parameter, value, unit)
        .unwrap_or_else(|e| panic!("{parameter} {value} {unit:?}: {e}"))
}

fn assert_close(actual: f64, expected: f64) {
    let tolerance = 1e-12 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not {expected}"
    );
}

fn reason(parameter: Parameter, unit: &str) -> UnitErrorReason {
    to_canonical(parameter, 1.0, unit).unwrap_err().reason
}

#[test]
fn gas_mixing_ratios_become_mass_concentrations_at_the_reference_state() {
    // µg/m³ = ppb × M / 24.45, worked by hand.
    // NO2: 100 × 46.01 / 24.45 = 4601 / 24.45 = 188.17995910...
    assert_close(convert(Parameter::No2, 100.0, "ppb"), 188.179_959_100_204_5);
    assert_close(
        convert(Parameter::No2, 100.0, "[ppb]"),
        188.179_959_100_204_5,
    );
    // 0.1 ppm = 100 ppb.
    assert_close(convert(Parameter::No2, 0.1, "ppm"), 188.179_959_100_204_5);
    // SO2: 10 × 64.07 / 24.45 = 640.7 / 24.45 = 26.20449897...
    assert_close(convert(Parameter::So2, 10.0, "ppbv"), 26.204_498_977_505_11);
    // O3: 50 × 48.00 / 24.45 = 2400 / 24.45 = 98.15950920...
    assert_close(convert(Parameter::O3, 50.0, "ppb"), 98.159_509_202_453_99);
    // CO in mg/m³: 1 ppm × 28.01 / 24.45 = 1.14560327...
    assert_close(
        convert(Parameter::Co, 1.0, "[ppm]"),
        1.145_603_271_983_640_2,
    );
    // 500 ppb CO = 0.5 ppm → 0.5 × 28.01 / 24.45 = 0.57280163...
    assert_close(convert(Parameter::Co, 500.0, "ppb"), 0.572_801_635_991_82);
}

#[test]
fn the_molar_constants_agree_with_the_us_aqi_conversion() {
    use crate::aqi::us_epa;
    assert_eq!(MOLAR_VOLUME_L_PER_MOL, us_epa::MOLAR_VOLUME_L_PER_MOL);
    for parameter in Parameter::ALL {
        assert_eq!(
            molar_mass_g_per_mol(parameter),
            us_epa::molar_mass_g_per_mol(parameter)
        );
    }
}

#[test]
fn air_mass_concentrations_scale_by_si_prefixes() {
    assert_close(convert(Parameter::No2, 0.2, "mg/m3"), 200.0);
    assert_close(convert(Parameter::Co, 600.0, "ug/m3"), 0.6);
    assert_close(convert(Parameter::Pm25, 0.035, "mg/m³"), 35.0);
    for spelling in ["µg/m³", "μg/m3", "µg/m3", "ug/m³", " ug/m3 "] {
        assert_eq!(convert(Parameter::Pm10, 61.0, spelling), 61.0, "{spelling}");
    }
    assert_eq!(convert(Parameter::Co, 0.6, "mg/m³"), 0.6);
}

#[test]
fn water_concentrations_convert_to_milligrams_per_litre() {
    assert_close(convert(Parameter::Nh3n, 250.0, "ug/L"), 0.25);
    assert_close(convert(Parameter::Tp, 20.0, "µg/l"), 0.02);
    assert_close(convert(Parameter::Do, 0.0075, "g/L"), 7.5);
    assert_eq!(convert(Parameter::Codmn, 4.0, "mg/l"), 4.0);
}

#[test]
fn conductivity_converts_to_microsiemens_per_centimetre() {
    assert_close(convert(Parameter::Conductivity, 1.5, "mS/cm"), 1500.0);
    // 1 S/m = 10⁶ µS / 100 cm = 10⁴ µS/cm.
    assert_close(convert(Parameter::Conductivity, 0.05, "S/m"), 500.0);
    assert_close(convert(Parameter::Conductivity, 50.0, "mS/m"), 500.0);
    assert_eq!(convert(Parameter::Conductivity, 480.0, "µS/cm"), 480.0);
}

#[test]
fn temperatures_convert_to_celsius() {
    assert_close(convert(Parameter::Temp, 293.15, "K"), 20.0);
    assert_close(convert(Parameter::Temp, 273.15, "K"), 0.0);
    assert_close(convert(Parameter::Temp, 68.0, "[degF]"), 20.0);
    assert_close(convert(Parameter::Temp, 212.0, "°F"), 100.0);
    assert_close(convert(Parameter::Temp, -40.0, "degF"), -40.0);
    for spelling in ["Cel", "°C", "degC", "℃"] {
        assert_eq!(convert(Parameter::Temp, 18.5, spelling), 18.5, "{spelling}");
    }
}

#[test]
fn ph_and_turbidity_accept_their_own_spellings() {
    for spelling in ["1", "", "pH", "[pH]"] {
        assert_eq!(convert(Parameter::Ph, 7.2, spelling), 7.2, "{spelling:?}");
    }
    assert_eq!(convert(Parameter::Turbidity, 12.0, "NTU"), 12.0);
}

#[test]
fn mixing_ratios_of_particles_are_refused() {
    for unit in ["ppb", "ppm", "[ppm]"] {
        assert_eq!(
            reason(Parameter::Pm25, unit),
            UnitErrorReason::MixingRatioOfParticles
        );
    }
    assert_eq!(
        reason(Parameter::Pm10, "ppb"),
        UnitErrorReason::MixingRatioOfParticles
    );
}

#[test]
fn units_of_another_quantity_are_refused() {
    let cases = [
        (
            Parameter::Pm25,
            "%",
            "a ratio",
            "a mass concentration in air",
        ),
        (
            Parameter::No2,
            "mg/L",
            "a mass concentration in water",
            "a mass concentration in air",
        ),
        (
            Parameter::Nh3n,
            "ppm",
            "a gas mixing ratio",
            "a mass concentration in water",
        ),
        (
            Parameter::Do,
            "%",
            "a ratio",
            "a mass concentration in water",
        ),
        (
            Parameter::Ph,
            "/",
            "a ratio",
            "a dimensionless number such as pH",
        ),
        (Parameter::Temp, "NTU", "a turbidity", "a temperature"),
        (
            Parameter::Pm10,
            "",
            "a dimensionless number such as pH",
            "a mass concentration in air",
        ),
    ];
    for (parameter, unit, given, expected) in cases {
        assert_eq!(
            reason(parameter, unit),
            UnitErrorReason::WrongQuantity { given, expected },
            "{parameter} in {unit:?}"
        );
    }
}

#[test]
fn unknown_spellings_and_look_alikes_are_refused() {
    // SenML `C` is the coulomb and `F` the farad; `MG/M3` would be megagrams.
    for unit in ["C", "F", "MG/M3", "mg/m^3", "ug", "FNU", "degrees", "kg/m3"] {
        assert_eq!(
            reason(Parameter::Temp, unit),
            UnitErrorReason::UnknownUnit,
            "{unit}"
        );
    }
}

#[test]
fn non_finite_values_and_overflow_are_refused() {
    let error = to_canonical(Parameter::Pm25, f64::NAN, "ug/m3").unwrap_err();
    assert!(matches!(error.reason, UnitErrorReason::NotFinite { .. }));
    let error = to_canonical(Parameter::Temp, f64::INFINITY, "Cel").unwrap_err();
    assert!(matches!(error.reason, UnitErrorReason::NotFinite { .. }));
    let error = to_canonical(Parameter::So2, f64::MAX, "ppm").unwrap_err();
    assert_eq!(error.reason, UnitErrorReason::Overflow);
}

#[test]
fn the_message_names_parameter_unit_and_reason() {
    let error = to_canonical(Parameter::Pm25, 12.0, "ppb").unwrap_err();
    assert_eq!(
        error.to_string(),
        "pm25 in \"ppb\" cannot be converted to ug/m3: ppb and ppm are mixing ratios of a \
         gas; particulate matter has none, give it in ug/m3"
    );
}

fn parameter() -> impl Strategy<Value = Parameter> {
    proptest::sample::select(Parameter::ALL.to_vec())
}

#[test]
fn a_dose_rate_is_read_in_gray_per_hour_never_in_sievert() {
    assert_close(convert(Parameter::DoseRate, 0.0784, "uGy/h"), 78.4);
    assert_close(convert(Parameter::DoseRate, 0.0784, "µGy/h"), 78.4);
    assert_close(convert(Parameter::DoseRate, 78.4, "nGy/h"), 78.4);
    assert_eq!(
        reason(Parameter::DoseRate, "uSv/h"),
        UnitErrorReason::UnknownUnit
    );
    assert!(matches!(
        reason(Parameter::DoseRate, "mg/L"),
        UnitErrorReason::WrongQuantity { .. }
    ));
    assert_close(convert(Parameter::Precipitation, 1.2, "mm"), 1.2);
}

proptest! {
    #[test]
    fn the_canonical_unit_converts_to_the_same_value(
        parameter in parameter(),
        value in proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL,
    ) {
        prop_assert_eq!(to_canonical(parameter, value, parameter.unit()), Ok(value));
    }

    #[test]
    fn conversions_never_panic_and_give_finite_values(
        parameter in parameter(),
        value in proptest::num::f64::ANY,
        unit in prop_oneof![
            proptest::sample::select(vec![
                "ug/m3", "mg/m3", "ppb", "ppm", "ug/L", "mg/L", "g/L", "uS/cm", "mS/cm",
                "mS/m", "S/m", "Cel", "K", "[degF]", "NTU", "1", "", "%", "/", "nGy/h",
                "uGy/h", "mm",
            ]).prop_map(str::to_owned),
            ".{0,12}",
        ],
    ) {
        match to_canonical(parameter, value, &unit) {
            Ok(converted) => prop_assert!(converted.is_finite()),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
}
