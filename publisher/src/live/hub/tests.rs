use axum::extract::ws::Utf8Bytes;
use chrono::{TimeZone, Utc};
use envmon_core::wire::{LatestValue, StationState};
use envmon_core::{Parameter, QualityFlag, StationCode, StationKind};
use serde_json::Value;

use super::super::filter::Filter;
use super::super::notice::Notice;
use super::{Hub, Start};

fn state(station: &str, pm25: f64, minute: u32) -> StationState {
    let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, minute, 0).unwrap();
    StationState {
        station: StationCode::parse(station).unwrap(),
        kind: StationKind::Air,
        updated_at: at,
        readings: [(
            Parameter::Pm25,
            LatestValue {
                value: pm25,
                unit: "ug/m3".into(),
                observed_at: at,
                quality: QualityFlag::Valid,
            },
        )]
        .into(),
        aqi: None,
        water: None,
        radiation: None,
        revisions: Vec::new(),
        committed_at: None,
    }
}

fn json(text: &Utf8Bytes) -> Value {
    serde_json::from_str(text.as_str()).unwrap()
}

#[test]
fn every_message_carries_seq_and_epoch() {
    let hub = Hub::new(16);
    let mut rx = hub.join(&Filter::default(), None).events;
    hub.apply_update(state("A", 1.0, 1));
    assert!(rx.try_recv().is_err(), "nothing leaves before the flush");
    hub.flush();
    let batch = rx.try_recv().unwrap();
    let message = json(&batch.events[0].text);
    assert_eq!(message["type"], "update");
    assert_eq!(message["seq"], 1);
    assert_eq!(message["epoch"], hub.epoch());
    let Start::Snapshot(snapshot) = hub.join(&Filter::default(), None).start else {
        panic!("no resume asked: a snapshot")
    };
    let message = json(&snapshot.text);
    assert_eq!(
        (
            message["seq"].as_u64(),
            message["stations"][0]["station"].as_str()
        ),
        (Some(1), Some("A"))
    );
}

#[test]
fn a_resume_within_the_ring_replays_and_one_outside_gets_a_snapshot() {
    let hub = Hub::new(3);
    for minute in 1..=5 {
        hub.apply_update(state("A", f64::from(minute), minute));
    }
    let epoch = hub.epoch().to_owned();
    let replayed = |seq| match hub.join(&Filter::default(), Some((&epoch, seq))).start {
        Start::Replay(events) => Some(events.iter().map(|e| e.seq).collect::<Vec<_>>()),
        Start::Snapshot(_) => None,
    };
    assert_eq!(replayed(2), Some(vec![3, 4, 5]));
    assert_eq!(replayed(5), Some(vec![]));
    assert_eq!(replayed(1), None, "event 2 has left the ring");
    assert_eq!(replayed(6), None, "a seq from the future");
    assert!(matches!(
        hub.join(&Filter::default(), Some(("other", 4))).start,
        Start::Snapshot(_)
    ));
}

#[test]
fn a_flush_sends_what_waited_as_one_batch_and_a_joiner_knows_it_has_it() {
    let hub = Hub::new(16);
    let mut early = hub.join(&Filter::default(), None).events;
    hub.apply_update(state("A", 1.0, 1));
    hub.apply_update(state("B", 2.0, 1));
    let late = hub.join(&Filter::default(), None);
    assert_eq!(late.through, 2, "its snapshot already holds A and B");
    hub.flush();
    hub.flush();
    let seqs: Vec<u64> = early
        .try_recv()
        .unwrap()
        .events
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, [1, 2]);
    assert!(early.try_recv().is_err(), "an empty flush sends nothing");
}

#[test]
fn an_update_leaves_out_the_aqi_block_it_did_not_change_but_keeps_it_whole() {
    use super::super::event::Form;
    let with_aqi = |minute: u32, hour: u32| {
        let mut state = state("A", f64::from(minute), minute);
        state.aqi = Some(envmon_core::wire::AqiNow {
            hour_end: Utc.with_ymd_and_hms(2026, 11, 25, hour, 0, 0).unwrap(),
            edition: "HJ 633-2026".into(),
            aqi: Some(55),
            level: Some(2),
            primary: vec!["pm25".into()],
            report: serde_json::json!({"aqi": 55}),
            us_epa: None,
        });
        state
    };
    let hub = Hub::new(16);
    let mut rx = hub.join(&Filter::default(), None).events;
    hub.apply_update(with_aqi(1, 10));
    hub.apply_update(with_aqi(2, 10));
    hub.apply_update(with_aqi(3, 11));
    hub.flush();
    let batch = rx.try_recv().unwrap();
    let usual: Vec<Value> = batch
        .events
        .iter()
        .map(|e| json(e.text(Form::Usual)))
        .collect();
    assert_eq!(usual[0]["state"]["aqi"]["aqi"], 55, "new station: whole");
    assert!(usual[0].get("unchanged").is_none());
    assert!(
        usual[1]["state"].get("aqi").is_none(),
        "same hour: left out"
    );
    assert_eq!(usual[1]["unchanged"], serde_json::json!(["aqi"]));
    assert_eq!(usual[1]["state"]["readings"]["pm25"]["value"], 2.0);
    assert_eq!(usual[2]["state"]["aqi"]["hour_end"], "2026-11-25T11:00:00Z");
    let whole = json(batch.events[1].text(Form::Whole));
    assert_eq!(whole["state"]["aqi"]["aqi"], 55);
    assert!(whole.get("unchanged").is_none());
    assert_eq!(whole["seq"], usual[1]["seq"]);
}

#[test]
fn a_reload_sends_only_what_changed() {
    let hub = Hub::new(16);
    hub.apply_update(state("A", 1.0, 1));
    hub.apply_reload(vec![state("A", 1.0, 1), state("B", 2.0, 1)]);
    assert_eq!(hub.seq(), 2);
}

fn notice(version: i64, status: &str) -> Notice {
    let signer = super::super::notice::tests::signer();
    let body = super::super::notice::tests::body(
        "n1",
        version,
        status,
        "2099-01-01T00:00:00Z",
        Some(&signer),
    );
    let keys = envmon_core::alert::TrustedKeys::single(signer.public_key());
    Notice::verified("n1", body.to_string().as_bytes(), &keys, Utc::now()).unwrap()
}

#[test]
fn a_notice_version_seen_before_is_not_news() {
    let hub = Hub::new(16);
    assert!(hub.apply_notice(notice(1, "published")));
    assert!(!hub.apply_notice(notice(1, "published")));
    assert_eq!(hub.seq(), 1);
    let Start::Snapshot(snapshot) = hub.join(&Filter::default(), None).start else {
        panic!()
    };
    assert_eq!(json(&snapshot.text)["notices"][0]["id"], "n1");
    assert!(hub.apply_notice(notice(2, "cancelled")));
    assert_eq!(hub.seq(), 2);
    let snapshot = hub.snapshot(&Filter::default());
    assert_eq!(json(&snapshot.text)["notices"], serde_json::json!([]));
    // The first version again, replayed: refused, the cancellation holds.
    assert!(!hub.apply_notice(notice(1, "published")));
    let snapshot = hub.snapshot(&Filter::default());
    assert_eq!(json(&snapshot.text)["notices"], serde_json::json!([]));
}

#[test]
fn the_database_wins_ties_and_the_broker_never_overrides_it() {
    let hub = Hub::new(16);
    hub.reload_notices(vec![notice(2, "updated")]);
    assert_eq!(hub.seq(), 1);
    assert!(!hub.apply_notice(notice(2, "updated")), "equal: not news");
    assert!(!hub.apply_notice(notice(1, "published")), "older");
    // Re-signed in the database (another key, same version): it wins.
    let mut resigned = notice(2, "updated");
    resigned.body["signature"]["value"] = "00".into();
    hub.reload_notices(vec![resigned.clone()]);
    assert_eq!(hub.seq(), 2);
    hub.reload_notices(vec![resigned]);
    assert_eq!(hub.seq(), 2, "unchanged: nothing sent");
    // An inactive notice never held is recorded, not sent, and its
    // older versions are refused from then on.
    let fresh = Hub::new(16);
    fresh.reload_notices(vec![notice(3, "cancelled")]);
    assert_eq!(fresh.seq(), 0);
    assert!(!fresh.apply_notice(notice(1, "published")), "a replay");
    assert_eq!(fresh.seq(), 0);
    assert_eq!(
        json(&fresh.snapshot(&Filter::default()).text)["notices"],
        serde_json::json!([])
    );
}
