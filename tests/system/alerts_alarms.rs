//! Staff alarms: a rule in the configuration raises an alarm from readings
//! published over MQTT, holds it through a value between its thresholds
//! (hysteresis), clears it below; staff see each change on their own live
//! channel (never without signing in), acknowledge it, and draft a notice
//! from it.

use std::time::Duration;

use envmon_core::Parameter;
use envmon_ingest::alarms::{AlarmRule, AlarmSettings, RuleKind};
use envmon_publisher::staff::Role;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::helpers::staff::{self, Staff, send};
use crate::helpers::{TestSystem, wait_for};

/// The staff live channel (Server-Sent Events) read line by line.
struct StaffLive {
    lines: tokio::io::Lines<BufReader<TcpStream>>,
}

impl StaffLive {
    async fn open(staff: &Staff) -> Self {
        let mut stream = TcpStream::connect(staff.addr).await.unwrap();
        let request = format!(
            "GET /api/v1/staff/live HTTP/1.1\r\nHost: {}\r\nCookie: {}\r\nAccept: text/event-stream\r\n\r\n",
            staff.addr, staff.cookie
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut lines = BufReader::new(stream).lines();
        let status = lines.next_line().await.unwrap().unwrap();
        assert!(status.contains(" 200 "), "{status}");
        Self { lines }
    }

    /// The next `alarm` event whose state is `state`.
    async fn next_alarm(&mut self, state: &str) -> Value {
        let deadline = Duration::from_secs(15);
        let mut event = String::new();
        loop {
            let line = tokio::time::timeout(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no {state} alarm on the staff live channel"))
                .unwrap()
                .expect("the channel stays open");
            if let Some(name) = line.strip_prefix("event:") {
                event = name.trim().to_owned();
            } else if let Some(data) = line.strip_prefix("data:")
                && event == "alarm"
            {
                let alarm: Value = serde_json::from_str(data.trim()).unwrap();
                if alarm["state"] == state {
                    return alarm;
                }
            }
        }
    }
}

fn reading(pm25: f64, minutes_ago: i64) -> String {
    let at = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago);
    format!(
        r#"{{"station":"1141A","observed_at":"{}","readings":{{"pm25":{pm25}}}}}"#,
        at.to_rfc3339()
    )
}

#[tokio::test]
async fn an_alarm_is_raised_held_and_cleared_live_for_staff_only() {
    let mut system = TestSystem::start().await;
    let mut settings = system.ingest_settings();
    settings.alarms = AlarmSettings {
        interval: Duration::from_millis(100),
        rules: vec![
            // Evaluated first in each round (one transaction): once it has
            // raised on a reading, the rule after it has seen that reading.
            AlarmRule {
                name: "pm10_marker".into(),
                kind: RuleKind::Pollutant,
                parameter: Some(Parameter::Pm10),
                station_kind: None,
                raise_at: 1.0,
                clear_below: 0.0,
                window: Duration::from_secs(3600),
            },
            AlarmRule {
                name: "pm25_test".into(),
                kind: RuleKind::Pollutant,
                parameter: Some(Parameter::Pm25),
                station_kind: None,
                raise_at: 100.0,
                clear_below: 90.0,
                window: Duration::from_secs(3600),
            },
        ],
    };
    system.stop_ingest().await.unwrap();
    system.start_ingest_with(settings).await;
    staff::add(&system.db, "olivia", Role::Operator).await;
    let operator = Staff::login(system.publisher_addr, "olivia").await;

    // The public and the signed-out get nothing.
    let anonymous = send(
        system.publisher_addr,
        "GET",
        "/api/v1/staff/live",
        &[],
        None,
    )
    .await;
    assert_eq!(anonymous.status, 401);
    let mut live = StaffLive::open(&operator).await;

    system
        .mosquitto_pub("sensors/air/1141A", &reading(120.0, 30))
        .await;
    let raised = live.next_alarm("raised").await;
    assert_eq!(raised["station"], "1141A");
    assert_eq!(raised["rule"], "pm25_test");
    assert_eq!(raised["worst"], 120.0);
    assert_eq!(raised["evidence"][0]["value"], 120.0);
    let id = raised["id"].as_i64().unwrap();

    // Between the thresholds: still raised, no second alarm. The same
    // message carries the first PM10 reading, which raises the marker rule
    // evaluated just before; once the marker is raised, the worker has
    // judged the PM2.5 reading too.
    let at = (chrono::Utc::now() - chrono::Duration::minutes(20)).to_rfc3339();
    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &format!(r#"{{"station":"1141A","observed_at":"{at}","readings":{{"pm25":95.0,"pm10":50.0}}}}"#),
        )
        .await;
    wait_for("the marker alarm", Duration::from_secs(15), || async {
        let marker = system
            .db
            .count("SELECT count(*) FROM alarm WHERE rule = 'pm10_marker'")
            .await;
        if marker == 1 {
            Ok(())
        } else {
            Err(format!("{marker} marker alarms"))
        }
    })
    .await;
    let pm25 = system
        .db
        .count("SELECT count(*) FROM alarm WHERE rule = 'pm25_test'")
        .await;
    assert_eq!(pm25, 1, "one PM2.5 alarm, still raised");
    let open = system
        .db
        .count("SELECT count(*) FROM alarm WHERE rule = 'pm25_test' AND state = 'raised'")
        .await;
    assert_eq!(open, 1);

    // Staff acknowledge it, once.
    let ack = operator
        .call("POST", &format!("/api/v1/staff/alarms/{id}/ack"), None)
        .await;
    assert_eq!(ack.status, 200, "{}", ack.body);
    assert_eq!(ack.json()["acknowledged_by"], "olivia");
    let again = operator
        .call("POST", &format!("/api/v1/staff/alarms/{id}/ack"), None)
        .await;
    assert_eq!(again.status, 409);

    // A notice draft prefilled from the alarm, linked to it.
    let draft = operator
        .call("POST", &format!("/api/v1/staff/alarms/{id}/draft"), None)
        .await;
    assert_eq!(draft.status, 200, "{}", draft.body);
    let draft = draft.json();
    assert_eq!(draft["alarm_id"], id);
    let content = &draft["versions"][0]["content"];
    assert_eq!(content["area"]["stations"][0], "1141A");
    assert!(!content["headline"]["zh"].as_str().unwrap().is_empty());

    // Below clear_below: cleared, with the clearing reading kept.
    system
        .mosquitto_pub("sensors/air/1141A", &reading(85.0, 10))
        .await;
    let cleared = live.next_alarm("cleared").await;
    assert_eq!(cleared["id"], id);
    let evidence = cleared["evidence"].as_array().unwrap();
    assert_eq!(evidence.last().unwrap()["value"], 85.0);

    // Alarms are not public anywhere.
    let public = crate::helpers::http::get(system.publisher_addr, "/api/v1/alerts")
        .await
        .unwrap();
    assert_eq!(public.json()["notices"], serde_json::json!([]));
    system.shutdown().await;
}

/// Every kind of rule, with thresholds low enough that the data below
/// breaks each one: all of them measure (no SQL of theirs fails) and raise.
#[tokio::test]
async fn every_kind_of_rule_measures_and_raises() {
    let mut system = TestSystem::start().await;
    let mut settings = system.ingest_settings();
    let mut rules = AlarmSettings::default().rules;
    for rule in &mut rules {
        match rule.kind {
            // HJ 633-2026: the record below has AQI 102.
            RuleKind::Aqi => (rule.raise_at, rule.clear_below) = (100.0, 90.0),
            RuleKind::Pollutant => (rule.raise_at, rule.clear_below) = (50.0, 40.0),
            // Stations that reported at all, silent for over a second.
            RuleKind::Silent => rule.window = Duration::from_secs(1),
            RuleKind::QcFailures => (rule.raise_at, rule.clear_below) = (1.0, 1.0),
            RuleKind::WaterClass
            | RuleKind::SourceCompliance
            | RuleKind::SupplyCompliance
            | RuleKind::LabCompliance
            | RuleKind::RadiationInvestigation => {}
        }
    }
    settings.alarms = AlarmSettings {
        interval: Duration::from_millis(200),
        rules,
    };
    system.stop_ingest().await.unwrap();
    system.start_ingest_with(settings).await;

    let hour = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%dT%H:00:00+08:00");
    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &format!(
                r#"{{"station":"1141A","observed_at":"{hour}","period":"PT1H",
                    "readings":{{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":62}}}}"#
            ),
        )
        .await;
    // Out of the plausible range: flagged by quality control.
    system
        .mosquitto_pub(
            "sensors/air/1150A",
            &format!(r#"{{"station":"1150A","observed_at":"{hour}","readings":{{"pm25":-4}}}}"#),
        )
        .await;
    // GB 3838-2002 Table 1: NH3-N 1.3 mg/L is class IV, below this section's target.
    system
        .mosquitto_pub(
            "sensors/river/wusongkou",
            &format!(
                r#"{{"station":"wusongkou","observed_at":"{hour}",
                    "readings":{{"ph":7.6,"do":6.5,"codmn":3.9,"nh3n":1.3,"tp":0.15,"temp":15.2}}}}"#
            ),
        )
        .await;

    // GB 5749-2022 Table 2: free chlorine in the network at least 0.05 mg/L.
    system
        .mosquitto_pub(
            "sensors/tap/tap-jinhai-2",
            &format!(
                r#"{{"station":"tap-jinhai-2","observed_at":"{hour}",
                    "readings":{{"free_chlorine":0.02,"turbidity":0.2,"ph":7.2}}}}"#
            ),
        )
        .await;
    // A published laboratory sample of a plant that failed.
    system
        .db
        .client()
        .await
        .batch_execute(
            "INSERT INTO lab_batch (id, format_version, media, body, body_sha256, samples,
                 results, submitted_by, state, decided_by, decided_at)
                 OVERRIDING SYSTEM VALUE
             VALUES (1, 1, 'csv', '', '', 1, 1, 'lab-operator', 'published', 'lab-approver', now());
             INSERT INTO lab_sample (station_code, sample_id, sampled_at, laboratory, standard,
                 compliant, verdict, batch_id)
             VALUES ('plant-taihe', 'S-1', now() - interval '10 days', 'lab', 'GB 5749-2022',
                 false, '{}', 1)",
        )
        .await
        .unwrap();

    let expected = [
        ("aqi_heavy", "1141A"),
        ("pm25_high", "1141A"),
        ("qc_failures", "1150A"),
        ("water_below_target", "wusongkou"),
        ("air_station_silent", "1141A"),
        ("supply_noncompliant", "tap-jinhai-2"),
        ("lab_noncompliant", "plant-taihe"),
    ];
    crate::helpers::wait_for(
        "an alarm from every kind of rule",
        Duration::from_secs(20),
        || async {
            let rows = system
                .db
                .client()
                .await
                .query(
                    "SELECT rule, station_code FROM alarm WHERE state = 'raised'",
                    &[],
                )
                .await
                .map_err(|e| e.to_string())?;
            let raised: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            let missing: Vec<_> = expected
                .iter()
                .filter(|(rule, station)| !raised.iter().any(|(r, s)| r == rule && s == station))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("missing {missing:?}; raised {raised:?}"))
            }
        },
    )
    .await;
    system.shutdown().await;
}
