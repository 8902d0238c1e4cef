//! The public page in a real headless Chromium (Debian's package, driven by
//! playwright-core): the snapshot on the map, a reading published over MQTT
//! shown without a reload, an alert banner, the station's details by
//! keyboard, both languages (remembered), a dropped socket resumed, a
//! restarted publisher reconnected, axe-core's accessibility rules, and the
//! page's weight and time to its first live update.
//!
//! The script (tests/browser/dashboard.mjs) asks for what it needs done to
//! the system with `NEED <step>` lines and is answered `DONE <step>`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DurationRound, FixedOffset, TimeDelta, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::helpers::{TestBroker, TestSystem};

/// The whole browser check, a bound well above its usual 20-40 s.
const LIMIT: Duration = Duration::from_secs(150);

/// An hourly record for 1141A in the current hour (Beijing time), so the
/// page calls it current, not stale.
fn air_record(hour: &str, pm25: u32) -> String {
    format!(
        r#"{{"station":"1141A","observed_at":"{hour}","period":"PT1H",
            "readings":{{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":{pm25}}}}}"#
    )
}

/// A notice signed with the key the test publishers trust (the page
/// verifies it in the browser before it shows it).
fn notice() -> String {
    let now = Utc::now();
    crate::helpers::staff::signed(serde_json::json!({
        "id": "dash-test-1", "version": 1, "status": "published", "severity": "orange",
        "headline": {"zh": "重污染天气橙色预警", "en": "Orange alert: heavy pollution"},
        "description": {"zh": "受不利气象条件影响，预计未来两天出现中至重度污染。",
                        "en": "Stagnant weather: moderate to heavy pollution expected over the next two days."},
        "instruction": {"zh": "儿童、老年人和心脏病、呼吸系统疾病患者应减少户外活动。",
                        "en": "Children, older people and people with heart or lung disease should limit outdoor activity."},
        "area": {"districts": ["普陀区"], "stations": []},
        "effective": now.to_rfc3339(), "expires": (now + TimeDelta::hours(24)).to_rfc3339(),
        "published_at": now.to_rfc3339(), "references": null,
        "cap_url": "/api/v1/alerts/dash-test-1.cap"
    }))
    .to_string()
}

#[tokio::test]
async fn dashboard_in_a_real_browser() {
    let mut system = TestSystem::start().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir()
            && browser_dir.join("node_modules/axe-core").is_dir(),
        "playwright-core or axe-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    let hour = Utc::now()
        .with_timezone(&beijing)
        .duration_trunc(TimeDelta::hours(1))
        .unwrap()
        .to_rfc3339();

    let mut browser = Command::new("node")
        .current_dir(&browser_dir)
        .arg("dashboard.mjs")
        .arg(format!("http://{}/", system.publisher_addr))
        .arg(&screenshots)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed");
    let mut stdin = browser.stdin.take().unwrap();
    let mut stderr = browser.stderr.take().unwrap();
    let mut lines = BufReader::new(browser.stdout.take().unwrap()).lines();
    let mut metrics = Vec::new();
    let mut said = Vec::new();

    let conversation = tokio::time::timeout(LIMIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            said.push(line.clone());
            if let Some(metric) = line.strip_prefix("METRIC ") {
                metrics.push(metric.to_owned());
                continue;
            }
            let Some(step) = line.strip_prefix("NEED ") else {
                continue;
            };
            match step {
                "reading" => {
                    // HJ 633-2026: PM2.5 1-h 62 ug/m3 -> IAQI 101.8 -> AQI 102, level III.
                    system
                        .mosquitto_pub("sensors/air/1141A", &air_record(&hour, 62))
                        .await;
                    // GB 3838-2002 Table 1: NH3-N 1.3 mg/L is class IV. A
                    // negative turbidity is flagged out_of_range, not dropped.
                    let river = format!(
                        r#"{{"station":"wusongkou","observed_at":"{hour}",
                            "readings":{{"ph":7.6,"do":6.5,"codmn":3.9,"nh3n":1.3,"tp":0.15,"temp":15.2,
                                         "turbidity":-1}}}}"#
                    );
                    system
                        .mosquitto_pub("sensors/river/wusongkou", &river)
                        .await;
                    // Xuhui's background is 55–110 nGy/h: 125 in an hour of rain
                    // is above it, and the rain is named.
                    let dose = format!(
                        r#"{{"station":"rad-xuhui","observed_at":"{hour}","period":"PT1H",
                            "readings":{{"dose_rate":125.0,"precipitation":3.2}}}}"#
                    );
                    system
                        .mosquitto_pub("sensors/radiation/rad-xuhui", &dose)
                        .await;
                }
                "notice" => {
                    let status = Command::new("mosquitto_pub")
                        .args(["-h", "127.0.0.1", "-p", &system.broker.port.to_string()])
                        .args(TestBroker::login_args_for("live/alert/dash-test-1"))
                        .args(["-q", "1", "-r", "-t", "live/alert/dash-test-1", "-m", &notice()])
                        .status()
                        .await
                        .expect("mosquitto_pub is installed");
                    assert!(status.success(), "mosquitto_pub failed");
                }
                "reading2" => {
                    system
                        .mosquitto_pub("sensors/air/1141A", &air_record(&hour, 75))
                        .await;
                }
                "stop" => system.stop_publisher().await,
                "start" => {
                    system
                        .mosquitto_pub("sensors/air/1141A", &air_record(&hour, 80))
                        .await;
                    // Committed while no publisher runs: the restarted one
                    // loads it from the database into its first snapshot.
                    crate::helpers::wait_for(
                        "the outage reading in the database",
                        Duration::from_secs(10),
                        || async {
                            let n = system
                                .db
                                .count(
                                    "SELECT count(*) FROM station_latest WHERE station_code = '1141A' \
                                     AND parameter_code = 'pm25' AND value = 80",
                                )
                                .await;
                            if n == 1 { Ok(()) } else { Err(n.to_string()) }
                        },
                    )
                    .await;
                    system.restart_publisher().await;
                }
                other => panic!("the browser script needs an unknown step {other:?}"),
            }
            stdin
                .write_all(format!("DONE {step}\n").as_bytes())
                .await
                .unwrap();
        }
    })
    .await;
    let mut errors = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut errors)
        .await
        .unwrap();
    let status = browser.wait().await.unwrap();
    assert!(
        conversation.is_ok(),
        "the browser check took over {LIMIT:?}:\n{}\n{errors}",
        said.join("\n")
    );
    // Page weight and timings, for people to read (cargo test -- --nocapture).
    let report = metrics.join("\n");
    println!("dashboard metrics:\n{report}");
    std::fs::write(screenshots.join("metrics.txt"), format!("{report}\n")).unwrap();
    assert!(
        status.success(),
        "browser check failed:\n{}\n{errors}",
        said.join("\n")
    );
    for name in [
        "desktop.png",
        "phone.png",
        "phone-detail.png",
        "desktop-en.png",
    ] {
        assert!(screenshots.join(name).is_file(), "no screenshot {name}");
    }
    system.shutdown().await;
}
