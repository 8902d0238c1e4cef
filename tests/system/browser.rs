//! The public page in a real headless Chromium (Debian's package, driven by
//! playwright-core): it renders the snapshot, then shows a reading published
//! over MQTT and the AQI computed from it without a reload, in both languages.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::TestSystem;

#[tokio::test]
async fn page_shows_a_reading_and_its_aqi_published_over_mqtt_without_reload() {
    let system = TestSystem::start().await;
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    let mut browser = Command::new("node")
        .current_dir(&browser_dir)
        .arg("live_update.mjs")
        .arg(format!("http://{}/", system.publisher_addr))
        // HJ 633-2026: PM2.5 1-h 62 ug/m3 -> IAQI 101.8 -> AQI 102, level III.
        .args(["1141A", "pm25", "62"])
        .arg(&screenshots)
        .arg("102")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed");
    let mut lines = BufReader::new(browser.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.trim() == "READY" {
                return true;
            }
        }
        false
    })
    .await;
    assert!(matches!(ready, Ok(true)), "the page never became ready");

    system
        .mosquitto_pub(
            "sensors/air/1141A",
            r#"{"station":"1141A","observed_at":"2026-11-25T16:00:00+08:00","period":"PT1H",
                "readings":{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":62}}"#,
        )
        .await;

    let output = tokio::time::timeout(Duration::from_secs(60), browser.wait_with_output())
        .await
        .expect("the browser check finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    assert!(screenshots.join("desktop.png").is_file() && screenshots.join("phone.png").is_file());
    system.shutdown().await;
}
