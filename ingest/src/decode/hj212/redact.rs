//! Passwords out of what is kept: HJ 212 carries the logger's password in
//! clear (`PW=`, and `NewPW=` in 1072), and a refused packet is kept as a
//! dead letter, so its passwords are masked first. A wrong PW is often a
//! near miss of the right one, or another station's, so every PW is masked.

use std::borrow::Cow;

/// What a password's value becomes.
pub const PASSWORD_MASK: &[u8] = b"***";

/// `payload` with the value of every field whose name ends in `PW`
/// replaced by [`PASSWORD_MASK`]. The frame's length and CRC are left as they were:
/// a dead letter is evidence of what arrived, not a packet to replay.
pub fn redact_passwords(payload: &[u8]) -> Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = find(&payload[at..], b"PW=") {
        let start = at + found + 3;
        let end = payload[start..]
            .iter()
            .position(|b| matches!(b, b';' | b',' | b'&' | b'\r' | b'\n'))
            .map_or(payload.len(), |n| start + n);
        if end > start && &payload[start..end] != PASSWORD_MASK {
            let buffer = out.get_or_insert_with(|| Vec::with_capacity(payload.len()));
            buffer.extend_from_slice(&payload[copied..start]);
            buffer.extend_from_slice(PASSWORD_MASK);
            copied = end;
        }
        at = end;
    }
    match out {
        None => Cow::Borrowed(payload),
        Some(mut buffer) => {
            buffer.extend_from_slice(&payload[copied..]);
            Cow::Owned(buffer)
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(text: &str) -> String {
        String::from_utf8(redact_passwords(text.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn every_password_value_is_masked_and_nothing_else() {
        assert_eq!(
            redacted("##0090QN=1;ST=22;CN=2011;PW=s3cret;MN=M1;Flag=5;CP=&&a34004-Rtd=1&&ABCD\r\n"),
            "##0090QN=1;ST=22;CN=2011;PW=***;MN=M1;Flag=5;CP=&&a34004-Rtd=1&&ABCD\r\n"
        );
        assert_eq!(
            redacted("ST=22;CN=1072;PW=old;MN=M;CP=&&NewPW=new&&"),
            "ST=22;CN=1072;PW=***;MN=M;CP=&&NewPW=***&&"
        );
        // Two frames, a PW at the very end; a value runs to its delimiter,
        // so anything it swallows is masked too.
        assert_eq!(
            redacted("MN=M;PW=a;CP=&&&&##0009ST=1;PW=bb\r\nPW=c"),
            "MN=M;PW=***;CP=&&&&##0009ST=1;PW=***\r\nPW=***"
        );
        assert_eq!(redacted("PW=a##b;MN=M"), "PW=***;MN=M");
    }

    #[test]
    fn payloads_without_a_password_are_not_copied() {
        for text in ["", "ST=22;CN=2011;MN=M;CP=&&&&", "PW=;MN=M", "PW=***;MN=M"] {
            assert!(
                matches!(redact_passwords(text.as_bytes()), Cow::Borrowed(_)),
                "{text}"
            );
        }
    }

    #[test]
    fn non_utf8_bytes_pass_through() {
        let bytes = b"PW=\xff\xfe;MN=\xff";
        assert_eq!(redact_passwords(bytes).as_ref(), b"PW=***;MN=\xff");
    }
}
