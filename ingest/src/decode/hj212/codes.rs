//! Factor codes (HJ 212-2017 Appendix B; reference `codes.csv`) that name an
//! envmon parameter, and the unit each code's values arrive in.
//!
//! HJ 212 never transmits units: each code has the standard's default unit
//! (reference README §9.1). For the air-quality factors that default is the
//! pollution-source unit and disagrees with what ambient stations send:
//! `codes.csv` gives PM2.5/PM10 in ng/m³ and SO2/NO2 in mg/m³, yet air
//! stations (ST=22) report µg/m³, the GB 3095 reporting unit (reference
//! packet E1: `a34004-Rtd=35.2`, `a21026-Rtd=8`), and the table's own notes
//! say so. envmon's stations are ambient stations, so this table holds the
//! units of ambient practice, the README's recommended default for ST=22;
//! pollution-source systems, where the default units apply, are refused
//! ([`records`](super::records)). Units are spelt as envmon spells them
//! (UCUM: `Cel` for the table's degC, `1` for dimensionless) and converted
//! with `envmon_core::unit::to_canonical`.
//!
//! Codes not in this table (meteorology, flows, COD, 2005 codes…) are not
//! envmon parameters: they are skipped, not refused. The disinfectant
//! residuals (free and total chlorine), the dose rate and precipitation have
//! no HJ 212-2017 code; supply and radiation stations send them over MQTT.

use envmon_core::Parameter;

/// One code that maps onto an envmon parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FactorCode {
    /// The HJ 212 factor code.
    pub(super) code: &'static str,
    /// The envmon parameter it measures.
    pub(super) parameter: Parameter,
    /// The unit its values arrive in.
    pub(super) unit: &'static str,
}

const fn factor(code: &'static str, parameter: Parameter, unit: &'static str) -> FactorCode {
    FactorCode {
        code,
        parameter,
        unit,
    }
}

/// The mapped codes; each parameter appears once.
pub(super) const FACTOR_CODES: [FactorCode; 20] = [
    // Air, Table B.2; O3 is not in B.2: a05024 is the HJ 524-2009 code that
    // ST=22 packets use next to the other five (reference README §9.1).
    factor("a34004", Parameter::Pm25, "ug/m3"), // B.2: ng/m3; stations: ug/m3
    factor("a34002", Parameter::Pm10, "ug/m3"), // B.2: ng/m3; stations: ug/m3
    factor("a21026", Parameter::So2, "ug/m3"),  // B.2: mg/m3; stations: ug/m3
    factor("a21004", Parameter::No2, "ug/m3"),  // B.2: mg/m3; stations: ug/m3
    factor("a21005", Parameter::Co, "mg/m3"),   // B.2: mg/m3
    factor("a05024", Parameter::O3, "ug/m3"),
    // Water, Table B.1; turbidity w01003 is the HJ 525-2009 code.
    factor("w01001", Parameter::Ph, "1"), // B.1: dimensionless
    factor("w01009", Parameter::Do, "mg/L"),
    factor("w01019", Parameter::Codmn, "mg/L"),
    factor("w21003", Parameter::Nh3n, "mg/L"),
    factor("w21011", Parameter::Tp, "mg/L"),
    factor("w21001", Parameter::Tn, "mg/L"),
    factor("w01003", Parameter::Turbidity, "NTU"),
    factor("w01014", Parameter::Conductivity, "uS/cm"),
    factor("w01010", Parameter::Temp, "Cel"), // B.1: degC
    // GB 3838-2002 Table 2, the drinking-water sources' supplementary items.
    factor("w21038", Parameter::Sulfate, "mg/L"),
    factor("w21022", Parameter::Chloride, "mg/L"),
    // B.1 names w21007 硝酸盐 in mg/L without saying "as N"; source
    // analysers report nitrate-N, which is what Table 2 limits.
    factor("w21007", Parameter::Nitrate, "mg/L"),
    factor("w20125", Parameter::Fe, "mg/L"),
    factor("w20124", Parameter::Mn, "mg/L"),
];

/// The envmon parameter and unit of a factor code; `None` for codes that
/// are not envmon parameters. Codes are matched exactly (§6.3.3.2.1:
/// names are case-sensitive).
pub(super) fn lookup(code: &str) -> Option<FactorCode> {
    FACTOR_CODES.iter().copied().find(|f| f.code == code)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const CODES_CSV: &str = include_str!("reference/codes.csv");

    /// The columns of one CSV line; quoted fields may hold commas.
    fn columns(line: &str) -> Vec<String> {
        let (mut columns, mut current, mut quoted) = (Vec::new(), String::new(), false);
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => columns.push(std::mem::take(&mut current)),
                _ => current.push(c),
            }
        }
        columns.push(current);
        columns
    }

    /// code → (unit, category, notes) from the reference table.
    fn reference() -> HashMap<String, (String, String, String)> {
        let mut lines = CODES_CSV.lines();
        let header = columns(lines.next().unwrap());
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (unit, category, notes) = (at("unit"), at("category"), at("notes"));
        lines
            .map(columns)
            .map(|row| {
                let field = |i: usize| row.get(i).cloned().unwrap_or_default();
                (field(0), (field(unit), field(category), field(notes)))
            })
            .collect()
    }

    #[test]
    fn every_parameter_has_exactly_one_code_but_those_hj212_lacks_none() {
        for parameter in Parameter::ALL {
            let count = FACTOR_CODES
                .iter()
                .filter(|f| f.parameter == parameter)
                .count();
            // The disinfectant residuals and what radiation stations report
            // have no HJ 212-2017 code.
            let info = parameter.info();
            let expected = usize::from(!info.supply_only && !info.radiation_only);
            assert_eq!(count, expected, "{parameter}");
        }
    }

    #[test]
    fn units_are_the_canonical_units_of_their_parameters() {
        for f in FACTOR_CODES {
            assert_eq!(f.unit, f.parameter.unit(), "{}", f.code);
        }
    }

    #[test]
    fn codes_and_units_agree_with_appendix_b() {
        let reference = reference();
        for f in FACTOR_CODES {
            let (unit, category, notes) = &reference[f.code];
            let expected_category = if f.parameter.info().air {
                "air"
            } else {
                "water"
            };
            assert_eq!(category, expected_category, "{}", f.code);
            // codes.csv spells units its own way, and gives pollution-source
            // defaults for four air codes whose notes say stations send ug/m3.
            let (csv_unit_in_ucum, ambient_override) = match unit.as_str() {
                "dimensionless" => ("1", false),
                "degC" => ("Cel", false),
                "ng/m3" | "mg/m3" if f.unit == "ug/m3" => (f.unit, true),
                other => (other, false),
            };
            assert_eq!(csv_unit_in_ucum, f.unit, "{}", f.code);
            if ambient_override {
                assert!(notes.contains("ug/m3"), "{}: {notes}", f.code);
            }
        }
        let overridden: Vec<_> = FACTOR_CODES
            .iter()
            .filter(|f| reference[f.code].0 != f.unit)
            .map(|f| f.code)
            .collect();
        assert_eq!(
            overridden,
            ["a34004", "a34002", "a21026", "a21004", "w01001", "w01010"]
        );
    }

    #[test]
    fn unmapped_and_2005_codes_are_not_parameters() {
        for code in [
            "a01001", "w01018", "w00000", "011", "060", "B01", "A34004", "",
        ] {
            assert_eq!(lookup(code), None, "{code}");
        }
        assert_eq!(lookup("a34004").map(|f| f.parameter), Some(Parameter::Pm25));
    }
}
