//! Areas through the whole system: stations' hourly means in over MQTT, the district's and the
//! city's AQI from the mean of their evaluation stations, recomputed when a late value arrives.

use std::time::Duration;

use envmon_core::wire::LiveMessage;

use crate::helpers::system::next_message;
use crate::helpers::{TestSystem, http, wait_for};

const DEADLINE: Duration = Duration::from_secs(20);

/// Pudong's evaluation stations in the registry.
const PUDONG: [&str; 4] = ["1148A", "1149A", "1150A", "3274A"];

fn hourly(station: &str, hour_end: &str, pm25: f64) -> String {
    format!(
        r#"{{"station":"{station}","observed_at":"{hour_end}","period":"PT1H",
            "readings":{{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":{pm25}}}}}"#
    )
}

/// (aqi, stations, PM2.5 stations reporting, PM2.5 mean) of an area's hour.
async fn area_hour(
    system: &TestSystem,
    area: &str,
    hour_end: &str,
) -> Result<(Option<i16>, i16, u64, f64), String> {
    let client = system.db.client().await;
    let rows = client
        .query(
            "SELECT aqi, stations, report FROM area_aqi_hourly
             WHERE area_id = $1 AND hour_end = $2::text::timestamptz",
            &[&area, &hour_end],
        )
        .await
        .map_err(|e| e.to_string())?;
    let row = rows.first().ok_or("no row yet")?;
    let report: serde_json::Value = row.get(2);
    let pm25 = &report["area_means"]["pm25"];
    Ok((
        row.get(0),
        row.get(1),
        pm25["reporting"].as_u64().unwrap_or_default(),
        pm25["value"].as_f64().unwrap_or(f64::NAN),
    ))
}

#[tokio::test]
async fn a_district_aqi_is_the_aqi_of_its_stations_mean_and_follows_late_data() {
    let system = TestSystem::start().await;
    let (mut live, _) = system.live_client().await;
    let hour = "2026-11-25T16:00:00+08:00";
    // PM2.5 50, 58, 66, 74: mean 62 → HJ 633-2026 100 + 50 × (62 − 60) / (115 − 60) = 101.8
    // → 102; PM10 85 → 75 and the gases are lower.
    for (station, pm25) in PUDONG.iter().zip([50.0, 58.0, 66.0, 74.0]) {
        system
            .mosquitto_pub(
                &format!("sensors/air/{station}"),
                &hourly(station, hour, pm25),
            )
            .await;
    }
    let wanted = (Some(102), 4, 4, 62.0);
    wait_for("Pudong's hour", DEADLINE, || async {
        let row = area_hour(&system, "pudong", hour).await?;
        if row == wanted {
            Ok(row)
        } else {
            Err(format!("{row:?}"))
        }
    })
    .await;

    // The live stream carries Pudong's AQI as an `area` message.
    let pudong_live = loop {
        if let LiveMessage::Area { state } = next_message(&mut live).await
            && state.area == "pudong"
            && state.aqi.aqi == Some(102)
        {
            break state;
        }
    };
    assert_eq!(pudong_live.stations, 4);
    assert_eq!(pudong_live.name_zh, "浦东新区");

    // A late correction at one station: 50 → 94, mean 73 → 100 + 50 × 13 / 55 = 111.8 → 112.
    system
        .mosquitto_pub("sensors/air/1148A", &hourly("1148A", hour, 94.0))
        .await;
    wait_for("Pudong's recomputed hour", DEADLINE, || async {
        let row = area_hour(&system, "pudong", hour).await?;
        if row.0 == Some(112) {
            Ok(row)
        } else {
            Err(format!("{row:?}"))
        }
    })
    .await;

    // The city counts 19 stations and 4 reported (21 % < 75 %): no valid mean, so no city AQI
    // for that hour, rather than Pudong's presented as Shanghai's.
    let client = system.db.client().await;
    let city: i64 = client
        .query_one(
            "SELECT count(*) FROM area_aqi_hourly WHERE area_id = 'shanghai' AND aqi IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(city, 0);
    // A district of one station has exactly that station's AQI.
    system
        .mosquitto_pub("sensors/air/1141A", &hourly("1141A", hour, 62.0))
        .await;
    wait_for("Putuo's hour", DEADLINE, || async {
        let row = area_hour(&system, "putuo", hour).await?;
        let station: Option<i16> = client
            .query_opt(
                "SELECT aqi FROM aqi_hourly WHERE station_code = '1141A'
                 AND hour_end = $1::text::timestamptz",
                &[&hour],
            )
            .await
            .map_err(|e| e.to_string())?
            .and_then(|r| r.get(0));
        if row.0.is_some() && row.0 == station {
            Ok(row)
        } else {
            Err(format!("{row:?} vs {station:?}"))
        }
    })
    .await;

    // The API: the areas, Pudong's hour, and the districts ranked at that hour.
    let get = |path: &'static str| http::get(system.publisher_addr, path);
    let areas = get("/api/v1/areas").await.unwrap().json();
    let items = areas["items"].as_array().unwrap();
    assert_eq!(items.len(), 17);
    assert_eq!(items[0]["id"], "shanghai");
    assert_eq!(items[0]["stations"].as_array().unwrap().len(), 19);
    const PUDONG_HOUR: &str =
        "/api/v1/areas/pudong/aqi?from=2026-11-25T15:00:00%2B08:00&to=2026-11-25T16:00:00%2B08:00";
    let pudong = get(PUDONG_HOUR).await.unwrap().json();
    assert_eq!(pudong["items"][0]["aqi"], 112);
    assert_eq!(pudong["items"][0]["stations"], 4);
    assert_eq!(
        pudong["items"][0]["report"]["area_means"]["pm25"]["reporting"],
        4
    );
    let csv = http::get(system.publisher_addr, &format!("{PUDONG_HOUR}&format=csv"))
        .await
        .unwrap();
    assert!(
        csv.body
            .contains("pudong,2026-11-25T16:00:00+08:00,HJ 633-2026,112,"),
        "{}",
        csv.body
    );
    let unknown = get("/api/v1/areas/atlantis/aqi").await.unwrap();
    assert_eq!(unknown.status, 404);

    // Putuo (62 → 102) is cleaner than Pudong (112); the other districts have no value.
    let ranking = get("/api/v1/rankings?scope=district").await.unwrap().json();
    assert_eq!(ranking["at"], "2026-11-25T16:00:00+08:00");
    let ranked: Vec<(String, serde_json::Value)> = ranking["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_owned(), e["rank"].clone()))
        .collect();
    assert_eq!(ranked[0], ("putuo".to_owned(), serde_json::json!(1)));
    assert_eq!(ranked[1], ("pudong".to_owned(), serde_json::json!(2)));
    assert_eq!(ranked[2].1, serde_json::Value::Null);
    // By PM2.5: Pudong's mean 73 against Putuo's 62.
    let by_pm25 = get("/api/v1/rankings?scope=district&by=pm25")
        .await
        .unwrap()
        .json();
    assert_eq!(by_pm25["items"][0]["id"], "putuo");
    assert_eq!(by_pm25["items"][1]["value"], 73.0);
    // A client joining now finds the areas in its snapshot.
    let (_, snapshot) = system.live_client().await;
    let LiveMessage::Snapshot { areas, .. } = snapshot else {
        panic!("a snapshot first");
    };
    let in_snapshot: Vec<(&str, Option<i16>)> =
        areas.iter().map(|a| (a.area.as_str(), a.aqi.aqi)).collect();
    assert!(
        in_snapshot.contains(&("pudong", Some(112))),
        "{in_snapshot:?}"
    );
    assert!(
        in_snapshot.contains(&("putuo", Some(102))),
        "{in_snapshot:?}"
    );
    // Stations by their own AQI (HJ 633-2026, PM2.5 leading): 1149A 58 → 96, 1141A 62 → 102,
    // 1150A 66 → 105.5 → 106, 3274A 74 → 112.7 → 113, 1148A 94 → 130.9 → 131; the rest have none.
    let stations = get("/api/v1/rankings?scope=station").await.unwrap().json();
    assert_eq!(stations["scope"], "station");
    let ranked: Vec<(&str, i64)> = stations["items"].as_array().unwrap()[..5]
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap(),
                e["value"].as_f64().unwrap() as i64,
            )
        })
        .collect();
    assert_eq!(
        ranked,
        [
            ("1149A", 96),
            ("1141A", 102),
            ("1150A", 106),
            ("3274A", 113),
            ("1148A", 131)
        ]
    );
    assert_eq!(stations["items"][5]["rank"], serde_json::Value::Null);
    let bad = get("/api/v1/rankings?by=pm1").await.unwrap();
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("`by` must be"), "{}", bad.body);
    system.shutdown().await;
}
