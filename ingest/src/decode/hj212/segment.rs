//! The data segment (数据段, §6.3.2): the header fields QN, ST, CN, PW, MN,
//! Flag, PNUM/PNO, then `CP=&&…&&`, parsed into a [`Packet`].
//!
//! Fields are read by name, never by position: devices send them in other
//! orders (reference README §3, e.g. PNO before PNUM, or Flag after CP).
//! ST, CN and the factor codes are kept as strings, so unknown systems,
//! commands and codes pass through (§10 item 17). Whether a packet is data
//! envmon stores is decided later ([`records`](super::records)).

use chrono::{DateTime, Utc};

use super::command::{DataCommand, parse_data_time};
use super::cp::{Factor, parse_data_area};
use super::{Frame, Hj212Error};

/// The `Flag` field (拆分包及应答标志, §6.3.2.1): bits `V5..V0 D A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flag(pub u8);

impl Flag {
    /// Bit A: the sender wants an answer.
    pub fn answer_requested(self) -> bool {
        self.0 & 0b01 != 0
    }

    /// Bit D: the packet is one part of a split transfer (PNUM/PNO).
    pub fn split(self) -> bool {
        self.0 & 0b10 != 0
    }

    /// Bits V5..V0: 0 for HJ/T 212-2005, 1 for HJ 212-2017, 2 for what
    /// HJ 212-2025 implementations send (reference README §3.1).
    pub fn version(self) -> u8 {
        self.0 >> 2
    }
}

/// Which part of a split transfer a packet is (§6.3.2: PNUM, PNO).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Split {
    /// How many packets the transfer has, 1–9999.
    pub pnum: u16,
    /// This packet's number, 1..=`pnum`.
    pub pno: u16,
}

/// A parsed HJ 212 packet.
///
/// Fields hold what the sender wrote; only `DataTime` is interpreted
/// (Beijing time to UTC). Invariant after [`parse_packet`]: `st`, `cn` and
/// `mn` are not empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// QN, the request number (`YYYYMMDDhhmmsszzz` in 2017); optional in
    /// uploads, echoed as received in answers.
    pub qn: Option<String>,
    /// ST, the system code (§6.6.1), e.g. `22` air quality, `21` surface water.
    pub st: String,
    /// CN, the command code (§7), e.g. `2061` hourly data.
    pub cn: String,
    /// PW, the access password, as received (echoed in answers).
    pub pw: Option<String>,
    /// MN, the data logger's identifier, an opaque string (§3: not always
    /// 24 hex digits in practice).
    pub mn: String,
    /// Flag, absent in 2005 and much current traffic (then: no answer
    /// wanted, not split).
    pub flag: Option<Flag>,
    /// PNUM/PNO when the packet is part of a split transfer.
    pub split: Option<Split>,
    /// `DataTime` from CP, converted from Beijing time; for interval data
    /// the **start** of the interval, as HJ 212 stamps it. `None` when
    /// absent, or invalid in a packet that is not a data upload.
    pub data_time: Option<DateTime<Utc>>,
    /// The factors in CP with all their fields (values, `-Flag` data flags).
    pub factors: Vec<Factor>,
    /// The other CP fields as received, `DataTime` included.
    pub fields: Vec<(String, String)>,
}

impl Packet {
    /// The data command this packet uploads, if it is one envmon stores.
    pub fn data_command(&self) -> Option<DataCommand> {
        DataCommand::from_cn(&self.cn)
    }

    /// The averaging period of the command's values in seconds (0 for
    /// real-time data); `None` when the packet is not a data upload.
    pub fn period_seconds(&self) -> Option<u32> {
        self.data_command().map(DataCommand::period_seconds)
    }

    /// envmon's `observed_at`: `DataTime`, plus the period for means, so
    /// a mean is labelled by the end of its interval.
    pub fn observed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.data_command()?.observed_at(self.data_time?))
    }

    /// Whether the sender asked for an answer (Flag bit A).
    pub fn answer_requested(&self) -> bool {
        self.flag.is_some_and(Flag::answer_requested)
    }
}

/// Parses a frame's data segment into a [`Packet`].
///
/// # Errors
/// [`Hj212Error::NotUtf8`] for a segment that is not UTF-8,
/// [`Hj212Error::Field`] for a missing ST, CN, MN or CP, a repeated or
/// malformed field, and [`Hj212Error::Time`] for an invalid `DataTime` in a
/// data upload ([`DataCommand`]; other commands keep it only as text).
pub fn parse_packet(frame: &Frame) -> Result<Packet, Hj212Error> {
    let text =
        std::str::from_utf8(frame.segment()).map_err(|e| Hj212Error::NotUtf8(e.valid_up_to()))?;
    let (header, cp) = split_cp(text)?;
    let mut fields = Header::default();
    for item in header.split(';').filter(|item| !item.is_empty()) {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| Hj212Error::field(item, "has no '='"))?;
        fields.set(name, value)?;
    }
    let area = parse_data_area(cp)?;
    let cn = required("CN", fields.cn)?;
    let data_time = match area.field("DataTime").map(parse_data_time) {
        None => None,
        Some(Ok(time)) => Some(time),
        Some(Err(error)) if DataCommand::from_cn(&cn).is_some() => return Err(error),
        // Other commands do not need the time (empty DataTime occurs,
        // reference README §10 item 11); they can still be answered.
        Some(Err(_)) => None,
    };
    Ok(Packet {
        qn: fields.qn.map(str::to_owned),
        st: required("ST", fields.st)?,
        cn,
        pw: fields.pw.map(str::to_owned),
        mn: required("MN", fields.mn)?,
        flag: fields.flag.map(parse_flag).transpose()?,
        split: split(fields.flag, fields.pnum, fields.pno)?,
        data_time,
        factors: area.factors,
        fields: area.fields,
    })
}

/// The header fields by name, each at most once.
#[derive(Default)]
struct Header<'a> {
    qn: Option<&'a str>,
    st: Option<&'a str>,
    cn: Option<&'a str>,
    pw: Option<&'a str>,
    mn: Option<&'a str>,
    flag: Option<&'a str>,
    pnum: Option<&'a str>,
    pno: Option<&'a str>,
}

impl<'a> Header<'a> {
    fn set(&mut self, name: &str, value: &'a str) -> Result<(), Hj212Error> {
        let slot = match name {
            "QN" => &mut self.qn,
            "ST" => &mut self.st,
            "CN" => &mut self.cn,
            "PW" => &mut self.pw,
            "MN" => &mut self.mn,
            "Flag" => &mut self.flag,
            "PNUM" => &mut self.pnum,
            "PNO" => &mut self.pno,
            // Names are case-sensitive (§6.3.3.2.1); others are not ours.
            _ => return Ok(()),
        };
        if slot.replace(value).is_some() {
            return Err(Hj212Error::field(name, "given twice"));
        }
        Ok(())
    }
}

/// The header text before `CP=&&`, and the data area. CP is normally last;
/// fields after its closing `&&` (seen: `Flag` serialised last) are
/// appended to the header.
fn split_cp(text: &str) -> Result<(String, &str), Hj212Error> {
    let start = text
        .match_indices("CP=&&")
        .map(|(at, _)| at)
        .find(|&at| at == 0 || text.as_bytes()[at - 1] == b';')
        .ok_or_else(|| Hj212Error::field("CP", "missing"))?;
    let open = start + "CP=&&".len();
    let close = text[open..]
        .rfind("&&")
        .map(|at| open + at)
        .ok_or_else(|| Hj212Error::field("CP", "not closed with &&"))?;
    let trailer = &text[close + 2..];
    if !(trailer.is_empty() || trailer.starts_with(';')) {
        return Err(Hj212Error::field("CP", "text after the closing &&"));
    }
    Ok((format!("{}{trailer}", &text[..start]), &text[open..close]))
}

fn required(name: &str, value: Option<&str>) -> Result<String, Hj212Error> {
    match value {
        None => Err(Hj212Error::field(name, "missing")),
        Some("") => Err(Hj212Error::field(name, "empty")),
        Some(value) => Ok(value.to_owned()),
    }
}

fn parse_flag(text: &str) -> Result<Flag, Hj212Error> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Hj212Error::field("Flag", "not an integer 0-255"));
    }
    text.parse()
        .map(Flag)
        .map_err(|_| Hj212Error::field("Flag", "not an integer 0-255"))
}

/// PNUM/PNO: both or neither, 1 ≤ PNO ≤ PNUM ≤ 9999. They are accepted
/// without Flag bit D (seen in practice, reference README §10 item 6), but
/// bit D without them is refused: the parts could not be assembled.
fn split(
    flag: Option<&str>,
    pnum: Option<&str>,
    pno: Option<&str>,
) -> Result<Option<Split>, Hj212Error> {
    let number = |name: &str, text: &str| {
        text.parse::<u16>()
            .ok()
            .filter(|n| (1..=9999).contains(n) && text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| Hj212Error::field(name, "not a number 1-9999"))
    };
    match (pnum, pno) {
        (Some(pnum), Some(pno)) => {
            let (pnum, pno) = (number("PNUM", pnum)?, number("PNO", pno)?);
            if pno > pnum {
                return Err(Hj212Error::field("PNO", "greater than PNUM"));
            }
            Ok(Some(Split { pnum, pno }))
        }
        (Some(_), None) => Err(Hj212Error::field("PNO", "missing while PNUM is given")),
        (None, Some(_)) => Err(Hj212Error::field("PNUM", "missing while PNO is given")),
        (None, None)
            if flag
                .and_then(|f| parse_flag(f).ok())
                .is_some_and(Flag::split) =>
        {
            Err(Hj212Error::field("PNUM", "missing while Flag says split"))
        }
        (None, None) => Ok(None),
    }
}
