//! The subscribe form in headless Chromium (tests/browser/subscribe.mjs), in
//! both languages, against a publisher with a real SMTP relay (aiosmtpd):
//! what the form stored, and the confirmation each sign-up sent.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::process::Command;

use crate::helpers::process::free_addr;
use crate::helpers::subscribers::{SmtpServer, delivery_settings, header, scratch_dir};
use crate::helpers::{TestSystem, wait_for};

/// A stored subscription: address, language, topic, area, level, state.
type Stored = (String, String, String, Option<String>, Option<i16>, String);

#[tokio::test]
async fn the_subscribe_form_signs_up_in_both_languages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    let dir = scratch_dir();
    let smtp_port = free_addr().port();
    let mail = SmtpServer::start(smtp_port, &dir.join("maildir"));
    let settings = delivery_settings(&dir, Some(smtp_port));
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    let screenshots = root.join("target/screenshots");

    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .current_dir(&browser_dir)
            .arg("subscribe.mjs")
            .arg(format!("http://{}/", system.publisher_addr))
            .arg(&screenshots)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the browser check ends within two minutes")
    .expect("node is installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    let client = system.db.client().await;
    let rows = client
        .query(
            "SELECT address, language, topic, COALESCE(area_id, station_code), level, state
             FROM subscription ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let stored: Vec<Stored> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect();
    assert_eq!(
        stored,
        vec![
            (
                "browser-zh@example.org".into(),
                "zh".into(),
                "notices".into(),
                Some("pudong".into()),
                None,
                "pending".into()
            ),
            (
                "browser-en@example.org".into(),
                "en".into(),
                "level".into(),
                Some("putuo".into()),
                Some(4),
                "pending".into()
            ),
            (
                "browser-near@example.org".into(),
                "en".into(),
                "level".into(),
                Some("1141A".into()),
                Some(3),
                "pending".into()
            ),
        ]
    );
    let subjects = wait_for(
        "the three confirmations",
        Duration::from_secs(15),
        || async {
            let mut subjects: Vec<String> = mail
                .messages()
                .iter()
                .filter_map(|m| Some(format!("{} {}", header(m, "To")?, header(m, "Subject")?)))
                .collect();
            subjects.sort();
            if subjects.len() == 3 {
                Ok(subjects)
            } else {
                Err(format!("{subjects:?}"))
            }
        },
    )
    .await;
    assert!(
        subjects[0].starts_with("browser-en@example.org Please confirm"),
        "{subjects:?}"
    );
    assert!(
        subjects[1].starts_with("browser-near@example.org Please confirm"),
        "{subjects:?}"
    );
    // The Chinese subject is RFC 2047-encoded (UTF-8, base64).
    let encoded = subjects[2]
        .strip_prefix("browser-zh@example.org =?utf-8?b?")
        .and_then(|rest| rest.strip_suffix("?="))
        .unwrap_or_else(|| panic!("{subjects:?}"));
    let subject = String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap();
    assert_eq!(subject, "请确认您的空气质量订阅");
    system.shutdown().await;
}
