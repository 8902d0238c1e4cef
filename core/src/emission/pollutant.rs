//! The factors an emission point's data logger reports, with their HJ 212
//! codes and default units.
//!
//! Every code, Chinese name and unit is a row of HJ 212-2017 Appendix B as
//! transcribed in `shared/reference/hj212/codes.csv` (tables B.1 water and
//! B.2 gas); the rows used are copied in `reference/hj212_emission_codes.csv`
//! and the tests hold this file to them. Units are the standard's defaults:
//! HJ 212 never transmits a unit (README §9.1), so a logger configured
//! otherwise must be converted before it reaches this module.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::PointKind;

/// A factor reported by a flue-gas (ST 31) or wastewater (ST 32) data
/// logger.
///
/// Serialized as its HJ 212 code (`"a21026"`), which is also how the
/// emission registry names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum EmissionPollutant {
    /// a21026 二氧化硫, mg/m³ (B.2).
    So2,
    /// a21002 氮氧化物, mg/m³ (B.2).
    Nox,
    /// a34013 烟尘, mg/m³ (B.2): particulate in flue gas, which emission
    /// standards also call 颗粒物.
    Particulate,
    /// a19001 氧气含量, % (B.2): the measured O2 that converts
    /// concentrations to the reference O2.
    Oxygen,
    /// a00000 废气, m³/s (B.2): flue-gas flow; `-Cou` is the volume in m³.
    FlueGasFlow,
    /// a01011 烟气流速, m/s (B.2).
    FlueGasVelocity,
    /// a01012 烟气温度, °C (B.2).
    FlueGasTemperature,
    /// a01014 烟气湿度, % (B.2): moisture of the flue gas.
    FlueGasMoisture,
    /// w01018 化学需氧量, mg/L (B.1): COD (CODcr).
    Cod,
    /// w21003 氨氮, mg/L (B.1).
    AmmoniaN,
    /// w21011 总磷, mg/L (B.1).
    TotalPhosphorus,
    /// w21001 总氮, mg/L (B.1).
    TotalNitrogen,
    /// w01001 pH值, dimensionless (B.1).
    Ph,
    /// w00000 污水, L/s (B.1): wastewater flow; `-Cou` is the volume in m³.
    WastewaterFlow,
}

/// What a factor is for, which decides whether it may carry a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorRole {
    /// A pollutant concentration (or pH) that a limit may apply to.
    Pollutant,
    /// A condition of the gas or water (O2, flow, temperature, moisture)
    /// that is reported but never judged against a limit here.
    Condition,
}

/// A code that is not one of the emission factors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an HJ 212 code of an emission factor envmon judges")]
pub struct UnknownFactorCode(pub String);

impl EmissionPollutant {
    /// Every factor, flue gas first.
    pub const ALL: [Self; 14] = [
        Self::So2,
        Self::Nox,
        Self::Particulate,
        Self::Oxygen,
        Self::FlueGasFlow,
        Self::FlueGasVelocity,
        Self::FlueGasTemperature,
        Self::FlueGasMoisture,
        Self::Cod,
        Self::AmmoniaN,
        Self::TotalPhosphorus,
        Self::TotalNitrogen,
        Self::Ph,
        Self::WastewaterFlow,
    ];

    /// The HJ 212-2017 factor code.
    pub fn code(self) -> &'static str {
        match self {
            Self::So2 => "a21026",
            Self::Nox => "a21002",
            Self::Particulate => "a34013",
            Self::Oxygen => "a19001",
            Self::FlueGasFlow => "a00000",
            Self::FlueGasVelocity => "a01011",
            Self::FlueGasTemperature => "a01012",
            Self::FlueGasMoisture => "a01014",
            Self::Cod => "w01018",
            Self::AmmoniaN => "w21003",
            Self::TotalPhosphorus => "w21011",
            Self::TotalNitrogen => "w21001",
            Self::Ph => "w01001",
            Self::WastewaterFlow => "w00000",
        }
    }

    /// The factor with HJ 212 code `code`, if it is one of these.
    ///
    /// # Errors
    /// Fails on any other code.
    pub fn parse(code: &str) -> Result<Self, UnknownFactorCode> {
        Self::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .ok_or_else(|| UnknownFactorCode(code.to_owned()))
    }

    /// The Chinese name as HJ 212-2017 Appendix B prints it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::So2 => "二氧化硫",
            Self::Nox => "氮氧化物",
            Self::Particulate => "烟尘",
            Self::Oxygen => "氧气含量",
            Self::FlueGasFlow => "废气",
            Self::FlueGasVelocity => "烟气流速",
            Self::FlueGasTemperature => "烟气温度",
            Self::FlueGasMoisture => "烟气湿度",
            Self::Cod => "化学需氧量",
            Self::AmmoniaN => "氨氮",
            Self::TotalPhosphorus => "总磷",
            Self::TotalNitrogen => "总氮",
            Self::Ph => "pH值",
            Self::WastewaterFlow => "污水",
        }
    }

    /// A short English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::So2 => "SO2",
            Self::Nox => "NOx",
            Self::Particulate => "particulate",
            Self::Oxygen => "O2",
            Self::FlueGasFlow => "flue-gas flow",
            Self::FlueGasVelocity => "flue-gas velocity",
            Self::FlueGasTemperature => "flue-gas temperature",
            Self::FlueGasMoisture => "flue-gas moisture",
            Self::Cod => "COD",
            Self::AmmoniaN => "NH3-N",
            Self::TotalPhosphorus => "TP",
            Self::TotalNitrogen => "TN",
            Self::Ph => "pH",
            Self::WastewaterFlow => "wastewater flow",
        }
    }

    /// The standard's default unit, in the ASCII form of `codes.csv`
    /// (`mg/m3`, `degC`, `dimensionless`).
    pub fn unit(self) -> &'static str {
        match self {
            Self::So2 | Self::Nox | Self::Particulate => "mg/m3",
            Self::Oxygen | Self::FlueGasMoisture => "%",
            Self::FlueGasFlow => "m3/s",
            Self::FlueGasVelocity => "m/s",
            Self::FlueGasTemperature => "degC",
            Self::Cod | Self::AmmoniaN | Self::TotalPhosphorus | Self::TotalNitrogen => "mg/L",
            Self::Ph => "dimensionless",
            Self::WastewaterFlow => "L/s",
        }
    }

    /// The kind of emission point that reports it.
    pub fn kind(self) -> PointKind {
        match self {
            Self::So2
            | Self::Nox
            | Self::Particulate
            | Self::Oxygen
            | Self::FlueGasFlow
            | Self::FlueGasVelocity
            | Self::FlueGasTemperature
            | Self::FlueGasMoisture => PointKind::FlueGas,
            Self::Cod
            | Self::AmmoniaN
            | Self::TotalPhosphorus
            | Self::TotalNitrogen
            | Self::Ph
            | Self::WastewaterFlow => PointKind::Wastewater,
        }
    }

    /// Whether a limit may apply to it.
    pub fn role(self) -> FactorRole {
        match self {
            Self::Oxygen
            | Self::FlueGasFlow
            | Self::FlueGasVelocity
            | Self::FlueGasTemperature
            | Self::FlueGasMoisture
            | Self::WastewaterFlow => FactorRole::Condition,
            _ => FactorRole::Pollutant,
        }
    }

    /// The unit for people: `mg/m³`, `°C`, and nothing for pH.
    pub fn unit_display(self) -> &'static str {
        match self.unit() {
            "mg/m3" => "mg/m³",
            "m3/s" => "m³/s",
            "degC" => "°C",
            "dimensionless" => "",
            other => other,
        }
    }
}

impl fmt::Display for EmissionPollutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for EmissionPollutant {
    type Error = UnknownFactorCode;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::parse(&code)
    }
}

impl From<EmissionPollutant> for &'static str {
    fn from(p: EmissionPollutant) -> Self {
        p.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = include_str!("reference/hj212_emission_codes.csv");

    fn rows() -> Vec<csv::StringRecord> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(CSV.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(&headers[0], "code");
        assert_eq!(&headers[1], "name_zh");
        assert_eq!(&headers[3], "unit");
        assert_eq!(&headers[10], "standard_table");
        reader.records().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn every_factor_is_a_codes_csv_row_with_the_same_name_and_unit() {
        let rows = rows();
        for p in EmissionPollutant::ALL {
            let row = rows
                .iter()
                .find(|r| &r[0] == p.code())
                .unwrap_or_else(|| panic!("{} is not in codes.csv", p.code()));
            assert_eq!(&row[1], p.name_zh(), "{p} name");
            assert_eq!(&row[3], p.unit(), "{p} unit");
            let table = match p.kind() {
                PointKind::FlueGas => "B.2",
                PointKind::Wastewater => "B.1",
            };
            assert_eq!(&row[10], table, "{p} table");
        }
        assert_eq!(rows.len(), EmissionPollutant::ALL.len());
    }

    #[test]
    fn codes_parse_back_and_unknown_codes_are_refused() {
        for p in EmissionPollutant::ALL {
            assert_eq!(EmissionPollutant::parse(p.code()), Ok(p));
        }
        assert!(EmissionPollutant::parse("a21005").is_err());
        assert!(EmissionPollutant::parse("02").is_err());
    }

    #[test]
    fn conditions_carry_no_limit_role() {
        assert_eq!(EmissionPollutant::Oxygen.role(), FactorRole::Condition);
        assert_eq!(EmissionPollutant::So2.role(), FactorRole::Pollutant);
        assert_eq!(EmissionPollutant::Ph.role(), FactorRole::Pollutant);
    }

    #[test]
    fn serializes_as_its_code() {
        let json = serde_json::to_string(&EmissionPollutant::Cod).unwrap();
        assert_eq!(json, r#""w01018""#);
        let back: EmissionPollutant = serde_json::from_str(r#""a34013""#).unwrap();
        assert_eq!(back, EmissionPollutant::Particulate);
    }
}
