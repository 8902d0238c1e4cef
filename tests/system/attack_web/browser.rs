//! The Content-Security-Policy in a real headless Chromium
//! (tests/browser/csp.mjs): script smuggled into the public page (an inline
//! `<script>`, an event handler, a `javascript:` link as a forged notice
//! would carry, `eval`) is refused and reported, while the page goes live
//! and follows readings; the widget, the station page and the staff console
//! work without a single violation; only the widget may be framed.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DurationRound, FixedOffset, TimeDelta, Utc};
use envmon_publisher::staff::Role;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::helpers::TestSystem;
use crate::helpers::staff::{self, PASSWORD};

/// The whole check, a bound well above its usual 10-20 s.
const LIMIT: Duration = Duration::from_secs(120);

fn air_record(hour: &str, pm25: u32) -> String {
    format!(
        r#"{{"station":"1141A","observed_at":"{hour}","period":"PT1H",
            "readings":{{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":{pm25}}}}}"#
    )
}

#[tokio::test]
async fn csp_stops_injected_script_and_javascript_links_while_the_page_goes_live() {
    let system = TestSystem::start().await;
    staff::add(&system.db, "olivia", Role::Operator).await;
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    let hour = Utc::now()
        .with_timezone(&beijing)
        .duration_trunc(TimeDelta::hours(1))
        .unwrap()
        .to_rfc3339();

    let mut browser = Command::new("node")
        .current_dir(&browser_dir)
        .arg("csp.mjs")
        .arg(format!("http://{}/", system.publisher_addr))
        .args(["olivia", PASSWORD])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed");
    let mut stdin = browser.stdin.take().unwrap();
    let mut stderr = browser.stderr.take().unwrap();
    let mut lines = BufReader::new(browser.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    let conversation = tokio::time::timeout(LIMIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            said.push(line.clone());
            let Some(step) = line.strip_prefix("NEED ") else {
                continue;
            };
            let pm25 = match step {
                "reading" => 62,
                "reading2" => 75,
                other => panic!("the browser script needs an unknown step {other:?}"),
            };
            system
                .mosquitto_pub("sensors/air/1141A", &air_record(&hour, pm25))
                .await;
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
    let transcript = said.join("\n");
    assert!(
        conversation.is_ok(),
        "the CSP check took over {LIMIT:?}:\n{transcript}\n{errors}"
    );
    assert!(
        status.success(),
        "CSP check failed:\n{transcript}\n{errors}"
    );
    // Each attack was refused by the policy itself, by the directive that
    // governs it, and every legitimate page went live.
    for expected in [
        "BLOCKED inline-script script-src-elem",
        "BLOCKED event-handler script-src-attr",
        "BLOCKED javascript-link script-src-elem",
        "BLOCKED eval script-src",
        "BLOCKED framing-page frame-ancestors",
        "BLOCKED framing-console frame-ancestors",
        "LIVE public page",
        "LIVE after the attacks",
        "LIVE embed widget",
        "LIVE staff console",
        "FRAMED widget",
        "PASS",
    ] {
        assert!(
            said.iter().any(|line| line == expected),
            "no {expected:?} in:\n{transcript}"
        );
    }
    system.shutdown().await;
}
