//! The drinking-water view and the quarterly report in a real headless
//! Chromium (tests/browser/drinking.mjs): a laboratory quarter submitted by
//! one person and published by another, and live records of a source, a
//! plant's outlet (failing GB 5749 free chlorine) and a network point; the
//! view shows every site and the one failing network sample with its item,
//! in both languages, axe-core clean, on a desktop and a phone; the map and
//! table give plant and network markers their GB 5749 verdict; the report's
//! figures match `/api/v1/drinking/compliance`; printing hides the
//! navigation; no request leaves the page's origin.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DurationRound, FixedOffset, TimeDelta, Utc};
use envmon_core::db::lab::{LabMedia, Submission, publish, submit};
use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use tokio::process::Command;

use crate::helpers::{TestSystem, http, wait_for};

#[tokio::test]
async fn the_drinking_water_view_and_report_in_a_real_browser() {
    let system = TestSystem::start().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir()
            && browser_dir.join("node_modules/axe-core").is_dir(),
        "playwright-core or axe-core is missing: run npm ci in tests/browser"
    );
    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    // Arrange: a published quarter, checked by a second person.
    let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
    let quarter = envmon_simulator::lab::quarter_csv(&stations, 2026, 3, 7);
    let mut client = system.db.client().await;
    let (batch, preview) = submit(
        &client,
        Submission {
            media: LabMedia::Csv,
            text: &quarter,
            file_name: Some("2026-q3.csv"),
            submitted_by: "lab-clerk",
        },
        &stations,
    )
    .await
    .unwrap();
    assert_eq!(preview.samples, 87);
    let tx = client.transaction().await.unwrap();
    let published = publish(&tx, batch, "chief-chemist", &stations)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(published.failing_samples, 1);

    // Live records of the current hour: the Yangshupu outlet's free chlorine
    // 0.2 mg/L is under the outlet's 0.3 (GB 5749-2022 Table 2), passes at
    // a network point (0.05); a source's chloride 180 mg/L complies (250).
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    let hour = Utc::now()
        .with_timezone(&beijing)
        .duration_trunc(TimeDelta::hours(1))
        .unwrap()
        .to_rfc3339();
    for (kind, site) in [("plant", "plant-yangshupu"), ("tap", "tap-yangshupu-1")] {
        system
            .mosquitto_pub(
                &format!("sensors/{kind}/{site}"),
                &format!(
                    r#"{{"station":"{site}","observed_at":"{hour}",
                        "readings":{{"free_chlorine":0.2,"turbidity":0.15,"ph":7.3,"temp":14.1}}}}"#
                ),
            )
            .await;
    }
    system
        .mosquitto_pub(
            "sensors/source/qingcaosha-shuiku",
            &format!(
                r#"{{"station":"qingcaosha-shuiku","observed_at":"{hour}",
                    "readings":{{"ph":7.8,"do":8.9,"nh3n":0.12,"chloride":180,
                                 "sulfate":61,"nitrate":1.6,"fe":0.08,"mn":0.03}}}}"#
            ),
        )
        .await;
    wait_for("the live verdicts", Duration::from_secs(20), || async {
        let sites = http::get(system.publisher_addr, "/api/v1/drinking/sites")
            .await
            .map_err(|e| e.to_string())?
            .json();
        let online = sites["sites"]
            .as_array()
            .map(|s| s.iter().filter(|s| !s["online"].is_null()).count())
            .unwrap_or(0);
        if online == 3 {
            Ok(())
        } else {
            Err(format!("{online} sites online"))
        }
    })
    .await;

    // Act and assert, in the browser.
    let output = tokio::time::timeout(
        Duration::from_secs(200),
        Command::new("node")
            .current_dir(&browser_dir)
            .arg("drinking.mjs")
            .arg(format!("http://{}/", system.publisher_addr))
            .arg(&screenshots)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the drinking-water check ends within 200 s")
    .expect("node is installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("drinking-water check passed"), "{stdout}");
    for name in [
        "drinking-desktop-zh.png",
        "drinking-phone-en.png",
        "drinking-report-print.pdf",
    ] {
        assert!(screenshots.join(name).is_file(), "no {name}");
    }
    system.shutdown().await;
}
