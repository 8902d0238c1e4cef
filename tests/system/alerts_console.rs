//! The staff console in a real headless Chromium: an operator drafts a
//! notice with the form, an approver publishes it (see
//! tests/browser/staff_console.mjs); the database and the broker then hold
//! what the page showed.

use std::path::Path;
use std::time::Duration;

use envmon_publisher::staff::Role;

use crate::helpers::TestSystem;
use crate::helpers::staff::{self, PASSWORD};

#[tokio::test]
async fn operator_drafts_and_another_person_approves_in_the_console() {
    let system = TestSystem::start().await;
    staff::add(&system.db, "olivia", Role::Operator).await;
    staff::add(&system.db, "arthur", Role::Approver).await;
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");

    let run = tokio::process::Command::new("node")
        .current_dir(&browser_dir)
        .arg("staff_console.mjs")
        .arg(format!("http://{}", system.publisher_addr))
        .args(["olivia", "arthur", PASSWORD])
        .arg(&screenshots)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the browser check finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    let id = stdout.lines().last().unwrap().trim().to_owned();

    let row = system
        .db
        .client()
        .await
        .query_one(
            "SELECT v.state, d.username, a.username FROM alert_notice_version v
             JOIN staff_user d ON d.id = v.drafted_by JOIN staff_user a ON a.id = v.approved_by
             WHERE v.notice_id = $1 AND v.version = 1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "published");
    assert_eq!(row.get::<_, String>(1), "olivia");
    assert_eq!(row.get::<_, String>(2), "arthur");

    let page = crate::helpers::http::get(system.publisher_addr, "/staff/")
        .await
        .unwrap();
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    system.shutdown().await;
}
