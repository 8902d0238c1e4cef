//! The items GB 3838-2002 sets limits for: its Table 1 (24 basic items) and
//! Table 2 (5 supplementary items for centralized drinking-water sources).
//!
//! Table 3 (80 specific items) is in [`super::specific`]. Automatic stations measure a
//! few of these items and report them as [`Parameter`]s; [`WaterItem::from_parameter`]
//! maps one onto the other. Limits live in [`super::limits`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Parameter;

/// An item of GB 3838-2002 Table 1 or Table 2.
///
/// Values are in mg/L, except pH (dimensionless), water temperature (°C) and
/// fecal coliform (count per litre), as the standard states them. Serialized
/// as its [`code`](WaterItem::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaterItem {
    /// Water temperature (Table 1 row 1); no class limit.
    Temp,
    /// pH (Table 1 row 2).
    Ph,
    /// Dissolved oxygen (Table 1 row 3).
    Do,
    /// Permanganate index, CODMn (Table 1 row 4).
    Codmn,
    /// Chemical oxygen demand, COD (Table 1 row 5).
    Cod,
    /// 5-day biochemical oxygen demand, BOD5 (Table 1 row 6).
    Bod5,
    /// Ammonia nitrogen, NH3-N (Table 1 row 7).
    Nh3n,
    /// Total phosphorus as P (Table 1 row 8).
    Tp,
    /// Total nitrogen as N, lakes and reservoirs (Table 1 row 9).
    Tn,
    /// Copper (Table 1 row 10).
    Cu,
    /// Zinc (Table 1 row 11).
    Zn,
    /// Fluoride as F⁻ (Table 1 row 12).
    Fluoride,
    /// Selenium (Table 1 row 13).
    Se,
    /// Arsenic (Table 1 row 14).
    As,
    /// Mercury (Table 1 row 15).
    Hg,
    /// Cadmium (Table 1 row 16).
    Cd,
    /// Hexavalent chromium (Table 1 row 17).
    Cr6,
    /// Lead (Table 1 row 18).
    Pb,
    /// Cyanide (Table 1 row 19).
    Cyanide,
    /// Volatile phenol (Table 1 row 20).
    VolatilePhenol,
    /// Petroleum (Table 1 row 21).
    Petroleum,
    /// Anionic surfactant, LAS (Table 1 row 22).
    Las,
    /// Sulfide (Table 1 row 23).
    Sulfide,
    /// Fecal coliform (Table 1 row 24).
    FecalColiform,
    /// Sulfate as SO4²⁻ (Table 2 row 1).
    Sulfate,
    /// Chloride as Cl⁻ (Table 2 row 2).
    Chloride,
    /// Nitrate as N (Table 2 row 3).
    Nitrate,
    /// Iron (Table 2 row 4).
    Fe,
    /// Manganese (Table 2 row 5).
    Mn,
}

/// Which table of GB 3838-2002 an item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gb3838Table {
    /// Table 1, the 24 basic items with class I–V limits.
    Basic,
    /// Table 2, the 5 supplementary items for centralized drinking-water
    /// surface sources, each with one limit.
    Supplementary,
}

impl Gb3838Table {
    /// The table's number in the standard (1 or 2).
    pub fn number(self) -> u8 {
        match self {
            Self::Basic => 1,
            Self::Supplementary => 2,
        }
    }
}

/// The fixed facts about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaterItemInfo {
    /// Code used in CSV headers, JSON and logs, e.g. `nh3n`.
    pub code: &'static str,
    /// Short symbol for explanations, e.g. `NH3-N`.
    pub symbol: &'static str,
    /// Chinese name as GB 3838-2002 prints it.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// Unit, UCUM spelling as in [`Parameter`] (`1` = dimensionless).
    pub unit: &'static str,
    /// The table the item is in.
    pub table: Gb3838Table,
    /// The item's row (序号) in that table, from 1.
    pub row: u8,
}

const fn basic(
    row: u8,
    code: &'static str,
    symbol: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    unit: &'static str,
) -> WaterItemInfo {
    WaterItemInfo {
        code,
        symbol,
        name_zh,
        name_en,
        unit,
        table: Gb3838Table::Basic,
        row,
    }
}

const fn supplementary(
    row: u8,
    code: &'static str,
    symbol: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
) -> WaterItemInfo {
    WaterItemInfo {
        code,
        symbol,
        name_zh,
        name_en,
        unit: "mg/L",
        table: Gb3838Table::Supplementary,
        row,
    }
}

impl WaterItem {
    /// Every item: Table 1 in row order, then Table 2 in row order.
    pub const ALL: [WaterItem; 29] = [
        Self::Temp,
        Self::Ph,
        Self::Do,
        Self::Codmn,
        Self::Cod,
        Self::Bod5,
        Self::Nh3n,
        Self::Tp,
        Self::Tn,
        Self::Cu,
        Self::Zn,
        Self::Fluoride,
        Self::Se,
        Self::As,
        Self::Hg,
        Self::Cd,
        Self::Cr6,
        Self::Pb,
        Self::Cyanide,
        Self::VolatilePhenol,
        Self::Petroleum,
        Self::Las,
        Self::Sulfide,
        Self::FecalColiform,
        Self::Sulfate,
        Self::Chloride,
        Self::Nitrate,
        Self::Fe,
        Self::Mn,
    ];

    /// The item's fixed facts. Names and units are those of the reference
    /// CSVs, which a test checks.
    #[rustfmt::skip] // One line per item, as the standard's tables read.
    pub fn info(self) -> WaterItemInfo {
        const MG_L: &str = "mg/L";
        match self {
            Self::Temp => basic(1, "temp", "Water temperature", "水温", "Water temperature", "Cel"),
            Self::Ph => basic(2, "ph", "pH", "pH值", "pH", "1"),
            Self::Do => basic(3, "do", "DO", "溶解氧", "Dissolved oxygen (DO)", MG_L),
            Self::Codmn => basic(4, "codmn", "CODMn", "高锰酸盐指数", "Permanganate index (CODMn)", MG_L),
            Self::Cod => basic(5, "cod", "COD", "化学需氧量（COD）", "Chemical oxygen demand (COD)", MG_L),
            Self::Bod5 => basic(6, "bod5", "BOD5", "五日生化需氧量（BOD5）", "5-day biochemical oxygen demand (BOD5)", MG_L),
            Self::Nh3n => basic(7, "nh3n", "NH3-N", "氨氮（NH3-N）", "Ammonia nitrogen (NH3-N)", MG_L),
            Self::Tp => basic(8, "tp", "TP", "总磷（以P计）", "Total phosphorus (as P)", MG_L),
            Self::Tn => basic(9, "tn", "TN", "总氮（湖、库，以N计）", "Total nitrogen (lakes and reservoirs, as N)", MG_L),
            Self::Cu => basic(10, "cu", "Cu", "铜", "Copper", MG_L),
            Self::Zn => basic(11, "zn", "Zn", "锌", "Zinc", MG_L),
            Self::Fluoride => basic(12, "fluoride", "Fluoride", "氟化物（以F-计）", "Fluoride (as F-)", MG_L),
            Self::Se => basic(13, "se", "Se", "硒", "Selenium", MG_L),
            Self::As => basic(14, "as", "As", "砷", "Arsenic", MG_L),
            Self::Hg => basic(15, "hg", "Hg", "汞", "Mercury", MG_L),
            Self::Cd => basic(16, "cd", "Cd", "镉", "Cadmium", MG_L),
            Self::Cr6 => basic(17, "cr6", "Cr(VI)", "铬（六价）", "Chromium (hexavalent)", MG_L),
            Self::Pb => basic(18, "pb", "Pb", "铅", "Lead", MG_L),
            Self::Cyanide => basic(19, "cyanide", "Cyanide", "氰化物", "Cyanide", MG_L),
            Self::VolatilePhenol => basic(20, "volatile_phenol", "Volatile phenol", "挥发酚", "Volatile phenol", MG_L),
            Self::Petroleum => basic(21, "petroleum", "Petroleum", "石油类", "Petroleum (oil)", MG_L),
            Self::Las => basic(22, "las", "LAS", "阴离子表面活性剂", "Anionic surfactant (LAS)", MG_L),
            Self::Sulfide => basic(23, "sulfide", "Sulfide", "硫化物", "Sulfide", MG_L),
            // UCUM "/L": a count per litre (个/L).
            Self::FecalColiform => basic(24, "fecal_coliform", "Fecal coliform", "粪大肠菌群", "Fecal coliform", "/L"),
            Self::Sulfate => supplementary(1, "sulfate", "Sulfate", "硫酸盐（以SO4^2-计）", "Sulfate (as SO4 2-)"),
            Self::Chloride => supplementary(2, "chloride", "Chloride", "氯化物（以Cl-计）", "Chloride (as Cl-)"),
            Self::Nitrate => supplementary(3, "nitrate", "Nitrate", "硝酸盐（以N计）", "Nitrate (as N)"),
            Self::Fe => supplementary(4, "fe", "Fe", "铁", "Iron"),
            Self::Mn => supplementary(5, "mn", "Mn", "锰", "Manganese"),
        }
    }

    /// The item's code, e.g. `nh3n`, as in CSV headers and JSON.
    pub fn code(self) -> &'static str {
        self.info().code
    }

    /// Short symbol for explanations, e.g. `NH3-N`.
    pub fn symbol(self) -> &'static str {
        self.info().symbol
    }

    /// The unit every value of this item is in (UCUM; `1` = dimensionless).
    pub fn unit(self) -> &'static str {
        self.info().unit
    }

    /// Parses an item code such as `nh3n`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|item| item.code() == code)
    }

    /// The item an automatically monitored parameter measures, if GB 3838
    /// covers it. Turbidity, conductivity, the disinfectant residuals and the
    /// air pollutants have no GB 3838 limit and give `None`. Units agree:
    /// both are in mg/L, pH dimensionless and temperature in °C.
    pub fn from_parameter(parameter: Parameter) -> Option<Self> {
        match parameter {
            Parameter::Ph => Some(Self::Ph),
            Parameter::Do => Some(Self::Do),
            Parameter::Codmn => Some(Self::Codmn),
            Parameter::Nh3n => Some(Self::Nh3n),
            Parameter::Tp => Some(Self::Tp),
            Parameter::Tn => Some(Self::Tn),
            Parameter::Temp => Some(Self::Temp),
            Parameter::Sulfate => Some(Self::Sulfate),
            Parameter::Chloride => Some(Self::Chloride),
            Parameter::Nitrate => Some(Self::Nitrate),
            Parameter::Fe => Some(Self::Fe),
            Parameter::Mn => Some(Self::Mn),
            Parameter::Pm25
            | Parameter::Pm10
            | Parameter::So2
            | Parameter::No2
            | Parameter::Co
            | Parameter::O3
            | Parameter::Turbidity
            | Parameter::Conductivity
            | Parameter::FreeChlorine
            | Parameter::TotalChlorine
            | Parameter::DoseRate
            | Parameter::Precipitation => None,
        }
    }

    /// Whether the item takes part in the single-factor class.
    ///
    /// All Table 1 items except water temperature, TN and fecal coliform (21
    /// items), which are reported as reference only. SECONDARY: 环办〔2011〕22号
    /// (README §3); GB 3838-2002 §5.1 only asks for single-factor evaluation.
    pub fn counts_toward_class(self) -> bool {
        self.info().table == Gb3838Table::Basic
            && !matches!(self, Self::Temp | Self::Tn | Self::FecalColiform)
    }

    /// Whether `value` can be a measurement of this item: finite, and not
    /// negative except for water temperature. Other values are never
    /// classified: they are reported as invalid, not guessed at.
    pub fn is_valid_value(self, value: f64) -> bool {
        value.is_finite() && (value >= 0.0 || self == Self::Temp)
    }

    /// `value` with its unit for explanations, e.g. `1.3 mg/L`, `pH 7.2`.
    pub(crate) fn format_value(self, value: f64) -> String {
        match self.unit() {
            "1" => format!("{value}"),
            "Cel" => format!("{value} °C"),
            unit => format!("{value} {unit}"),
        }
    }
}

impl fmt::Display for WaterItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_round_trips_through_its_code_and_json() {
        for item in WaterItem::ALL {
            assert_eq!(WaterItem::parse(item.code()), Some(item));
            let json = serde_json::to_string(&item).unwrap();
            assert_eq!(json, format!("\"{}\"", item.code()));
        }
    }

    #[test]
    fn tables_hold_24_and_5_items_in_row_order() {
        let rows = |table| -> Vec<u8> {
            WaterItem::ALL
                .iter()
                .filter(|i| i.info().table == table)
                .map(|i| i.info().row)
                .collect()
        };
        assert_eq!(rows(Gb3838Table::Basic), (1..=24).collect::<Vec<_>>());
        assert_eq!(
            rows(Gb3838Table::Supplementary),
            (1..=5).collect::<Vec<_>>()
        );
    }

    #[test]
    fn twenty_one_items_count_toward_the_class() {
        // SECONDARY, 环办〔2011〕22号 (README §3): Table 1 minus temperature, TN, fecal coliform.
        let counted: Vec<_> = WaterItem::ALL
            .into_iter()
            .filter(|i| i.counts_toward_class())
            .collect();
        assert_eq!(counted.len(), 21);
        for excluded in [
            WaterItem::Temp,
            WaterItem::Tn,
            WaterItem::FecalColiform,
            WaterItem::Fe,
        ] {
            assert!(!counted.contains(&excluded));
        }
    }

    #[test]
    fn monitored_water_parameters_map_to_items_with_the_same_unit() {
        for p in Parameter::ALL {
            match WaterItem::from_parameter(p) {
                Some(item) => {
                    assert_eq!(item.code(), p.code());
                    assert_eq!(item.unit(), p.unit());
                }
                None => assert!(matches!(
                    p,
                    Parameter::Pm25
                        | Parameter::Pm10
                        | Parameter::So2
                        | Parameter::No2
                        | Parameter::Co
                        | Parameter::O3
                        | Parameter::Turbidity
                        | Parameter::Conductivity
                        | Parameter::FreeChlorine
                        | Parameter::TotalChlorine
                        | Parameter::DoseRate
                        | Parameter::Precipitation
                )),
            }
        }
    }

    #[test]
    fn invalid_values_are_recognised() {
        assert!(WaterItem::Nh3n.is_valid_value(0.0));
        assert!(!WaterItem::Nh3n.is_valid_value(-0.01));
        assert!(!WaterItem::Nh3n.is_valid_value(f64::NAN));
        assert!(!WaterItem::Ph.is_valid_value(f64::INFINITY));
        assert!(WaterItem::Temp.is_valid_value(-1.0));
    }
}
