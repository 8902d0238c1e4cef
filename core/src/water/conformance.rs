//! Tests that hold our constants to GB 3838-2002.
//!
//! Two independent copies are checked against the code: the reference CSVs
//! (parsed here, so a typo in a constant or in the CSV is caught), and a
//! hand-typed table probing every class limit of every item just better than,
//! at and just worse than the limit.

use super::limits::{ClassLimits, Limit, class_limits, item_class, supplementary_limit};
use super::{Gb3838Table, WaterClass, WaterItem};
use crate::station::WaterBodyType::{self, Lake, River};
use WaterClass::{I, II, III, IV, V, WorseThanV as W};
use WaterItem::*;

const TABLE_1_CSV: &str = include_str!("reference/gb3838_limits.csv");
const TABLE_2_CSV: &str = include_str!("reference/gb3838_drinking_source_supplementary.csv");

fn records(csv_text: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "seq");
    reader.records().map(|r| r.unwrap()).collect()
}

fn item_at(table: Gb3838Table, row: u8) -> WaterItem {
    let found = WaterItem::ALL
        .into_iter()
        .find(|i| i.info().table == table && i.info().row == row);
    found.unwrap_or_else(|| panic!("no item at {table:?} row {row}"))
}

fn number(field: &str) -> f64 {
    field
        .parse()
        .unwrap_or_else(|_| panic!("{field:?} is not a number"))
}

/// The CSV spells units for people; ours are UCUM.
fn csv_unit(ours: &str) -> &str {
    match ours {
        "Cel" => "°C",
        "1" => "dimensionless",
        "/L" => "count/L (个/L)",
        other => other,
    }
}

#[test]
fn table_1_constants_match_the_reference_csv() {
    let mut covered = Vec::new();
    for r in records(TABLE_1_CSV) {
        let (key, direction, applies_to) = (&r[1], &r[12], &r[13]);
        let item = item_at(Gb3838Table::Basic, r[0].parse().unwrap());
        let info = item.info();
        assert_eq!(csv_unit(info.unit), &r[4], "{key} unit");
        match key {
            "tp_river" => assert!(r[3].starts_with(info.name_en), "{key}"),
            "tp_lake_reservoir" => {}
            _ => assert_eq!((info.name_zh, info.name_en), (&r[2], &r[3]), "{key}"),
        }
        if key == "tp_river" {
            assert_eq!(info.name_zh, &r[2]);
        }
        let classes: Vec<f64> = (5..10)
            .filter(|&i| !r[i].is_empty())
            .map(|i| number(&r[i]))
            .collect();
        let expected = match direction {
            "lower_is_better" => Some(ClassLimits::AtMost(classes.try_into().unwrap())),
            "higher_is_better" => Some(ClassLimits::AtLeast(classes.try_into().unwrap())),
            "range" => Some(ClassLimits::Within(number(&r[10]), number(&r[11]))),
            "special" => None,
            other => panic!("unknown direction {other}"),
        };
        let bodies: &[WaterBodyType] = match applies_to {
            "all" => &[River, Lake],
            "rivers" => &[River],
            "lakes_reservoirs" => &[Lake],
            other => panic!("unknown applies_to {other}"),
        };
        for &body in bodies {
            assert_eq!(class_limits(item, body), expected, "{key} in {body:?}");
            covered.push((item, body));
        }
    }
    // Whatever the CSV does not define has no class limits (TN in rivers).
    for item in WaterItem::ALL
        .into_iter()
        .filter(|i| i.info().table == Gb3838Table::Basic)
    {
        for body in [River, Lake] {
            if !covered.contains(&(item, body)) {
                assert_eq!(class_limits(item, body), None, "{item} in {body:?}");
            }
        }
    }
    assert_eq!(
        covered.len(),
        22 * 2 + 3,
        "22 rows for all water, and TP rivers, TP lakes, TN lakes"
    );
}

#[test]
fn table_2_constants_match_the_reference_csv() {
    let rows = records(TABLE_2_CSV);
    assert_eq!(rows.len(), 5);
    for r in rows {
        let item = item_at(Gb3838Table::Supplementary, r[0].parse().unwrap());
        let info = item.info();
        assert_eq!(
            (info.name_zh, info.name_en, info.unit),
            (&r[2], &r[3], &r[4])
        );
        assert_eq!(&r[6], "lower_is_better");
        assert_eq!(
            supplementary_limit(item),
            Some(Limit::AtMost(number(&r[5]))),
            "{}",
            &r[1]
        );
        for body in [River, Lake] {
            assert_eq!(class_limits(item, body), None);
        }
    }
}

#[test]
fn class_limits_never_get_stricter_for_a_worse_class() {
    for item in WaterItem::ALL {
        for body in [River, Lake] {
            match class_limits(item, body) {
                Some(ClassLimits::AtMost(m)) => assert!(m.is_sorted(), "{item}"),
                Some(ClassLimits::AtLeast(m)) => assert!(m.iter().rev().is_sorted(), "{item}"),
                Some(ClassLimits::Within(min, max)) => assert!(min < max),
                None => {}
            }
        }
    }
}

/// Table 1 row, item, body, class probed, its limit, the class of a value at
/// the limit (the same as just better), the class of a value just worse.
type Boundary = (
    u8,
    WaterItem,
    WaterBodyType,
    WaterClass,
    f64,
    WaterClass,
    WaterClass,
);

#[rustfmt::skip]
const BOUNDARIES: &[Boundary] = &[
    // GB 3838-2002 Table 1 row 3, DO minimum: 7.5, 6, 5, 3, 2 mg/L (worse = lower).
    (3, Do, River, I, 7.5, I, II), (3, Do, River, II, 6.0, II, III), (3, Do, River, III, 5.0, III, IV),
    (3, Do, River, IV, 3.0, IV, V), (3, Do, River, V, 2.0, V, W),
    // Row 4, CODMn: 2, 4, 6, 10, 15.
    (4, Codmn, River, I, 2.0, I, II), (4, Codmn, River, II, 4.0, II, III), (4, Codmn, River, III, 6.0, III, IV),
    (4, Codmn, River, IV, 10.0, IV, V), (4, Codmn, River, V, 15.0, V, W),
    // Row 5, COD: 15, 15, 20, 30, 40.
    (5, Cod, River, I, 15.0, I, III), (5, Cod, River, II, 15.0, I, III), (5, Cod, River, III, 20.0, III, IV),
    (5, Cod, River, IV, 30.0, IV, V), (5, Cod, River, V, 40.0, V, W),
    // Row 6, BOD5: 3, 3, 4, 6, 10.
    (6, Bod5, River, I, 3.0, I, III), (6, Bod5, River, II, 3.0, I, III), (6, Bod5, River, III, 4.0, III, IV),
    (6, Bod5, River, IV, 6.0, IV, V), (6, Bod5, River, V, 10.0, V, W),
    // Row 7, NH3-N: 0.15, 0.5, 1.0, 1.5, 2.0.
    (7, Nh3n, River, I, 0.15, I, II), (7, Nh3n, River, II, 0.5, II, III), (7, Nh3n, River, III, 1.0, III, IV),
    (7, Nh3n, River, IV, 1.5, IV, V), (7, Nh3n, River, V, 2.0, V, W),
    // Row 8, TP rivers: 0.02, 0.1, 0.2, 0.3, 0.4.
    (8, Tp, River, I, 0.02, I, II), (8, Tp, River, II, 0.1, II, III), (8, Tp, River, III, 0.2, III, IV),
    (8, Tp, River, IV, 0.3, IV, V), (8, Tp, River, V, 0.4, V, W),
    // Row 8, TP lakes and reservoirs: 0.01, 0.025, 0.05, 0.1, 0.2.
    (8, Tp, Lake, I, 0.01, I, II), (8, Tp, Lake, II, 0.025, II, III), (8, Tp, Lake, III, 0.05, III, IV),
    (8, Tp, Lake, IV, 0.1, IV, V), (8, Tp, Lake, V, 0.2, V, W),
    // Row 9, TN lakes and reservoirs: 0.2, 0.5, 1.0, 1.5, 2.0.
    (9, Tn, Lake, I, 0.2, I, II), (9, Tn, Lake, II, 0.5, II, III), (9, Tn, Lake, III, 1.0, III, IV),
    (9, Tn, Lake, IV, 1.5, IV, V), (9, Tn, Lake, V, 2.0, V, W),
    // Row 10, copper: 0.01, 1.0, 1.0, 1.0, 1.0.
    (10, Cu, River, I, 0.01, I, II), (10, Cu, River, II, 1.0, II, W), (10, Cu, River, III, 1.0, II, W),
    (10, Cu, River, IV, 1.0, II, W), (10, Cu, River, V, 1.0, II, W),
    // Row 11, zinc: 0.05, 1.0, 1.0, 2.0, 2.0.
    (11, Zn, River, I, 0.05, I, II), (11, Zn, River, II, 1.0, II, IV), (11, Zn, River, III, 1.0, II, IV),
    (11, Zn, River, IV, 2.0, IV, W), (11, Zn, River, V, 2.0, IV, W),
    // Row 12, fluoride: 1.0, 1.0, 1.0, 1.5, 1.5.
    (12, Fluoride, River, I, 1.0, I, IV), (12, Fluoride, River, II, 1.0, I, IV), (12, Fluoride, River, III, 1.0, I, IV),
    (12, Fluoride, River, IV, 1.5, IV, W), (12, Fluoride, River, V, 1.5, IV, W),
    // Row 13, selenium: 0.01, 0.01, 0.01, 0.02, 0.02.
    (13, Se, River, I, 0.01, I, IV), (13, Se, River, II, 0.01, I, IV), (13, Se, River, III, 0.01, I, IV),
    (13, Se, River, IV, 0.02, IV, W), (13, Se, River, V, 0.02, IV, W),
    // Row 14, arsenic: 0.05, 0.05, 0.05, 0.1, 0.1.
    (14, As, River, I, 0.05, I, IV), (14, As, River, II, 0.05, I, IV), (14, As, River, III, 0.05, I, IV),
    (14, As, River, IV, 0.1, IV, W), (14, As, River, V, 0.1, IV, W),
    // Row 15, mercury: 0.00005, 0.00005, 0.0001, 0.001, 0.001.
    (15, Hg, River, I, 0.00005, I, III), (15, Hg, River, II, 0.00005, I, III), (15, Hg, River, III, 0.0001, III, IV),
    (15, Hg, River, IV, 0.001, IV, W), (15, Hg, River, V, 0.001, IV, W),
    // Row 16, cadmium: 0.001, 0.005, 0.005, 0.005, 0.01.
    (16, Cd, River, I, 0.001, I, II), (16, Cd, River, II, 0.005, II, V), (16, Cd, River, III, 0.005, II, V),
    (16, Cd, River, IV, 0.005, II, V), (16, Cd, River, V, 0.01, V, W),
    // Row 17, hexavalent chromium: 0.01, 0.05, 0.05, 0.05, 0.1.
    (17, Cr6, River, I, 0.01, I, II), (17, Cr6, River, II, 0.05, II, V), (17, Cr6, River, III, 0.05, II, V),
    (17, Cr6, River, IV, 0.05, II, V), (17, Cr6, River, V, 0.1, V, W),
    // Row 18, lead: 0.01, 0.01, 0.05, 0.05, 0.1.
    (18, Pb, River, I, 0.01, I, III), (18, Pb, River, II, 0.01, I, III), (18, Pb, River, III, 0.05, III, V),
    (18, Pb, River, IV, 0.05, III, V), (18, Pb, River, V, 0.1, V, W),
    // Row 19, cyanide: 0.005, 0.05, 0.2, 0.2, 0.2.
    (19, Cyanide, River, I, 0.005, I, II), (19, Cyanide, River, II, 0.05, II, III), (19, Cyanide, River, III, 0.2, III, W),
    (19, Cyanide, River, IV, 0.2, III, W), (19, Cyanide, River, V, 0.2, III, W),
    // Row 20, volatile phenol: 0.002, 0.002, 0.005, 0.01, 0.1.
    (20, VolatilePhenol, River, I, 0.002, I, III), (20, VolatilePhenol, River, II, 0.002, I, III),
    (20, VolatilePhenol, River, III, 0.005, III, IV), (20, VolatilePhenol, River, IV, 0.01, IV, V),
    (20, VolatilePhenol, River, V, 0.1, V, W),
    // Row 21, petroleum: 0.05, 0.05, 0.05, 0.5, 1.0.
    (21, Petroleum, River, I, 0.05, I, IV), (21, Petroleum, River, II, 0.05, I, IV), (21, Petroleum, River, III, 0.05, I, IV),
    (21, Petroleum, River, IV, 0.5, IV, V), (21, Petroleum, River, V, 1.0, V, W),
    // Row 22, LAS: 0.2, 0.2, 0.2, 0.3, 0.3.
    (22, Las, River, I, 0.2, I, IV), (22, Las, River, II, 0.2, I, IV), (22, Las, River, III, 0.2, I, IV),
    (22, Las, River, IV, 0.3, IV, W), (22, Las, River, V, 0.3, IV, W),
    // Row 23, sulfide: 0.05, 0.1, 0.2, 0.5, 1.0.
    (23, Sulfide, River, I, 0.05, I, II), (23, Sulfide, River, II, 0.1, II, III), (23, Sulfide, River, III, 0.2, III, IV),
    (23, Sulfide, River, IV, 0.5, IV, V), (23, Sulfide, River, V, 1.0, V, W),
    // Row 24, fecal coliform (count/L): 200, 2000, 10000, 20000, 40000.
    (24, FecalColiform, River, I, 200.0, I, II), (24, FecalColiform, River, II, 2000.0, II, III),
    (24, FecalColiform, River, III, 10000.0, III, IV), (24, FecalColiform, River, IV, 20000.0, IV, V),
    (24, FecalColiform, River, V, 40000.0, V, W),
];

#[test]
fn every_class_limit_is_met_at_and_just_better_and_failed_just_worse() {
    for &(row, item, body, class, limit, at, worse) in BOUNDARIES {
        let cite = format!(
            "GB 3838-2002 Table 1 row {row}, {} class {class} = {limit}",
            item.symbol()
        );
        assert_eq!(item.info().row, row, "{cite}: wrong row");
        // DO is a minimum, so "better" is more oxygen; the others are maxima.
        let (expected, step) = match item {
            Do => (Limit::AtLeast(limit), limit * 1e-6),
            _ => (Limit::AtMost(limit), -limit * 1e-6),
        };
        let probed = class_limits(item, body).and_then(|l| l.for_class(class));
        assert_eq!(probed, Some(expected), "{cite}: limit");
        // Items defined for every water body must classify the same in both.
        let bodies: &[WaterBodyType] = if matches!(item, Tp | Tn) {
            &[body]
        } else {
            &[River, Lake]
        };
        for &body in bodies {
            assert_eq!(
                item_class(item, limit + step, body),
                Some(at),
                "{cite}: just better, {body:?}"
            );
            assert_eq!(
                item_class(item, limit, body),
                Some(at),
                "{cite}: at, {body:?}"
            );
            assert_eq!(
                item_class(item, limit - step, body),
                Some(worse),
                "{cite}: just worse, {body:?}"
            );
        }
    }
    // Every item with class limits is probed: pH (row 2, a range) is tested on
    // its own in `limits`, and TP twice (rivers, lakes).
    let with_class_limits = WaterItem::ALL
        .into_iter()
        .filter(|&i| class_limits(i, River).is_some() || class_limits(i, Lake).is_some())
        .count();
    assert_eq!(BOUNDARIES.len(), (with_class_limits - 1 + 1) * 5);
}

#[test]
fn every_table_2_limit_is_met_at_and_failed_just_above() {
    // GB 3838-2002 Table 2 rows 1–5: sulfate 250, chloride 250, nitrate 10, iron 0.3, manganese 0.1 mg/L.
    for (row, item, limit) in [
        (1, Sulfate, 250.0),
        (2, Chloride, 250.0),
        (3, Nitrate, 10.0),
        (4, Fe, 0.3),
        (5, Mn, 0.1),
    ] {
        assert_eq!(item.info().row, row);
        let l = supplementary_limit(item).unwrap();
        assert_eq!(l, Limit::AtMost(limit), "GB 3838-2002 Table 2 row {row}");
        assert!(
            l.is_met_by(limit * (1.0 - 1e-6))
                && l.is_met_by(limit)
                && !l.is_met_by(limit * (1.0 + 1e-6))
        );
    }
}
