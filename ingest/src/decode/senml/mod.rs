//! SenML packs (RFC 8428, JSON representation): one station, one or more
//! instants, several parameters.
//!
//! A pack is a JSON array of records. Base fields (`bn`, `bt`, `bu`, `bv`,
//! `bs`) apply to the record that holds them and to every later record until
//! another record changes them (RFC 8428 §4.1); a record's name is `bn` + `n`,
//! its time `bt` + `t`, its unit `u` or else `bu`, its value `bv` + `v`.
//!
//! ```json
//! [{"bn": "1141A/", "bt": 1795600800, "bu": "ug/m3", "n": "pm25", "v": 35},
//!  {"n": "no2", "u": "ppb", "v": 21},
//!  {"n": "co", "u": "mg/m3", "v": 0.6},
//!  {"n": "pm25", "t": 3600, "v": 38}]
//! ```
//!
//! is two records of station `1141A`: PM2.5, NO2 and CO at 2026-11-25T10:00Z,
//! and PM2.5 an hour later.
//!
//! # envmon's convention
//!
//! - **Name.** The resolved name is `{station}/{parameter}`, e.g. `1141A/pm25`
//!   (write `"bn": "1141A/"` once and `"n": "pm25"` per record). Devices that
//!   follow RFC 8428 §4.5.1's advice to use globally unique URN names may send
//!   `urn:dev:envmon:{station}:{parameter}` instead (`"bn":
//!   "urn:dev:envmon:1141A:"`). The station must be the topic's station, the
//!   parameter a code from docs/payloads.md measured at the station's kind.
//!   Names are case-sensitive.
//! - **Time.** `bt` + `t` in seconds since 1970-01-01T00:00Z, fractions
//!   allowed and kept to the microsecond (PostgreSQL's resolution). RFC 8428
//!   §4.5.3 reads times below 2^28 (268,435,456) as relative to the receiver's
//!   "now"; ingest has no clock, so such a pack is refused: send absolute times.
//! - **Unit.** `u`, else `bu`, else the parameter's canonical unit (RFC 8428
//!   §4.5.2 leaves a missing unit to the application). Other units are
//!   converted as docs/units.md lists; a unit that cannot be is refused.
//! - **Value.** Only numbers (`v`, plus `bv` when set). String, boolean and
//!   data values (`vs`, `vb`, `vd`) and records that carry only a sum (`s`,
//!   `bs`) are refused. A record with neither `n` nor any value only sets base
//!   fields and yields no reading.
//! - **Grouping.** Records with the same resolved time become one [`Record`];
//!   records come out ordered by time. The same parameter twice at one time is
//!   refused. Readings are `valid` (QC comes later) and instantaneous
//!   (`period_seconds` 0): SenML has no field for an averaging period.
//! - **Other fields.** `ut` and unknown fields are ignored, as RFC 8428 §4.4
//!   requires, except fields whose label ends in `_`, which must be understood
//!   and so are refused; so are versions (`bver`) above 10.
//! - **Size.** At most [`MAX_RECORDS`] records per pack.
//!
//! Records are counted from 0 in messages, as JSON Pointer counts them.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use chrono::{DateTime, Utc};
use envmon_core::unit::to_canonical;
use envmon_core::{Parameter, QualityFlag, Reading, StationCode, StationKind};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{DecodeError, Record, StationLookup};

/// The most records one pack may hold: a day of minute values of all six air
/// pollutants is 8,640, so a real pack stays below it, and the limit bounds
/// the work one message can cause.
pub const MAX_RECORDS: usize = 10_000;

/// RFC 8428 §4.5.3: resolved times below 2^28 s are relative to "now".
const ABSOLUTE_TIME_MIN: f64 = 268_435_456.0;

/// RFC 8428 §4.4: the SenML version this decoder reads; a reader must not
/// use a pack of a higher version.
const SENML_VERSION: u64 = 10;

/// The prefix of the alternative, URN-style name.
const URN_PREFIX: &str = "urn:dev:envmon:";

/// Why a SenML pack cannot be used. The message says what and which record
/// (counted from 0); [`SenmlError::code`] is the stable reason code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SenmlError {
    /// Not JSON, or not a JSON array.
    #[error("payload is not a SenML pack: {0}")]
    Json(String),
    /// More than [`MAX_RECORDS`] records.
    #[error("pack has {records} records; at most {MAX_RECORDS} are accepted")]
    TooLarge {
        /// How many records the pack has.
        records: usize,
    },
    /// An element of the pack is not a JSON object.
    #[error("record {index} is {found}, not a JSON object")]
    NotARecord {
        /// The element's position.
        index: usize,
        /// What it is instead, e.g. "a number".
        found: &'static str,
    },
    /// A record has the same field twice.
    #[error("record {index} has field {field:?} more than once")]
    DuplicateField {
        /// The record's position.
        index: usize,
        /// The repeated label.
        field: String,
    },
    /// A field has the wrong JSON type.
    #[error("record {index}: field {field:?} must be {expected}")]
    BadField {
        /// The record's position.
        index: usize,
        /// The label.
        field: &'static str,
        /// What RFC 8428 §4.3 requires.
        expected: &'static str,
    },
    /// A field whose label ends in `_` that envmon does not know.
    #[error(
        "record {index} has field {field:?}, which must be understood (RFC 8428 §4.4) and envmon does not know it"
    )]
    MustUnderstand {
        /// The record's position.
        index: usize,
        /// The label.
        field: String,
    },
    /// A SenML version above the one envmon reads.
    #[error(
        "record {index} declares SenML version {version}; envmon reads version {SENML_VERSION} and earlier"
    )]
    UnsupportedVersion {
        /// The record's position.
        index: usize,
        /// The declared `bver`.
        version: u64,
    },
    /// The resolved name follows neither naming convention.
    #[error(
        "record {index}: name {name:?} is not {{station}}/{{parameter}} or urn:dev:envmon:{{station}}:{{parameter}}"
    )]
    BadName {
        /// The record's position.
        index: usize,
        /// The resolved name.
        name: String,
    },
    /// A string, boolean, data or sum-only value.
    #[error("record {index} carries a {kind} value; envmon stores numeric values (v) only")]
    UnsupportedValue {
        /// The record's position.
        index: usize,
        /// `string`, `boolean`, `data` or `sum`.
        kind: &'static str,
    },
    /// A named record without any value.
    #[error("record {index} names {name:?} but has no value")]
    MissingValue {
        /// The record's position.
        index: usize,
        /// The resolved name.
        name: String,
    },
    /// `bv` + `v` is not a finite number.
    #[error("record {index}: base value plus value is not a finite number")]
    NonFiniteValue {
        /// The record's position.
        index: usize,
    },
    /// `bt` + `t` is relative to the receiver's clock.
    #[error(
        "record {index}: time {time} is below 2^28 and so relative to \"now\" (RFC 8428 §4.5.3); send seconds since 1970"
    )]
    RelativeTime {
        /// The record's position.
        index: usize,
        /// The resolved time, `bt` + `t`.
        time: f64,
    },
    /// `bt` + `t` is not an instant envmon can store.
    #[error("record {index}: time {time} is not a representable instant")]
    BadTime {
        /// The record's position.
        index: usize,
        /// The resolved time, `bt` + `t`.
        time: f64,
    },
    /// Two values for one parameter at one instant.
    #[error("record {index}: a second value of {parameter} at {observed_at}")]
    Duplicate {
        /// The position of the second record.
        index: usize,
        /// The parameter.
        parameter: Parameter,
        /// The instant.
        observed_at: DateTime<Utc>,
    },
}

impl SenmlError {
    /// A stable reason code, prefixed `senml_`; a value that is not a
    /// finite number has the code every format shares, `non_finite`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Json(_) => "senml_bad_json",
            Self::TooLarge { .. } => "senml_too_large",
            Self::NotARecord { .. } => "senml_not_a_record",
            Self::DuplicateField { .. } => "senml_duplicate_field",
            Self::BadField { .. } => "senml_bad_field",
            Self::MustUnderstand { .. } => "senml_must_understand",
            Self::UnsupportedVersion { .. } => "senml_unsupported_version",
            Self::BadName { .. } => "senml_bad_name",
            Self::UnsupportedValue { .. } => "senml_unsupported_value",
            Self::MissingValue { .. } => "senml_missing_value",
            Self::NonFiniteValue { .. } => "non_finite",
            Self::RelativeTime { .. } => "senml_relative_time",
            Self::BadTime { .. } => "senml_bad_time",
            Self::Duplicate { .. } => "senml_duplicate",
        }
    }
}

/// Decodes a SenML pack received on the topic of `station` (of
/// `kind_in_topic`) into one [`Record`] per instant, ordered by time.
///
/// # Errors
/// Returns the first reason the pack cannot be used; a pack is taken whole
/// or not at all.
pub fn decode_senml(
    kind_in_topic: StationKind,
    station: &StationCode,
    payload: &[u8],
    stations: &impl StationLookup,
) -> Result<Vec<Record>, DecodeError> {
    let kind = super::registered_kind(kind_in_topic, station, stations)?;
    let text = std::str::from_utf8(payload).map_err(|e| DecodeError::NotUtf8(e.valid_up_to()))?;
    let elements = match serde_json::from_str(text).map_err(|e| SenmlError::Json(e.to_string()))? {
        Pack::Records(elements) => elements,
        Pack::TooLarge(records) => return Err(SenmlError::TooLarge { records }.into()),
    };
    let mut base = Base::default();
    let mut instants: BTreeMap<DateTime<Utc>, BTreeMap<Parameter, Reading>> = BTreeMap::new();
    for (index, element) in elements.iter().enumerate() {
        let fields = Fields::read(index, element)?;
        base.update(&fields);
        let Some(measurement) = resolve(index, &fields, &base)? else {
            continue;
        };
        let reading = reading(station, kind, measurement)?;
        let at_instant = instants.entry(reading.observed_at).or_default();
        if at_instant.contains_key(&reading.parameter) {
            return Err(SenmlError::Duplicate {
                index,
                parameter: reading.parameter,
                observed_at: reading.observed_at,
            }
            .into());
        }
        at_instant.insert(reading.parameter, reading);
    }
    if instants.is_empty() {
        return Err(DecodeError::Empty);
    }
    Ok(instants
        .into_iter()
        .map(|(observed_at, readings)| Record {
            station: station.clone(),
            kind,
            observed_at,
            readings: readings.into_values().collect(),
        })
        .collect())
}

/// The base fields in force (RFC 8428 §4.1): each replaces the previous one
/// from the record that sets it on.
#[derive(Debug, Default)]
struct Base<'a> {
    name: &'a str,
    time: f64,
    unit: Option<&'a str>,
    value: Option<f64>,
    sum: Option<f64>,
}

impl<'a> Base<'a> {
    fn update(&mut self, fields: &Fields<'a>) {
        if let Some(name) = fields.bn {
            self.name = name;
        }
        if let Some(time) = fields.bt {
            self.time = time;
        }
        if let Some(unit) = fields.bu {
            self.unit = Some(unit);
        }
        if let Some(value) = fields.bv {
            self.value = Some(value);
        }
        if let Some(sum) = fields.bs {
            self.sum = Some(sum);
        }
    }
}

/// The fields of one record that envmon reads, type-checked.
#[derive(Debug, Default)]
struct Fields<'a> {
    bn: Option<&'a str>,
    bt: Option<f64>,
    bu: Option<&'a str>,
    bv: Option<f64>,
    bs: Option<f64>,
    n: Option<&'a str>,
    u: Option<&'a str>,
    v: Option<f64>,
    s: Option<f64>,
    t: Option<f64>,
    /// The kind of a non-numeric value (`vs`, `vb`, `vd`), if any.
    other_value: Option<&'static str>,
}

impl<'a> Fields<'a> {
    fn read(index: usize, element: &'a Element) -> Result<Self, SenmlError> {
        let entries = match element {
            Element::Record(entries) => entries,
            Element::Other(found) => return Err(SenmlError::NotARecord { index, found }),
        };
        let mut fields = Self::default();
        let mut seen = HashSet::with_capacity(entries.len());
        for (label, value) in entries {
            if !seen.insert(label.as_str()) {
                return Err(SenmlError::DuplicateField {
                    index,
                    field: label.clone(),
                });
            }
            let string_field = |field| string(index, field, value);
            let number_field = |field| number(index, field, value);
            match label.as_str() {
                "bn" => fields.bn = Some(string_field("bn")?),
                "bt" => fields.bt = Some(number_field("bt")?),
                "bu" => fields.bu = Some(string_field("bu")?),
                "bv" => fields.bv = Some(number_field("bv")?),
                "bs" => fields.bs = Some(number_field("bs")?),
                "bver" => check_version(index, value)?,
                "n" => fields.n = Some(string_field("n")?),
                "u" => fields.u = Some(string_field("u")?),
                "v" => fields.v = Some(number_field("v")?),
                "s" => fields.s = Some(number_field("s")?),
                "t" => fields.t = Some(number_field("t")?),
                "ut" => {
                    number_field("ut")?;
                }
                "vs" => fields.other_value = Some(string_field("vs").map(|_| "string")?),
                "vd" => fields.other_value = Some(string_field("vd").map(|_| "data")?),
                "vb" => {
                    if !value.is_boolean() {
                        return Err(SenmlError::BadField {
                            index,
                            field: "vb",
                            expected: "a boolean",
                        });
                    }
                    fields.other_value = Some("boolean");
                }
                other if other.ends_with('_') => {
                    return Err(SenmlError::MustUnderstand {
                        index,
                        field: other.to_owned(),
                    });
                }
                _ => {} // RFC 8428 §4.4: unknown fields are ignored.
            }
        }
        Ok(fields)
    }

    /// A record that only sets base fields: no name of its own, no value.
    fn is_header(&self) -> bool {
        self.n.is_none() && self.v.is_none() && self.s.is_none() && self.other_value.is_none()
    }
}

fn string<'a>(index: usize, field: &'static str, value: &'a Value) -> Result<&'a str, SenmlError> {
    value.as_str().ok_or(SenmlError::BadField {
        index,
        field,
        expected: "a string",
    })
}

fn number(index: usize, field: &'static str, value: &Value) -> Result<f64, SenmlError> {
    value.as_f64().ok_or(SenmlError::BadField {
        index,
        field,
        expected: "a number",
    })
}

fn check_version(index: usize, value: &Value) -> Result<(), SenmlError> {
    match value.as_u64() {
        Some(version) if version > SENML_VERSION => {
            Err(SenmlError::UnsupportedVersion { index, version })
        }
        Some(1..) => Ok(()),
        _ => Err(SenmlError::BadField {
            index,
            field: "bver",
            expected: "a positive integer",
        }),
    }
}

/// One record with its base fields applied, before envmon's convention.
#[derive(Debug)]
struct Measurement<'a> {
    index: usize,
    name: String,
    unit: Option<&'a str>,
    value: f64,
    observed_at: DateTime<Utc>,
}

/// Applies the base fields to a record (RFC 8428 §4.6); `None` for a record
/// that only sets base fields.
fn resolve<'a>(
    index: usize,
    fields: &Fields<'a>,
    base: &Base<'a>,
) -> Result<Option<Measurement<'a>>, SenmlError> {
    if let Some(kind) = fields.other_value {
        return Err(SenmlError::UnsupportedValue { index, kind });
    }
    if fields.is_header() {
        return Ok(None);
    }
    let name = format!("{}{}", base.name, fields.n.unwrap_or_default());
    // RFC 8428 §4.5.4: a missing value or base value counts as zero, but a
    // record needs a value unless it has a sum (§4.2).
    let value = match (fields.v, base.value) {
        (Some(value), Some(base_value)) => base_value + value,
        (Some(value), None) => value,
        (None, _) if fields.s.is_some() || base.sum.is_some() => {
            return Err(SenmlError::UnsupportedValue { index, kind: "sum" });
        }
        (None, Some(base_value)) => base_value,
        (None, None) => return Err(SenmlError::MissingValue { index, name }),
    };
    if !value.is_finite() {
        return Err(SenmlError::NonFiniteValue { index });
    }
    let time = base.time + fields.t.unwrap_or(0.0);
    if time.is_finite() && time < ABSOLUTE_TIME_MIN {
        return Err(SenmlError::RelativeTime { index, time });
    }
    let observed_at = instant(time).ok_or(SenmlError::BadTime { index, time })?;
    Ok(Some(Measurement {
        index,
        name,
        unit: fields.u.or(base.unit),
        value,
        observed_at,
    }))
}

/// Seconds since the epoch, rounded to the microsecond: PostgreSQL keeps
/// microseconds, so two times that would be stored as one are one here too.
fn instant(seconds: f64) -> Option<DateTime<Utc>> {
    // chrono ends in the year 262143, about 8.2e12 s; beyond 9e12 s the
    // microseconds would not fit in an i64.
    if !(0.0..9.0e12).contains(&seconds) {
        return None;
    }
    let whole = seconds.floor();
    let micros = ((seconds - whole) * 1e6).round() as i64; // 0..=1_000_000
    DateTime::from_timestamp_micros((whole as i64) * 1_000_000 + micros)
}

/// Applies envmon's naming convention and the unit conversion.
fn reading(
    station: &StationCode,
    kind: StationKind,
    measurement: Measurement<'_>,
) -> Result<Reading, DecodeError> {
    let Measurement {
        index,
        name,
        unit,
        value,
        observed_at,
    } = measurement;
    let Some((station_part, parameter_part)) = split_name(&name) else {
        return Err(SenmlError::BadName { index, name }.into());
    };
    if station_part != station.as_str() {
        return Err(DecodeError::StationMismatch {
            in_topic: station.clone(),
            in_payload: station_part.to_owned(),
        });
    }
    let parameter = Parameter::parse(parameter_part)
        .ok_or_else(|| DecodeError::UnknownParameter(parameter_part.to_owned()))?;
    if !parameter.applies_to(kind) {
        return Err(DecodeError::ParameterNotForKind { parameter, kind });
    }
    let value = to_canonical(parameter, value, unit.unwrap_or(parameter.unit()))?;
    Ok(Reading {
        station: station.clone(),
        parameter,
        observed_at,
        value,
        quality: QualityFlag::Valid,
        period_seconds: 0,
    })
}

/// Splits a resolved name into its station and parameter parts, or `None`
/// when it follows neither convention or breaks RFC 8428 §4.5.1's character
/// rules.
fn split_name(name: &str) -> Option<(&str, &str)> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '/' | '_');
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) || !name.chars().all(allowed) {
        return None;
    }
    let (station, parameter) = match name.strip_prefix(URN_PREFIX) {
        Some(rest) => rest.split_once(':')?,
        None => name.split_once('/')?,
    };
    let part_ok = |part: &str| !part.is_empty() && !part.contains([':', '/']);
    (part_ok(station) && part_ok(parameter)).then_some((station, parameter))
}

/// The pack as parsed: its elements, or how many there were when too many.
#[derive(Debug)]
enum Pack {
    Records(Vec<Element>),
    TooLarge(usize),
}

/// One element of the pack: a record's fields in order, duplicates kept so
/// they can be refused, or what the element is when it is not an object.
#[derive(Debug)]
enum Element {
    Record(Vec<(String, Value)>),
    Other(&'static str),
}

impl<'de> de::Deserialize<'de> for Pack {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(PackVisitor)
    }
}

struct PackVisitor;

impl<'de> Visitor<'de> for PackVisitor {
    type Value = Pack;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SenML pack (a JSON array of records)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pack, A::Error> {
        let mut elements = Vec::new();
        while elements.len() < MAX_RECORDS {
            match seq.next_element()? {
                Some(element) => elements.push(element),
                None => return Ok(Pack::Records(elements)),
            }
        }
        // Count the rest without keeping it, to say how large the pack was.
        let mut records = MAX_RECORDS;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            records += 1;
        }
        Ok(if records == MAX_RECORDS {
            Pack::Records(elements)
        } else {
            Pack::TooLarge(records)
        })
    }
}

impl<'de> de::Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SenML record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Value>()? {
            entries.push(entry);
        }
        Ok(Element::Record(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element::Other("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Element, E> {
        Ok(Element::Other("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Element, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Element, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Element, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Element, E> {
        Ok(Element::Other("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Other("null"))
    }
}
#[cfg(test)]
mod tests;
