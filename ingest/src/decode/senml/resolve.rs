//! A record with its base fields applied (RFC 8428 §4.6), then envmon's
//! convention: the name split into station and parameter, the time made an
//! instant, the value converted to the parameter's canonical unit.

use chrono::{DateTime, Utc};
use envmon_core::unit::to_canonical;
use envmon_core::{Parameter, QualityFlag, Reading, StationCode, StationKind};

use super::super::DecodeError;
use super::error::SenmlError;
use super::fields::{Base, Fields};

/// RFC 8428 §4.5.3: resolved times below 2^28 s are relative to "now".
const ABSOLUTE_TIME_MIN: f64 = 268_435_456.0;

/// The prefix of the alternative, URN-style name.
const URN_PREFIX: &str = "urn:dev:envmon:";

/// One record with its base fields applied, before envmon's convention.
#[derive(Debug)]
pub(super) struct Measurement<'a> {
    index: usize,
    name: String,
    unit: Option<&'a str>,
    value: f64,
    observed_at: DateTime<Utc>,
}

/// Applies the base fields to a record (RFC 8428 §4.6); `None` for a record
/// that only sets base fields.
pub(super) fn resolve<'a>(
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
pub(super) fn reading(
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
