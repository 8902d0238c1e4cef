//! One HJ 212 frame (通讯包, §6.3.1): `##`, a 4-digit data length, the data
//! segment, a 4-hex-digit CRC and CR LF.
//!
//! [`Frame`] holds a data segment whose CRC has been checked; it is built
//! only by the [`Deframer`](super::Deframer) (from bytes) or
//! [`Frame::from_segment`] (to send). This module finds where a frame ends
//! in a buffer that starts with `##`; skipping garbage and blank bytes
//! between frames is the deframer's job.

use super::Hj212Error;
use super::crc::crc16;

/// The largest data segment, in bytes: the largest number the 4-digit
/// length field can hold. HJ 212-2017 sets 1024, but field devices exceed it
/// (reference README §2 "Limits": 1025 and 1623 seen), so the field's own
/// range is the cap.
pub const MAX_SEGMENT_LEN: usize = 9999;

/// A complete frame whose CRC matches its data segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    // Invariant: `crc == crc16(&segment)` and `segment.len() <= MAX_SEGMENT_LEN`.
    segment: Vec<u8>,
    crc: u16,
}

impl Frame {
    /// A frame carrying `segment`, with its CRC computed, for sending.
    ///
    /// # Errors
    /// [`Hj212Error::Length`] when the segment is longer than
    /// [`MAX_SEGMENT_LEN`] bytes, which the length field cannot express.
    pub fn from_segment(segment: impl Into<Vec<u8>>) -> Result<Self, Hj212Error> {
        let segment = segment.into();
        if segment.len() > MAX_SEGMENT_LEN {
            return Err(Hj212Error::Length {
                declared: segment.len().to_string(),
                reason: "longer than the 4-digit length field can hold",
            });
        }
        let crc = crc16(&segment);
        Ok(Self { segment, crc })
    }

    /// The data segment (§6.3.2), as bytes: UTF-8 text in a conforming frame.
    pub fn segment(&self) -> &[u8] {
        &self.segment
    }

    /// The CRC the frame carries, equal to the data segment's (Appendix A).
    pub fn crc(&self) -> u16 {
        self.crc
    }

    /// The frame on the wire: `##`, the length in UTF-8 bytes (the reference
    /// README's recommended count), the segment, the CRC as 4 upper-case hex
    /// digits (zero-padded, high byte first) and CR LF.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.segment.len() + 12);
        bytes.extend_from_slice(format!("##{:04}", self.segment.len()).as_bytes());
        bytes.extend_from_slice(&self.segment);
        bytes.extend_from_slice(format!("{:04X}\r\n", self.crc).as_bytes());
        bytes
    }
}

/// What a buffer starting with `##` holds.
#[derive(Debug)]
pub(super) enum Scan {
    /// A frame may be there, but not all of it has arrived.
    NeedMore,
    /// A frame, and the number of bytes it took (up to its CRC; CR LF is
    /// left for the deframer to skip, as it may not have arrived yet).
    Frame { frame: Frame, consumed: usize },
    /// Not a usable frame: the error, and how many bytes to drop.
    Bad { error: Hj212Error, skip: usize },
}

/// Offset of the data segment after `##` and the 4 length digits.
const SEGMENT_START: usize = 6;

/// Finds the frame at the start of `buf`, which starts with `##`.
///
/// The length counts UTF-8 bytes; when the segment is not ASCII a count of
/// characters is accepted too (reference README §2, E10). A frame that
/// fits neither count is a length error, and only its `##` is dropped so
/// the deframer resynchronises on the next `##` (§1 framing).
pub(super) fn scan(buf: &[u8]) -> Scan {
    let digits = &buf[2..buf.len().min(SEGMENT_START)];
    if !digits.iter().all(u8::is_ascii_digit) {
        return bad_length(digits, "not 4 decimal digits");
    }
    if buf.len() < SEGMENT_START {
        return Scan::NeedMore;
    }
    let declared = digits.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0'));
    let mut crc_error = None;
    let candidates = [
        Some(SEGMENT_START + declared),
        char_count_end(buf, declared),
    ];
    for end in candidates.into_iter().flatten() {
        // Data segments never contain CR or LF (§1): a line break inside
        // the declared length means the frame ended earlier than it says.
        if buf[SEGMENT_START..buf.len().min(end)]
            .iter()
            .any(|b| matches!(b, b'\r' | b'\n'))
        {
            break;
        }
        if buf.len() < end + 4 {
            return Scan::NeedMore;
        }
        let Some(found) = hex4(&buf[end..end + 4]) else {
            continue;
        };
        let segment = &buf[SEGMENT_START..end];
        let computed = crc16(segment);
        if found == computed {
            let frame = Frame {
                segment: segment.to_vec(),
                crc: found,
            };
            return Scan::Frame {
                frame,
                consumed: end + 4,
            };
        }
        if crc_error.is_none() && ends_frame(buf.get(end + 4)) {
            crc_error = Some(Scan::Bad {
                error: Hj212Error::Crc { found, computed },
                skip: end + 4,
            });
        }
    }
    crc_error.unwrap_or_else(|| bad_length(digits, "the data segment does not end at a CRC"))
}

fn bad_length(digits: &[u8], reason: &'static str) -> Scan {
    Scan::Bad {
        error: Hj212Error::Length {
            declared: String::from_utf8_lossy(digits).into_owned(),
            reason,
        },
        skip: 2,
    }
}

/// Where the segment ends if the length counts characters, when that
/// differs from the byte count; `None` when it is the same (the first
/// `declared` characters are ASCII), the text is not UTF-8, or the segment
/// would exceed [`MAX_SEGMENT_LEN`] bytes. When the buffer ends before the
/// characters do, the end of the buffer is returned, so the caller waits.
fn char_count_end(buf: &[u8], declared: usize) -> Option<usize> {
    let mut at = SEGMENT_START;
    for _ in 0..declared {
        let Some(&lead) = buf.get(at) else {
            return Some(buf.len());
        };
        at += match lead {
            0x00..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => return None,
        };
        if at - SEGMENT_START > MAX_SEGMENT_LEN {
            return None;
        }
    }
    (at != SEGMENT_START + declared).then_some(at)
}

/// Four hexadecimal digits, either case (reference README §4: lower case
/// occurs), as a number.
fn hex4(text: &[u8]) -> Option<u16> {
    if !text.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u16::from_str_radix(std::str::from_utf8(text).ok()?, 16).ok()
}

/// Whether the byte after a CRC is where a frame may end: CR LF, the next
/// `##`, or the end of the input so far.
fn ends_frame(next: Option<&u8>) -> bool {
    matches!(next, None | Some(b'\r' | b'\n' | b'#'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_frame_carries_its_length_crc_and_terminator() {
        let frame = Frame::from_segment("CP=&&&&").unwrap();
        assert_eq!(frame.to_bytes(), b"##0007CP=&&&&F781\r\n");
    }

    #[test]
    fn lower_case_crc_is_accepted() {
        let Scan::Frame { frame, consumed } = scan(b"##0007CP=&&&&f781\r\n") else {
            panic!("no frame");
        };
        assert_eq!((frame.crc(), consumed), (0xF781, 17));
    }

    #[test]
    fn a_frame_cut_short_waits_for_more() {
        assert!(matches!(scan(b"##0007CP=&&&&F7"), Scan::NeedMore));
        assert!(matches!(scan(b"##00"), Scan::NeedMore));
    }

    #[test]
    fn a_line_break_inside_the_declared_length_is_a_length_error_at_once() {
        let Scan::Bad { error, skip } = scan(b"##0099CP=&&&&F781\r\n##") else {
            panic!("accepted");
        };
        assert_eq!((error.code(), skip), ("hj212_length", 2));
    }

    #[test]
    fn a_segment_counted_in_characters_is_accepted() {
        let segment = "CP=&&i11001-Info=//清洗//&&";
        let mut bytes = format!("##{:04}{segment}", segment.chars().count()).into_bytes();
        bytes.extend_from_slice(format!("{:04X}", crc16(segment.as_bytes())).as_bytes());
        let Scan::Frame { frame, .. } = scan(&bytes) else {
            panic!("not accepted");
        };
        assert_eq!(frame.segment(), segment.as_bytes());
    }

    #[test]
    fn oversized_segments_cannot_be_built() {
        let error = Frame::from_segment(vec![b'a'; MAX_SEGMENT_LEN + 1]).unwrap_err();
        assert_eq!(error.code(), "hj212_length");
    }
}
