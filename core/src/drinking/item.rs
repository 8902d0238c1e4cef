//! The items of GB 5749-2022 this module judges: Table 1 (水质常规指标) and
//! Table 2 (消毒剂常规指标), as far as a 2022 text confirmed their limits.
//!
//! Left out, and why, in `reference/README.md`: Table 1 row 20 (chlorite),
//! Table 2's total chlorine, ozone and chlorine dioxide, and all of Table 3.
//! Limits live in [`super::limit`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// An item of GB 5749-2022 Table 1 or Table 2.
///
/// Values are in the item's [`unit`](SupplyItem::unit). Serialized as its
/// [`code`](SupplyItem::code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupplyItem {
    /// 总大肠菌群 (Table 1 row 1).
    TotalColiforms,
    /// 大肠埃希氏菌 (Table 1 row 2).
    EColi,
    /// 菌落总数 (Table 1 row 3).
    TotalBacteria,
    /// 砷 (Table 1 row 4).
    Arsenic,
    /// 镉 (Table 1 row 5).
    Cadmium,
    /// 铬（六价） (Table 1 row 6).
    ChromiumVi,
    /// 铅 (Table 1 row 7).
    Lead,
    /// 汞 (Table 1 row 8).
    Mercury,
    /// 氰化物 (Table 1 row 9).
    Cyanide,
    /// 氟化物 (Table 1 row 10).
    Fluoride,
    /// 硝酸盐（以N计） (Table 1 row 11).
    NitrateN,
    /// 三氯甲烷 (Table 1 row 12).
    Chloroform,
    /// 一氯二溴甲烷 (Table 1 row 13).
    Dibromochloromethane,
    /// 二氯一溴甲烷 (Table 1 row 14).
    Bromodichloromethane,
    /// 三溴甲烷 (Table 1 row 15).
    Bromoform,
    /// 三卤甲烷 (Table 1 row 16): the sum over the four trihalomethanes of
    /// each one's concentration divided by its own limit (dimensionless).
    Trihalomethanes,
    /// 二氯乙酸 (Table 1 row 17).
    DichloroaceticAcid,
    /// 三氯乙酸 (Table 1 row 18).
    TrichloroaceticAcid,
    /// 溴酸盐 (Table 1 row 19).
    Bromate,
    /// 氯酸盐 (Table 1 row 21).
    Chlorate,
    /// 色度 (Table 1 row 22).
    Colour,
    /// 浑浊度 (Table 1 row 23).
    Turbidity,
    /// 臭和味 (Table 1 row 24), an observation.
    OdourTaste,
    /// 肉眼可见物 (Table 1 row 25), an observation.
    VisibleMatter,
    /// pH (Table 1 row 26).
    Ph,
    /// 铝 (Table 1 row 27).
    Aluminium,
    /// 铁 (Table 1 row 28).
    Iron,
    /// 锰 (Table 1 row 29).
    Manganese,
    /// 铜 (Table 1 row 30).
    Copper,
    /// 锌 (Table 1 row 31).
    Zinc,
    /// 氯化物 (Table 1 row 32).
    Chloride,
    /// 硫酸盐 (Table 1 row 33).
    Sulfate,
    /// 溶解性总固体 (Table 1 row 34).
    TotalDissolvedSolids,
    /// 总硬度（以CaCO3计） (Table 1 row 35).
    TotalHardness,
    /// 高锰酸盐指数（以O2计） (Table 1 row 36), 耗氧量 before 2022.
    PermanganateIndex,
    /// 氨（以N计） (Table 1 row 37), 氨氮 before 2022.
    AmmoniaN,
    /// 总α放射性 (Table 1 row 38), a guidance value.
    GrossAlpha,
    /// 总β放射性 (Table 1 row 39), a guidance value.
    GrossBeta,
    /// 游离氯 (Table 2 row 1), the residual of chlorine disinfection.
    FreeChlorine,
}

/// Which table of GB 5749-2022 an item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gb5749Table {
    /// Table 1, 水质常规指标及限值.
    Regular,
    /// Table 2, 生活饮用水消毒剂常规指标及要求.
    Disinfectant,
}

impl Gb5749Table {
    /// The table's number in the standard (1 or 2).
    pub fn number(self) -> u8 {
        match self {
            Self::Regular => 1,
            Self::Disinfectant => 2,
        }
    }
}

/// The group an item is printed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemGroup {
    /// 微生物指标.
    Microbiological,
    /// 毒理指标.
    Toxicological,
    /// 感官性状和一般化学指标.
    SensoryAndGeneralChemical,
    /// 放射性指标 (guidance values, 指导值).
    Radioactive,
    /// 消毒剂指标 (Table 2).
    Disinfectant,
}

impl ItemGroup {
    /// The group's key in the reference CSV.
    pub fn key(self) -> &'static str {
        match self {
            Self::Microbiological => "microbiological",
            Self::Toxicological => "toxicological",
            Self::SensoryAndGeneralChemical => "sensory_and_general_chemical",
            Self::Radioactive => "radioactive",
            Self::Disinfectant => "disinfectant",
        }
    }
}

/// The fixed facts about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupplyItemInfo {
    /// Code used in CSV headers, JSON and logs, e.g. `nitrate_n`.
    pub code: &'static str,
    /// Chinese name as GB 5749-2022 prints it.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// Unit, UCUM-like spelling as in [`crate::Parameter`]: `mg/L`, `NTU`,
    /// `1` for dimensionless (pH, the observations, the trihalomethane
    /// ratio sum), `MPN/100mL`, `CFU/mL`, `Bq/L`, and `PtCo` for colour in
    /// platinum-cobalt units (铂钴色度单位), which UCUM has no unit for.
    pub unit: &'static str,
    /// The table the item is in.
    pub table: Gb5749Table,
    /// The item's row (序号) in that table, from 1.
    pub row: u8,
    /// The group the item is printed under.
    pub group: ItemGroup,
    /// The HJ 212-2017 pollutant code of the same quantity, from
    /// `shared/reference/hj212/codes.csv`, or `None` where it has none. A
    /// code names the quantity only: HJ 212 may report it in another unit
    /// (mercury, cadmium, lead in µg/L), which the decoder converts.
    pub hj212: Option<&'static str>,
}

// Eight facts per row, as the table prints them; a builder would hide that.
#[allow(clippy::too_many_arguments)]
const fn row(
    table: Gb5749Table,
    row: u8,
    group: ItemGroup,
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    unit: &'static str,
    hj212: Option<&'static str>,
) -> SupplyItemInfo {
    SupplyItemInfo {
        code,
        name_zh,
        name_en,
        unit,
        table,
        row,
        group,
        hj212,
    }
}

impl SupplyItem {
    /// Every item: Table 1 in row order, then Table 2.
    pub const ALL: [SupplyItem; 39] = [
        Self::TotalColiforms,
        Self::EColi,
        Self::TotalBacteria,
        Self::Arsenic,
        Self::Cadmium,
        Self::ChromiumVi,
        Self::Lead,
        Self::Mercury,
        Self::Cyanide,
        Self::Fluoride,
        Self::NitrateN,
        Self::Chloroform,
        Self::Dibromochloromethane,
        Self::Bromodichloromethane,
        Self::Bromoform,
        Self::Trihalomethanes,
        Self::DichloroaceticAcid,
        Self::TrichloroaceticAcid,
        Self::Bromate,
        Self::Chlorate,
        Self::Colour,
        Self::Turbidity,
        Self::OdourTaste,
        Self::VisibleMatter,
        Self::Ph,
        Self::Aluminium,
        Self::Iron,
        Self::Manganese,
        Self::Copper,
        Self::Zinc,
        Self::Chloride,
        Self::Sulfate,
        Self::TotalDissolvedSolids,
        Self::TotalHardness,
        Self::PermanganateIndex,
        Self::AmmoniaN,
        Self::GrossAlpha,
        Self::GrossBeta,
        Self::FreeChlorine,
    ];

    /// The item's fixed facts. Names, units, table and row are those of
    /// `reference/gb5749_2022.csv`, which a test checks.
    #[rustfmt::skip] // One line per item, as the standard's tables read.
    pub fn info(self) -> SupplyItemInfo {
        use Gb5749Table::{Disinfectant as T2, Regular as T1};
        use ItemGroup::{Disinfectant as D, Microbiological as M, Radioactive as R, SensoryAndGeneralChemical as S, Toxicological as X};
        const MG_L: &str = "mg/L";
        match self {
            Self::TotalColiforms => row(T1, 1, M, "total_coliforms", "总大肠菌群", "Total coliforms", "MPN/100mL", None),
            Self::EColi => row(T1, 2, M, "e_coli", "大肠埃希氏菌", "Escherichia coli", "MPN/100mL", None),
            Self::TotalBacteria => row(T1, 3, M, "total_bacteria", "菌落总数", "Total bacterial count", "CFU/mL", None),
            Self::Arsenic => row(T1, 4, X, "arsenic", "砷", "Arsenic", MG_L, Some("w20141")),
            Self::Cadmium => row(T1, 5, X, "cadmium", "镉", "Cadmium", MG_L, Some("w20143")),
            Self::ChromiumVi => row(T1, 6, X, "chromium_vi", "铬（六价）", "Chromium (hexavalent)", MG_L, Some("w20117")),
            Self::Lead => row(T1, 7, X, "lead", "铅", "Lead", MG_L, Some("w20144")),
            Self::Mercury => row(T1, 8, X, "mercury", "汞", "Mercury", MG_L, Some("w20142")),
            Self::Cyanide => row(T1, 9, X, "cyanide", "氰化物", "Cyanide", MG_L, Some("w21016")),
            Self::Fluoride => row(T1, 10, X, "fluoride", "氟化物", "Fluoride", MG_L, Some("w21017")),
            Self::NitrateN => row(T1, 11, X, "nitrate_n", "硝酸盐（以N计）", "Nitrate (as N)", MG_L, Some("w21007")),
            Self::Chloroform => row(T1, 12, X, "chloroform", "三氯甲烷", "Chloroform (trichloromethane)", MG_L, None),
            Self::Dibromochloromethane => row(T1, 13, X, "dibromochloromethane", "一氯二溴甲烷", "Dibromochloromethane", MG_L, None),
            Self::Bromodichloromethane => row(T1, 14, X, "bromodichloromethane", "二氯一溴甲烷", "Bromodichloromethane", MG_L, None),
            Self::Bromoform => row(T1, 15, X, "bromoform", "三溴甲烷", "Bromoform (tribromomethane)", MG_L, None),
            Self::Trihalomethanes => row(T1, 16, X, "trihalomethanes", "三卤甲烷（三氯甲烷、一氯二溴甲烷、二氯一溴甲烷、三溴甲烷的总和）", "Trihalomethanes (sum of ratios of the four to their limits)", "1", None),
            Self::DichloroaceticAcid => row(T1, 17, X, "dichloroacetic_acid", "二氯乙酸", "Dichloroacetic acid", MG_L, None),
            Self::TrichloroaceticAcid => row(T1, 18, X, "trichloroacetic_acid", "三氯乙酸", "Trichloroacetic acid", MG_L, None),
            Self::Bromate => row(T1, 19, X, "bromate", "溴酸盐", "Bromate", MG_L, None),
            Self::Chlorate => row(T1, 21, X, "chlorate", "氯酸盐", "Chlorate", MG_L, None),
            Self::Colour => row(T1, 22, S, "colour", "色度（铂钴色度单位）", "Colour (platinum-cobalt units)", "PtCo", Some("w01002")),
            // HJ 212-2017 has no turbidity code (w01003 is HJ 525-2009's).
            Self::Turbidity => row(T1, 23, S, "turbidity", "浑浊度（散射浑浊度单位）", "Turbidity (nephelometric turbidity units)", "NTU", None),
            Self::OdourTaste => row(T1, 24, S, "odour_taste", "臭和味", "Odour and taste", "1", None),
            Self::VisibleMatter => row(T1, 25, S, "visible_matter", "肉眼可见物", "Visible matter", "1", None),
            Self::Ph => row(T1, 26, S, "ph", "pH", "pH", "1", Some("w01001")),
            Self::Aluminium => row(T1, 27, S, "aluminium", "铝", "Aluminium", MG_L, None),
            Self::Iron => row(T1, 28, S, "iron", "铁", "Iron", MG_L, Some("w20125")),
            Self::Manganese => row(T1, 29, S, "manganese", "锰", "Manganese", MG_L, Some("w20124")),
            Self::Copper => row(T1, 30, S, "copper", "铜", "Copper", MG_L, Some("w20138")),
            Self::Zinc => row(T1, 31, S, "zinc", "锌", "Zinc", MG_L, Some("w20139")),
            Self::Chloride => row(T1, 32, S, "chloride", "氯化物", "Chloride", MG_L, Some("w21022")),
            Self::Sulfate => row(T1, 33, S, "sulfate", "硫酸盐", "Sulfate", MG_L, Some("w21038")),
            Self::TotalDissolvedSolids => row(T1, 34, S, "total_dissolved_solids", "溶解性总固体", "Total dissolved solids", MG_L, Some("w01006")),
            Self::TotalHardness => row(T1, 35, S, "total_hardness", "总硬度（以CaCO3计）", "Total hardness (as CaCO3)", MG_L, None),
            Self::PermanganateIndex => row(T1, 36, S, "permanganate_index", "高锰酸盐指数（以O2计）", "Permanganate index (as O2)", MG_L, Some("w01019")),
            Self::AmmoniaN => row(T1, 37, S, "ammonia_n", "氨（以N计）", "Ammonia (as N)", MG_L, Some("w21003")),
            Self::GrossAlpha => row(T1, 38, R, "gross_alpha", "总α放射性", "Gross alpha activity", "Bq/L", None),
            Self::GrossBeta => row(T1, 39, R, "gross_beta", "总β放射性", "Gross beta activity", "Bq/L", None),
            Self::FreeChlorine => row(T2, 1, D, "free_chlorine", "游离氯", "Free chlorine", MG_L, None),
        }
    }

    /// The item's code, e.g. `nitrate_n`, as in CSV headers and JSON.
    pub fn code(self) -> &'static str {
        self.info().code
    }

    /// The unit every value of this item is in.
    pub fn unit(self) -> &'static str {
        self.info().unit
    }

    /// Parses an item code such as `nitrate_n`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|item| item.code() == code)
    }

    /// The item an online analyser's parameter measures, so a supply site's
    /// sensor data are judged live by the same limits as its laboratory
    /// samples. Units agree (a test checks). `None` for parameters without
    /// a GB 5749-2022 limit here (conductivity, temperature, DO, total
    /// chlorine, TP, TN and the air pollutants).
    pub fn from_parameter(parameter: crate::Parameter) -> Option<Self> {
        use crate::Parameter as P;
        match parameter {
            P::Ph => Some(Self::Ph),
            P::Turbidity => Some(Self::Turbidity),
            P::FreeChlorine => Some(Self::FreeChlorine),
            P::Codmn => Some(Self::PermanganateIndex),
            P::Nh3n => Some(Self::AmmoniaN),
            P::Sulfate => Some(Self::Sulfate),
            P::Chloride => Some(Self::Chloride),
            P::Nitrate => Some(Self::NitrateN),
            P::Fe => Some(Self::Iron),
            P::Mn => Some(Self::Manganese),
            P::Pm25
            | P::Pm10
            | P::So2
            | P::No2
            | P::Co
            | P::O3
            | P::Do
            | P::Tp
            | P::Tn
            | P::Conductivity
            | P::Temp
            | P::TotalChlorine
            | P::DoseRate
            | P::Precipitation => None,
        }
    }

    /// `value` with its unit for explanations, e.g. `1.2 NTU`, `pH 7.2`.
    pub(crate) fn format_value(self, value: impl fmt::Display) -> String {
        match (self, self.unit()) {
            (Self::Ph, _) => format!("pH {value}"),
            (_, "1") => format!("{value}"),
            (_, unit) => format!("{value} {unit}"),
        }
    }
}

impl fmt::Display for SupplyItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn online_parameters_map_to_items_in_the_same_unit() {
        for parameter in crate::Parameter::ALL {
            if let Some(item) = super::SupplyItem::from_parameter(parameter) {
                assert_eq!(item.unit(), parameter.unit(), "{parameter}");
                assert!(parameter.applies_to(crate::StationKind::Plant));
            }
        }
    }

    use super::*;

    #[test]
    fn every_item_round_trips_through_its_code_and_json() {
        for item in SupplyItem::ALL {
            assert_eq!(SupplyItem::parse(item.code()), Some(item));
            let json = serde_json::to_string(&item).unwrap();
            assert_eq!(json, format!("\"{}\"", item.code()));
        }
        assert_eq!(SupplyItem::parse("ammonia"), None);
    }

    #[test]
    fn rows_are_unique_and_in_order_within_each_table() {
        let rows = |table| -> Vec<u8> {
            SupplyItem::ALL
                .iter()
                .filter(|i| i.info().table == table)
                .map(|i| i.info().row)
                .collect()
        };
        let table_1 = rows(Gb5749Table::Regular);
        // Row 20 (chlorite) is left out: its 2022 limit was not confirmed.
        let expected: Vec<u8> = (1..=39).filter(|&r| r != 20).collect();
        assert_eq!(table_1, expected);
        assert_eq!(rows(Gb5749Table::Disinfectant), vec![1]);
    }

    #[test]
    fn hj212_codes_are_well_formed() {
        for item in SupplyItem::ALL {
            if let Some(code) = item.info().hj212 {
                assert!(code.len() == 6 && code.starts_with('w'), "{item}: {code}");
            }
        }
    }
}
