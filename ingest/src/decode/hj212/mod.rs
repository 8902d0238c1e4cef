//! HJ 212-2017 packets (污染物在线监控（监测）系统数据传输标准), as data
//! loggers (数采仪) at monitoring stations send them.
//!
//! The flow, in module order:
//!
//! - [`Deframer`] (`deframer`, `frame`, `crc`): bytes → [`Frame`]s, cut by the
//!   4-digit length, CRC checked (§6.3.1, Appendix A); garbage skipped to
//!   the next `##`.
//! - [`parse_packet`] (`segment`, `cp`): a frame's data segment → [`Packet`]:
//!   header fields by name, the CP data area grouped into [`Factor`]s.
//! - [`authenticate`] (`auth`): the packet's PW against its station's
//!   secret, and over TCP the logger's address against its networks.
//! - [`reply_for`] (`reply`): the 9014/9013 answer a packet asks for;
//!   [`refusal_for`]: the 9011 answer to a logger that is not let in.
//! - [`Reassembler`] (`reassembly`): the parts of a split transfer assembled.
//! - [`records_from_packet`] (`records`, `command`, `codes`, `flags`): a data
//!   packet → a [`Record`](super::Record) in canonical units, labelled by the
//!   end of its interval, each value with its [`QualityFlag`](envmon_core::QualityFlag).
//!
//! [`decode_hj212`] runs the whole flow on one MQTT payload. The TCP
//! listener runs the steps itself, because it answers, joins across reads
//! and finds the station by MN. Section numbers are those of HJ 212-2017;
//! "reference README" is the team's specification in
//! `shared/reference/hj212/`. What envmon accepts and answers is in
//! `docs/hj212.md`.

mod auth;
mod codes;
mod command;
mod cp;
mod crc;
mod deframer;
mod error;
mod flags;
mod frame;
mod reassembly;
mod records;
mod redact;
mod reply;
mod segment;
#[cfg(test)]
mod tests;

pub use auth::{LoggerCredential, Refusal, authenticate};
pub use command::{DataCommand, MINUTE_INTERVAL_SECONDS};
pub use cp::Factor;
pub use deframer::{Deframer, MAX_FRAME_LEN};
pub use error::Hj212Error;
pub use frame::{Frame, MAX_SEGMENT_LEN};
pub use reassembly::Reassembler;
pub use records::{decode_hj212, records_from_packet, unmapped_codes};
pub use redact::{PASSWORD_MASK, redact_passwords};
pub use reply::{QN_RTN_PW_WRONG, refusal_for, reply_for};
pub use segment::{Flag, Packet, Split, parse_packet};
