//! Decoding: a payload from a sensor topic becomes [`Record`]s of readings,
//! or a [`DecodeError`] that names why it cannot be used.
//!
//! [`decode`] detects the format from the payload itself: a JSON object is
//! the native record (`json`), a JSON array a SenML pack ([`senml`]), and
//! `##` an HJ 212-2017 packet ([`hj212`]). Pure functions: no IO, no clock;
//! the station directory is passed in.

pub mod hj212;
mod json;
pub mod senml;
#[cfg(test)]
mod test_stations;

use chrono::{DateTime, Utc};
use envmon_core::topic::TopicError;
use envmon_core::unit::UnitErrorReason;
use envmon_core::{Parameter, Reading, StationCode, StationKind};

pub use json::decode_json;

/// What a sensor said in one message: one station at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The station, as named by the topic and confirmed by the payload.
    pub station: StationCode,
    /// The station's kind.
    pub kind: StationKind,
    /// The observation instant.
    pub observed_at: DateTime<Utc>,
    /// One reading per parameter, in canonical units.
    pub readings: Vec<Reading>,
}

/// Looks up registered stations.
pub trait StationLookup {
    /// The station's kind, or `None` when it is not registered.
    fn kind_of(&self, station: &StationCode) -> Option<StationKind>;

    /// The MN of the station's HJ 212 data logger, when registered.
    fn hj212_mn(&self, station: &StationCode) -> Option<&str>;

    /// The station whose HJ 212 data logger has this MN.
    fn station_for_mn(&self, mn: &str) -> Option<StationCode>;

    /// What the station's HJ 212 data logger must prove (its secret, its
    /// networks), when anything is set.
    fn hj212_credential(&self, station: &StationCode) -> Option<&hj212::LoggerCredential>;

    /// Whether a station without a logger secret is refused
    /// (`[ingest] hj212_require_secret`).
    fn hj212_require_secret(&self) -> bool;
}

/// The payload formats ingest understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The native JSON record (docs/payloads.md).
    Json,
    /// A SenML pack (RFC 8428), JSON.
    Senml,
    /// An HJ 212-2017 packet.
    Hj212,
}

/// The format of a payload, from its first non-blank bytes; `None` when it
/// looks like none of them.
pub fn detect(payload: &[u8]) -> Option<Format> {
    let start = payload.iter().position(|b| !b.is_ascii_whitespace())?;
    match &payload[start..] {
        [b'{', ..] => Some(Format::Json),
        [b'[', ..] => Some(Format::Senml),
        [b'#', b'#', ..] => Some(Format::Hj212),
        _ => None,
    }
}

/// Decodes a payload received on the topic of `station` (of `kind_in_topic`)
/// in whichever format it is.
///
/// # Errors
/// Returns the first reason the payload cannot be used; a payload is taken
/// whole or not at all.
pub fn decode(
    kind_in_topic: StationKind,
    station: &StationCode,
    payload: &[u8],
    stations: &impl StationLookup,
) -> Result<Vec<Record>, DecodeError> {
    match detect(payload) {
        Some(Format::Json) => {
            decode_json(kind_in_topic, station, payload, stations).map(|r| vec![r])
        }
        Some(Format::Senml) => senml::decode_senml(kind_in_topic, station, payload, stations),
        Some(Format::Hj212) => hj212::decode_hj212(kind_in_topic, station, payload, stations),
        None => Err(DecodeError::UnknownFormat),
    }
}

/// Checks that `station` is registered as `kind_in_topic`; every decoder
/// calls this before it trusts anything else in the payload.
///
/// # Errors
/// [`DecodeError::UnknownStation`] or [`DecodeError::KindMismatch`].
pub fn registered_kind(
    kind_in_topic: StationKind,
    station: &StationCode,
    stations: &impl StationLookup,
) -> Result<StationKind, DecodeError> {
    let registered = stations
        .kind_of(station)
        .ok_or_else(|| DecodeError::UnknownStation(station.clone()))?;
    if registered != kind_in_topic {
        return Err(DecodeError::KindMismatch {
            station: station.clone(),
            registered,
            in_topic: kind_in_topic,
        });
    }
    Ok(registered)
}

/// Why a payload cannot be used. The message is the dead letter's reason and
/// [`DecodeError::code`] its stable reason code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The topic is not a sensor topic.
    #[error(transparent)]
    Topic(#[from] TopicError),
    /// The payload is not UTF-8.
    #[error("payload is not valid UTF-8 at byte {0}")]
    NotUtf8(usize),
    /// The payload is not a JSON record of the documented shape.
    #[error("payload is not a valid record: {0}")]
    Malformed(String),
    /// The payload names another station than the topic.
    #[error("station {in_payload} in payload does not match topic station {in_topic}")]
    StationMismatch {
        /// The station the topic names.
        in_topic: StationCode,
        /// The station the payload names.
        in_payload: String,
    },
    /// The station is not in the registry.
    #[error("station {0} is not registered")]
    UnknownStation(StationCode),
    /// The topic's kind differs from the registered kind.
    #[error("station {station} is registered as {registered}, not {in_topic}")]
    KindMismatch {
        /// The station.
        station: StationCode,
        /// The kind the registry holds.
        registered: StationKind,
        /// The kind the topic names.
        in_topic: StationKind,
    },
    /// A parameter code is unknown.
    #[error("unknown parameter {0:?}")]
    UnknownParameter(String),
    /// A parameter does not belong to the station's kind.
    #[error("parameter {parameter} is not measured at {kind} stations")]
    ParameterNotForKind {
        /// The parameter.
        parameter: Parameter,
        /// The station's kind.
        kind: StationKind,
    },
    /// The record carries no readings.
    #[error("record has no readings")]
    Empty,
    /// The averaging period is not an ISO 8601 duration of up to a day.
    #[error("period {0:?} is not an ISO 8601 duration such as PT1H or PT5M, of at most a day")]
    BadPeriod(String),
    /// The payload is none of the formats ingest reads.
    #[error("payload is neither a JSON record, a SenML pack nor an HJ 212 packet")]
    UnknownFormat,
    /// A value's unit cannot be converted to its parameter's canonical unit.
    #[error(transparent)]
    Unit(#[from] envmon_core::unit::UnitError),
    /// A SenML pack that cannot be used.
    #[error(transparent)]
    Senml(#[from] senml::SenmlError),
    /// An HJ 212 packet that cannot be used.
    #[error(transparent)]
    Hj212(#[from] hj212::Hj212Error),
    /// A value is NaN or infinite, as given or once converted.
    #[error("the {parameter} value is not a finite number")]
    NonFinite {
        /// The parameter.
        parameter: Parameter,
    },
    /// Readings dated further after their receipt than clocks drift.
    #[error(
        "{refused} of {total} readings are dated after {limit} (up to {latest}), more than \
         {skew_seconds} s after their receipt; the other {kept} were taken"
    )]
    FutureTime {
        /// How many readings were refused.
        refused: usize,
        /// How many readings the payload held.
        total: usize,
        /// How many were taken.
        kept: usize,
        /// The latest time accepted: receipt plus the skew.
        limit: DateTime<Utc>,
        /// The latest time a refused reading carried.
        latest: DateTime<Utc>,
        /// The skew allowed, in seconds.
        skew_seconds: i64,
    },
    /// Readings older than raw readings are kept.
    #[error(
        "{refused} of {total} readings are dated before {limit} (from {earliest}), older than \
         the {retention_days} days readings are kept; the other {kept} were taken"
    )]
    TooOld {
        /// How many readings were refused.
        refused: usize,
        /// How many readings the payload held.
        total: usize,
        /// How many were taken.
        kept: usize,
        /// The earliest time accepted: receipt minus the retention.
        limit: DateTime<Utc>,
        /// The earliest time a refused reading carried.
        earliest: DateTime<Utc>,
        /// The retention of raw readings, in days.
        retention_days: i64,
    },
}

impl DecodeError {
    /// Whether a newer station directory may let the payload pass: its
    /// station or its logger's MN not (yet) registered, or its logger not
    /// let in (a secret or networks just changed).
    pub fn may_pass_after_reload(&self) -> bool {
        matches!(
            self,
            Self::UnknownStation(_)
                | Self::Hj212(hj212::Hj212Error::UnknownMn(_) | hj212::Hj212Error::Refused { .. })
        )
    }

    /// Why an HJ 212 logger whose MN is registered was not let in, when
    /// that is the reason.
    pub fn logger_refusal(&self) -> Option<hj212::Refusal> {
        match self {
            Self::Hj212(hj212::Hj212Error::Refused { refusal, .. }) => Some(*refusal),
            _ => None,
        }
    }

    /// A stable, machine-readable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Topic(_) => "bad_topic",
            Self::NotUtf8(_) => "not_utf8",
            Self::Malformed(_) => "malformed",
            Self::StationMismatch { .. } => "station_mismatch",
            Self::UnknownStation(_) => "unknown_station",
            Self::KindMismatch { .. } => "kind_mismatch",
            Self::UnknownParameter(_) => "unknown_parameter",
            Self::ParameterNotForKind { .. } => "parameter_not_for_kind",
            Self::Empty => "empty_record",
            Self::BadPeriod(_) => "bad_period",
            Self::UnknownFormat => "unknown_format",
            Self::Unit(error) => match error.reason {
                UnitErrorReason::NotFinite { .. } | UnitErrorReason::Overflow => "non_finite",
                _ => "unit_unconvertible",
            },
            Self::Senml(error) => error.code(),
            Self::Hj212(error) => error.code(),
            Self::NonFinite { .. } => "non_finite",
            Self::FutureTime { .. } => "future_time",
            Self::TooOld { .. } => "too_old",
        }
    }
}

#[cfg(test)]
mod tests {
    use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
    use proptest::prelude::*;

    use super::*;
    use crate::stations::{Registry, StationDirectory};

    fn directory() -> StationDirectory {
        let mut directory = StationDirectory::new(true);
        directory.replace(
            Registry {
                stations: parse_registry(SHANGHAI_REGISTRY).unwrap(),
                secrets: Vec::new(),
            },
            std::time::Instant::now(),
        );
        directory
    }

    #[test]
    fn the_format_is_told_by_the_first_non_blank_byte() {
        assert_eq!(detect(b"  {\"a\":1}"), Some(Format::Json));
        assert_eq!(detect(b"\n[{}]"), Some(Format::Senml));
        assert_eq!(detect(b"##0101QN="), Some(Format::Hj212));
        assert_eq!(detect(b"#0101"), None);
        assert_eq!(detect(b""), None);
        let station = StationCode::parse("1141A").unwrap();
        let error = decode(StationKind::Air, &station, b"hello", &directory()).unwrap_err();
        assert_eq!(error.code(), "unknown_format");
    }

    #[test]
    fn only_what_a_newer_directory_may_know_is_worth_a_reload() {
        let station = StationCode::parse("1141A").unwrap();
        let refused = DecodeError::Hj212(hj212::Hj212Error::Refused {
            mn: "M".into(),
            refusal: hj212::Refusal::Password,
        });
        assert!(DecodeError::UnknownStation(station).may_pass_after_reload());
        assert!(
            DecodeError::Hj212(hj212::Hj212Error::UnknownMn("M".into())).may_pass_after_reload()
        );
        assert!(refused.may_pass_after_reload());
        assert!(!DecodeError::UnknownFormat.may_pass_after_reload());
        assert_eq!(refused.logger_refusal(), Some(hj212::Refusal::Password));
        assert_eq!(DecodeError::UnknownFormat.logger_refusal(), None);
    }

    proptest! {
        /// Ingest never crashes on input: any bytes, in any of the three
        /// framings, decode or are refused with a reason code.
        #[test]
        fn arbitrary_bytes_never_panic(
            prefix in prop::sample::select(vec![&b""[..], b"{", b"[", b"##"]),
            body in prop::collection::vec(any::<u8>(), 0..512),
        ) {
            let directory = directory();
            let station = StationCode::parse("1141A").unwrap();
            let payload: Vec<u8> = prefix.iter().chain(body.iter()).copied().collect();
            match decode(StationKind::Air, &station, &payload, &directory) {
                Ok(records) => prop_assert!(records.iter().all(|r| !r.readings.is_empty())),
                Err(error) => prop_assert!(!error.code().is_empty()),
            }
        }
    }
}
