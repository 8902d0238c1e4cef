//! The measured parameters and their canonical units.
//!
//! A value that crosses a module boundary is always in its parameter's
//! canonical unit: CO in mg/m³ and the other air pollutants in µg/m³ (as
//! HJ 633 and GB 3095 state them), water items in mg/L as GB 3838-2002 and
//! GB 5749-2022 do.
//! Unit codes follow UCUM spelling so SenML and HJ 212 decoders can map onto
//! them without guessing.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::station::StationKind;

/// A measured parameter.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parameter {
    /// Fine particulate matter, PM2.5.
    Pm25,
    /// Inhalable particulate matter, PM10.
    Pm10,
    /// Sulphur dioxide.
    So2,
    /// Nitrogen dioxide.
    No2,
    /// Carbon monoxide.
    Co,
    /// Ozone.
    O3,
    /// pH (dimensionless).
    Ph,
    /// Dissolved oxygen.
    Do,
    /// Permanganate index (CODMn).
    Codmn,
    /// Ammonia nitrogen (NH3-N).
    Nh3n,
    /// Total phosphorus.
    Tp,
    /// Total nitrogen.
    Tn,
    /// Turbidity.
    Turbidity,
    /// Electrical conductivity.
    Conductivity,
    /// Water temperature.
    Temp,
    /// Sulfate as SO4²⁻ (GB 3838-2002 Table 2 row 1; GB 5749-2022 Table 1).
    Sulfate,
    /// Chloride as Cl⁻ (GB 3838-2002 Table 2 row 2): the item that shows
    /// salt water reaching the Yangtze estuary's reservoirs.
    Chloride,
    /// Nitrate as N (GB 3838-2002 Table 2 row 3).
    Nitrate,
    /// Iron (GB 3838-2002 Table 2 row 4).
    Fe,
    /// Manganese (GB 3838-2002 Table 2 row 5).
    Mn,
    /// Free chlorine (游离氯), the disinfectant residual GB 5749-2022
    /// Table 2 sets for water-plant outlets and the network.
    #[serde(rename = "free_chlorine")]
    FreeChlorine,
    /// Total chlorine (总氯), the residual of plants that disinfect with
    /// chloramine (GB 5749-2022 Table 2).
    #[serde(rename = "total_chlorine")]
    TotalChlorine,
    /// Ambient gamma dose rate, 空气吸收剂量率, as the national radiation
    /// network's automatic stations publish it (nGy/h).
    #[serde(rename = "dose_rate")]
    DoseRate,
    /// Precipitation at a radiation station in the reading's period: rain
    /// washes radon progeny down and raises the dose rate for hours.
    Precipitation,
}

/// The fixed facts about a parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParameterInfo {
    /// Code used in payloads, topics, SQL and the API.
    pub code: &'static str,
    /// Chinese display name.
    pub name_zh: &'static str,
    /// English display name.
    pub name_en: &'static str,
    /// Canonical unit, UCUM spelling (`1` for dimensionless).
    pub unit: &'static str,
    /// True for air parameters, false for water parameters.
    pub air: bool,
    /// True for disinfectant residuals, measured only in the public supply
    /// (water-plant outlets and the network), never in rivers or sources.
    pub supply_only: bool,
    /// True for what radiation stations measure, and only they.
    pub radiation_only: bool,
    /// Lowest physically possible value in the canonical unit.
    pub plausible_min: f64,
    /// Highest value an instrument can report in the canonical unit.
    pub plausible_max: f64,
}

const fn air(
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    unit: &'static str,
    plausible_max: f64,
) -> ParameterInfo {
    ParameterInfo {
        code,
        name_zh,
        name_en,
        unit,
        air: true,
        supply_only: false,
        radiation_only: false,
        plausible_min: 0.0,
        plausible_max,
    }
}

const fn water(
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    unit: &'static str,
    plausible_min: f64,
    plausible_max: f64,
) -> ParameterInfo {
    ParameterInfo {
        code,
        name_zh,
        name_en,
        unit,
        air: false,
        supply_only: false,
        radiation_only: false,
        plausible_min,
        plausible_max,
    }
}

impl Parameter {
    /// Every parameter, in display order: air pollutants as HJ 633 lists them,
    /// then the water items: those of GB 3838-2002 Table 1, its Table 2, and
    /// the disinfectant residuals of GB 5749-2022.
    pub const ALL: [Parameter; 24] = [
        Self::Pm25,
        Self::Pm10,
        Self::So2,
        Self::No2,
        Self::Co,
        Self::O3,
        Self::Ph,
        Self::Do,
        Self::Codmn,
        Self::Nh3n,
        Self::Tp,
        Self::Tn,
        Self::Turbidity,
        Self::Conductivity,
        Self::Temp,
        Self::Sulfate,
        Self::Chloride,
        Self::Nitrate,
        Self::Fe,
        Self::Mn,
        Self::FreeChlorine,
        Self::TotalChlorine,
        Self::DoseRate,
        Self::Precipitation,
    ];

    /// The parameter's fixed facts.
    ///
    /// Plausible ranges are physical or instrument bounds, wide on purpose:
    /// they catch broken sensors and unit mistakes, not pollution.
    pub fn info(self) -> ParameterInfo {
        match self {
            Self::Pm25 => air("pm25", "PM2.5", "PM2.5", "ug/m3", 2000.0),
            Self::Pm10 => air("pm10", "PM10", "PM10", "ug/m3", 5000.0),
            Self::So2 => air("so2", "二氧化硫", "SO2", "ug/m3", 10000.0),
            Self::No2 => air("no2", "二氧化氮", "NO2", "ug/m3", 5000.0),
            Self::Co => air("co", "一氧化碳", "CO", "mg/m3", 200.0),
            Self::O3 => air("o3", "臭氧", "O3", "ug/m3", 2000.0),
            Self::Ph => water("ph", "pH", "pH", "1", 0.0, 14.0),
            Self::Do => water("do", "溶解氧", "Dissolved oxygen", "mg/L", 0.0, 25.0),
            Self::Codmn => water(
                "codmn",
                "高锰酸盐指数",
                "Permanganate index",
                "mg/L",
                0.0,
                100.0,
            ),
            Self::Nh3n => water("nh3n", "氨氮", "Ammonia nitrogen", "mg/L", 0.0, 100.0),
            Self::Tp => water("tp", "总磷", "Total phosphorus", "mg/L", 0.0, 50.0),
            Self::Tn => water("tn", "总氮", "Total nitrogen", "mg/L", 0.0, 200.0),
            Self::Turbidity => water("turbidity", "浊度", "Turbidity", "NTU", 0.0, 4000.0),
            Self::Conductivity => water(
                "conductivity",
                "电导率",
                "Conductivity",
                "uS/cm",
                0.0,
                100_000.0,
            ),
            Self::Temp => water("temp", "水温", "Water temperature", "Cel", -5.0, 45.0),
            Self::Sulfate => water("sulfate", "硫酸盐", "Sulfate", "mg/L", 0.0, 5000.0),
            // Sea water holds about 19,000 mg/L of chloride.
            Self::Chloride => water("chloride", "氯化物", "Chloride", "mg/L", 0.0, 25_000.0),
            Self::Nitrate => water(
                "nitrate",
                "硝酸盐（以N计）",
                "Nitrate (as N)",
                "mg/L",
                0.0,
                100.0,
            ),
            Self::Fe => water("fe", "铁", "Iron", "mg/L", 0.0, 50.0),
            Self::Mn => water("mn", "锰", "Manganese", "mg/L", 0.0, 20.0),
            Self::FreeChlorine => ParameterInfo {
                supply_only: true,
                ..water(
                    "free_chlorine",
                    "游离氯",
                    "Free chlorine",
                    "mg/L",
                    0.0,
                    10.0,
                )
            },
            Self::TotalChlorine => ParameterInfo {
                supply_only: true,
                ..water(
                    "total_chlorine",
                    "总氯",
                    "Total chlorine",
                    "mg/L",
                    0.0,
                    10.0,
                )
            },
            // Natural background is tens to a few hundred nGy/h; 10 mGy/h is
            // far beyond any environmental instrument's range.
            Self::DoseRate => ParameterInfo {
                radiation_only: true,
                ..water(
                    "dose_rate",
                    "空气吸收剂量率",
                    "Ambient gamma dose rate",
                    "nGy/h",
                    0.0,
                    10_000_000.0,
                )
            },
            Self::Precipitation => ParameterInfo {
                radiation_only: true,
                ..water("precipitation", "降水量", "Precipitation", "mm", 0.0, 500.0)
            },
        }
    }

    /// The parameter's code, e.g. `pm25`.
    pub fn code(self) -> &'static str {
        self.info().code
    }

    /// The canonical unit every stored value of this parameter is in.
    pub fn unit(self) -> &'static str {
        self.info().unit
    }

    /// Parses a parameter code such as `pm25` or `nh3n`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Whether stations of `kind` measure this parameter: air pollutants at
    /// air stations, water items at every water site, disinfectant residuals
    /// only in the public supply.
    pub fn applies_to(self, kind: StationKind) -> bool {
        let info = self.info();
        if info.air {
            return kind == StationKind::Air;
        }
        if info.radiation_only || kind == StationKind::Radiation {
            return info.radiation_only && kind == StationKind::Radiation;
        }
        kind.is_water() && (!info.supply_only || kind.is_supply())
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_round_trips_through_its_code() {
        for p in Parameter::ALL {
            assert_eq!(Parameter::parse(p.code()), Some(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.code()));
        }
    }

    #[test]
    fn co_is_in_milligrams_and_other_gases_in_micrograms() {
        // HJ 633 Table 1/3 state CO in mg/m3 and the other pollutants in ug/m3.
        assert_eq!(Parameter::Co.unit(), "mg/m3");
        for p in [
            Parameter::Pm25,
            Parameter::Pm10,
            Parameter::So2,
            Parameter::No2,
            Parameter::O3,
        ] {
            assert_eq!(p.unit(), "ug/m3");
        }
    }

    #[test]
    fn water_items_apply_to_rivers_and_sources_only() {
        assert!(Parameter::Nh3n.applies_to(StationKind::River));
        assert!(Parameter::Nh3n.applies_to(StationKind::Source));
        assert!(!Parameter::Nh3n.applies_to(StationKind::Air));
        assert!(Parameter::Pm25.applies_to(StationKind::Air));
        assert!(!Parameter::Pm25.applies_to(StationKind::River));
        assert!(Parameter::Chloride.applies_to(StationKind::Source));
        assert!(Parameter::Turbidity.applies_to(StationKind::Tap));
    }

    #[test]
    fn disinfectant_residuals_belong_to_the_public_supply() {
        for kind in [StationKind::Plant, StationKind::Tap] {
            assert!(Parameter::FreeChlorine.applies_to(kind));
            assert!(Parameter::TotalChlorine.applies_to(kind));
        }
        for kind in [StationKind::Air, StationKind::River, StationKind::Source] {
            assert!(!Parameter::FreeChlorine.applies_to(kind));
        }
    }
}
