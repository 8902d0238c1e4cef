//! The whole flow against the reference packets (`reference/examples.txt`,
//! expected parse in the reference README §11), the refusals with their
//! reason codes, and the invariant that no input makes the decoder panic.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use envmon_core::{Parameter, QualityFlag, StationCode, StationKind};

use super::crc::crc16;
use super::*;
use crate::decode::{DecodeError, Record, StationLookup};

mod properties;

const EXAMPLES: &str = include_str!("reference/examples.txt");

/// The packet of reference example `id` (E1…E10), without CR LF.
fn example(id: &str) -> &'static str {
    EXAMPLES
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .find(|(name, _)| *name == id)
        .map(|(_, packet)| packet)
        .unwrap()
}

/// The data segment of reference example `id`.
fn segment_of(id: &str) -> &'static str {
    let wire = example(id);
    &wire[6..wire.len() - 4]
}

/// A valid frame around `segment`, without CR LF.
fn framed(segment: &str) -> String {
    format!(
        "##{:04}{segment}{:04X}",
        segment.len(),
        crc16(segment.as_bytes())
    )
}

struct Directory {
    kinds: HashMap<StationCode, StationKind>,
    mns: HashMap<StationCode, String>,
    credentials: HashMap<StationCode, LoggerCredential>,
    require_secret: bool,
}

impl StationLookup for Directory {
    fn kind_of(&self, station: &StationCode) -> Option<StationKind> {
        self.kinds.get(station).copied()
    }

    fn hj212_mn(&self, station: &StationCode) -> Option<&str> {
        self.mns.get(station).map(String::as_str)
    }

    fn station_for_mn(&self, mn: &str) -> Option<StationCode> {
        self.mns
            .iter()
            .find(|(_, m)| *m == mn)
            .map(|(s, _)| s.clone())
    }

    fn hj212_credential(&self, station: &StationCode) -> Option<&LoggerCredential> {
        self.credentials.get(station)
    }

    fn hj212_require_secret(&self) -> bool {
        self.require_secret
    }
}

fn code(s: &str) -> StationCode {
    StationCode::parse(s).unwrap()
}

/// 1141A (air) and wusongkou (river) have the MNs of E1 and E3; 1142A (air)
/// and qingcaosha (source) have none registered.
fn directory() -> Directory {
    let stations = [
        ("1141A", StationKind::Air, Some("3700000A0000000000000001")),
        ("1142A", StationKind::Air, None),
        (
            "wusongkou",
            StationKind::River,
            Some("3700000A0000000000000002"),
        ),
        ("qingcaosha", StationKind::Source, None),
    ];
    Directory {
        kinds: stations.iter().map(|(s, k, _)| (code(s), *k)).collect(),
        mns: stations
            .iter()
            .filter_map(|(s, _, mn)| Some((code(s), (*mn)?.to_owned())))
            .collect(),
        credentials: HashMap::new(),
        require_secret: false,
    }
}

fn decode(station: &str, payload: &str) -> Result<Vec<Record>, DecodeError> {
    let station = code(station);
    let kind = directory().kind_of(&station).unwrap_or(StationKind::Air);
    decode_hj212(kind, &station, payload.as_bytes(), &directory())
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn value_of(record: &Record, parameter: Parameter) -> (f64, QualityFlag) {
    let reading = record
        .readings
        .iter()
        .find(|r| r.parameter == parameter)
        .unwrap();
    (reading.value, reading.quality)
}

fn packet_of(wire: &str) -> Packet {
    let mut deframer = Deframer::new();
    deframer.push(wire.as_bytes());
    parse_packet(&deframer.next().unwrap().unwrap()).unwrap()
}

#[test]
fn every_reference_example_deframes_verifies_its_crc_and_parses() {
    let mut count = 0;
    for line in EXAMPLES.lines() {
        let (id, wire) = line.split_once('\t').unwrap();
        let declared: usize = wire[2..6].parse().unwrap();
        let printed_crc = u16::from_str_radix(&wire[wire.len() - 4..], 16).unwrap();
        let mut deframer = Deframer::new();
        deframer.push(wire.as_bytes());
        let frame = deframer.next().unwrap().unwrap();
        assert!(deframer.next().is_none(), "{id}");
        assert_eq!(frame.segment().len(), declared, "{id}: length counts bytes");
        assert_eq!(frame.crc(), printed_crc, "{id}");
        assert_eq!(crc16(frame.segment()), printed_crc, "{id}");
        parse_packet(&frame).unwrap_or_else(|e| panic!("{id}: {e}"));
        count += 1;
    }
    assert_eq!(count, 10);
}

#[test]
fn the_examples_parse_as_the_reference_expects() {
    let e1 = packet_of(example("E1"));
    assert_eq!(e1.qn.as_deref(), Some("20240315103000123"));
    assert_eq!((e1.st.as_str(), e1.cn.as_str()), ("22", "2011"));
    assert_eq!(e1.mn, "3700000A0000000000000001");
    let flag = e1.flag.unwrap();
    assert_eq!(
        (flag.0, flag.version(), flag.answer_requested()),
        (5, 1, true)
    );
    assert_eq!(e1.data_time, Some(utc("2024-03-15T02:30:00Z")));
    assert_eq!(e1.factors.len(), 11);
    assert!(e1.factors.iter().all(|f| f.flag() == Some("N")));
    assert_eq!(e1.period_seconds(), Some(0));

    let e5 = packet_of(example("E5"));
    assert_eq!(e5.split, Some(Split { pnum: 2, pno: 1 }));
    assert!(e5.flag.unwrap().split());

    let e8 = packet_of(example("E8"));
    assert_eq!(e8.fields, [("QnRtn".to_owned(), "1".to_owned())]);
    assert_eq!(e8.period_seconds(), None);

    let e9 = packet_of(example("E9"));
    assert_eq!((e9.qn.as_ref(), e9.flag), (None, None));
    assert_eq!(e9.mn, "88888880000009");
    let codes: Vec<_> = e9.factors.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["B01", "011", "060"]);

    let e10 = packet_of(example("E10"));
    assert_eq!(e10.factors[0].value("Info"), Some("//清洗管路//"));
}

#[test]
fn a_length_counted_in_characters_is_accepted_for_chinese_text() {
    // Reference README §2: a character-counting sender writes 0144 for E10.
    let wire = example("E10").replacen("##0152", "##0144", 1);
    assert_eq!(packet_of(&wire).cn, "3020");
}

#[test]
fn all_examples_in_one_stream_cut_anywhere_come_out_in_order() {
    let stream: String = EXAMPLES
        .lines()
        .map(|line| format!("{}\r\n", line.split_once('\t').unwrap().1))
        .collect();
    for chunk in [1, 7, 100, stream.len()] {
        let mut deframer = Deframer::new();
        let mut cns = Vec::new();
        for piece in stream.as_bytes().chunks(chunk) {
            deframer.push(piece);
            for frame in deframer.by_ref() {
                cns.push(parse_packet(&frame.unwrap()).unwrap().cn);
            }
        }
        assert_eq!(deframer.finish(), None);
        let expected = [
            "2011", "2061", "2061", "2051", "2031", "2031", "9014", "9011", "2011", "3020",
        ];
        assert_eq!(cns, expected, "chunks of {chunk}");
    }
}

#[test]
fn real_time_air_data_becomes_one_instantaneous_record() {
    let records = decode("1141A", example("E1")).unwrap();
    let [record] = records.as_slice() else {
        panic!("{records:?}")
    };
    assert_eq!(record.observed_at, utc("2024-03-15T02:30:00Z"));
    assert_eq!(record.readings.len(), 6);
    assert!(record.readings.iter().all(|r| r.period_seconds == 0));
    assert_eq!(
        value_of(record, Parameter::Pm25),
        (35.2, QualityFlag::Valid)
    );
    assert_eq!(value_of(record, Parameter::So2).0, 8.0);
    assert_eq!(value_of(record, Parameter::Co).0, 0.62);
    let packet = packet_of(example("E1"));
    let skipped: Vec<_> = unmapped_codes(&packet).collect();
    assert_eq!(skipped, ["a01001", "a01002", "a01006", "a01007", "a01008"]);
}

#[test]
fn several_frames_in_one_payload_give_one_record_each() {
    // No MN registered for 1142A: the topic names the station.
    let payload = format!("{}\r\n{}", example("E1"), example("E2"));
    let records = decode("1142A", &payload).unwrap();
    let times: Vec<_> = records.iter().map(|r| r.observed_at).collect();
    assert_eq!(
        times,
        [utc("2024-03-15T02:30:00Z"), utc("2024-03-15T03:00:00Z")]
    );
}

#[test]
fn hourly_data_is_labelled_by_the_end_of_its_hour() {
    // E2: DataTime 20240315100000 is the 10:00–11:00 hour, Beijing time.
    let records = decode("1141A", example("E2")).unwrap();
    let record = &records[0];
    assert_eq!(record.observed_at, utc("2024-03-15T03:00:00Z"));
    assert!(record.readings.iter().all(|r| r.period_seconds == 3600));
    assert_eq!(value_of(record, Parameter::Pm25).0, 33.7);
    assert_eq!(
        value_of(record, Parameter::O3),
        (92.0, QualityFlag::Calibration)
    );
}

#[test]
fn water_data_carries_each_values_flag() {
    let records = decode("wusongkou", example("E3")).unwrap();
    let record = &records[0];
    assert_eq!(record.readings.len(), 9);
    assert_eq!(record.observed_at, utc("2024-03-15T04:00:00Z"));
    assert_eq!(
        value_of(record, Parameter::Nh3n),
        (0.215, QualityFlag::Maintenance)
    );
    assert_eq!(
        value_of(record, Parameter::Tp),
        (0.082, QualityFlag::InstrumentFault)
    );
    assert_eq!(value_of(record, Parameter::Turbidity).0, 18.7);
    assert_eq!(value_of(record, Parameter::Temp).0, 12.6);
}

#[test]
fn minute_and_daily_means_end_one_interval_after_data_time() {
    let cases = [
        ("2051", 600, "2024-03-15T02:10:00Z"),
        ("2031", 86_400, "2024-03-16T02:00:00Z"),
    ];
    for (cn, period, end) in cases {
        let wire = framed(&format!(
            "QN=1;ST=21;CN={cn};PW=1;MN=X;Flag=4;CP=&&DataTime=20240315100000;\
             w01001-Min=7.1,w01001-Avg=7.3,w01001-Max=7.5,w01001-Flag=N&&"
        ));
        let records = decode("qingcaosha", &wire).unwrap();
        assert_eq!(records[0].observed_at, utc(end), "{cn}");
        assert_eq!(records[0].readings[0].period_seconds, period, "{cn}");
        assert_eq!(records[0].readings[0].value, 7.3, "{cn}");
    }
}

#[test]
fn split_parts_in_one_payload_are_assembled() {
    let part = |qn: u32, pno: u8, factors: &str| {
        framed(&format!(
            "QN={qn};ST=21;CN=2031;PW=1;MN=X;Flag=7;PNUM=2;PNO={pno};\
             CP=&&DataTime=20240315000000;{factors}&&"
        ))
    };
    let payload = format!(
        "{}\r\n{}\r\n",
        part(2, 2, "w01001-Avg=7.31,w01001-Flag=N"),
        part(1, 1, "w21003-Avg=0.79,w21003-Flag=N")
    );
    let records = decode("qingcaosha", &payload).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].readings.len(), 2);
    assert_eq!(records[0].observed_at, utc("2024-03-15T16:00:00Z"));

    // E5 and E6 are grouped by (MN, CN, DataTime, PNUM) although their QNs differ.
    let mut reassembler = Reassembler::new(8);
    assert_eq!(reassembler.push(packet_of(example("E5"))).unwrap(), None);
    let assembled = reassembler.push(packet_of(example("E6"))).unwrap().unwrap();
    assert_eq!(assembled.factors.len(), 4);
}

#[test]
fn refusals_carry_their_reason_codes() {
    let e1 = example("E1");
    let data = |cp: &str| framed(&format!("QN=1;ST=22;CN=2011;PW=1;MN=X;Flag=4;CP=&&{cp}&&"));
    let cases = [
        ("1141A", e1.replace("4F40", "4F41"), "hj212_crc"),
        (
            "1141A",
            example("E7").replace("##0087", "##0086"),
            "hj212_length",
        ),
        ("1141A", e1.replace("##0433", "##0434"), "hj212_length"),
        (
            "1142A",
            data("DataTime=20240231103000;a34004-Rtd=1"),
            "hj212_time",
        ),
        ("1142A", data("a34004-Rtd=1"), "hj212_time"),
        (
            "1142A",
            framed("ST=22;CN=2011;CP=&&DataTime=20240315103000;a34004-Rtd=1&&"),
            "hj212_field",
        ),
        (
            "1142A",
            framed("ST=22;CN=2011;MN=X;DataTime=20240315103000"),
            "hj212_field",
        ),
        (
            "wusongkou",
            framed(&segment_of("E3").replace("0000000002", "0000000009")),
            "hj212_mn_mismatch",
        ),
        ("1141A", example("E3").to_owned(), "hj212_mn_mismatch"),
        (
            "1142A",
            format!("{e1}{}", framed("QN=1;ST=22;CN=2061;MN=Y;Flag=4;CP=&&&&")),
            "hj212_mn_mismatch",
        ),
        ("1141A", example("E7").to_owned(), "hj212_command"),
        ("wusongkou", example("E8").to_owned(), "hj212_command"),
        (
            "1142A",
            framed("QN=1;ST=22;CN=9015;MN=X;Flag=5;CP=&&&&"),
            "hj212_command",
        ),
        ("1142A", example("E4").to_owned(), "hj212_system"),
        ("qingcaosha", example("E5").to_owned(), "hj212_incomplete"),
        (
            "qingcaosha",
            format!("{}{}", example("E5"), example("E6")),
            "hj212_system",
        ),
        (
            "1142A",
            data("DataTime=20240315103000;a01001-Rtd=14.3"),
            "hj212_no_data",
        ),
        (
            "1142A",
            data("DataTime=20240315103000;a34004-Rtd=NaN"),
            "hj212_value",
        ),
        (
            "1142A",
            data("DataTime=20240315103000;a34004-Rtd="),
            "hj212_value",
        ),
        (
            "1142A",
            data(&format!(
                "DataTime=20240315103000;a34004-Rtd=1{}",
                "0".repeat(400)
            )),
            "non_finite",
        ),
        ("1142A", format!("{e1}\r\nAT+CSQ"), "hj212_frame"),
        ("1142A", format!("x{e1}"), "hj212_frame"),
        ("1142A", e1[..100].to_owned(), "hj212_length"),
        (
            "1142A",
            data("DataTime=20240315103000;w21003-Rtd=1"),
            "parameter_not_for_kind",
        ),
        ("9999A", e1.to_owned(), "unknown_station"),
    ];
    for (station, payload, expected) in cases {
        let error = decode(station, &payload).unwrap_err();
        assert_eq!(error.code(), expected, "{payload} gave {error}");
    }
    let error = decode_hj212(
        StationKind::River,
        &code("1141A"),
        e1.as_bytes(),
        &directory(),
    );
    assert_eq!(error.unwrap_err().code(), "kind_mismatch");
}

#[test]
fn a_bad_data_time_refuses_data_but_not_an_answer_to_other_uploads() {
    let status = framed("QN=7;ST=22;CN=2021;MN=X;Flag=5;CP=&&DataTime=;SB1-RS=1&&");
    let packet = packet_of(&status);
    assert_eq!(packet.data_time, None);
    assert!(reply_for(&packet).is_some());
    let hourly = framed("QN=7;ST=22;CN=2061;MN=X;Flag=5;CP=&&DataTime=;a34004-Avg=1&&");
    let mut deframer = Deframer::new();
    deframer.push(hourly.as_bytes());
    let error = parse_packet(&deframer.next().unwrap().unwrap()).unwrap_err();
    assert_eq!(error.code(), "hj212_time");
}

#[test]
fn the_answer_to_e1_is_e7() {
    let reply = reply_for(&packet_of(example("E1"))).unwrap();
    assert_eq!(reply, format!("{}\r\n", example("E7")).into_bytes());
}

#[test]
fn examples_get_an_answer_exactly_when_their_flag_asks() {
    // (example, the CN and QN of the answer, if any)
    let cases = [
        ("E1", Some(("9014", "20240315103000123"))),
        ("E2", None),
        ("E3", Some(("9014", "20240315120010000"))),
        ("E4", Some(("9014", "20240315101000321"))),
        ("E5", Some(("9014", "20240316000100001"))),
        ("E6", Some(("9014", "20240316000100002"))),
        ("E7", None),
        ("E8", None),
        ("E9", None),
        ("E10", Some(("9014", "20240315140000000"))),
    ];
    for (id, expected) in cases {
        let reply = reply_for(&packet_of(example(id)));
        let answer = reply.map(|bytes| {
            let mut deframer = Deframer::new();
            deframer.push(&bytes);
            let answer = parse_packet(&deframer.next().unwrap().unwrap()).unwrap();
            assert_eq!(
                (answer.st.as_str(), answer.flag.map(|f| f.0)),
                ("91", Some(4))
            );
            (answer.cn, answer.qn.unwrap())
        });
        let expected = expected.map(|(cn, qn)| (cn.to_owned(), qn.to_owned()));
        assert_eq!(answer, expected, "{id}");
    }
}

#[test]
fn over_mqtt_every_packet_must_carry_its_stations_secret() {
    use envmon_core::logger_secret::SecretHash;
    let with_secret = |secret: &str| {
        let mut directory = directory();
        directory.require_secret = true;
        directory.credentials.insert(
            code("1141A"),
            LoggerCredential::new(Some(SecretHash::new(secret).unwrap()), Vec::new()),
        );
        directory
    };
    let e1 = example("E1"); // PW=123456
    let decode_with = |directory: &Directory, station: &str, payload: &str| {
        decode_hj212(
            StationKind::Air,
            &code(station),
            payload.as_bytes(),
            directory,
        )
    };
    assert_eq!(
        decode_with(&with_secret("123456"), "1141A", e1).unwrap()[0]
            .readings
            .len(),
        6
    );
    let wrong = decode_with(&with_secret("654321"), "1141A", e1).unwrap_err();
    assert_eq!(wrong.code(), "hj212_password");
    assert!(!wrong.to_string().contains("123456"), "{wrong}");
    let no_pw = framed(&segment_of("E1").replace("PW=123456;", ""));
    assert_eq!(
        decode_with(&with_secret("123456"), "1141A", &no_pw)
            .unwrap_err()
            .code(),
        "hj212_password"
    );
    // One packet with the wrong PW refuses the whole payload.
    let second = framed(&segment_of("E2").replace("PW=123456", "PW=654321"));
    assert_eq!(
        decode_with(&with_secret("123456"), "1141A", &format!("{e1}{second}"))
            .unwrap_err()
            .code(),
        "hj212_password"
    );
    // 1142A has no secret: refused when secrets are required, taken when not.
    let unsecured = framed(&segment_of("E1").replace("3700000A0000000000000001", "X"));
    assert_eq!(
        decode_with(&with_secret("123456"), "1142A", &unsecured)
            .unwrap_err()
            .code(),
        "hj212_no_secret"
    );
    assert!(decode_with(&directory(), "1142A", &unsecured).is_ok());
}
