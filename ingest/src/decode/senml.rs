//! SenML packs (RFC 8428).

use envmon_core::{StationCode, StationKind};

use super::{DecodeError, Record, StationLookup};

/// Why a SenML pack cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SenmlError {
    /// Not yet implemented.
    #[error("SenML is not supported yet")]
    Unsupported,
}

impl SenmlError {
    /// A stable reason code.
    pub fn code(&self) -> &'static str {
        "senml_unsupported"
    }
}

/// Decodes a SenML pack received on the topic of `station`.
///
/// # Errors
/// Always, for now.
pub fn decode_senml(
    _kind_in_topic: StationKind,
    _station: &StationCode,
    _payload: &[u8],
    _stations: &impl StationLookup,
) -> Result<Vec<Record>, DecodeError> {
    Err(SenmlError::Unsupported.into())
}
