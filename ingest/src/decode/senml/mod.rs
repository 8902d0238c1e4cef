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
//!
//! # Layout
//!
//! - `pack`: the JSON array read into elements, bounded by [`MAX_RECORDS`];
//! - `fields`: one record's fields, type-checked, and the base fields in
//!   force;
//! - `resolve`: a record with its base fields applied, then envmon's naming
//!   convention and unit conversion, giving a [`Reading`];
//! - `error`: [`SenmlError`], the reasons a pack is refused.

mod error;
mod fields;
mod pack;
mod resolve;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use envmon_core::{Parameter, Reading, StationCode, StationKind};

use super::{DecodeError, Record, StationLookup};
use fields::{Base, Fields};
use pack::Pack;
use resolve::{reading, resolve};

pub use error::SenmlError;

/// The most records one pack may hold: a day of minute values of all six air
/// pollutants is 8,640, so a real pack stays below it, and the limit bounds
/// the work one message can cause.
pub const MAX_RECORDS: usize = 10_000;

/// RFC 8428 §4.4: the SenML version this decoder reads; a reader must not
/// use a pack of a higher version.
const SENML_VERSION: u64 = 10;

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
