//! Tests that hold our constants and items to the reference CSV, both ways:
//! every CSV row is an item with the same names, unit, group and limit, and
//! every item is a CSV row.

use super::limit::*;
use super::{Gb5749Table, SupplyItem};

const CSV: &str = include_str!("reference/gb5749_2022.csv");

fn records() -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(CSV.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let expected = [
        "table",
        "row",
        "group",
        "item_key",
        "item_zh",
        "item_en",
        "unit",
        "limit_kind",
        "limit_min",
        "limit",
        "outlet_min",
        "network_min",
        "confirmed_by",
        "note",
    ];
    assert_eq!(headers.iter().collect::<Vec<_>>(), expected);
    reader.records().map(|r| r.unwrap()).collect()
}

fn number(field: &str) -> f64 {
    field
        .parse()
        .unwrap_or_else(|_| panic!("{field:?} is not a number"))
}

fn expected_limit(r: &csv::StringRecord) -> SupplyLimit {
    match &r[7] {
        "max" => SupplyLimit::Max(number(&r[9])),
        "range" => SupplyLimit::Range {
            min: number(&r[8]),
            max: number(&r[9]),
        },
        "not_detected" => SupplyLimit::NotDetected,
        "absent" => SupplyLimit::Absent,
        "guidance" => SupplyLimit::Guidance(number(&r[9])),
        "disinfectant" => SupplyLimit::Disinfectant(DisinfectantLimit {
            max: number(&r[9]),
            outlet_min: number(&r[10]),
            network_min: number(&r[11]),
        }),
        other => panic!("unknown limit_kind {other}"),
    }
}

#[test]
fn every_csv_row_is_an_item_with_the_same_facts_and_limit() {
    for r in records() {
        let key = &r[3];
        let item = SupplyItem::parse(key).unwrap_or_else(|| panic!("no item {key}"));
        let info = item.info();
        assert_eq!(info.table.number().to_string(), &r[0], "{key} table");
        assert_eq!(info.row.to_string(), &r[1], "{key} row");
        assert_eq!(info.group.key(), &r[2], "{key} group");
        assert_eq!((info.name_zh, info.name_en), (&r[4], &r[5]), "{key} names");
        assert_eq!(info.unit, &r[6], "{key} unit");
        assert_eq!(limit(item), expected_limit(&r), "{key} limit");
        assert!(!r[12].is_empty(), "{key} names no source");
    }
}

#[test]
fn every_item_is_in_the_csv_once() {
    let rows = records();
    for item in SupplyItem::ALL {
        let n = rows.iter().filter(|r| &r[3] == item.code()).count();
        assert_eq!(n, 1, "{item} appears {n} times in the CSV");
    }
    assert_eq!(rows.len(), SupplyItem::ALL.len());
}

/// The named constants, row by row, against the CSV: a typo in one of them
/// would otherwise hide behind `limit()` using the same typo.
#[test]
fn named_constants_match_their_csv_rows() {
    let rows = records();
    let max = |table: u8, row: u8| -> f64 {
        let r = rows
            .iter()
            .find(|r| r[0] == *table.to_string() && r[1] == *row.to_string())
            .unwrap_or_else(|| panic!("no row {table}.{row}"));
        number(&r[9])
    };
    let t1 = [
        (3, TOTAL_BACTERIA_MAX_CFU_ML),
        (4, ARSENIC_MAX_MG_L),
        (5, CADMIUM_MAX_MG_L),
        (6, CHROMIUM_VI_MAX_MG_L),
        (7, LEAD_MAX_MG_L),
        (8, MERCURY_MAX_MG_L),
        (9, CYANIDE_MAX_MG_L),
        (10, FLUORIDE_MAX_MG_L),
        (11, NITRATE_N_MAX_MG_L),
        (12, CHLOROFORM_MAX_MG_L),
        (13, DIBROMOCHLOROMETHANE_MAX_MG_L),
        (14, BROMODICHLOROMETHANE_MAX_MG_L),
        (15, BROMOFORM_MAX_MG_L),
        (16, TRIHALOMETHANES_RATIO_SUM_MAX),
        (17, DICHLOROACETIC_ACID_MAX_MG_L),
        (18, TRICHLOROACETIC_ACID_MAX_MG_L),
        (19, BROMATE_MAX_MG_L),
        (21, CHLORATE_MAX_MG_L),
        (22, COLOUR_MAX_PTCO),
        (23, TURBIDITY_MAX_NTU),
        (26, PH_MAX),
        (27, ALUMINIUM_MAX_MG_L),
        (28, IRON_MAX_MG_L),
        (29, MANGANESE_MAX_MG_L),
        (30, COPPER_MAX_MG_L),
        (31, ZINC_MAX_MG_L),
        (32, CHLORIDE_MAX_MG_L),
        (33, SULFATE_MAX_MG_L),
        (34, TOTAL_DISSOLVED_SOLIDS_MAX_MG_L),
        (35, TOTAL_HARDNESS_MAX_MG_L),
        (36, PERMANGANATE_INDEX_MAX_MG_L),
        (37, AMMONIA_N_MAX_MG_L),
        (38, GROSS_ALPHA_GUIDANCE_BQ_L),
        (39, GROSS_BETA_GUIDANCE_BQ_L),
    ];
    for (row, constant) in t1 {
        assert_eq!(constant, max(1, row), "Table 1 row {row}");
    }
    assert_eq!(FREE_CHLORINE_MAX_MG_L, max(2, 1));
    let ph = rows.iter().find(|r| &r[3] == "ph").unwrap();
    assert_eq!(PH_MIN, number(&ph[8]));
    let free = rows.iter().find(|r| &r[3] == "free_chlorine").unwrap();
    assert_eq!(FREE_CHLORINE_OUTLET_MIN_MG_L, number(&free[10]));
    assert_eq!(FREE_CHLORINE_NETWORK_MIN_MG_L, number(&free[11]));
    assert!(
        SupplyItem::ALL
            .iter()
            .any(|i| i.info().table == Gb5749Table::Disinfectant)
    );
}
