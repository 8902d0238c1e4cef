//! The console's laboratory section in a real headless Chromium (see
//! tests/browser/staff_lab.mjs): a mistake named by row and column, a
//! corrected file submitted by an operator and published by an approver;
//! the database then holds what the page showed.

use std::path::Path;
use std::time::Duration;

use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use envmon_publisher::staff::Role;

use crate::helpers::TestSystem;
use crate::helpers::staff::{self, PASSWORD};

#[tokio::test]
async fn an_operator_submits_a_laboratory_file_in_the_console_and_an_approver_publishes_it() {
    let system = TestSystem::start_publisher_only().await;
    staff::add(&system.db, "lena", Role::Operator).await;
    staff::add(&system.db, "abel", Role::Approver).await;
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    // One plant's quarter: three monthly samples.
    let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
    let quarter = envmon_simulator::lab::quarter_csv(&stations, 2026, 3, 5);
    let mut lines = quarter.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.filter(|l| l.starts_with("plant-minhang,")).collect();
    let clean = format!("{header}\r\n{}\r\n", rows.join("\r\n"));
    let sulfate = rows.iter().position(|r| r.contains(",sulfate,")).unwrap();
    let mut broken_rows = rows.clone();
    let wrong = rows[sulfate].replacen(",mg/L,", ",mg/m3,", 1);
    broken_rows[sulfate] = &wrong;
    let broken = format!("{header}\r\n{}\r\n", broken_rows.join("\r\n"));
    let dir = std::env::temp_dir().join(format!("envmon-lab-console-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (broken_path, clean_path) = (dir.join("minhang-broken.csv"), dir.join("minhang.csv"));
    std::fs::write(&broken_path, broken).unwrap();
    std::fs::write(&clean_path, &clean).unwrap();

    let run = tokio::process::Command::new("node")
        .current_dir(&browser_dir)
        .arg("staff_lab.mjs")
        .arg(format!("http://{}", system.publisher_addr))
        .args(["lena", "abel", PASSWORD])
        .arg(&broken_path)
        .arg(&clean_path)
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
    let shown_hash = stdout.lines().last().unwrap().trim().to_owned();

    let row = system
        .db
        .client()
        .await
        .query_one(
            "SELECT state, submitted_by, decided_by, body_sha256, file_name, samples FROM lab_batch",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, &str>(0), "published");
    assert_eq!(row.get::<_, &str>(1), "lena");
    assert_eq!(row.get::<_, Option<&str>>(2), Some("abel"));
    assert_eq!(row.get::<_, &str>(3), shown_hash);
    assert_eq!(
        row.get::<_, &str>(3),
        envmon_core::db::lab::body_sha256(&clean)
    );
    assert_eq!(row.get::<_, Option<&str>>(4), Some("minhang.csv"));
    assert_eq!(row.get::<_, i32>(5), 3);
    assert_eq!(system.db.count("SELECT count(*) FROM lab_sample").await, 3);
    system.shutdown().await;
}
