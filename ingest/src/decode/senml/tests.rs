//! Tests of the SenML decoder.

use std::collections::HashMap;

use chrono::TimeZone;
use envmon_core::QualityFlag;
use envmon_core::unit::to_canonical;
use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::decode::test_stations::{code, directory};

/// 2026-11-25T10:00:00Z (18:00 in Beijing).
const T: i64 = 1_795_600_800;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).unwrap()
}

fn decode(kind: StationKind, station: &str, pack: &str) -> Result<Vec<Record>, DecodeError> {
    decode_senml(kind, &code(station), pack.as_bytes(), &directory())
}

fn air(pack: &str) -> Result<Vec<Record>, DecodeError> {
    decode(StationKind::Air, "1141A", pack)
}

/// (parameter, value) of each reading, in order.
fn values(record: &Record) -> Vec<(Parameter, f64)> {
    record
        .readings
        .iter()
        .map(|r| (r.parameter, r.value))
        .collect()
}

#[test]
fn base_fields_and_relative_times_give_one_record_per_instant() {
    let records = air(&format!(
        r#"[{{"bn":"1141A/","bt":{T},"bu":"ug/m3","n":"pm25","v":35}},
            {{"n":"no2","u":"ppb","v":21}},
            {{"n":"co","u":"mg/m3","v":0.6}},
            {{"n":"pm25","t":3600,"v":38}},
            {{"n":"pm10","t":3600,"v":61}}]"#
    ))
    .unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].observed_at, at(T));
    assert_eq!(records[1].observed_at, at(T + 3600));
    // 21 ppb NO2 × 46.01 / 24.45 = 39.5187... µg/m³.
    let no2 = 21.0 * 46.01 / 24.45;
    assert_eq!(
        values(&records[0]),
        [
            (Parameter::Pm25, 35.0),
            (Parameter::No2, no2),
            (Parameter::Co, 0.6)
        ]
    );
    assert_eq!(
        values(&records[1]),
        [(Parameter::Pm25, 38.0), (Parameter::Pm10, 61.0)]
    );
    for record in &records {
        assert_eq!(record.station, code("1141A"));
        assert_eq!(record.kind, StationKind::Air);
        for reading in &record.readings {
            assert_eq!(reading.observed_at, record.observed_at);
            assert_eq!(reading.quality, QualityFlag::Valid);
            assert_eq!(reading.period_seconds, 0);
        }
    }
}

#[test]
fn records_come_out_ordered_by_time() {
    let records = air(&format!(
        r#"[{{"bn":"1141A/","bt":{T},"n":"pm25","t":7200,"v":3}},
            {{"n":"pm25","t":0,"v":1}},
            {{"n":"pm25","t":3600,"v":2}},
            {{"n":"pm10","t":0,"v":4}}]"#
    ))
    .unwrap();
    let times: Vec<_> = records.iter().map(|r| r.observed_at).collect();
    assert_eq!(times, [at(T), at(T + 3600), at(T + 7200)]);
    assert_eq!(
        values(&records[0]),
        [(Parameter::Pm25, 1.0), (Parameter::Pm10, 4.0)]
    );
}

#[test]
fn both_naming_conventions_name_a_reading() {
    let packs = [
        format!(r#"[{{"bn":"1141A/","bt":{T},"n":"pm25","v":7}}]"#),
        format!(r#"[{{"n":"1141A/pm25","t":{T},"v":7}}]"#),
        format!(r#"[{{"bn":"1141A/pm25","bt":{T},"v":7}}]"#),
        format!(r#"[{{"bn":"urn:dev:envmon:1141A:","bt":{T},"n":"pm25","v":7}}]"#),
        format!(r#"[{{"bn":"urn:dev:envmon:1141A:pm25","bt":{T},"v":7}}]"#),
    ];
    for pack in packs {
        let records = air(&pack).unwrap_or_else(|e| panic!("{pack}: {e}"));
        assert_eq!(records.len(), 1, "{pack}");
        assert_eq!(records[0].observed_at, at(T), "{pack}");
        assert_eq!(values(&records[0]), [(Parameter::Pm25, 7.0)], "{pack}");
    }
    for name in [
        "1141A:pm25",
        "urn:dev:envmon:1141A/pm25",
        "urn:dev:envmon:1141A:pm25:x",
        "1141A/pm25/x",
        "1141A/",
        "pm25",
        "-1141A/pm25",
        "1141A /pm25",
        "urn:dev:envmon::pm25",
    ] {
        let pack = format!(r#"[{{"n":"{name}","bt":{T},"v":7}}]"#);
        let error = air(&pack).unwrap_err();
        assert_eq!(error.code(), "senml_bad_name", "{pack} gave {error}");
    }
}

#[test]
fn values_are_converted_to_canonical_units() {
    let records = air(&format!(
        r#"[{{"bn":"1141A/","bt":{T},"bu":"ppb","n":"no2","v":100}},
            {{"n":"so2","v":10}},
            {{"n":"co","u":"ppm","v":1}},
            {{"n":"o3","u":"µg/m³","v":80}},
            {{"n":"pm25","u":"ug/m3","v":35}}]"#
    ))
    .unwrap();
    let got: HashMap<_, _> = values(&records[0]).into_iter().collect();
    // Hand-computed: ppb × M / 24.45 (docs/units.md).
    assert!((got[&Parameter::No2] - 188.179_959_1).abs() < 1e-6);
    assert!((got[&Parameter::So2] - 26.204_498_98).abs() < 1e-6);
    assert!((got[&Parameter::Co] - 1.145_603_272).abs() < 1e-6);
    assert_eq!(got[&Parameter::O3], 80.0);
    assert_eq!(got[&Parameter::Pm25], 35.0);

    let records = decode(
        StationKind::River,
        "wusongkou",
        &format!(
            r#"[{{"bn":"wusongkou/","bt":{T},"n":"temp","u":"K","v":291.15}},
                {{"n":"conductivity","u":"mS/cm","v":0.45}},
                {{"n":"nh3n","u":"ug/L","v":150}},
                {{"n":"ph","v":7.6}}]"#
        ),
    )
    .unwrap();
    let got: HashMap<_, _> = values(&records[0]).into_iter().collect();
    assert!((got[&Parameter::Temp] - 18.0).abs() < 1e-9);
    assert!((got[&Parameter::Conductivity] - 450.0).abs() < 1e-9);
    assert!((got[&Parameter::Nh3n] - 0.15).abs() < 1e-12);
    assert_eq!(got[&Parameter::Ph], 7.6);
}

#[test]
fn fractional_times_are_kept_to_the_microsecond() {
    let records = air(&format!(
        r#"[{{"bn":"1141A/","bt":{T}.25,"n":"pm25","v":1}},
            {{"n":"pm10","t":0.1234567,"v":2}}]"#
    ))
    .unwrap();
    assert_eq!(
        records[0].observed_at,
        at(T) + chrono::Duration::milliseconds(250)
    );
    // .25 + .1234567 = .3734567 s, rounded to .373457.
    assert_eq!(
        records[1].observed_at,
        at(T) + chrono::Duration::microseconds(373_457)
    );
}

#[test]
fn base_values_add_and_header_records_only_set_base_fields() {
    let records = air(&format!(
        r#"[{{"bn":"1141A/","bt":{T},"bver":10,"bv":100}},
            {{"n":"pm25","v":-5,"ut":60,"vendor":"x"}},
            {{"n":"pm10"}}]"#
    ))
    .unwrap();
    // RFC 8428 §4.5.4: value = bv + v, and bv alone when v is absent.
    assert_eq!(
        values(&records[0]),
        [(Parameter::Pm25, 95.0), (Parameter::Pm10, 100.0)]
    );
}

#[test]
fn refusals_carry_stable_reason_codes() {
    let ok = |fields: &str| format!(r#"[{{"n":"1141A/pm25","bt":{T},{fields}}}]"#);
    let cases = [
        // Not a pack.
        ("[".to_owned(), "senml_bad_json"),
        (r#"{"n":"1141A/pm25"}"#.to_owned(), "senml_bad_json"),
        (format!("{} x", ok(r#""v":1"#)), "senml_bad_json"),
        ("[1]".to_owned(), "senml_not_a_record"),
        ("[[]]".to_owned(), "senml_not_a_record"),
        ("[null]".to_owned(), "senml_not_a_record"),
        // Fields.
        (ok(r#""v":1,"v":2"#), "senml_duplicate_field"),
        (ok(r#""v":"1""#), "senml_bad_field"),
        (ok(r#""v":1,"u":3"#), "senml_bad_field"),
        (ok(r#""v":1,"ut":"soon""#), "senml_bad_field"),
        (ok(r#""v":1,"bver":0"#), "senml_bad_field"),
        (ok(r#""v":1,"bver":10.5"#), "senml_bad_field"),
        (ok(r#""vb":"yes""#), "senml_bad_field"),
        (ok(r#""v":1,"crit_":true"#), "senml_must_understand"),
        (ok(r#""v":1,"bver":11"#), "senml_unsupported_version"),
        // Values.
        (ok(r#""vs":"high""#), "senml_unsupported_value"),
        (ok(r#""vb":true"#), "senml_unsupported_value"),
        (ok(r#""vd":"aGk""#), "senml_unsupported_value"),
        (ok(r#""v":1,"vs":"1""#), "senml_unsupported_value"),
        (ok(r#""s":100"#), "senml_unsupported_value"),
        (ok(r#""bs":0"#), "senml_unsupported_value"),
        (ok(r#""u":"ug/m3""#), "senml_missing_value"),
        (ok(r#""bv":1e308,"v":1e308"#), "non_finite"),
        // Times.
        (
            r#"[{"n":"1141A/pm25","v":1}]"#.to_owned(),
            "senml_relative_time",
        ),
        (
            r#"[{"n":"1141A/pm25","t":-60,"v":1}]"#.to_owned(),
            "senml_relative_time",
        ),
        (
            format!(r#"[{{"n":"1141A/pm25","bt":{T},"t":-{T},"v":1}}]"#),
            "senml_relative_time",
        ),
        (
            r#"[{"n":"1141A/pm25","bt":1e300,"v":1}]"#.to_owned(),
            "senml_bad_time",
        ),
        (
            r#"[{"n":"1141A/pm25","bt":1e308,"t":1e308,"v":1}]"#.to_owned(),
            "senml_bad_time",
        ),
        (
            format!(r#"[{{"bn":"1141A/","bt":{T},"n":"pm25","v":1}},{{"n":"pm25","t":0,"v":2}}]"#),
            "senml_duplicate",
        ),
        (
            format!(
                r#"[{{"bn":"1141A/","bt":{T},"n":"pm25","v":1}},{{"bn":"urn:dev:envmon:1141A:","n":"pm25","v":2}}]"#
            ),
            "senml_duplicate",
        ),
        // Names, parameters and units.
        (
            format!(r#"[{{"n":"1142A/pm25","bt":{T},"v":1}}]"#),
            "station_mismatch",
        ),
        (
            format!(r#"[{{"n":"1141A/radon","bt":{T},"v":1}}]"#),
            "unknown_parameter",
        ),
        (
            format!(r#"[{{"n":"1141A/nh3n","bt":{T},"v":1}}]"#),
            "parameter_not_for_kind",
        ),
        (ok(r#""v":12,"u":"ppb""#), "unit_unconvertible"),
        (ok(r#""v":12,"u":"%""#), "unit_unconvertible"),
        ("[]".to_owned(), "empty_record"),
        (format!(r#"[{{"bn":"1141A/","bt":{T}}}]"#), "empty_record"),
    ];
    for (pack, expected) in cases {
        let error = air(&pack).unwrap_err();
        assert_eq!(error.code(), expected, "{pack} gave {error}");
    }
    let registered = format!(r#"[{{"n":"9999A/pm25","bt":{T},"v":1}}]"#);
    let error = decode(StationKind::Air, "9999A", &registered).unwrap_err();
    assert_eq!(error.code(), "unknown_station");
    let error = decode(StationKind::River, "1141A", &ok(r#""v":1"#)).unwrap_err();
    assert_eq!(error.code(), "kind_mismatch");
}

#[test]
fn messages_say_what_and_which_record() {
    let pack = format!(r#"[{{"bn":"1141A/","bt":{T},"n":"pm25","v":1}},{{"n":"pm10","v":"2"}}]"#);
    assert_eq!(
        air(&pack).unwrap_err().to_string(),
        r#"record 1: field "v" must be a number"#
    );
    let pack = r#"[{"n":"1141A/pm25","t":5,"v":1}]"#;
    assert_eq!(
        air(pack).unwrap_err().to_string(),
        "record 0: time 5 is below 2^28 and so relative to \"now\" (RFC 8428 §4.5.3); \
         send seconds since 1970"
    );
    let error = air("[{").unwrap_err().to_string();
    assert!(
        error.starts_with("payload is not a SenML pack: "),
        "{error}"
    );
    assert!(error.contains("line 1 column 2"), "{error}");
}

#[test]
fn invalid_utf8_reports_its_position() {
    let error =
        decode_senml(StationKind::Air, &code("1141A"), b"[\"\xff", &directory()).unwrap_err();
    assert_eq!(error, DecodeError::NotUtf8(2));
}

#[test]
fn a_pack_may_hold_up_to_ten_thousand_records() {
    let pack = |records: usize| {
        let mut pack = format!(r#"[{{"bn":"1141A/pm25","bt":{T},"v":1}}"#);
        for t in 1..records {
            pack.push_str(&format!(r#",{{"t":{t},"v":1}}"#));
        }
        pack.push(']');
        pack
    };
    assert_eq!(air(&pack(MAX_RECORDS)).unwrap().len(), MAX_RECORDS);
    let error = air(&pack(MAX_RECORDS + 1)).unwrap_err();
    assert_eq!(error.code(), "senml_too_large");
    assert_eq!(
        error.to_string(),
        "pack has 10001 records; at most 10000 are accepted"
    );
}

/// SenML labels and envmon names, so arbitrary packs reach deep paths.
const LABELS: [&str; 17] = [
    "bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut", "x_",
    "other",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        proptest::sample::select(vec![0.0, 1e308, -1e308, 268_435_456.0, 1_795_600_800.5])
            .prop_map(Value::from),
        proptest::sample::select(vec![
            "1141A/",
            "1141A/pm25",
            "urn:dev:envmon:1141A:",
            "pm25",
            "ppb",
            "ug/m3",
            "%",
            "",
        ])
        .prop_map(Value::from),
        ".{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        proptest::sample::select(LABELS.to_vec()).prop_map(str::to_owned),
                        ".{0,4}"
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

const AIR_CODES: [&str; 6] = ["pm25", "pm10", "so2", "no2", "co", "o3"];
/// Mostly units an air gas converts from; `%` and, for PM, ppb and ppm are refused.
const UNITS: [&str; 6] = ["ug/m3", "mg/m3", "ppb", "ppm", "µg/m³", "%"];

/// One record of a valid SenML pack: (name style, parameter, bt, t, bu,
/// u, bv, v). Times are whole or quarter seconds, exact in an f64.
type RecordSpec = (
    u8,
    &'static str,
    Option<f64>,
    Option<f64>,
    Option<&'static str>,
    Option<&'static str>,
    Option<f64>,
    f64,
);

fn record_spec() -> impl Strategy<Value = RecordSpec> {
    use proptest::option::{of, weighted};
    use proptest::sample::select;
    (
        // Styles 2 and 3 can make names that break the convention.
        prop_oneof![3 => Just(0u8), 3 => Just(1), 1 => Just(2), 1 => Just(3)],
        select(AIR_CODES.to_vec()),
        of(select(vec![
            1_795_600_800.0,
            1_795_604_400.0,
            1_795_600_800.5,
        ])),
        of(select(vec![-60.0, 0.0, 0.25, 60.0, 3600.0])),
        weighted(0.2, select(UNITS.to_vec())),
        weighted(0.2, select(UNITS.to_vec())),
        weighted(0.2, -50.0..50.0f64),
        -1000.0..1000.0f64,
    )
}

fn pack_of(specs: &[RecordSpec]) -> String {
    let records: Vec<Value> = specs
        .iter()
        .enumerate()
        .map(|(i, &(style, parameter, bt, t, bu, u, bv, v))| {
            let mut record = serde_json::Map::new();
            let mut set = |label: &str, value: Value| {
                record.insert(label.to_owned(), value);
            };
            match style {
                0 => {
                    set("bn", "1141A/".into());
                    set("n", parameter.into());
                }
                1 => {
                    set("bn", "urn:dev:envmon:1141A:".into());
                    set("n", parameter.into());
                }
                // Inherits whatever base name is in force.
                2 => set("n", parameter.into()),
                _ => set("bn", format!("1141A/{parameter}").into()),
            };
            // The first record fixes an absolute base time.
            let bt = if i == 0 {
                bt.or(Some(1_795_600_800.0))
            } else {
                bt
            };
            for (label, value) in [("bt", bt), ("t", t), ("bv", bv), ("v", Some(v))] {
                if let Some(value) = value {
                    set(label, value.into());
                }
            }
            for (label, unit) in [("bu", bu), ("u", u)] {
                if let Some(unit) = unit {
                    set(label, unit.into());
                }
            }
            Value::Object(record)
        })
        .collect();
    Value::Array(records).to_string()
}

/// What envmon's convention makes of records resolved by another parser:
/// values by (instant, parameter), or the reason code of the first refusal.
fn expected_from(
    resolved: &[sindit_senml::SenMLResolvedRecord],
) -> Result<BTreeMap<(DateTime<Utc>, Parameter), f64>, &'static str> {
    let mut out = BTreeMap::new();
    for record in resolved {
        let (station, code) = match record.name.strip_prefix("urn:dev:envmon:") {
            Some(rest) => rest.split_once(':'),
            None => record.name.split_once('/'),
        }
        .filter(|(s, p)| {
            ![s, p]
                .iter()
                .any(|x| x.contains([':', '/']) || x.is_empty())
        })
        .ok_or("senml_bad_name")?;
        if station != "1141A" {
            return Err("station_mismatch");
        }
        let parameter = Parameter::parse(code).ok_or("unknown_parameter")?;
        let value = record.get_float_value().ok_or("not a number")?;
        let unit = record.unit.as_deref().unwrap_or(parameter.unit());
        let value = to_canonical(parameter, value, unit).map_err(|_| "unit_unconvertible")?;
        if out.insert((record.time, parameter), value).is_some() {
            return Err("senml_duplicate");
        }
    }
    Ok(out)
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_senml(StationKind::Air, &code("1141A"), &bytes, &directory());
        let mut pack = b"[".to_vec();
        pack.extend_from_slice(&bytes);
        let _ = decode_senml(StationKind::Air, &code("1141A"), &pack, &directory());
    }

    #[test]
    fn arbitrary_json_arrays_never_panic(elements in proptest::collection::vec(json_value(), 0..8)) {
        let pack = Value::Array(elements).to_string();
        if let Err(error) = air(&pack) {
            prop_assert!(!error.to_string().is_empty());
            prop_assert!(!error.code().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// sindit-senml resolves the base fields independently; envmon's
    /// names, units and grouping are then applied to its output.
    #[test]
    fn decoding_agrees_with_an_independent_senml_parser(
        specs in proptest::collection::vec(record_spec(), 1..8),
    ) {
        let pack = pack_of(&specs);
        let resolved = sindit_senml::parse_json(&pack, Some(at(0)))
            .map_err(|e| TestCaseError::fail(format!("{pack}: sindit-senml: {e}")))?;
        let expected = expected_from(&resolved);
        match (air(&pack), expected) {
            (Ok(records), Ok(expected)) => {
                let mut got = BTreeMap::new();
                for pair in records.windows(2) {
                    prop_assert!(pair[0].observed_at < pair[1].observed_at, "{}", pack);
                }
                for record in &records {
                    for reading in &record.readings {
                        prop_assert_eq!(reading.observed_at, record.observed_at);
                        got.insert((reading.observed_at, reading.parameter), reading.value);
                    }
                }
                prop_assert_eq!(got, expected, "{}", pack);
            }
            (Err(error), Err(code)) => prop_assert_eq!(error.code(), code, "{}: {}", pack, error),
            (got, expected) => prop_assert!(false, "{}: got {:?}, expected {:?}", pack, got, expected),
        }
    }
}
