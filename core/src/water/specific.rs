//! The 80 specific items of GB 3838-2002 Table 3
//! (集中式生活饮用水地表水源地特定项目标准限值), each with one limit in mg/L.
//!
//! Table 3, like Table 2, applies to the first- and second-level protection
//! zones of centralized drinking-water surface sources; the environmental
//! authority selects which of its items a source is monitored for (the
//! standard's foreword, `reference/README.md`). The items are a table, not
//! an enum: [`SpecificItem`] is a `Copy` handle on a row of [`TABLE`], and
//! every number is the row it cites. `reference/gb3838_specific.csv` is the
//! transcription the tests hold the table to, both ways.

use std::fmt;

use serde::{Serialize, Serializer};

use super::Limit;

/// The fixed facts about one Table 3 item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpecificItemInfo {
    /// The row (序号) in GB 3838-2002 Table 3, 1 to 80.
    pub row: u8,
    /// Code used in files, JSON and the database, e.g. `benzene`; never a
    /// Table 1 or Table 2 code.
    pub code: &'static str,
    /// Chinese name as the standard prints it, without its footnote marker.
    pub name_zh: &'static str,
    /// English name (ours: the standard is Chinese only).
    pub name_en: &'static str,
    /// The limit, a maximum in mg/L.
    pub limit_mg_l: f64,
}

const fn row(
    row: u8,
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    limit_mg_l: f64,
) -> SpecificItemInfo {
    SpecificItemInfo {
        row,
        code,
        name_zh,
        name_en,
        limit_mg_l,
    }
}

/// GB 3838-2002 Table 3, in row order: `TABLE[i]` is row `i + 1`. Where each
/// number was read, and which were confirmed by a second copy:
/// `reference/README.md`. Rows 66–68 are printed as 2.8×10⁻⁶, 1.0×10⁻⁶ and
/// 2.0×10⁻⁵.
#[rustfmt::skip] // One line per row, as the standard's table reads.
pub const TABLE: [SpecificItemInfo; 80] = [
    row(1, "chloroform", "三氯甲烷", "Chloroform (trichloromethane)", 0.06),
    row(2, "carbon_tetrachloride", "四氯化碳", "Carbon tetrachloride", 0.002),
    row(3, "bromoform", "三溴甲烷", "Bromoform (tribromomethane)", 0.1),
    row(4, "dichloromethane", "二氯甲烷", "Dichloromethane", 0.02),
    row(5, "dichloroethane_1_2", "1,2-二氯乙烷", "1,2-Dichloroethane", 0.03),
    row(6, "epichlorohydrin", "环氧氯丙烷", "Epichlorohydrin", 0.02),
    row(7, "vinyl_chloride", "氯乙烯", "Vinyl chloride", 0.005),
    row(8, "dichloroethene_1_1", "1,1-二氯乙烯", "1,1-Dichloroethene", 0.03),
    row(9, "dichloroethene_1_2", "1,2-二氯乙烯", "1,2-Dichloroethene", 0.05),
    row(10, "trichloroethene", "三氯乙烯", "Trichloroethene", 0.07),
    row(11, "tetrachloroethene", "四氯乙烯", "Tetrachloroethene", 0.04),
    row(12, "chloroprene", "氯丁二烯", "Chloroprene", 0.002),
    row(13, "hexachlorobutadiene", "六氯丁二烯", "Hexachlorobutadiene", 0.0006),
    row(14, "styrene", "苯乙烯", "Styrene", 0.02),
    row(15, "formaldehyde", "甲醛", "Formaldehyde", 0.9),
    row(16, "acetaldehyde", "乙醛", "Acetaldehyde", 0.05),
    row(17, "acrolein", "丙烯醛", "Acrolein", 0.1),
    row(18, "chloral", "三氯乙醛", "Chloral (trichloroacetaldehyde)", 0.01),
    row(19, "benzene", "苯", "Benzene", 0.01),
    row(20, "toluene", "甲苯", "Toluene", 0.7),
    row(21, "ethylbenzene", "乙苯", "Ethylbenzene", 0.3),
    row(22, "xylene", "二甲苯", "Xylene", 0.5),
    row(23, "cumene", "异丙苯", "Cumene (isopropylbenzene)", 0.25),
    row(24, "chlorobenzene", "氯苯", "Chlorobenzene", 0.3),
    row(25, "dichlorobenzene_1_2", "1,2-二氯苯", "1,2-Dichlorobenzene", 1.0),
    row(26, "dichlorobenzene_1_4", "1,4-二氯苯", "1,4-Dichlorobenzene", 0.3),
    row(27, "trichlorobenzene", "三氯苯", "Trichlorobenzene", 0.02),
    row(28, "tetrachlorobenzene", "四氯苯", "Tetrachlorobenzene", 0.02),
    row(29, "hexachlorobenzene", "六氯苯", "Hexachlorobenzene", 0.05),
    row(30, "nitrobenzene", "硝基苯", "Nitrobenzene", 0.017),
    row(31, "dinitrobenzene", "二硝基苯", "Dinitrobenzene", 0.5),
    row(32, "dinitrotoluene_2_4", "2,4-二硝基甲苯", "2,4-Dinitrotoluene", 0.0003),
    row(33, "trinitrotoluene_2_4_6", "2,4,6-三硝基甲苯", "2,4,6-Trinitrotoluene", 0.5),
    row(34, "nitrochlorobenzene", "硝基氯苯", "Nitrochlorobenzene", 0.05),
    row(35, "dinitrochlorobenzene_2_4", "2,4-二硝基氯苯", "2,4-Dinitrochlorobenzene", 0.5),
    row(36, "dichlorophenol_2_4", "2,4-二氯苯酚", "2,4-Dichlorophenol", 0.093),
    row(37, "trichlorophenol_2_4_6", "2,4,6-三氯苯酚", "2,4,6-Trichlorophenol", 0.2),
    row(38, "pentachlorophenol", "五氯酚", "Pentachlorophenol", 0.009),
    row(39, "aniline", "苯胺", "Aniline", 0.1),
    row(40, "benzidine", "联苯胺", "Benzidine", 0.0002),
    row(41, "acrylamide", "丙烯酰胺", "Acrylamide", 0.0005),
    row(42, "acrylonitrile", "丙烯腈", "Acrylonitrile", 0.1),
    row(43, "dibutyl_phthalate", "邻苯二甲酸二丁酯", "Dibutyl phthalate", 0.003),
    row(44, "dehp", "邻苯二甲酸二(2-乙基己基)酯", "Di(2-ethylhexyl) phthalate (DEHP)", 0.008),
    row(45, "hydrazine_hydrate", "水合肼", "Hydrazine hydrate", 0.01),
    row(46, "tetraethyl_lead", "四乙基铅", "Tetraethyl lead", 0.0001),
    row(47, "pyridine", "吡啶", "Pyridine", 0.2),
    row(48, "turpentine", "松节油", "Turpentine", 0.2),
    row(49, "picric_acid", "苦味酸", "Picric acid", 0.5),
    row(50, "butyl_xanthate", "丁基黄原酸", "Butyl xanthate", 0.005),
    row(51, "active_chlorine", "活性氯", "Active chlorine", 0.01),
    row(52, "ddt", "滴滴涕", "DDT", 0.001),
    row(53, "lindane", "林丹", "Lindane", 0.002),
    row(54, "heptachlor_epoxide", "环氧七氯", "Heptachlor epoxide", 0.0002),
    row(55, "parathion", "对硫磷", "Parathion", 0.003),
    row(56, "methyl_parathion", "甲基对硫磷", "Methyl parathion", 0.002),
    row(57, "malathion", "马拉硫磷", "Malathion", 0.05),
    row(58, "dimethoate", "乐果", "Dimethoate", 0.08),
    row(59, "dichlorvos", "敌敌畏", "Dichlorvos", 0.05),
    row(60, "trichlorfon", "敌百虫", "Trichlorfon", 0.05),
    row(61, "demeton", "内吸磷", "Demeton", 0.03),
    row(62, "chlorothalonil", "百菌清", "Chlorothalonil", 0.01),
    row(63, "carbaryl", "甲萘威", "Carbaryl", 0.05),
    row(64, "deltamethrin", "溴氰菊酯", "Deltamethrin", 0.02),
    row(65, "atrazine", "阿特拉津", "Atrazine", 0.003),
    row(66, "benzo_a_pyrene", "苯并(a)芘", "Benzo(a)pyrene", 0.0000028),
    row(67, "methylmercury", "甲基汞", "Methylmercury", 0.000001),
    row(68, "pcbs", "多氯联苯", "Polychlorinated biphenyls (PCBs)", 0.00002),
    row(69, "microcystin_lr", "微囊藻毒素-LR", "Microcystin-LR", 0.001),
    row(70, "yellow_phosphorus", "黄磷", "Yellow phosphorus", 0.003),
    row(71, "mo", "钼", "Molybdenum", 0.07),
    row(72, "co", "钴", "Cobalt", 1.0),
    row(73, "be", "铍", "Beryllium", 0.002),
    row(74, "b", "硼", "Boron", 0.5),
    row(75, "sb", "锑", "Antimony", 0.005),
    row(76, "ni", "镍", "Nickel", 0.02),
    row(77, "ba", "钡", "Barium", 0.7),
    row(78, "v", "钒", "Vanadium", 0.05),
    row(79, "ti", "钛", "Titanium", 0.1),
    row(80, "tl", "铊", "Thallium", 0.0001),
];

/// An item of GB 3838-2002 Table 3. Serialized as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpecificItem(
    /// Index into [`TABLE`], always below its length.
    u8,
);

impl SpecificItem {
    /// Every item, in row order.
    pub const ALL: [SpecificItem; 80] = {
        let mut all = [SpecificItem(0); 80];
        let mut i = 0;
        while i < all.len() {
            // i < 80, so the cast is exact.
            all[i] = SpecificItem(i as u8);
            i += 1;
        }
        all
    };

    /// The item's fixed facts.
    pub fn info(self) -> &'static SpecificItemInfo {
        &TABLE[usize::from(self.0)]
    }

    /// The item's code, e.g. `benzene`.
    pub fn code(self) -> &'static str {
        self.info().code
    }

    /// The unit every value of this item is in: `mg/L` for all of Table 3.
    pub fn unit(self) -> &'static str {
        "mg/L"
    }

    /// The item's row (序号) in Table 3.
    pub fn row(self) -> u8 {
        self.info().row
    }

    /// The limit a value must meet: at most the Table 3 value.
    pub fn limit(self) -> Limit {
        Limit::AtMost(self.info().limit_mg_l)
    }

    /// Parses an item code such as `benzene`.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|item| item.code() == code)
    }

    /// The item at `row` (序号) of Table 3.
    pub fn from_row(row: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|item| item.row() == row)
    }
}

impl fmt::Display for SpecificItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for SpecificItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::water::WaterItem;

    const TABLE_3_CSV: &str = include_str!("reference/gb3838_specific.csv");

    fn records() -> Vec<csv::StringRecord> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(TABLE_3_CSV.as_bytes());
        let headers = reader.headers().unwrap().clone();
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [
                "seq",
                "item_key",
                "item_zh",
                "item_en",
                "unit",
                "limit",
                "note",
                "confirmed_by"
            ]
        );
        reader.records().map(|r| r.unwrap()).collect()
    }

    #[test]
    fn every_csv_row_matches_the_table() {
        let records = records();
        for r in &records {
            let row: u8 = r[0].parse().unwrap();
            let item = SpecificItem::from_row(row).unwrap_or_else(|| panic!("no row {row}"));
            let info = item.info();
            assert_eq!(
                (info.code, info.name_zh, info.name_en),
                (&r[1], &r[2], &r[3]),
                "row {row}"
            );
            assert_eq!(&r[4], item.unit(), "row {row}");
            let limit: f64 = r[5].parse().unwrap();
            assert_eq!(item.limit(), Limit::AtMost(limit), "row {row}");
            assert!(
                r[7].split("; ").any(|s| s == "scan"),
                "row {row} was read in the standard"
            );
        }
        // And the other way: every item of the table is in the CSV.
        let rows: Vec<u8> = records.iter().map(|r| r[0].parse().unwrap()).collect();
        let ours: Vec<u8> = SpecificItem::ALL.iter().map(|i| i.row()).collect();
        assert_eq!(rows, ours);
    }

    #[test]
    fn the_table_holds_rows_1_to_80_in_order() {
        let rows: Vec<u8> = SpecificItem::ALL.iter().map(|i| i.row()).collect();
        assert_eq!(rows, (1..=80).collect::<Vec<_>>());
    }

    #[test]
    fn codes_and_names_are_unique_and_codes_are_snake_case() {
        let codes: HashSet<_> = SpecificItem::ALL.iter().map(|i| i.code()).collect();
        let names: HashSet<_> = SpecificItem::ALL.iter().map(|i| i.info().name_zh).collect();
        assert_eq!((codes.len(), names.len()), (80, 80));
        for code in codes {
            assert!(
                code.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{code}"
            );
        }
    }

    #[test]
    fn no_code_collides_with_a_table_1_or_table_2_code() {
        for item in SpecificItem::ALL {
            assert_eq!(WaterItem::parse(item.code()), None, "{item}");
        }
        for item in WaterItem::ALL {
            assert_eq!(SpecificItem::parse(item.code()), None, "{item}");
        }
    }

    #[test]
    fn items_parse_by_code_and_serialize_as_it() {
        // GB 3838-2002 Table 3 row 19: benzene 0.01 mg/L; row 1: chloroform 0.06.
        let benzene = SpecificItem::parse("benzene").unwrap();
        assert_eq!((benzene.row(), benzene.limit()), (19, Limit::AtMost(0.01)));
        assert_eq!(SpecificItem::parse("chloroform").unwrap().row(), 1);
        assert_eq!(SpecificItem::parse("Benzene"), None);
        assert_eq!(serde_json::to_string(&benzene).unwrap(), r#""benzene""#);
        for item in SpecificItem::ALL {
            assert_eq!(SpecificItem::parse(item.code()), Some(item));
        }
    }

    #[test]
    fn powers_of_ten_are_read_as_printed() {
        // Table 3 rows 66–68: 2.8×10⁻⁶, 1.0×10⁻⁶, 2.0×10⁻⁵ mg/L.
        let limit = |code| SpecificItem::parse(code).unwrap().info().limit_mg_l;
        assert_eq!(limit("benzo_a_pyrene"), 2.8e-6);
        assert_eq!(limit("methylmercury"), 1.0e-6);
        assert_eq!(limit("pcbs"), 2.0e-5);
    }
}
