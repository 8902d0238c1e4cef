//! Areas through the whole system: stations' hourly means in over MQTT, the district's and the
//! city's AQI from the mean of their evaluation stations, recomputed when a late value arrives.

use std::time::Duration;

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
    system.shutdown().await;
}
