//! Dead letters: payloads that could not be used, kept with the reason.
//!
//! A payload is kept byte for byte, with one exception: the passwords an
//! HJ 212 packet carries in clear (`PW=`) are masked, since a logger's
//! secret is never stored in clear, and a wrong PW is often a near miss.

use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::decode::hj212::redact_passwords;
use crate::decode::{DecodeError, Format, detect};

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
    /// The dead letter for a payload that failed to decode (or whose
    /// readings were refused in part), with any HJ 212 password masked.
    pub fn from_error(
        received_at: DateTime<Utc>,
        topic: String,
        payload: Bytes,
        error: &DecodeError,
    ) -> Self {
        let payload = match detect(&payload) {
            Some(Format::Hj212) => match redact_passwords(&payload) {
                std::borrow::Cow::Borrowed(_) => payload,
                std::borrow::Cow::Owned(masked) => Bytes::from(masked),
            },
            _ => payload,
        };
        Self {
            received_at,
            topic,
            payload,
            reason_code: error.code(),
            reason: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hj212_passwords_are_masked_and_other_payloads_kept_byte_for_byte() {
        let at = Utc::now();
        let error = DecodeError::UnknownFormat;
        let hj212 = Bytes::from_static(b"\r\n##0040QN=1;ST=22;CN=2011;PW=s3cret;MN=M;CP=&&&&ABCD");
        let letter = DeadLetter::from_error(at, "t".into(), hj212, &error);
        assert_eq!(
            letter.payload.as_ref(),
            b"\r\n##0040QN=1;ST=22;CN=2011;PW=***;MN=M;CP=&&&&ABCD"
        );
        let json = Bytes::from_static(br#"{"note":"PW=s3cret"}"#);
        let letter = DeadLetter::from_error(at, "t".into(), json.clone(), &error);
        assert_eq!(letter.payload, json);
    }
}
