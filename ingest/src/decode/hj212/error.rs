//! Why an HJ 212 frame or packet cannot be used.
//!
//! Each variant is one reason a dead letter can carry; [`Hj212Error::code`]
//! is its stable reason code (docs/hj212.md lists them).

/// Why an HJ 212 frame or packet cannot be used.
///
/// The `Display` message is the dead letter's readable reason; it names the
/// field and quotes the offending text so a station's operator can find it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Hj212Error {
    /// Bytes that do not start a frame (`##`) were skipped (§1 framing:
    /// resynchronise on the next `##`).
    #[error("skipped {skipped} bytes that do not start an HJ 212 frame")]
    Garbage {
        /// How many bytes were skipped.
        skipped: usize,
    },
    /// The input ends inside a frame header.
    #[error("input ends inside an HJ 212 frame ({have} bytes after the last complete frame)")]
    Truncated {
        /// How many bytes of the unfinished frame there were.
        have: usize,
    },
    /// The input holds no frame at all.
    #[error("input holds no HJ 212 frame")]
    NoFrame,
    /// The 4-digit data length (§6.3.1) is not digits, or the data segment
    /// does not end where it says (no CRC there, or past the input's end).
    #[error("data length {declared:?} is wrong: {reason}")]
    Length {
        /// The length field as received.
        declared: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The CRC (Appendix A) does not match the data segment.
    #[error(
        "CRC {found:04X} in the frame does not match {computed:04X} computed over the data segment"
    )]
    Crc {
        /// The check value the frame carries.
        found: u16,
        /// The check value of the data segment as received.
        computed: u16,
    },
    /// The data segment is not UTF-8 (§6.3.1: ASCII, Chinese text in UTF-8).
    #[error("data segment is not valid UTF-8 at byte {0}")]
    NotUtf8(usize),
    /// A header field (§6.3.2) or data-area field (§6.3.3) is missing,
    /// repeated or malformed.
    #[error("field {field}: {reason}")]
    Field {
        /// The field's name, e.g. `MN` or `a34004-Avg`.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `DataTime` is missing from a data packet or is not a valid
    /// `YYYYMMDDhhmmss` time (§6.3.3 Table 4).
    #[error("DataTime {text:?}: {reason}")]
    Time {
        /// The text as received (empty when missing).
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The command (§7) is not a data upload envmon stores (2011, 2051,
    /// 2061, 2031).
    #[error("CN={0} is not a data upload envmon stores (2011, 2051, 2061 or 2031)")]
    Command(String),
    /// The system code (§6.6.1) is a pollution-source or process system:
    /// its concentrations are emissions, not ambient air or water quality.
    #[error("ST={0} is a pollution-source or process system, not environmental quality")]
    System(String),
    /// The packet's MN is not the one expected: the station's registered
    /// MN, or the MN of the other packets in the same payload.
    #[error("MN {found:?} in the packet does not match {expected:?}")]
    MnMismatch {
        /// The MN that was expected.
        expected: String,
        /// The MN the packet carries.
        found: String,
    },
    /// No registered station has this MN (the TCP listener's lookup).
    #[error("no station is registered with MN {0:?}")]
    UnknownMn(String),
    /// The logger did not prove it speaks for its station.
    #[error("logger MN {mn:?} is refused: {refusal}")]
    Refused {
        /// The MN the packet carries.
        mn: String,
        /// Why.
        refusal: super::Refusal,
    },
    /// The data packet carries no value of a parameter envmon stores.
    #[error("packet carries no value of a parameter envmon stores")]
    NoData,
    /// A value of a stored parameter is not a decimal number (§6.3.3:
    /// numbers are variable-length decimal strings).
    #[error("{field}={text:?} is not a decimal number")]
    Value {
        /// The field, e.g. `a34004-Avg`.
        field: String,
        /// The text as received.
        text: String,
    },
    /// Part of a split transfer (§6.3.2 PNUM/PNO) arrived without the rest.
    #[error("split transfer incomplete: {have} of {pnum} packets")]
    Incomplete {
        /// How many distinct packets arrived.
        have: usize,
        /// How many the transfer has.
        pnum: u16,
    },
}

impl Hj212Error {
    /// A stable, machine-readable reason code, prefixed `hj212_`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Garbage { .. } | Self::Truncated { .. } | Self::NoFrame => "hj212_frame",
            Self::Length { .. } => "hj212_length",
            Self::Crc { .. } => "hj212_crc",
            Self::NotUtf8(_) => "hj212_encoding",
            Self::Field { .. } => "hj212_field",
            Self::Time { .. } => "hj212_time",
            Self::Command(_) => "hj212_command",
            Self::System(_) => "hj212_system",
            Self::MnMismatch { .. } => "hj212_mn_mismatch",
            Self::UnknownMn(_) => "hj212_unknown_mn",
            Self::Refused { refusal, .. } => refusal.code(),
            Self::NoData => "hj212_no_data",
            Self::Value { .. } => "hj212_value",
            Self::Incomplete { .. } => "hj212_incomplete",
        }
    }

    /// A missing, repeated or malformed field.
    pub(super) fn field(field: impl Into<String>, reason: &'static str) -> Self {
        Self::Field {
            field: field.into(),
            reason,
        }
    }
}
