//! Import and judgement of laboratory results, against the shipped Shanghai
//! registry.

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::drinking::{ResultValue, SupplyItem};
use crate::registry::{SHANGHAI_REGISTRY, parse_registry};
use crate::water::WaterItem;

fn stations() -> Vec<crate::Station> {
    parse_registry(SHANGHAI_REGISTRY).unwrap()
}

const HEADER: &str = "site,sampled_at,item,value,unit,method,laboratory,sample_id";

/// Three samples: a source, a plant and a tap.
const CLEAN: &str = "\
site,sampled_at,item,value,unit,method,laboratory,sample_id
qingcaosha-shuiku,2026-07-08 09:30,nh3n,0.12,mg/L,HJ 535-2009,上海市环境监测中心,2026Q3-qcs-07
qingcaosha-shuiku,2026-07-08 09:30,chloride,31,mg/L,,上海市环境监测中心,2026Q3-qcs-07
qingcaosha-shuiku,2026-07-08 09:30,hg,<0.04,ug/L,,上海市环境监测中心,2026Q3-qcs-07
qingcaosha-shuiku,2026-07-08 09:30,fecal_coliform,未检出,/L,,上海市环境监测中心,2026Q3-qcs-07
plant-yangshupu,2026-07-08T10:00:00+08:00,arsenic,<0.002,mg/L,,上海市供水水质监测中心,2026Q3-plant-yangshupu-07
plant-yangshupu,2026-07-08T10:00:00+08:00,游离氯,0.62,mg/L,,上海市供水水质监测中心,2026Q3-plant-yangshupu-07
plant-yangshupu,2026-07-08T10:00:00+08:00,total_coliforms,未检出,MPN/100mL,,上海市供水水质监测中心,2026Q3-plant-yangshupu-07
tap-yangshupu-1,2026-07-08 14:05:00,free_chlorine,0.04,mg/L,,上海市供水水质监测中心,2026Q3-tap-yangshupu-1-07
tap-yangshupu-1,2026-07-08 14:05:00,turbidity,0.21,NTU,,上海市供水水质监测中心,2026Q3-tap-yangshupu-1-07
";

fn result<'a>(sample: &'a LabSample, code: &str) -> &'a LabResult {
    sample
        .results
        .iter()
        .find(|r| r.item.code() == code)
        .unwrap()
}

#[test]
fn a_clean_file_of_several_samples_parses() {
    let samples = parse_csv(CLEAN, &stations()).unwrap();
    assert_eq!(samples.len(), 3);
    let source = &samples[0];
    assert_eq!(source.site.as_str(), "qingcaosha-shuiku");
    assert_eq!(source.kind, crate::StationKind::Source);
    assert_eq!(source.results.len(), 4);
    assert_eq!(source.results[0].item, LabItem::Surface(WaterItem::Nh3n));
    assert_eq!(source.results[0].method, "HJ 535-2009");
    assert_eq!(source.results[0].row, 2);
    assert_eq!(source.laboratory, "上海市环境监测中心");
    let plant = &samples[1];
    assert_eq!(
        plant.results[1].item,
        LabItem::Supply(SupplyItem::FreeChlorine)
    );
    assert_eq!(
        result(plant, "arsenic").value,
        ResultValue::BelowDetection { limit: 0.002 }
    );
    assert_eq!(
        result(plant, "total_coliforms").value,
        ResultValue::NotDetected
    );
}

#[test]
fn beijing_local_times_are_converted_to_utc() {
    let samples = parse_csv(CLEAN, &stations()).unwrap();
    let utc = |h, m| Utc.with_ymd_and_hms(2026, 7, 8, h, m, 0).unwrap();
    assert_eq!(samples[0].sampled_at, utc(1, 30));
    assert_eq!(samples[1].sampled_at, utc(2, 0));
    assert_eq!(samples[2].sampled_at, utc(6, 5));
}

#[test]
fn micrograms_per_litre_convert_to_milligrams() {
    let samples = parse_csv(CLEAN, &stations()).unwrap();
    assert_eq!(
        result(&samples[0], "hg").value,
        ResultValue::BelowDetection { limit: 0.00004 }
    );
    let text = format!("{HEADER}\nplant-taihe,2026-07-08 09:00,lead,1.5,µg/L,,lab,s1\n");
    let samples = parse_csv(&text, &stations()).unwrap();
    assert_eq!(samples[0].results[0].value, ResultValue::Measured(0.0015));
}

#[test]
fn bom_crlf_and_quoted_fields_are_read() {
    let text = "\u{feff}laboratory,site,sample_id,sampled_at,item,value,unit,method\r\n\
        \"上海市供水水质监测中心, 水质室\",plant-jinhai,\"J-\"\"7\"\"\",2026-07-08 09:00,ph,\"7.4\",1,\"GB/T 5750.4-2023\"\r\n\
        \"上海市供水水质监测中心, 水质室\",plant-jinhai,\"J-\"\"7\"\"\",2026-07-08 09:00,odour_taste,无,,\r\n";
    let samples = parse_csv(text, &stations()).unwrap();
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].laboratory, "上海市供水水质监测中心, 水质室");
    assert_eq!(samples[0].sample_id, "J-\"7\"");
    assert_eq!(samples[0].results[0].value, ResultValue::Measured(7.4));
    assert_eq!(samples[0].results[0].method, "GB/T 5750.4-2023");
    assert_eq!(samples[0].results[1].row, 3);
}

#[test]
fn every_problem_is_reported_by_row_and_column_in_one_pass() {
    let text = "\
site,sampled_at,item,value,unit,method,laboratory,sample_id
nowhere,2026-07-08 09:00,ph,7.2,1,,lab,a
1141A,2026-07-08 09:00,ph,7.2,1,,lab,b
plant-taihe,2026-07-08 09:00,sulfate,40,mg/m3,,lab,c
plant-taihe,2026-07-08 09:00,iron,abc,mg/L,,lab,c
plant-taihe,2026-07-08 09:00,manganese,-1,mg/L,,lab,c
plant-taihe,2026-07-08 09:00,copper,<,mg/L,,lab,c
plant-taihe,2026-07-08 09:00,zinc,0.01,mg/L,,lab,c
plant-taihe,2026-07-08 09:00,zinc,0.02,mg/L,,lab,c
plant-taihe,2026-07-08 10:00,ph,7.3,1,,lab,c
plant-taihe,2026-07-08 09:00,unobtainium,1,mg/L,,lab,c
plant-taihe,2026-07-08 09:00,nh3n,0.1,mg/L,,lab,c
wusongkou,2026-07-08 09:00,free_chlorine,0.1,mg/L,,lab,d
";
    let problems = parse_csv(text, &stations()).unwrap_err();
    let at = |row: usize| -> Vec<(Option<&str>, &str)> {
        problems
            .iter()
            .filter(|p| p.row == row)
            .map(|p| (p.column.as_deref(), p.message.as_str()))
            .collect()
    };
    let only = |row: usize, column: &str, needle: &str| {
        let found = at(row);
        assert_eq!(found.len(), 1, "row {row}: {found:?}");
        assert_eq!(found[0].0, Some(column), "row {row}: {found:?}");
        assert!(found[0].1.contains(needle), "row {row}: {found:?}");
    };
    only(2, "site", "unknown site \"nowhere\"");
    only(3, "site", "air station");
    only(4, "unit", "expected mg/L for 硫酸盐 (sulfate), got mg/m3");
    only(5, "value", "\"abc\"");
    only(6, "value", "\"-1\"");
    only(7, "value", "\"<\"");
    only(9, "item", "duplicate: 锌 (zinc) is already given in row 8");
    only(10, "sampled_at", "in row 8 of sample c");
    only(11, "item", "unknown item \"unobtainium\"");
    only(12, "item", "plant sites are judged by GB 5749-2022");
    only(13, "item", "river sites are judged by GB 3838-2002");
    assert_eq!(problems.len(), 11);
    assert_eq!(
        problems[2].to_string(),
        "row 4, column unit: expected mg/L for 硫酸盐 (sulfate), got mg/m3"
    );
}

#[test]
fn a_bad_header_lists_the_expected_columns() {
    let problems = parse_csv(
        "site,time,item,value,unit,method,laboratory,sample_id\n",
        &stations(),
    )
    .unwrap_err();
    assert_eq!(problems.len(), 2);
    assert!(problems.iter().all(|p| p.row == 1));
    assert!(problems[0].message.contains("unknown column \"time\""));
    assert!(problems[1].message.contains("missing column sampled_at"));
    assert!(problems[1].message.contains(HEADER));
}

#[test]
fn malformed_rows_are_reported_with_the_rest() {
    let text = format!(
        "{HEADER}\nplant-taihe,2026-07-08 09:00,ph,7.2,1\nplant-taihe,2026-07-08 09:00,ph,\"7\"2,1,,lab,a\nplant-taihe,2026-07-08,ph,7.2,1,,,a\n"
    );
    let problems = parse_csv(&text, &stations()).unwrap_err();
    let found: Vec<_> = problems
        .iter()
        .map(|p| (p.row, p.column.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (2, None),
            (3, None),
            (4, Some("sampled_at")),
            (4, Some("laboratory"))
        ]
    );
}

fn as_json(text: &str) -> serde_json::Value {
    let mut rows = text.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let results: Vec<serde_json::Value> = rows
        .map(|line| {
            let object: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(line.split(','))
                .map(|(k, v)| match (*k, v.parse::<f64>()) {
                    ("value", Ok(n)) => (k.to_string(), json!(n)),
                    _ => (k.to_string(), json!(v)),
                })
                .collect();
            serde_json::Value::Object(object)
        })
        .collect();
    json!({ "format_version": 1, "results": results })
}

#[test]
fn the_json_form_gives_the_same_samples_as_the_csv_form() {
    let from_csv = parse_csv(CLEAN, &stations()).unwrap();
    let mut from_json = parse_json(&as_json(CLEAN), &stations()).unwrap();
    // JSON rows are indices in `results`, CSV rows are lines after the header.
    for sample in &mut from_json {
        for r in &mut sample.results {
            r.row += 1;
        }
    }
    assert_eq!(from_json, from_csv);
}

#[test]
fn json_problems_name_the_result_index_and_field() {
    let body = json!({
        "format_version": 1,
        "results": [
            {"site": "plant-taihe", "sampled_at": "2026-07-08 09:00", "item": "ph", "value": 7.2,
             "unit": "1", "laboratory": "lab", "sample_id": "a"},
            {"site": "plant-taihe", "sampled_at": "2026-07-08 09:00", "item": "iron", "value": true,
             "unit": "mg/L", "laboratory": "lab", "sample_id": "a", "colour": "red"}
        ]
    });
    let problems = parse_json(&body, &stations()).unwrap_err();
    let found: Vec<_> = problems
        .iter()
        .map(|p| (p.row, p.column.as_deref()))
        .collect();
    assert_eq!(found, [(2, Some("colour")), (2, Some("value"))]);
    let wrong = parse_json(&json!({"format_version": 2, "results": []}), &stations()).unwrap_err();
    assert_eq!(
        wrong[0].to_string(),
        "field format_version: format version 2 is not supported; expected 1"
    );
}

fn judged(text: &str) -> LabVerdict {
    let stations = stations();
    let samples = parse_csv(&format!("{HEADER}\n{text}"), &stations).unwrap();
    let station = stations.iter().find(|s| s.code == samples[0].site).unwrap();
    judge_sample(&samples[0], station)
}

#[test]
fn a_source_with_chloride_312_fails() {
    let verdict = judged(
        "chenhang-shuiku,2026-02-10 09:00,chloride,312,mg/L,,上海市环境监测中心,s\n\
         chenhang-shuiku,2026-02-10 09:00,nh3n,0.2,mg/L,,上海市环境监测中心,s\n",
    );
    assert_eq!(verdict.compliant(), Some(false));
    let LabVerdict::Surface {
        source: Some(source),
        ..
    } = verdict
    else {
        panic!("a source gets a source compliance");
    };
    assert_eq!(source.failures[0].item, WaterItem::Chloride);
}

#[test]
fn a_tap_with_free_chlorine_0_04_fails() {
    let verdict = judged("tap-minhang-2,2026-08-01 15:00,free_chlorine,0.04,mg/L,,lab,t\n");
    assert_eq!(verdict.compliant(), Some(false));
}

#[test]
fn arsenic_below_detection_passes_at_a_plant_and_stays_below_detection() {
    let verdict = judged("plant-minhang,2026-08-01 09:00,arsenic,<0.002,mg/L,,lab,p\n");
    assert_eq!(verdict.compliant(), Some(true));
    let LabVerdict::Supply(v) = verdict else {
        panic!("a plant is judged by GB 5749-2022");
    };
    assert_eq!(
        v.items[0].value,
        ResultValue::BelowDetection { limit: 0.002 }
    );
}

#[test]
fn below_detection_surface_results_count_only_when_within_the_limit() {
    // Class II mercury is 0.00005 mg/L: <0.00004 passes, <0.0001 proves nothing.
    let verdict = judged(
        "jinze-shuiku,2026-08-01 09:00,hg,<0.04,ug/L,,lab,j\n\
         jinze-shuiku,2026-08-01 09:00,pb,<0.1,mg/L,,lab,j\n\
         jinze-shuiku,2026-08-01 09:00,fecal_coliform,ND,/L,,lab,j\n\
         jinze-shuiku,2026-08-01 09:00,cyanide,未检出,mg/L,,lab,j\n",
    );
    let LabVerdict::Surface { assessment, .. } = verdict else {
        panic!("a source is judged by GB 3838-2002");
    };
    let items: Vec<_> = assessment.items.iter().map(|r| (r.item, r.value)).collect();
    assert_eq!(
        items,
        [(WaterItem::Hg, 0.00004), (WaterItem::FecalColiform, 0.0)]
    );
}

fn specific(verdict: &LabVerdict) -> &[SpecificResult] {
    let LabVerdict::Surface { specific, .. } = verdict else {
        panic!("a surface site is judged by GB 3838-2002");
    };
    specific
}

#[test]
fn table_3_items_are_found_by_code_and_by_chinese_name() {
    let verdict = judged(
        "qingcaosha-shuiku,2026-08-01 09:00,benzene,0.002,mg/L,,lab,q\n\
         qingcaosha-shuiku,2026-08-01 09:00,三氯甲烷,12,ug/L,,lab,q\n\
         qingcaosha-shuiku,2026-08-01 09:00,邻苯二甲酸二（2-乙基己基）酯,<0.002,mg/L,,lab,q\n",
    );
    let items: Vec<_> = specific(&verdict).iter().map(|r| r.item.code()).collect();
    assert_eq!(items, ["benzene", "chloroform", "dehp"]);
    // 12 µg/L chloroform is 0.012 mg/L, within GB 3838-2002 Table 3 row 1 (0.06).
    assert_eq!(specific(&verdict)[1].value, ResultValue::Measured(0.012));
    assert_eq!(verdict.compliant(), Some(true));
}

#[test]
fn a_source_with_benzene_above_its_limit_fails_naming_benzene() {
    // GB 3838-2002 Table 3 row 19: benzene ≤ 0.01 mg/L.
    let verdict = judged(
        "chenhang-shuiku,2026-02-10 09:00,nh3n,0.2,mg/L,,lab,s\n\
         chenhang-shuiku,2026-02-10 09:00,benzene,0.015,mg/L,,lab,s\n",
    );
    assert_eq!(verdict.compliant(), Some(false));
    let json = serde_json::to_value(&verdict).unwrap();
    assert_eq!(
        json["surface"]["specific"],
        json!([{"item": "benzene", "value": {"measured": 0.015}, "limit": {"at_most": 0.01}, "passed": false}])
    );
    let station = stations()
        .into_iter()
        .find(|s| s.code.as_str() == "chenhang-shuiku")
        .unwrap();
    let benzene = LabItem::Specific(crate::water::SpecificItem::parse("benzene").unwrap());
    assert_eq!(
        verdict.outcome_of(benzene, &station),
        (ResultOutcome::Fail, Some("≤ 0.01 mg/L".to_owned()))
    );
}

#[test]
fn a_river_with_the_same_benzene_result_is_not_judged_on_it() {
    let verdict = judged("fujinluqiao,2026-02-10 09:00,benzene,0.015,mg/L,,lab,r\n");
    assert_eq!(specific(&verdict)[0].passed, None);
    assert_eq!(verdict.compliant(), None);
    let station = stations()
        .into_iter()
        .find(|s| s.code.as_str() == "fujinluqiao")
        .unwrap();
    let benzene = LabItem::Specific(crate::water::SpecificItem::parse("benzene").unwrap());
    assert_eq!(
        verdict.outcome_of(benzene, &station),
        (ResultOutcome::NotJudged, None)
    );
}

#[test]
fn table_3_limits_are_inclusive_and_below_detection_counts_only_within_them() {
    // GB 3838-2002 Table 3 row 19: benzene ≤ 0.01 mg/L.
    let passed = |value: &str| {
        let verdict = judged(&format!(
            "jinze-shuiku,2026-08-01 09:00,benzene,{value},mg/L,,lab,j\n"
        ));
        (specific(&verdict)[0].passed, verdict.compliant())
    };
    assert_eq!(passed("0.01"), (Some(true), Some(true)));
    assert_eq!(passed("0.0101"), (Some(false), Some(false)));
    assert_eq!(passed("<0.01"), (Some(true), Some(true)));
    assert_eq!(passed("<0.02"), (None, None));
    assert_eq!(passed("未检出"), (None, None));
}

#[test]
fn table_3_results_at_a_plant_are_refused() {
    let problems = parse_csv(
        &format!("{HEADER}\nplant-minhang,2026-08-01 09:00,benzo_a_pyrene,<0.000001,mg/L,,lab,p\n"),
        &stations(),
    )
    .unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
}
