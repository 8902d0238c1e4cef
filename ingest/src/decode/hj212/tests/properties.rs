//! Invariants over generated input: no bytes make the deframer, the parser
//! or the decoder panic, and every frame built comes back whole.

use envmon_core::StationKind;
use proptest::prelude::*;

use super::super::crc::crc16;
use super::super::*;
use super::{EXAMPLES, code, directory, framed};

proptest! {
    #[test]
    fn arbitrary_bytes_in_arbitrary_pieces_never_panic_the_deframer(
        bytes in proptest::collection::vec(any::<u8>(), 0..3000),
        cuts in proptest::collection::vec(1usize..64, 1..20),
    ) {
        let mut deframer = Deframer::new();
        let mut rest = bytes.as_slice();
        for cut in cuts.iter().cycle() {
            if rest.is_empty() { break; }
            let (piece, tail) = rest.split_at((*cut).min(rest.len()));
            deframer.push(piece);
            for frame in deframer.by_ref().flatten() {
                let _ = parse_packet(&frame);
            }
            prop_assert!(deframer.buffered() <= MAX_FRAME_LEN + 64);
            rest = tail;
        }
        let _ = deframer.finish();
    }

    #[test]
    fn arbitrary_segments_never_panic_the_parser(segment in proptest::collection::vec(any::<u8>(), 0..600)) {
        let packet = Frame::from_segment(segment).map(|f| parse_packet(&f));
        if let Ok(Ok(packet)) = packet {
            let _ = reply_for(&packet);
            let _ = records_from_packet(&packet, &code("1142A"), StationKind::Air);
        }
    }

    #[test]
    fn mutated_examples_never_panic_the_decoder(
        index in 0usize..10,
        position in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        recrc in any::<bool>(),
    ) {
        let wire = EXAMPLES.lines().nth(index).unwrap().split_once('\t').unwrap().1;
        let mut bytes = wire.as_bytes().to_vec();
        let at = position.index(bytes.len());
        bytes[at] = byte;
        if recrc && at >= 6 && at < bytes.len() - 4 {
            // Keep the CRC right, so the mutation reaches the parser.
            let crc = format!("{:04X}", crc16(&bytes[6..bytes.len() - 4]));
            let end = bytes.len();
            bytes[end - 4..].copy_from_slice(crc.as_bytes());
        }
        let _ = decode_hj212(StationKind::Air, &code("1142A"), &bytes, &directory());
        let _ = decode_hj212(StationKind::Source, &code("qingcaosha"), &bytes, &directory());
    }

    #[test]
    fn arbitrary_payloads_never_panic_decode_hj212(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut payload = b"##".to_vec();
        payload.extend(bytes);
        let _ = decode_hj212(StationKind::Air, &code("1141A"), &payload, &directory());
    }

    #[test]
    fn packet_shaped_fragments_never_panic_the_decoder(
        fragments in proptest::collection::vec(
            prop_oneof![
                Just("##"), Just("0042"), Just("9999"), Just("&&"), Just("CP=&&"), Just(";"),
                Just(","), Just("="), Just("\r\n"), Just("//"), Just("QN=1"), Just("ST=22"),
                Just("ST=31"), Just("CN=2061"), Just("CN=2011"), Just("MN=X"), Just("Flag=7"),
                Just("PNUM=2"), Just("PNO=1"), Just("PNO=3"), Just("DataTime=20240315100000"),
                Just("a34004-Avg=1.5"), Just("a34004-Rtd=-"), Just("-Flag=T"), Just("清"),
                Just("F781"), Just("4f40"),
            ],
            0..60,
        ),
        framed_too in any::<bool>(),
    ) {
        let text: String = fragments.concat();
        let payload = if framed_too { framed(&text) } else { text };
        let _ = decode_hj212(StationKind::Air, &code("1142A"), payload.as_bytes(), &directory());
    }

    #[test]
    fn any_built_frame_comes_back_from_the_deframer(text in "[ -~]{0,300}") {
        let frame = Frame::from_segment(text.clone()).unwrap();
        let mut deframer = Deframer::new();
        deframer.push(&frame.to_bytes());
        prop_assert_eq!(deframer.next(), Some(Ok(frame)));
    }
}
