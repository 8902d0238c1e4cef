//! HJ 212-2017 packets.

use envmon_core::{StationCode, StationKind};

use super::{DecodeError, Record, StationLookup};

/// Why a HJ 212 packet cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Hj212Error {
    /// Not yet implemented.
    #[error("HJ 212 is not supported yet")]
    Unsupported,
}

impl Hj212Error {
    /// A stable reason code.
    pub fn code(&self) -> &'static str {
        "hj212_unsupported"
    }
}

/// Decodes a HJ 212 packet received on the topic of `station`.
///
/// # Errors
/// Always, for now.
pub fn decode_hj212(
    _kind_in_topic: StationKind,
    _station: &StationCode,
    _payload: &[u8],
    _stations: &impl StationLookup,
) -> Result<Vec<Record>, DecodeError> {
    Err(Hj212Error::Unsupported.into())
}
