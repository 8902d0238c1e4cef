//! Why a SenML pack is refused, and the stable reason code of each case.

use chrono::{DateTime, Utc};
use envmon_core::Parameter;

use super::{MAX_RECORDS, SENML_VERSION};

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
