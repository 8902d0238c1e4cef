//! Answers the platform owes a field unit (HJ 212-2017 §6.1, §6.5,
//! Appendix C; reference README §8.1).
//!
//! envmon is the platform (上位机). It answers a packet only when the
//! packet's Flag has bit A set, and only with the answers a platform sends:
//!
//! - **9014 data answer** to an upload from the field unit: the data
//!   commands 2011, 2021, 2031, 2041, 2051, 2061, 2081, the other uploads
//!   of Table 9 (1011, 1061, 1063, 3015, 3017, 3018, 3019, 3020), and
//!   codes in the data range 2000–2999 the table does not list (HJ 212-2025
//!   and vendor uploads), except the platform's notifications 2012 and 2022;
//! - **9013 notification answer** to the field unit's notification 1013
//!   (it asks for its clock to be set; sending 1012 is not done here).
//!
//! Nothing else is answered: not the answers 9011–9014 themselves (that
//! would loop), not the platform's own requests and notifications (a field
//! unit does not send them), not unknown codes outside 2000–2999. 9011
//! (request answer) and 9012 (execution result) are otherwise sent by field
//! units; envmon sends a 9011 only to refuse a logger ([`refusal_for`]),
//! the one answer that carries HJ 212's "PW wrong" return code.
//!
//! The answer has the 2017 form: the packet's QN (what links the answer to
//! the upload), ST=91, PW and MN echoed, Flag=4 (version 1, no answer
//! wanted, not split) and an empty CP. A 2005 packet (Flag 0–3) gets the
//! 2017 form too, the README's default; a 2025 packet (version 2) gets
//! Flag=8. Each part of a split transfer is answered with its own QN, so
//! answer frames as they are parsed, before assembly.

use std::fmt::Write as _;

use super::{Frame, Packet};

/// The complete answer frame (`##…CRC` CR LF) the packet asks for, or
/// `None` when it asks for none or is not a packet a platform answers.
pub fn reply_for(packet: &Packet) -> Option<Vec<u8>> {
    if !packet.answer_requested() {
        return None;
    }
    answer(packet, answer_cn(&packet.cn)?, "")
}

/// `QnRtn` 3, "PW 错误" (HJ 212-2017 Table 7): the return code of a refusal.
pub const QN_RTN_PW_WRONG: u8 = 3;

/// The answer to a packet from a logger that is not let in (wrong or
/// missing PW, no secret set, outside its networks, unknown MN): a 9011
/// request answer with `QnRtn=3`, PW wrong, the one code HJ 212 has for a
/// refused logger. Every refusal gets the same answer, so it tells an
/// unknown MN from a known one no better than a wrong PW from a wrong
/// network. `None` when the packet asks for no answer or is itself one.
///
/// HJ 212 defines no negative data answer: 9014 would tell the logger its
/// data is stored (and it would forget it), while this tells it why not,
/// and, as no 9014 follows, it keeps the data to send again.
pub fn refusal_for(packet: &Packet) -> Option<Vec<u8>> {
    let is_answer = matches!(
        packet.cn.as_str(),
        "9011" | "9012" | "9013" | "9014" | "9015"
    );
    if !packet.answer_requested() || is_answer {
        return None;
    }
    answer(packet, "9011", &format!("QnRtn={QN_RTN_PW_WRONG}"))
}

/// An answer in the 2017 form with `cp` as its data area.
fn answer(packet: &Packet, cn: &str, cp: &str) -> Option<Vec<u8>> {
    // Version bits of the packet, at least 1 (2017); A and D clear.
    let flag = packet.flag.map_or(1, |f| f.version()).max(1) << 2;
    let mut segment = String::new();
    if let Some(qn) = &packet.qn {
        let _ = write!(segment, "QN={qn};");
    }
    let _ = write!(segment, "ST=91;CN={cn};");
    if let Some(pw) = &packet.pw {
        let _ = write!(segment, "PW={pw};");
    }
    let _ = write!(segment, "MN={};Flag={flag};CP=&&{cp}&&", packet.mn);
    // Only fails beyond 9999 bytes, which echoed fields of a received
    // frame (itself at most 9999 bytes) cannot reach with a short CP.
    Frame::from_segment(segment)
        .ok()
        .map(|frame| frame.to_bytes())
}

/// The answer a platform gives to a command from a field unit.
fn answer_cn(cn: &str) -> Option<&'static str> {
    match cn {
        // The platform's notifications: stop real-time / status data.
        "2012" | "2022" => None,
        "1011" | "1061" | "1063" | "3015" | "3017" | "3018" | "3019" | "3020" => Some("9014"),
        "1013" => Some("9013"),
        data if data.len() == 4
            && data.starts_with('2')
            && data.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some("9014")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::hj212::{Deframer, parse_packet};

    fn packet(segment: &str) -> Packet {
        parse_packet(&Frame::from_segment(segment).unwrap()).unwrap()
    }

    /// The reply's own framing and CRC, checked by the deframer.
    fn parsed_reply(bytes: &[u8]) -> Packet {
        assert!(bytes.ends_with(b"\r\n"));
        let mut deframer = Deframer::new();
        deframer.push(bytes);
        let frame = deframer.next().unwrap().unwrap();
        assert!(deframer.next().is_none());
        packet(std::str::from_utf8(frame.segment()).unwrap())
    }

    #[test]
    fn uploads_asking_for_an_answer_get_9014_with_their_qn() {
        let reply = reply_for(&packet(
            "QN=20240315110005001;ST=22;CN=2061;PW=9;MN=M1;Flag=5;CP=&&DataTime=20240315100000&&",
        ))
        .unwrap();
        let answer = parsed_reply(&reply);
        assert_eq!(answer.qn.as_deref(), Some("20240315110005001"));
        assert_eq!((answer.st.as_str(), answer.cn.as_str()), ("91", "9014"));
        assert_eq!(
            (answer.pw.as_deref(), answer.mn.as_str()),
            (Some("9"), "M1")
        );
        assert_eq!(answer.flag.map(|f| f.0), Some(4));
        assert!(answer.factors.is_empty() && answer.fields.is_empty());
    }

    #[test]
    fn a_time_calibration_notice_gets_9013() {
        let reply = reply_for(&packet("QN=1;ST=22;CN=1013;PW=9;MN=M1;Flag=5;CP=&&&&")).unwrap();
        assert_eq!(parsed_reply(&reply).cn, "9013");
    }

    #[test]
    fn version_bits_are_kept_and_2005_gets_the_2017_form() {
        for (flag, expected) in [(1, 4), (3, 4), (7, 4), (9, 8)] {
            let segment = format!("QN=1;ST=22;CN=2011;MN=M1;Flag={flag};PNUM=1;PNO=1;CP=&&&&");
            let reply = parsed_reply(&reply_for(&packet(&segment)).unwrap());
            assert_eq!(reply.flag.map(|f| f.0), Some(expected), "Flag={flag}");
            assert_eq!(reply.pw, None);
        }
    }

    #[test]
    fn a_refused_logger_gets_9011_with_qnrtn_3_pw_wrong() {
        let upload = packet(
            "QN=20240315110005001;ST=22;CN=2061;PW=wrong1;MN=M1;Flag=5;CP=&&DataTime=20240315100000&&",
        );
        let answer = parsed_reply(&refusal_for(&upload).unwrap());
        assert_eq!(answer.qn.as_deref(), Some("20240315110005001"));
        assert_eq!((answer.st.as_str(), answer.cn.as_str()), ("91", "9011"));
        assert_eq!(answer.mn, "M1");
        assert_eq!(answer.flag.map(|f| f.0), Some(4));
        assert_eq!(answer.fields, vec![("QnRtn".to_owned(), "3".to_owned())]);
        // A heartbeat or status upload is refused the same way.
        let status = packet("QN=1;ST=22;CN=2021;MN=M1;Flag=5;CP=&&&&");
        assert_eq!(parsed_reply(&refusal_for(&status).unwrap()).cn, "9011");
    }

    #[test]
    fn a_refusal_is_sent_only_when_asked_for_and_never_to_an_answer() {
        for segment in [
            "QN=1;ST=22;CN=2061;PW=x;MN=M1;Flag=4;CP=&&&&",
            "QN=1;ST=22;CN=2061;PW=x;MN=M1;CP=&&&&",
            "QN=1;ST=91;CN=9014;PW=x;MN=M1;Flag=5;CP=&&&&",
            "QN=1;ST=91;CN=9011;PW=x;MN=M1;Flag=5;CP=&&QnRtn=1&&",
        ] {
            assert_eq!(refusal_for(&packet(segment)), None, "{segment}");
        }
    }

    #[test]
    fn packets_that_ask_for_no_answer_or_are_not_ours_to_answer_get_none() {
        for segment in [
            "QN=1;ST=22;CN=2061;MN=M1;Flag=4;CP=&&&&",
            "QN=1;ST=22;CN=2061;MN=M1;CP=&&&&",
            "QN=1;ST=91;CN=9014;MN=M1;Flag=5;CP=&&&&",
            "QN=1;ST=91;CN=9011;MN=M1;Flag=5;CP=&&QnRtn=1&&",
            "QN=1;ST=22;CN=1012;MN=M1;Flag=5;CP=&&SystemTime=20240315100000&&",
            "QN=1;ST=22;CN=2012;MN=M1;Flag=5;CP=&&&&",
            "QN=1;ST=22;CN=5011;MN=M1;Flag=5;CP=&&&&",
        ] {
            assert_eq!(reply_for(&packet(segment)), None, "{segment}");
        }
    }
}
