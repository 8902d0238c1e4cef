//! Radiation stations through the real pipeline: five-minute dose rates
//! sent with mosquitto_pub become hourly means judged against the
//! station's natural background (configured for Xuhui, learned for
//! Chongming), with the rain named, an hour with too little data not
//! judged, the latest hour in the live state and the API (JSON and CSV),
//! and an hour past the investigation level raising a staff alarm.

use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::Value;

use crate::helpers::{TestSystem, http, wait_for};

const DEADLINE: Duration = Duration::from_secs(20);

/// Five-minute means of the hour ending `hour_end` (Beijing time stamps):
/// `count` of the twelve, each `dose` nGy/h, with `rain` mm in each.
fn hour(station: &str, hour_end: DateTime<Utc>, count: i64, dose: f64, rain: f64) -> Vec<String> {
    (0..count)
        .map(|k| {
            let at = hour_end - TimeDelta::minutes(55 - 5 * k);
            let at = at
                .with_timezone(&envmon_core::beijing::offset())
                .to_rfc3339();
            // One line a record: mosquitto_pub -l sends each line as a message.
            format!(
                r#"{{"station":"{station}","observed_at":"{at}","period":"PT5M","readings":{{"dose_rate":{dose},"precipitation":{rain}}}}}"#
            )
        })
        .collect()
}

async fn hours_of(system: &TestSystem, station: &str, expected: usize) -> Vec<Value> {
    let path = format!(
        "/api/v1/radiation?station={station}&from={}&to={}",
        urlencode(&(Utc::now() - TimeDelta::hours(12)).to_rfc3339()),
        urlencode(&(Utc::now() + TimeDelta::hours(1)).to_rfc3339()),
    );
    wait_for("the radiation hours", DEADLINE, || async {
        let body = http::get(system.publisher_addr, &path)
            .await
            .map_err(|e| e.to_string())?
            .json();
        match body["items"].as_array() {
            Some(items) if items.len() == expected => Ok(items.clone()),
            _ => Err(body.to_string()),
        }
    })
    .await
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn dose_rates_become_hours_judged_against_the_natural_background() {
    let system = TestSystem::start().await;
    let now = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
    let (h3, h2, h1) = (now - TimeDelta::hours(2), now - TimeDelta::hours(1), now);
    let topic = "sensors/radiation/rad-xuhui";
    // Xuhui's configured background is 55–110 nGy/h, its investigation level 150.
    system
        .mosquitto_pub_lines(topic, &hour("rad-xuhui", h3, 12, 81.4, 0.0))
        .await;
    // A shower: 125 nGy/h, 15 above the background, named as rain's doing.
    system
        .mosquitto_pub_lines(topic, &hour("rad-xuhui", h2, 12, 125.0, 0.4))
        .await;
    // Forty minutes of data: too little to judge.
    system
        .mosquitto_pub_lines(topic, &hour("rad-xuhui", h1, 8, 300.0, 0.0))
        .await;
    let items = hours_of(&system, "rad-xuhui", 3).await;
    assert_eq!(
        (items[0]["state"].as_str(), items[0]["valid"].as_bool()),
        (Some("within"), Some(true))
    );
    assert_eq!(items[0]["mean"], 81.4);
    assert_eq!(items[1]["state"], "above", "{}", items[1]);
    assert_eq!(items[1]["excess"], 15.0);
    assert_eq!(items[1]["rain_mm"], 4.8);
    assert_eq!(items[1]["investigate"], false);
    let why = items[1]["report"]["explanation_en"].as_str().unwrap();
    assert!(why.contains("rain") && why.contains("55.0–110.0"), "{why}");
    assert!(
        items[1]["report"]["explanation_zh"]
            .as_str()
            .unwrap()
            .contains("降雨")
    );
    assert_eq!(
        (items[2]["state"].as_str(), items[2]["valid"].as_bool()),
        (Some("invalid"), Some(false))
    );
    assert_eq!(items[2]["investigate"], false);

    // The latest hour is in the station's live state.
    let latest = http::get(system.publisher_addr, "/api/v1/stations/rad-xuhui/latest")
        .await
        .unwrap()
        .json();
    assert_eq!(latest["radiation"]["state"], "invalid", "{latest}");
    assert_eq!(latest["readings"]["dose_rate"]["unit"], "nGy/h");

    // CSV, with the background bounds beside each hour.
    let csv = http::get(
        system.publisher_addr,
        "/api/v1/radiation?station=rad-xuhui&format=csv",
    )
    .await
    .unwrap();
    assert_eq!(csv.status, 200, "{}", csv.body);
    // Past a year is refused with the reason.
    let too_long = http::get(
        system.publisher_addr,
        "/api/v1/radiation?from=2000-01-01T00:00:00Z",
    )
    .await
    .unwrap();
    assert_eq!(too_long.status, 400);
    assert!(too_long.body.contains("366 days"), "{}", too_long.body);
    assert!(
        csv.body
            .lines()
            .any(|l| l.contains(",above,15,false,55,110")),
        "{}",
        csv.body
    );

    // Chongming has no configured range: a week of dry hours around 72
    // nGy/h teaches one (mean ± 3σ), and the next hour is judged by it.
    let client = system.db.client().await;
    client
        .execute(
            "INSERT INTO radiation_hourly (station_code, hour_end, mean, valid, rain_mm, state,
                 investigate, report)
             SELECT 'rad-chongming', $1::timestamptz - make_interval(hours => h), 72 + (h % 3) - 1, true, 0,
                 'no_background', false, '{}'
             FROM generate_series(1, 200) AS h",
            &[&h3],
        )
        .await
        .unwrap();
    system
        .mosquitto_pub_lines(
            "sensors/radiation/rad-chongming",
            &hour("rad-chongming", h3, 12, 95.0, 0.0),
        )
        .await;
    // The seeded week is in the answer too: the newest hour is the one sent.
    let path = format!(
        "/api/v1/radiation?station=rad-chongming&from={}&to={}",
        urlencode(&(h3 - TimeDelta::minutes(30)).to_rfc3339()),
        urlencode(&(h3 + TimeDelta::minutes(30)).to_rfc3339()),
    );
    let items = wait_for("Chongming's hour", DEADLINE, || async {
        let body = http::get(system.publisher_addr, &path)
            .await
            .map_err(|e| e.to_string())?
            .json();
        match body["items"].as_array() {
            Some(items) if items.len() == 1 && items[0]["state"] != "no_background" => {
                Ok(items.clone())
            }
            _ => Err(body.to_string()),
        }
    })
    .await;
    assert_eq!(items[0]["state"], "above", "{}", items[0]);
    let learned = &items[0]["report"]["background"]["source"]["learned"];
    assert_eq!(learned["hours"], 200, "{}", items[0]);
    // Above the learned top (about 74.5) and so at the default investigation level.
    assert_eq!(items[0]["investigate"], true);
    system.shutdown().await;
}

#[tokio::test]
async fn an_hour_past_the_investigation_level_raises_a_staff_alarm() {
    let mut system = TestSystem::start().await;
    let mut settings = system.ingest_settings();
    settings.alarms.interval = Duration::from_millis(200);
    system.stop_ingest().await.unwrap();
    system.start_ingest_with(settings).await;
    let hour_end = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
    system
        .mosquitto_pub_lines(
            "sensors/radiation/rad-xuhui",
            &hour("rad-xuhui", hour_end, 12, 180.0, 0.0),
        )
        .await;
    let evidence = wait_for("the radiation alarm", DEADLINE, || async {
        let rows = system
            .db
            .client()
            .await
            .query(
                "SELECT evidence FROM alarm
                 WHERE rule = 'radiation_investigation' AND station_code = 'rad-xuhui'
                   AND state = 'raised'",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        rows.first()
            .map(|r| r.get::<_, Value>(0))
            .ok_or_else(|| "not raised".to_owned())
    })
    .await;
    assert_eq!(evidence[0]["mean_ngy_h"], 180.0, "{evidence}");
    assert_eq!(evidence[0]["investigation_level"], 150.0);
    system.shutdown().await;
}
