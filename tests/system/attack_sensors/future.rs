//! Readings from the future: a sensor (or whoever holds its credentials)
//! dates a reading 2099, or just beyond the clock skew allowed, hoping it
//! becomes the station's latest value and its hour the latest AQI for good.

use std::time::Duration;

use chrono::{DateTime, DurationRound, SecondsFormat, TimeDelta, Utc};
use envmon_core::wire::LiveMessage;

use crate::helpers::{TestSystem, http, wait_for};

const DEADLINE: Duration = Duration::from_secs(15);

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The six pollutants' means over the hour ending `hour_end`.
fn hourly(station: &str, hour_end: &str, pm25: f64) -> String {
    format!(
        r#"{{"station":"{station}","observed_at":"{hour_end}","period":"PT1H",
            "readings":{{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":{pm25}}}}}"#
    )
}

/// One instantaneous PM2.5 value.
fn instant(station: &str, at: &str, pm25: f64) -> String {
    format!(r#"{{"station":"{station}","observed_at":"{at}","readings":{{"pm25":{pm25}}}}}"#)
}

/// A station's `station_latest` rows: parameter, time, value.
async fn latest_rows(system: &TestSystem, station: &str) -> Vec<(String, DateTime<Utc>, f64)> {
    system
        .db
        .client()
        .await
        .query(
            "SELECT parameter_code, observed_at, value FROM station_latest
             WHERE station_code = $1 ORDER BY parameter_code",
            &[&station],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// The AQI of 1141A's hour ending `hour_end`, once computed.
async fn aqi_of(system: &TestSystem, hour_end: DateTime<Utc>) -> Result<Option<i16>, String> {
    let rows = system
        .db
        .client()
        .await
        .query(
            "SELECT aqi FROM aqi_hourly WHERE station_code = '1141A' AND hour_end = $1",
            &[&hour_end],
        )
        .await
        .map_err(|e| e.to_string())?;
    rows.first()
        .map(|r| r.get(0))
        .ok_or_else(|| "no row yet".into())
}

async fn count_when(system: &TestSystem, what: &str, sql: &str, expected: i64) {
    wait_for(what, DEADLINE, || async {
        let count = system.db.count(sql).await;
        if count == expected {
            Ok(())
        } else {
            Err(format!("{count}"))
        }
    })
    .await;
}

#[tokio::test]
async fn a_reading_dated_2099_or_11_minutes_ahead_is_dead_lettered_and_moves_no_latest_value_or_aqi()
 {
    let mut system = TestSystem::start().await;
    // Raw readings kept for the default two years, as deployed.
    system.stop_ingest().await.unwrap();
    let mut settings = system.ingest_settings();
    settings.retention.readings = envmon_core::db::RetentionSettings::default().readings;
    system.start_ingest_with(settings).await;
    let now = Utc::now();
    let hour_end = now.duration_trunc(TimeDelta::hours(1)).unwrap();

    // Before: Putuo's means of the hour just ended. PM2.5 62 gives AQI 102
    // (HJ 633-2026 Table 3: 100 + 50 x 2/55).
    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &hourly("1141A", &rfc3339(hour_end), 62.0),
        )
        .await;
    let aqi = wait_for("the hour's AQI", DEADLINE, || aqi_of(&system, hour_end)).await;
    assert_eq!(aqi, Some(102));
    count_when(
        &system,
        "the latest state",
        "SELECT count(*) FROM station_latest WHERE station_code = '1141A'",
        6,
    )
    .await;
    let latest_before = latest_rows(&system, "1141A").await;
    let api_before = http::get(system.publisher_addr, "/api/v1/stations/1141A/latest")
        .await
        .unwrap()
        .json();
    assert_eq!(api_before["aqi"]["aqi"], 102, "{api_before}");

    // The attacks: hourly means of an hour in 2099 with PM2.5 at 500; an
    // instant PM2.5 of 499 eleven minutes ahead; a SenML pack hiding a
    // 2099 PM10 behind a genuine one of three hours ago.
    let three_hours_ago = hour_end - TimeDelta::hours(3);
    let in_2099 = "2099-01-01T01:00:00+08:00"
        .parse::<DateTime<Utc>>()
        .unwrap();
    let pack = format!(
        r#"[{{"bn":"1141A/","bt":{},"bu":"ug/m3","n":"pm10","v":70}},{{"n":"pm10","t":{},"v":600}}]"#,
        three_hours_ago.timestamp(),
        (in_2099 - three_hours_ago).num_seconds()
    );
    let ahead = rfc3339(Utc::now() + TimeDelta::minutes(11));
    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &hourly("1141A", "2099-01-01T01:00:00+08:00", 500.0),
        )
        .await;
    system
        .mosquitto_pub("sensors/air/1141A", &instant("1141A", &ahead, 499.0))
        .await;
    system.mosquitto_pub("sensors/air/1141A", &pack).await;
    // Times in the past: one older than readings are kept, which would
    // leave an AQI behind with no reading under it; one a month old with
    // an absurd value, which is late data and is taken, but is no newer
    // than what the station already said.
    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &hourly("1141A", "2001-01-01T01:00:00+08:00", 500.0),
        )
        .await;
    let month_ago = rfc3339(now - TimeDelta::days(30));
    system
        .mosquitto_pub("sensors/air/1141A", &instant("1141A", &month_ago, 499.0))
        .await;

    // After: a late but genuine hour (the one before), and a clock five
    // minutes fast at Jing'an, within the skew allowed.
    let hour_before = hour_end - TimeDelta::hours(1);
    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &hourly("1141A", &rfc3339(hour_before), 40.0),
        )
        .await;
    let fast = rfc3339(Utc::now() + TimeDelta::minutes(5));
    system
        .mosquitto_pub("sensors/air/1143A", &instant("1143A", &fast, 33.0))
        .await;

    count_when(
        &system,
        "three future_time dead letters",
        "SELECT count(*) FROM dead_letter WHERE reason_code = 'future_time'",
        3,
    )
    .await;
    count_when(
        &system,
        "the expired hour's dead letter",
        "SELECT count(*) FROM dead_letter WHERE reason_code = 'too_old'",
        1,
    )
    .await;
    // Every genuine reading is stored: 6 + 6 hourly means, the pack's
    // genuine PM10, the fast clock's PM2.5, the month-old PM2.5.
    count_when(
        &system,
        "the genuine readings",
        "SELECT count(*) FROM reading",
        15,
    )
    .await;
    assert_eq!(
        system
            .db
            .count("SELECT count(*) FROM aqi_hourly WHERE hour_end < '2020-01-01'")
            .await,
        0
    );
    wait_for("the late hour's AQI", DEADLINE, || {
        aqi_of(&system, hour_before)
    })
    .await;
    let pm10_of_the_pack = system
        .db
        .client()
        .await
        .query_one(
            "SELECT value FROM reading WHERE station_code = '1141A' AND parameter_code = 'pm10'
             AND observed_at = $1",
            &[&three_hours_ago],
        )
        .await
        .unwrap()
        .get::<_, f64>(0);
    assert_eq!(pm10_of_the_pack, 70.0);

    // Nothing from the future was stored, anywhere.
    let limit = "now() + interval '10 minutes'";
    for table in ["reading", "station_latest"] {
        let sql = format!("SELECT count(*) FROM {table} WHERE observed_at > {limit}");
        assert_eq!(system.db.count(&sql).await, 0, "{table}");
    }
    // An hour is labelled by its end: a reading within the skew may open
    // the hour after the current one, never a later one.
    for table in ["hourly_mean", "aqi_hourly"] {
        let sql =
            format!("SELECT count(*) FROM {table} WHERE hour_end > {limit} + interval '1 hour'");
        assert_eq!(system.db.count(&sql).await, 0, "{table}");
    }

    // The latest state and AQI are what they were.
    assert_eq!(latest_rows(&system, "1141A").await, latest_before);
    assert_eq!(aqi_of(&system, hour_end).await.unwrap(), Some(102));
    let api_after = http::get(system.publisher_addr, "/api/v1/stations/1141A/latest")
        .await
        .unwrap()
        .json();
    assert_eq!(api_after["aqi"], api_before["aqi"]);
    assert_eq!(api_after["readings"], api_before["readings"]);
    let (_, snapshot) = system.live_client().await;
    let LiveMessage::Snapshot { stations, .. } = snapshot else {
        panic!("a snapshot first")
    };
    let putuo = stations
        .iter()
        .find(|s| s.station.as_str() == "1141A")
        .unwrap();
    assert_eq!(putuo.updated_at, hour_end);
    assert_eq!(putuo.aqi.as_ref().map(|a| a.hour_end), Some(hour_end));

    // The pack's dead letter keeps it whole and says what was taken.
    let reason: String = system
        .db
        .client()
        .await
        .query_one(
            "SELECT reason FROM dead_letter WHERE reason_code = 'future_time'
             AND convert_from(payload, 'UTF8') LIKE '[%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(reason.starts_with("1 of 2 readings"), "{reason}");
    // The fast clock's reading is Jing'an's latest.
    assert_eq!(latest_rows(&system, "1143A").await[0].2, 33.0);
    system.shutdown().await;
}
