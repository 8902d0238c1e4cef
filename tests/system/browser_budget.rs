//! The public page's load budget with every registry station and every area
//! reporting (tests/browser/budget.mjs): on an emulated Slow 3G phone, the
//! first live values within 3 s and the first load within 250 KB. The
//! dashboard test's few readings hide what a full city costs: here every
//! air station has a whole hour (six pollutants, so full AQI reports with
//! sub-indices), every river section and source a whole water record, every
//! water plant and network point its online items, and the 17 areas their
//! hourly reports.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DurationRound, FixedOffset, TimeDelta, Utc};
use tokio::process::Command;

use crate::helpers::{TestSystem, http, wait_for};

/// A realistic record for station `i` of its kind in the current hour.
fn record(kind: &str, code: &str, hour: &str, i: u32) -> String {
    if kind == "air" {
        let pm25 = 18 + i * 3;
        let pm10 = 35 + i * 4;
        let o3 = 60 + i * 5;
        format!(
            r#"{{"station":"{code}","observed_at":"{hour}","period":"PT1H",
                "readings":{{"so2":{so2},"no2":{no2},"co":0.{co},"o3":{o3},"pm10":{pm10},"pm25":{pm25}}}}}"#,
            so2 = 5 + i % 7,
            no2 = 20 + i * 2,
            co = 4 + i % 5,
        )
    } else if kind == "radiation" {
        format!(
            r#"{{"station":"{code}","observed_at":"{hour}","period":"PT1H",
                "readings":{{"dose_rate":{dose}.4,"precipitation":0}}}}"#,
            dose = 70 + i % 15,
        )
    } else if kind == "plant" || kind == "tap" {
        format!(
            r#"{{"station":"{code}","observed_at":"{hour}",
                "readings":{{"ph":7.{ph},"turbidity":0.{turbidity:02},"free_chlorine":0.{chlorine:02},"temp":15.{t}}}}}"#,
            ph = 1 + i % 5,
            turbidity = 10 + i % 30,
            chlorine = 30 + i % 60,
            t = i % 10,
        )
    } else {
        format!(
            r#"{{"station":"{code}","observed_at":"{hour}",
                "readings":{{"ph":7.{ph},"do":{dox}.2,"codmn":{codmn}.1,"nh3n":0.{nh3n},"tp":0.{tp:02},"temp":15.{t}}}}}"#,
            ph = 2 + i % 7,
            dox = 5 + i % 4,
            codmn = 2 + i % 5,
            nh3n = 2 + i % 9,
            tp = 5 + i % 20,
            t = i % 10,
        )
    }
}

#[tokio::test]
async fn budget_in_a_real_browser() {
    let system = TestSystem::start().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run npm ci in tests/browser"
    );
    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    let hour = Utc::now()
        .with_timezone(&beijing)
        .duration_trunc(TimeDelta::hours(1))
        .unwrap()
        .to_rfc3339();
    let stations = http::get(system.publisher_addr, "/api/v1/stations")
        .await
        .unwrap()
        .json();
    let registry: Vec<(String, String)> = stations["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (i, (kind, code)) in registry.iter().enumerate() {
        let i = u32::try_from(i).unwrap();
        system
            .mosquitto_pub(
                &format!("sensors/{kind}/{code}"),
                &record(kind, code, &hour, i),
            )
            .await;
    }
    let everyone = registry.len();
    wait_for(
        "every station's state and the 17 areas' hour",
        Duration::from_secs(30),
        || async {
            let areas = system
                .db
                .count("SELECT count(*) FROM area_aqi_hourly WHERE aqi IS NOT NULL")
                .await;
            let latest = http::get(system.publisher_addr, "/api/v1/latest")
                .await
                .map(|r| r.json()["items"].as_array().map_or(0, Vec::len))
                .unwrap_or(0);
            if areas >= 17 && latest >= everyone {
                Ok(())
            } else {
                Err(format!("{latest} of {everyone} stations, {areas} areas"))
            }
        },
    )
    .await;

    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .current_dir(&browser_dir)
            .arg("budget.mjs")
            .arg(format!("http://{}/", system.publisher_addr))
            .arg(everyone.to_string())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the budget check ends within 120 s")
    .expect("node is installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    std::fs::write(screenshots.join("budget-metrics.txt"), stdout.as_bytes()).unwrap();
    assert!(output.status.success(), "{stdout}\n{stderr}");
    system.shutdown().await;
}
