//! What ingest makes of a payload, for `envmon decode`: the very decoders
//! and range checks ingest runs, without broker or database, so an operator
//! can see why a station's data is refused or how it is read.

use chrono::Utc;
use envmon_core::topic::Topics;
use envmon_core::{QualityFlag, Station};
use serde_json::{Value, json};

use crate::admit::{Window, admit};
use crate::decode::hj212::{Deframer, parse_packet, records_from_packet};
use crate::decode::{DecodeError, Record, StationLookup, decode};
use crate::qc::QcState;
use crate::stations::{Registry, StationDirectory};

/// Explains payloads against a registry.
#[derive(Debug)]
pub struct Inspector {
    topics: Topics,
    directory: StationDirectory,
}

impl Inspector {
    /// An inspector for topics under `topics` and the given stations.
    pub fn new(topics: Topics, stations: Vec<Station>) -> Self {
        // No secrets here (registry files never hold them), so no PW is
        // checked: this shows what a packet's data becomes.
        let mut directory = StationDirectory::new(false);
        directory.replace(
            Registry {
                stations,
                secrets: Vec::new(),
            },
            std::time::Instant::now(),
        );
        Self { topics, directory }
    }

    /// One payload that arrived on `topic`: one JSON line per record, or
    /// one line with the refusal.
    pub fn payload(&self, topic: &str, payload: &[u8]) -> Vec<Value> {
        let outcome = self
            .topics
            .parse_sensor(topic)
            .map_err(DecodeError::from)
            .and_then(|(kind, station)| decode(kind, &station, payload, &self.directory));
        lines(outcome)
    }

    /// One HJ 212 packet as a logger sends it over TCP: the station is
    /// found by the packet's MN.
    pub fn hj212_line(&self, line: &[u8]) -> Vec<Value> {
        let mut deframer = Deframer::new();
        deframer.push(line);
        let mut out = Vec::new();
        for frame in deframer.by_ref() {
            let outcome = frame
                .and_then(|frame| parse_packet(&frame))
                .map_err(DecodeError::from)
                .and_then(|packet| {
                    let station = self.directory.station_for_mn(&packet.mn).ok_or_else(|| {
                        DecodeError::from(crate::decode::hj212::Hj212Error::UnknownMn(
                            packet.mn.clone(),
                        ))
                    })?;
                    let kind = self
                        .directory
                        .kind_of(&station)
                        .ok_or_else(|| DecodeError::UnknownStation(station.clone()))?;
                    records_from_packet(&packet, &station, kind)
                });
            out.extend(lines(outcome));
        }
        if let Some(error) = deframer.finish() {
            out.extend(lines(Err(DecodeError::from(error))));
        }
        out
    }
}

/// The lines of one payload, admitted as ingest admits it on receipt now
/// with the default skew (and no retention bound, which depends on the
/// deployment): the records taken, then any refusal.
fn lines(outcome: Result<Vec<Record>, DecodeError>) -> Vec<Value> {
    let window = Window {
        future_skew: crate::Settings::default().future_skew,
        max_age: None,
    };
    let refusal = |error: &DecodeError| json!({ "refused": { "reason_code": error.code(), "reason": error.to_string() } });
    match outcome.and_then(|records| admit(records, Utc::now(), window)) {
        Ok(admitted) => {
            let mut qc = QcState::default();
            let mut out: Vec<Value> = admitted
                .records
                .into_iter()
                .map(|record| record_line(record, &mut qc))
                .collect();
            out.extend(admitted.refused.iter().map(refusal));
            out
        }
        Err(error) => vec![refusal(&error)],
    }
}

fn record_line(mut record: Record, qc: &mut QcState) -> Value {
    for reading in &mut record.readings {
        qc.check(reading);
    }
    let period_seconds = record.readings.first().map_or(0, |r| r.period_seconds);
    let readings: Vec<Value> = record
        .readings
        .iter()
        .map(|r| {
            json!({
                "parameter": r.parameter.code(),
                "value": r.value,
                "unit": r.parameter.unit(),
                "quality": r.quality,
                "counts_in_indices": r.quality == QualityFlag::Valid,
            })
        })
        .collect();
    json!({
        "station": record.station,
        "kind": record.kind,
        "observed_at": record.observed_at,
        "period_seconds": period_seconds,
        "readings": readings,
    })
}

#[cfg(test)]
mod tests {
    use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};

    use super::*;

    fn inspector() -> Inspector {
        Inspector::new(
            Topics::new("").unwrap(),
            parse_registry(SHANGHAI_REGISTRY).unwrap(),
        )
    }

    #[test]
    fn a_record_is_shown_with_canonical_units_and_flags() {
        let lines = inspector().payload(
            "sensors/air/1141A",
            br#"{"station":"1141A","observed_at":"2026-11-25T18:00:00+08:00","readings":{"co":{"value":700,"unit":"ug/m3"},"pm25":-3}}"#,
        );
        assert_eq!(lines.len(), 1);
        let readings = lines[0]["readings"].as_array().unwrap();
        let co = readings.iter().find(|r| r["parameter"] == "co").unwrap();
        assert_eq!(
            (co["value"].as_f64(), co["unit"].as_str()),
            (Some(0.7), Some("mg/m3"))
        );
        let pm25 = readings.iter().find(|r| r["parameter"] == "pm25").unwrap();
        assert_eq!(pm25["quality"], "out_of_range");
        assert_eq!(lines[0]["observed_at"], "2026-11-25T10:00:00Z");
    }

    #[test]
    fn readings_from_the_future_are_shown_refused() {
        let lines = inspector().payload(
            "sensors/air/1141A",
            br#"{"station":"1141A","observed_at":"2099-01-01T00:00:00Z","readings":{"pm25":35}}"#,
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0]["refused"]["reason_code"], "future_time");
    }

    #[test]
    fn a_refusal_is_shown_with_its_reason_code() {
        let lines = inspector().payload("sensors/air/9999Z", b"{}");
        assert_eq!(lines[0]["refused"]["reason_code"], "malformed");
    }

    #[test]
    fn an_hj212_line_names_its_station_by_mn() {
        let mut stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        stations[0].hj212_mn = Some("3700000A0000000000000001".into());
        let inspector = Inspector::new(Topics::new("").unwrap(), stations);
        let examples = include_str!("decode/hj212/reference/examples.txt");
        let e1 = examples
            .lines()
            .find_map(|l| l.strip_prefix("E1\t"))
            .unwrap();
        let lines = inspector.hj212_line(e1.as_bytes());
        assert_eq!(lines[0]["station"], "1141A");
        assert_eq!(lines[0]["period_seconds"], 0);
        let unknown = inspector.hj212_line(b"##0000");
        assert!(
            unknown[0]["refused"]["reason_code"]
                .as_str()
                .unwrap()
                .starts_with("hj212_")
        );
    }
}
