//! The native JSON record: one station, one observation time, several
//! parameters. Documented in `docs/payloads.md`:
//!
//! ```json
//! {"station": "1141A", "observed_at": "2026-11-25T18:00:00+08:00", "period": "PT1H",
//!  "readings": {"pm25": 35.0, "co": {"value": 0.6, "unit": "mg/m3"}}}
//! ```
//!
//! `period` is optional: absent for instantaneous values; an ISO 8601
//! duration when the values are means over the period ending `observed_at`.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use envmon_core::{Parameter, QualityFlag, Reading, StationCode, StationKind};
use serde::Deserialize;

use super::{DecodeError, Record, StationLookup};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRecord {
    station: String,
    observed_at: DateTime<FixedOffset>,
    #[serde(default)]
    period: Option<String>,
    readings: BTreeMap<String, JsonValue>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum JsonValue {
    Plain(f64),
    Detailed(DetailedValue),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailedValue {
    value: f64,
    unit: Option<String>,
}

/// Decodes a native JSON record received on the topic of `station` (of
/// `kind_in_topic`).
///
/// # Errors
/// Returns the first reason the payload cannot be used; a record is taken
/// whole or not at all.
pub fn decode_json(
    kind_in_topic: StationKind,
    station: &StationCode,
    payload: &[u8],
    stations: &impl StationLookup,
) -> Result<Record, DecodeError> {
    let text = std::str::from_utf8(payload).map_err(|e| DecodeError::NotUtf8(e.valid_up_to()))?;
    let record: JsonRecord =
        serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if record.station != station.as_str() {
        return Err(DecodeError::StationMismatch {
            in_topic: station.clone(),
            in_payload: record.station,
        });
    }
    let registered = super::registered_kind(kind_in_topic, station, stations)?;
    if record.readings.is_empty() {
        return Err(DecodeError::Empty);
    }
    let period_seconds = match &record.period {
        None => 0,
        Some(text) => parse_period(text).ok_or_else(|| DecodeError::BadPeriod(text.clone()))?,
    };
    let observed_at = record.observed_at.with_timezone(&Utc);
    let readings = record
        .readings
        .into_iter()
        .map(|(code, value)| {
            reading(
                station,
                registered,
                observed_at,
                period_seconds,
                &code,
                value,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Record {
        station: station.clone(),
        kind: registered,
        observed_at,
        readings,
    })
}

/// Parses an ISO 8601 duration of whole hours, minutes or seconds
/// (`PT1H`, `PT5M`, `PT30S`, `PT1H30M`) of at most a day, into seconds.
fn parse_period(text: &str) -> Option<u32> {
    let mut rest = text.strip_prefix("PT")?;
    let mut seconds: u32 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let (number, tail) = rest.split_at(digits);
        let number: u32 = number.parse().ok()?;
        let unit = match tail.chars().next()? {
            'H' => 3600,
            'M' => 60,
            'S' => 1,
            _ => return None,
        };
        seconds = seconds.checked_add(number.checked_mul(unit)?)?;
        rest = &tail[1..];
    }
    (1..=86_400).contains(&seconds).then_some(seconds)
}

fn reading(
    station: &StationCode,
    kind: StationKind,
    observed_at: DateTime<Utc>,
    period_seconds: u32,
    code: &str,
    value: JsonValue,
) -> Result<Reading, DecodeError> {
    let parameter =
        Parameter::parse(code).ok_or_else(|| DecodeError::UnknownParameter(code.into()))?;
    if !parameter.applies_to(kind) {
        return Err(DecodeError::ParameterNotForKind { parameter, kind });
    }
    let value = match value {
        JsonValue::Plain(value) => value,
        JsonValue::Detailed(DetailedValue { value, unit: None }) => value,
        JsonValue::Detailed(DetailedValue {
            value,
            unit: Some(unit),
        }) => envmon_core::unit::to_canonical(parameter, value, &unit)?,
    };
    Ok(Reading {
        station: station.clone(),
        parameter,
        observed_at,
        value,
        quality: QualityFlag::Valid,
        period_seconds,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::decode::test_stations::{code, directory};

    fn decode(kind: StationKind, station: &str, payload: &str) -> Result<Record, DecodeError> {
        decode_json(kind, &code(station), payload.as_bytes(), &directory())
    }

    #[test]
    fn decodes_a_record_in_beijing_time_to_utc() {
        let record = decode(
            StationKind::Air,
            "1141A",
            r#"{"station":"1141A","observed_at":"2026-11-25T18:00:00+08:00",
               "readings":{"pm25":35.5,"co":{"value":0.6,"unit":"mg/m3"}}}"#,
        )
        .unwrap();
        assert_eq!(
            record.observed_at,
            Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
        );
        assert_eq!(record.readings.len(), 2);
        let co = record
            .readings
            .iter()
            .find(|r| r.parameter == Parameter::Co)
            .unwrap();
        assert_eq!(co.value, 0.6);
        assert_eq!(co.quality, QualityFlag::Valid);
    }

    #[test]
    fn refusals_carry_stable_reason_codes() {
        let ok_time = r#""observed_at":"2026-11-25T18:00:00+08:00""#;
        let cases = [
            (StationKind::Air, "1141A", "{".to_owned(), "malformed"),
            (
                StationKind::Air,
                "1141A",
                format!(r#"{{"station":"1142A",{ok_time},"readings":{{"pm25":1}}}}"#),
                "station_mismatch",
            ),
            (
                StationKind::Air,
                "9999A",
                format!(r#"{{"station":"9999A",{ok_time},"readings":{{"pm25":1}}}}"#),
                "unknown_station",
            ),
            (
                StationKind::River,
                "1141A",
                format!(r#"{{"station":"1141A",{ok_time},"readings":{{"pm25":1}}}}"#),
                "kind_mismatch",
            ),
            (
                StationKind::Air,
                "1141A",
                format!(r#"{{"station":"1141A",{ok_time},"readings":{{"radon":1}}}}"#),
                "unknown_parameter",
            ),
            (
                StationKind::Air,
                "1141A",
                format!(r#"{{"station":"1141A",{ok_time},"readings":{{"nh3n":1}}}}"#),
                "parameter_not_for_kind",
            ),
            (
                StationKind::Air,
                "1141A",
                format!(
                    r#"{{"station":"1141A",{ok_time},"readings":{{"co":{{"value":60,"unit":"%"}}}}}}"#
                ),
                "unit_unconvertible",
            ),
            (
                StationKind::Air,
                "1141A",
                format!(r#"{{"station":"1141A",{ok_time},"readings":{{}}}}"#),
                "empty_record",
            ),
            (
                StationKind::Air,
                "1141A",
                r#"{"station":"1141A","observed_at":"2026-11-25 18:00","readings":{"pm25":1}}"#
                    .to_owned(),
                "malformed",
            ),
        ];
        for (kind, station, payload, expected) in cases {
            let error = decode(kind, station, &payload).unwrap_err();
            assert_eq!(error.code(), expected, "{payload} gave {error}");
        }
    }

    #[test]
    fn values_in_other_units_are_converted() {
        // CO 600 ug/m3 is 0.6 mg/m3; NO2 100 ppb is 100 x 46.01 / 24.45 ug/m3.
        let record = decode(
            StationKind::Air,
            "1141A",
            r#"{"station":"1141A","observed_at":"2026-11-25T18:00:00+08:00",
               "readings":{"co":{"value":600,"unit":"ug/m3"},"no2":{"value":100,"unit":"ppb"}}}"#,
        )
        .unwrap();
        let value = |p| {
            record
                .readings
                .iter()
                .find(|r| r.parameter == p)
                .unwrap()
                .value
        };
        assert!((value(Parameter::Co) - 0.6).abs() < 1e-9);
        assert!((value(Parameter::No2) - 188.18).abs() < 0.01);
    }

    #[test]
    fn a_declared_period_is_kept_in_seconds() {
        let record = decode(
            StationKind::Air,
            "1141A",
            r#"{"station":"1141A","observed_at":"2026-11-25T18:00:00+08:00","period":"PT1H","readings":{"pm25":35}}"#,
        )
        .unwrap();
        assert_eq!(record.readings[0].period_seconds, 3600);
        assert_eq!(parse_period("PT1H30M"), Some(5400));
        assert_eq!(parse_period("PT0S"), None);
        assert_eq!(parse_period("P1D"), None);
        assert_eq!(parse_period("PT25H"), None);
        let error = decode(
            StationKind::Air,
            "1141A",
            r#"{"station":"1141A","observed_at":"2026-11-25T18:00:00+08:00","period":"1h","readings":{"pm25":35}}"#,
        )
        .unwrap_err();
        assert_eq!(error.code(), "bad_period");
    }

    #[test]
    fn invalid_utf8_reports_its_position() {
        let error =
            decode_json(StationKind::Air, &code("1141A"), b"{\"a\xff", &directory()).unwrap_err();
        assert_eq!(error, DecodeError::NotUtf8(3));
    }
}
