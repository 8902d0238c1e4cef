//! Packets become envmon [`Record`]s: the data commands' values, in
//! canonical units, with their quality and averaging period, labelled by the
//! end of their interval.
//!
//! [`decode_hj212`] serves the MQTT path: a payload holds whole frames from
//! one station, and is taken whole or not at all. [`records_from_packet`]
//! serves both that path and the TCP listener, which does its own framing,
//! station lookup, answering and reassembly.

use envmon_core::{Reading, StationCode, StationKind};

use super::{Deframer, Hj212Error, Packet, Reassembler, authenticate, codes, flags, parse_packet};
use crate::decode::{DecodeError, Record, StationLookup};

/// Decodes an MQTT payload of one or more complete HJ 212 frames (CR LF
/// optional) received on the topic of `station`.
///
/// The station must be registered as `kind_in_topic`. If it has a
/// registered MN, every packet's MN must equal it; if not, the topic names
/// the station, and the packets must at least agree on one MN. Every
/// packet's PW must be the station's secret (see [`authenticate`]; the
/// networks apply to TCP only). Only data
/// uploads (2011, 2051, 2061, 2031) are accepted. The parts of a split
/// transfer are assembled when all are in the payload.
///
/// # Errors
/// The first reason the payload cannot be used: any framing, CRC or parse
/// error ([`Hj212Error`]), `hj212_mn_mismatch`, `hj212_password` or
/// `hj212_no_secret` for a logger not let in, `hj212_command` for other
/// commands, `hj212_incomplete` for a split transfer missing parts, and the
/// errors of [`records_from_packet`].
pub fn decode_hj212(
    kind_in_topic: StationKind,
    station: &StationCode,
    payload: &[u8],
    stations: &impl StationLookup,
) -> Result<Vec<Record>, DecodeError> {
    let kind = crate::decode::registered_kind(kind_in_topic, station, stations)?;
    let packets = packets_in(payload)?;
    let mut expected_mn = stations.hj212_mn(station).map(str::to_owned);
    for packet in &packets {
        let expected = expected_mn.get_or_insert_with(|| packet.mn.clone());
        if packet.mn != *expected {
            return Err(Hj212Error::MnMismatch {
                expected: expected.clone(),
                found: packet.mn.clone(),
            }
            .into());
        }
        authenticate(
            stations.hj212_credential(station),
            packet.pw.as_deref(),
            None,
            stations.hj212_require_secret(),
        )
        .map_err(|refusal| Hj212Error::Refused {
            mn: packet.mn.clone(),
            refusal,
        })?;
        if packet.data_command().is_none() {
            return Err(Hj212Error::Command(packet.cn.clone()).into());
        }
    }
    let mut reassembler = Reassembler::new(packets.len());
    let mut complete = Vec::new();
    for packet in packets {
        complete.extend(reassembler.push(packet)?);
    }
    if let Some(error) = reassembler.incomplete() {
        return Err(error.into());
    }
    let mut records = Vec::new();
    for packet in &complete {
        records.extend(records_from_packet(packet, station, kind)?);
    }
    Ok(records)
}

/// Every frame of a payload, parsed; any garbage or cut frame refuses it.
fn packets_in(payload: &[u8]) -> Result<Vec<Packet>, Hj212Error> {
    let mut deframer = Deframer::new();
    deframer.push(payload);
    let mut packets = Vec::new();
    for frame in deframer.by_ref() {
        packets.push(parse_packet(&frame?)?);
    }
    if let Some(error) = deframer.finish() {
        return Err(error);
    }
    if packets.is_empty() {
        return Err(Hj212Error::NoFrame);
    }
    Ok(packets)
}

/// The record of a data packet from `station` (of `kind`): one record at
/// the packet's `observed_at`, one reading per factor code that names an
/// envmon parameter. Other codes are skipped ([`unmapped_codes`] lists
/// them), as are mapped factors without a value of the command's suffix
/// (e.g. only `-Min` in hourly data).
///
/// # Errors
/// - `hj212_command`: not a data upload (2011, 2051, 2061, 2031);
/// - `hj212_system`: ST is a pollution-source or process system (30–69),
///   whose concentrations are emissions, not ambient quality, and whose
///   default units differ (see docs/hj212.md, "Units");
/// - `hj212_time`: no `DataTime`;
/// - `hj212_value`: a stored parameter's value is not a decimal number;
/// - `parameter_not_for_kind`, `unit_unconvertible`: as for every decoder;
/// - `hj212_no_data`: no value of a parameter envmon stores.
pub fn records_from_packet(
    packet: &Packet,
    station: &StationCode,
    kind: StationKind,
) -> Result<Vec<Record>, DecodeError> {
    let command = packet
        .data_command()
        .ok_or_else(|| Hj212Error::Command(packet.cn.clone()))?;
    if is_emission_system(&packet.st) {
        return Err(Hj212Error::System(packet.st.clone()).into());
    }
    let data_time = packet.data_time.ok_or(Hj212Error::Time {
        text: String::new(),
        reason: "missing from a data packet",
    })?;
    let observed_at = command.observed_at(data_time);
    let mut readings = Vec::new();
    for factor in &packet.factors {
        let Some(code) = codes::lookup(&factor.code) else {
            continue;
        };
        let Some(text) = factor.value(command.value_suffix()) else {
            continue;
        };
        let parameter = code.parameter;
        if !parameter.applies_to(kind) {
            return Err(DecodeError::ParameterNotForKind { parameter, kind });
        }
        let value = parse_decimal(text).ok_or_else(|| Hj212Error::Value {
            field: format!("{}-{}", factor.code, command.value_suffix()),
            text: text.to_owned(),
        })?;
        // Decimal digits can still overflow an f64 (400 of them do).
        if !value.is_finite() {
            return Err(DecodeError::NonFinite { parameter });
        }
        readings.push(Reading {
            station: station.clone(),
            parameter,
            observed_at,
            value: envmon_core::unit::to_canonical(parameter, value, code.unit)?,
            quality: flags::quality(factor.flag()),
            period_seconds: command.period_seconds(),
        });
    }
    if readings.is_empty() {
        return Err(Hj212Error::NoData.into());
    }
    Ok(vec![Record {
        station: station.clone(),
        kind,
        observed_at,
        readings,
    }])
}

/// The factor codes of a packet that name no envmon parameter, which
/// [`records_from_packet`] skips: for the caller to count.
pub fn unmapped_codes(packet: &Packet) -> impl Iterator<Item = &str> {
    packet
        .factors
        .iter()
        .map(|f| f.code.as_str())
        .filter(|code| codes::lookup(code).is_none())
}

/// ST 30–69: pollution sources (30–49) and process monitoring (50–69),
/// §6.6.1. Other systems, unknown ones included, pass (reference README
/// §6: some devices send ST=22 whatever they measure).
fn is_emission_system(st: &str) -> bool {
    st.len() == 2 && st.parse::<u8>().is_ok_and(|n| (30..=69).contains(&n))
}

/// A decimal number as HJ 212 writes them (§6.3.3, "N14.2"): an optional
/// sign, digits, an optional fraction. No exponents, `NaN` or `inf`, which
/// Rust's float parser would accept.
fn parse_decimal(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let valid = !(whole.is_empty() && fraction.is_empty()) && digits(whole) && digits(fraction);
    valid.then(|| text.parse().ok()).flatten()
}
