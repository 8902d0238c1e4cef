//! A reading: one parameter's value at one station at one instant.

use chrono::{DateTime, Utc};

use crate::{Parameter, QualityFlag, StationCode};

/// One measured value.
///
/// Its identity is (station, parameter, observed_at): storing the same key
/// twice replaces the value, so redelivered messages are harmless.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Where it was measured.
    pub station: StationCode,
    /// What was measured.
    pub parameter: Parameter,
    /// The instant the value describes (the end of its averaging period when
    /// it is a mean, as the national platform labels hourly means).
    pub observed_at: DateTime<Utc>,
    /// The value in the parameter's canonical unit ([`Parameter::unit`]).
    pub value: f64,
    /// Whether the value may count towards official figures.
    pub quality: QualityFlag,
    /// The averaging period the sensor declared, in seconds: 0 for an
    /// instantaneous value, 3600 for an hourly mean (then `observed_at` is
    /// the end of its hour).
    pub period_seconds: u32,
}
