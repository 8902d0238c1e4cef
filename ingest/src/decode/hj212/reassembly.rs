//! Joining split transfers (拆分包, §6.3.2 PNUM/PNO; reference README §3.2).
//!
//! A sender that cannot fit its data area in one frame spreads the factors
//! over PNUM frames, each a complete frame with its own QN and CRC. The
//! parts are grouped by (MN, CN, DataTime, PNUM), not by QN: consecutive
//! parts get consecutive QNs (reference packets E5 and E6, QN …001 and
//! …002). Answering each part (Flag bit A) is done per frame, before
//! assembly ([`reply_for`](super::reply_for)).

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use super::{Hj212Error, Packet};

/// Holds the parts of unfinished split transfers until each is complete.
///
/// Bounded: when more than `max_held` parts are held, the oldest unfinished
/// transfer is dropped whole and counted in [`Reassembler::evicted`], so a
/// sender that never finishes cannot exhaust memory.
#[derive(Debug)]
pub struct Reassembler {
    max_held: usize,
    // Invariant: every group has 1..pnum distinct parts, no two groups share
    // a key, the total of parts is at most `max_held` after each push, and
    // groups are in the order their first part arrived.
    groups: VecDeque<Group>,
    evicted: u64,
}

#[derive(Debug)]
struct Group {
    key: Key,
    /// Parts by PNO.
    parts: BTreeMap<u16, Packet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    mn: String,
    cn: String,
    data_time: Option<DateTime<Utc>>,
    pnum: u16,
}

impl Reassembler {
    /// A reassembler holding at most `max_held` parts (at least 1).
    pub fn new(max_held: usize) -> Self {
        Self {
            max_held: max_held.max(1),
            groups: VecDeque::new(),
            evicted: 0,
        }
    }

    /// Takes a packet: a whole packet comes straight back, a part is held
    /// until its transfer is complete and then comes back assembled.
    ///
    /// The assembled packet has the header of part 1 (its QN among them), the
    /// factors and CP fields of all parts in PNO order, and no `split`. A
    /// part that arrives twice (re-sent when no answer came) replaces the
    /// earlier copy.
    ///
    /// # Errors
    /// [`Hj212Error::Field`] when the assembled parts give one factor field
    /// twice; the transfer is dropped.
    pub fn push(&mut self, packet: Packet) -> Result<Option<Packet>, Hj212Error> {
        let Some(split) = packet.split.filter(|s| s.pnum > 1) else {
            return Ok(Some(packet));
        };
        let key = Key {
            mn: packet.mn.clone(),
            cn: packet.cn.clone(),
            data_time: packet.data_time,
            pnum: split.pnum,
        };
        let index = match self.groups.iter().position(|g| g.key == key) {
            Some(index) => index,
            None => {
                self.groups.push_back(Group {
                    key,
                    parts: BTreeMap::new(),
                });
                self.groups.len() - 1
            }
        };
        let parts = &mut self.groups[index].parts;
        parts.insert(split.pno, packet);
        if parts.len() == usize::from(split.pnum) {
            let group = self
                .groups
                .remove(index)
                .expect("the index was found or pushed just above");
            return assemble(group.parts.into_values()).map(Some);
        }
        self.evict_over_bound();
        Ok(None)
    }

    /// How many parts are held.
    pub fn held(&self) -> usize {
        self.groups.iter().map(|g| g.parts.len()).sum()
    }

    /// How many parts have been dropped to keep within the bound, since
    /// this reassembler was made.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// The oldest unfinished transfer as an [`Hj212Error::Incomplete`], or
    /// `None` when nothing is held: for a caller whose input has ended.
    pub fn incomplete(&self) -> Option<Hj212Error> {
        self.groups.front().map(|group| Hj212Error::Incomplete {
            have: group.parts.len(),
            pnum: group.key.pnum,
        })
    }

    fn evict_over_bound(&mut self) {
        while self.held() > self.max_held {
            let Some(oldest) = self.groups.pop_front() else {
                break;
            };
            self.evicted += oldest.parts.len() as u64;
        }
    }
}

/// Assembles the parts of one transfer into one packet, in PNO order.
fn assemble(parts: impl IntoIterator<Item = Packet>) -> Result<Packet, Hj212Error> {
    let mut parts = parts.into_iter();
    let Some(mut assembled) = parts.next() else {
        return Err(Hj212Error::Incomplete { have: 0, pnum: 0 });
    };
    assembled.split = None;
    for part in parts {
        for factor in part.factors {
            match assembled.factors.iter_mut().find(|f| f.code == factor.code) {
                Some(existing) => {
                    for (suffix, value) in &factor.fields {
                        existing.add(suffix, value)?;
                    }
                }
                None => assembled.factors.push(factor),
            }
        }
        // DataTime is the same in every part (it is in the key).
        let fields = part
            .fields
            .into_iter()
            .filter(|(name, _)| name != "DataTime");
        assembled.fields.extend(fields);
    }
    Ok(assembled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::hj212::{Frame, parse_packet};

    fn part(qn: u32, pno: u16, pnum: u16, factors: &str) -> Packet {
        let segment = format!(
            "QN={qn};ST=21;CN=2061;PW=1;MN=M1;Flag=7;PNUM={pnum};PNO={pno};\
             CP=&&DataTime=20240315100000;{factors}&&"
        );
        parse_packet(&Frame::from_segment(segment).unwrap()).unwrap()
    }

    #[test]
    fn parts_in_any_order_join_into_one_packet_with_part_1s_header() {
        let mut reassembler = Reassembler::new(16);
        assert_eq!(
            reassembler.push(part(3, 3, 3, "w01001-Avg=7")).unwrap(),
            None
        );
        assert_eq!(
            reassembler.push(part(1, 1, 3, "w21003-Avg=1")).unwrap(),
            None
        );
        assert_eq!(reassembler.held(), 2);
        let assembled = reassembler
            .push(part(2, 2, 3, "w21011-Avg=2"))
            .unwrap()
            .unwrap();
        assert_eq!(assembled.qn.as_deref(), Some("1"));
        assert_eq!(assembled.split, None);
        let codes: Vec<_> = assembled.factors.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["w21003", "w21011", "w01001"]);
        assert_eq!(reassembler.held(), 0);
        assert_eq!(reassembler.incomplete(), None);
    }

    #[test]
    fn a_whole_packet_passes_straight_through() {
        let mut reassembler = Reassembler::new(1);
        let single = part(1, 1, 1, "w01001-Avg=7");
        assert_eq!(reassembler.push(single.clone()).unwrap(), Some(single));
    }

    #[test]
    fn the_oldest_unfinished_transfer_is_dropped_at_the_bound() {
        let mut reassembler = Reassembler::new(2);
        reassembler.push(part(1, 1, 2, "w01001-Avg=7")).unwrap();
        let mut other_hour = part(5, 1, 3, "w01001-Avg=7");
        other_hour.data_time = None;
        reassembler.push(other_hour.clone()).unwrap();
        other_hour.split = Some(crate::decode::hj212::Split { pnum: 3, pno: 2 });
        reassembler.push(other_hour).unwrap();
        assert_eq!((reassembler.held(), reassembler.evicted()), (2, 1));
        let error = reassembler.incomplete().unwrap();
        assert_eq!(error.code(), "hj212_incomplete");
        assert_eq!(error, Hj212Error::Incomplete { have: 2, pnum: 3 });
    }

    #[test]
    fn a_factor_field_given_by_two_parts_is_refused() {
        let mut reassembler = Reassembler::new(4);
        reassembler.push(part(1, 1, 2, "w01001-Avg=7")).unwrap();
        let error = reassembler.push(part(2, 2, 2, "w01001-Avg=8")).unwrap_err();
        assert_eq!(error.code(), "hj212_field");
    }
}
