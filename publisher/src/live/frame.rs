//! WebSocket frames as a server writes them (RFC 6455 §5.2): unmasked, so
//! one event's frame is the same bytes for every client and is made once.

use axum::body::Bytes;

const FIN: u8 = 0x80;
const TEXT: u8 = 0x1;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// A whole text frame carrying `text`.
pub(crate) fn text(text: &str) -> Bytes {
    frame(TEXT, text.as_bytes())
}

/// A ping with no payload.
pub(crate) fn ping() -> Bytes {
    Bytes::from_static(&[FIN | PING, 0])
}

/// The answer to a client's ping: its payload back (at most 125 bytes, as
/// RFC 6455 §5.5 limits a control frame).
pub(crate) fn pong(payload: &[u8]) -> Bytes {
    frame(PONG, &payload[..payload.len().min(125)])
}

/// A close frame with `code` and `reason` (the reason cut to fit 125 bytes).
pub(crate) fn close(code: u16, reason: &str) -> Bytes {
    let mut payload = code.to_be_bytes().to_vec();
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    frame(CLOSE, &payload)
}

fn frame(opcode: u8, payload: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(payload.len() + 10);
    out.push(FIN | opcode);
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocket};

    /// Reads `wire` as a client would, with tungstenite.
    fn read_all(wire: Vec<u8>) -> Vec<Message> {
        let mut socket = WebSocket::from_raw_socket(std::io::Cursor::new(wire), Role::Client, None);
        std::iter::from_fn(|| socket.read().ok()).collect()
    }

    #[test]
    fn a_client_reads_every_length_form_and_the_control_frames() {
        let long = "长".repeat(50); // 150 bytes: the 16-bit length
        let huge = "x".repeat(70_000); // the 64-bit length
        let mut wire = Vec::new();
        for bytes in [
            text("{}"),
            text(&long),
            text(&huge),
            ping(),
            pong(b"abc"),
            close(1008, "client too slow"),
        ] {
            wire.extend_from_slice(&bytes);
        }
        let messages = read_all(wire);
        assert_eq!(messages[0], Message::text("{}"));
        assert_eq!(messages[1], Message::text(long));
        assert_eq!(messages[2], Message::text(huge));
        assert_eq!(messages[3], Message::Ping(Bytes::new()));
        assert_eq!(messages[4], Message::Pong(Bytes::from_static(b"abc")));
        assert_eq!(
            messages[5],
            Message::Close(Some(CloseFrame {
                code: 1008.into(),
                reason: "client too slow".into()
            }))
        );
    }

    #[test]
    fn a_long_close_reason_is_cut_on_a_character_boundary() {
        let frame = close(1001, &"关".repeat(60));
        assert_eq!(frame.len(), 2 + 2 + 123);
        assert!(std::str::from_utf8(&frame[4..]).is_ok());
    }
}
