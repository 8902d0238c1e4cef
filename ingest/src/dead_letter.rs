//! Dead letters: payloads that could not be used, kept with the reason.

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::decode::DecodeError;

/// A refused payload on its way to the `dead_letter` table.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// When ingest received it.
    pub received_at: DateTime<Utc>,
    /// The topic it came on.
    pub topic: String,
    /// The payload, byte for byte.
    pub payload: Bytes,
    /// Stable reason code ([`DecodeError::code`]).
    pub reason_code: &'static str,
    /// Human-readable reason.
    pub reason: String,
}

impl DeadLetter {
    /// The dead letter for a payload that failed to decode.
    pub fn from_error(
        received_at: DateTime<Utc>,
        topic: String,
        payload: Bytes,
        error: &DecodeError,
    ) -> Self {
        Self {
            received_at,
            topic,
            payload,
            reason_code: error.code(),
            reason: error.to_string(),
        }
    }
}
