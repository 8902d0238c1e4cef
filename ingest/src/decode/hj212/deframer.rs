//! Cutting a byte stream into frames: TCP gives no message boundaries, so a
//! frame may arrive in pieces and several may arrive together (reference
//! README §1, "Framing in a stream").
//!
//! The [`Deframer`] owns the bytes of the unfinished frame. It finds `##`,
//! reads the 4 length digits, takes the data segment and the CRC, and checks
//! the CRC. CR LF after a frame is optional, and blank bytes between frames
//! are skipped (§10 item 5: logs show missing CR LF and CR CR LF). Anything
//! else is garbage: it is reported and dropped, and the deframer
//! resynchronises on the next `##`. Reading the connection, answering and
//! storing are the listener's job.

use super::Hj212Error;
use super::frame::{Frame, MAX_SEGMENT_LEN, Scan, scan};

/// The most bytes one frame takes on the wire: `##`, 4 length digits, the
/// largest data segment, the CRC and CR LF. The deframer never holds more
/// than this of an unfinished frame, plus what the last push added.
pub const MAX_FRAME_LEN: usize = 2 + 4 + MAX_SEGMENT_LEN + 4 + 2;

/// Turns pushed bytes into frames with checked CRCs.
///
/// Push what arrived, then take items until `None`:
///
/// ```
/// use envmon_ingest::decode::hj212::Deframer;
///
/// let mut deframer = Deframer::new();
/// deframer.push(b"##0007CP=&&&&F7");
/// assert!(deframer.next().is_none()); // waits for the rest
/// deframer.push(b"81\r\n");
/// let frame = deframer.next().unwrap().unwrap();
/// assert_eq!(frame.segment(), b"CP=&&&&");
/// ```
///
/// The iterator is not fused: `None` means "nothing complete yet", and a
/// later push may yield more.
#[derive(Debug, Default)]
pub struct Deframer {
    // Invariant: after `next` returns `None`, `buf` is empty or holds the
    // start of one unfinished frame (`##` and at most MAX_FRAME_LEN bytes,
    // or a lone `#` that may begin one).
    buf: Vec<u8>,
}

impl Deframer {
    /// An empty deframer, for one connection or one payload.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes as they arrive; take the frames with [`Iterator::next`].
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// How many bytes are held: the unfinished frame, if any.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Ends the input (the connection closed, or the payload was all
    /// pushed): the unfinished frame, if any, as an error, and the buffer
    /// emptied.
    pub fn finish(&mut self) -> Option<Hj212Error> {
        self.skip_blanks();
        let rest = std::mem::take(&mut self.buf);
        if rest.is_empty() {
            return None;
        }
        let digits = rest.get(2..6).filter(|d| d.iter().all(u8::is_ascii_digit));
        Some(match digits {
            Some(digits) if rest.starts_with(b"##") => Hj212Error::Length {
                declared: String::from_utf8_lossy(digits).into_owned(),
                reason: "the frame runs past the end of the input",
            },
            _ => Hj212Error::Truncated { have: rest.len() },
        })
    }

    fn skip_blanks(&mut self) {
        let blanks = self
            .buf
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
            .count();
        self.buf.drain(..blanks);
    }

    /// Drops bytes before the next `##` (keeping a trailing `#` that may
    /// start one) and reports how many; `None` when there are none.
    fn skip_garbage(&mut self) -> Option<Hj212Error> {
        let keep_from = match self.buf.windows(2).position(|w| w == b"##") {
            Some(start) => start,
            None if self.buf.last() == Some(&b'#') => self.buf.len() - 1,
            None => self.buf.len(),
        };
        if keep_from == 0 {
            return None;
        }
        self.buf.drain(..keep_from);
        Some(Hj212Error::Garbage { skipped: keep_from })
    }
}

impl Iterator for Deframer {
    type Item = Result<Frame, Hj212Error>;

    /// The next frame, or the next reason bytes were dropped; `None` until
    /// more bytes are pushed.
    fn next(&mut self) -> Option<Self::Item> {
        self.skip_blanks();
        if let Some(garbage) = self.skip_garbage() {
            return Some(Err(garbage));
        }
        if !self.buf.starts_with(b"##") {
            return None;
        }
        match scan(&self.buf) {
            Scan::NeedMore => None,
            Scan::Frame { frame, consumed } => {
                self.buf.drain(..consumed);
                Some(Ok(frame))
            }
            Scan::Bad { error, skip } => {
                self.buf.drain(..skip);
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(deframer: &mut Deframer) -> Vec<Result<Vec<u8>, &'static str>> {
        deframer
            .map(|item| item.map(|f| f.segment().to_vec()).map_err(|e| e.code()))
            .collect()
    }

    #[test]
    fn a_frame_split_across_every_byte_arrives_once_whole() {
        let wire = Frame::from_segment("QN=1;CP=&&&&").unwrap().to_bytes();
        let mut deframer = Deframer::new();
        let mut items = Vec::new();
        for byte in &wire {
            deframer.push(std::slice::from_ref(byte));
            items.extend(drain(&mut deframer));
        }
        assert_eq!(items, vec![Ok(b"QN=1;CP=&&&&".to_vec())]);
        assert_eq!(deframer.buffered(), 0);
        assert_eq!(deframer.finish(), None);
    }

    #[test]
    fn several_frames_in_one_push_come_out_in_order() {
        let mut wire = Vec::new();
        for segment in ["CN=1;CP=&&&&", "CN=2;CP=&&&&", "CN=3;CP=&&&&"] {
            wire.extend(Frame::from_segment(segment).unwrap().to_bytes());
        }
        // The last frame without its CR LF: it is delimited by its length.
        wire.truncate(wire.len() - 2);
        let mut deframer = Deframer::new();
        deframer.push(&wire);
        let segments: Vec<_> = drain(&mut deframer)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(segments.len(), 3);
        assert_eq!(segments[2], b"CN=3;CP=&&&&");
    }

    #[test]
    fn garbage_before_a_frame_is_reported_then_the_frame_is_found() {
        let mut deframer = Deframer::new();
        deframer.push(b"AT+OK\r\n#x");
        deframer.push(&Frame::from_segment("CP=&&&&").unwrap().to_bytes());
        assert_eq!(
            drain(&mut deframer),
            vec![Err("hj212_frame"), Ok(b"CP=&&&&".to_vec())]
        );
    }

    #[test]
    fn a_bad_crc_drops_that_frame_only() {
        let mut deframer = Deframer::new();
        deframer.push(b"##0007CP=&&&&F780\r\n");
        deframer.push(&Frame::from_segment("CP=&&&&").unwrap().to_bytes());
        assert_eq!(
            drain(&mut deframer),
            vec![Err("hj212_crc"), Ok(b"CP=&&&&".to_vec())]
        );
    }

    #[test]
    fn a_wrong_length_resynchronises_on_the_next_frame() {
        let good = Frame::from_segment("CP=&&&&").unwrap().to_bytes();
        let mut deframer = Deframer::new();
        deframer.push(b"##0005CP=&&&&F781\r\n");
        deframer.push(&good);
        let items = drain(&mut deframer);
        assert_eq!(items.first(), Some(&Err("hj212_length")));
        assert_eq!(items.last(), Some(&Ok(b"CP=&&&&".to_vec())));
    }

    #[test]
    fn finishing_inside_a_frame_reports_it() {
        let mut deframer = Deframer::new();
        deframer.push(b"##0007CP=&");
        assert!(drain(&mut deframer).is_empty());
        assert_eq!(deframer.finish().map(|e| e.code()), Some("hj212_length"));
        deframer.push(b"#");
        assert_eq!(deframer.finish().map(|e| e.code()), Some("hj212_frame"));
    }

    #[test]
    fn bytes_without_a_frame_are_not_held() {
        let mut deframer = Deframer::new();
        deframer.push(&[b'x'; 100_000]);
        assert_eq!(drain(&mut deframer), vec![Err("hj212_frame")]);
        assert_eq!(deframer.buffered(), 0);
    }
}
