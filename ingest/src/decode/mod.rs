//! Decoding: a payload from a sensor topic becomes a [`Record`] of readings,
//! or a [`DecodeError`] that names why it cannot be used.
//!
//! Pure functions: no IO, no clock. The station directory is passed in.

mod json;

use chrono::{DateTime, Utc};
use envmon_core::topic::TopicError;
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

/// Looks up the kind of a registered station.
pub trait StationLookup {
    /// The station's kind, or `None` when it is not registered.
    fn kind_of(&self, station: &StationCode) -> Option<StationKind>;
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
    /// A value came in a unit other than the canonical one.
    #[error("parameter {parameter} given in {given:?}; expected {expected:?}")]
    UnitMismatch {
        /// The parameter.
        parameter: Parameter,
        /// The unit in the payload.
        given: String,
        /// The canonical unit.
        expected: &'static str,
    },
    /// The record carries no readings.
    #[error("record has no readings")]
    Empty,
    /// The averaging period is not an ISO 8601 duration of up to a day.
    #[error("period {0:?} is not an ISO 8601 duration such as PT1H or PT5M, of at most a day")]
    BadPeriod(String),
}

impl DecodeError {
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
            Self::UnitMismatch { .. } => "unit_mismatch",
            Self::Empty => "empty_record",
            Self::BadPeriod(_) => "bad_period",
        }
    }
}
