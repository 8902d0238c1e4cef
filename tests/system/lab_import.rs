//! A laboratory's quarter imported as staff do it from a terminal: every
//! deliberate error named by row and column with nothing stored, the clean
//! file previewed, submitted, refused to its own submitter and published by
//! a second person; a correction kept as a revision; and the compliance the
//! API publishes matching the file judged independently of the database.

use std::process::Command;

use envmon_core::drinking::{SampleVerdict, compliance_rates};
use envmon_core::lab::{LabVerdict, judge_sample, parse_csv};
use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use serde_json::Value;

use crate::helpers::{TestSystem, http};

fn envmon(args: &[&str], database_url: &str) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(args)
        .env_remove("ENVMON_CONFIG")
        .env("ENVMON__DATABASE__URL", database_url)
        .env("USER", "lab-clerk")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("envmon-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The quarter with four deliberate errors; returns it and the (row,
/// column) each error must be reported at. Rows are file lines, the header
/// is row 1.
fn with_errors(clean: &str) -> (String, Vec<(usize, &'static str)>) {
    let mut lines: Vec<String> = clean.lines().map(str::to_owned).collect();
    let find = |lines: &[String], needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no row with {needle}"))
    };
    // An unknown site.
    let unknown = find(&lines, "plant-taihe,");
    lines[unknown] = lines[unknown].replacen("plant-taihe,", "plant-nowhere,", 1);
    // A wrong unit: sulfate in mg/m3.
    let unit = find(&lines, ",sulfate,");
    lines[unit] = lines[unit].replacen(",mg/L,", ",mg/m3,", 1);
    // A malformed value: turbidity "abc".
    let value = find(&lines, ",turbidity,");
    let mut fields: Vec<String> = lines[value].split(',').map(str::to_owned).collect();
    fields[3] = "abc".into();
    lines[value] = fields.join(",");
    // A duplicate: the same pH of the same sample twice.
    let ph = find(&lines, ",ph,");
    let duplicate = lines[ph].clone();
    lines.insert(ph + 1, duplicate);
    let text = lines.join("\r\n") + "\r\n";
    // Line index to row, once the duplicate is in: rows after it move down one.
    let row = |index: usize| index + 1 + usize::from(index > ph);
    (
        text,
        vec![
            (row(unknown), "site"),
            (row(unit), "unit"),
            (row(value), "value"),
            (ph + 2, "item"),
        ],
    )
}

async fn get_json(system: &TestSystem, path: &str) -> Value {
    let response = http::get(system.publisher_addr, path).await.unwrap();
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    response.json()
}

#[tokio::test]
async fn a_quarter_is_checked_by_row_and_column_published_by_a_second_person_and_corrected() {
    let system = TestSystem::start().await;
    let url = system.db.url.clone();
    let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
    let clean = envmon_simulator::lab::quarter_csv(&stations, 2026, 3, 7);

    // Every deliberate error, by row and column, and nothing stored.
    let (broken, expected) = with_errors(&clean);
    let path = write("broken.csv", &broken);
    for args in [
        vec!["lab", "import", path.to_str().unwrap(), "--dry-run"],
        vec!["lab", "import", path.to_str().unwrap()],
    ] {
        let (ok, _, stderr) = envmon(&args, &url);
        assert!(!ok, "{stderr}");
        for (row, column) in &expected {
            assert!(
                stderr.contains(&format!("row {row}, column {column}")),
                "row {row}, column {column} not named:\n{stderr}"
            );
        }
        assert!(stderr.contains("4 problem(s)"), "{stderr}");
        assert!(stderr.contains("plant-nowhere"), "{stderr}");
        assert!(stderr.contains("mg/m3"), "{stderr}");
    }
    assert_eq!(system.db.count("SELECT count(*) FROM lab_batch").await, 0);

    // The clean quarter: a dry run stores nothing and says what would change.
    let path = write("2026-q3.csv", &clean);
    let (ok, stdout, stderr) = envmon(
        &["lab", "import", path.to_str().unwrap(), "--dry-run"],
        &url,
    );
    assert!(ok, "{stderr}");
    // 4 sources, 5 plants and 20 network points, monthly.
    assert!(stdout.contains("87 sample(s)"), "{stdout}");
    assert!(
        stdout.contains("87 new, 0 revised, 0 unchanged; 1 failing"),
        "{stdout}"
    );
    assert!(stdout.contains("FAILS free_chlorine"), "{stdout}");
    assert_eq!(system.db.count("SELECT count(*) FROM lab_batch").await, 0);

    // Submitted, pending: not data yet.
    let (ok, stdout, stderr) = envmon(&["lab", "import", path.to_str().unwrap()], &url);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("submitted as batch 1 by cli:lab-clerk"),
        "{stdout}"
    );
    let samples = get_json(&system, "/api/v1/drinking/samples?period=2026-Q3").await;
    assert_eq!(samples["samples"], serde_json::json!([]));

    // Never published by its own submitter; by a second person, it is data.
    let (ok, _, stderr) = envmon(&["lab", "publish", "1", "--as", "cli:lab-clerk"], &url);
    assert!(!ok);
    assert!(stderr.contains("own import"), "{stderr}");
    let (ok, stdout, stderr) = envmon(&["lab", "publish", "1", "--as", "chief-chemist"], &url);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("87 sample(s) at 29 site(s)"), "{stdout}");
    assert!(stdout.contains("1 sample(s) failing"), "{stdout}");
    let (ok, _, stderr) = envmon(&["lab", "publish", "1", "--as", "chief-chemist"], &url);
    assert!(!ok);
    assert!(stderr.contains("published, not pending"), "{stderr}");

    // Below-detection results are stored as such, never as zero.
    let below = system
        .db
        .count(
            "SELECT count(*) FROM lab_result
             WHERE qualifier = 'below_detection' AND value > 0 AND value_text LIKE '<%'",
        )
        .await;
    assert!(below > 0);
    assert_eq!(
        system
            .db
            .count(
                "SELECT count(*) FROM lab_result WHERE qualifier = 'below_detection' AND value = 0"
            )
            .await,
        0
    );

    // The published compliance, against the file judged without the database.
    let judged: Vec<(String, LabVerdict)> = parse_csv(&clean, &stations)
        .unwrap()
        .iter()
        .map(|s| {
            let station = stations.iter().find(|st| st.code == s.site).unwrap();
            (station.kind.as_str().to_owned(), judge_sample(s, station))
        })
        .collect();
    let supply_of = |kind: &str| -> Vec<SampleVerdict> {
        judged
            .iter()
            .filter(|(k, _)| k == kind)
            .filter_map(|(_, v)| match v {
                LabVerdict::Supply(verdict) => Some(verdict.clone()),
                LabVerdict::Surface { .. } => None,
            })
            .collect()
    };
    let figures = get_json(&system, "/api/v1/drinking/compliance?period=2026-Q3").await;
    for (kind, stage) in [("plant", "outlet"), ("tap", "network")] {
        let independent = compliance_rates(&supply_of(kind));
        let published = &figures["city"][stage];
        assert_eq!(
            (
                published["samples"]["judged"].as_u64(),
                published["samples"]["passing"].as_u64(),
                published["results"]["judged"].as_u64(),
                published["results"]["passing"].as_u64(),
            ),
            (
                Some(independent.samples.judged as u64),
                Some(independent.samples.passing as u64),
                Some(independent.results.judged as u64),
                Some(independent.results.passing as u64),
            ),
            "{stage}: {published}"
        );
    }
    assert_eq!(figures["city"]["network"]["samples"]["judged"], 60);
    assert_eq!(figures["city"]["network"]["samples"]["passing"], 59);
    let failure = &figures["failures"][0];
    assert_eq!(failure["result"]["item"], "free_chlorine");
    assert_eq!(failure["result"]["value_text"], "0.03");
    let failing_site = failure["station"].as_str().unwrap().to_owned();
    let failing_sample = failure["sample_id"].as_str().unwrap().to_owned();

    // The laboratory corrects a transcription error: the residual was 0.30.
    let line = clean
        .lines()
        .find(|l| l.contains(&failing_sample) && l.contains(",free_chlorine,"))
        .unwrap();
    let correction = format!(
        "{}\r\n{}\r\n",
        clean.lines().next().unwrap(),
        line.replacen(",0.03,", ",0.30,", 1)
    );
    let path = write("correction.csv", &correction);
    let (ok, stdout, stderr) = envmon(
        &["lab", "import", path.to_str().unwrap(), "--as", "lab-clerk"],
        &url,
    );
    assert!(ok, "{stderr}");
    assert!(stdout.contains("0 new, 1 revised"), "{stdout}");
    assert!(stdout.contains("free_chlorine: 0.03 -> 0.3"), "{stdout}");
    let (ok, stdout, stderr) = envmon(&["lab", "publish", "2", "--as", "chief-chemist"], &url);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("1 result(s) revised, 0 sample(s) failing"),
        "{stdout}"
    );
    let row = system
        .db
        .client()
        .await
        .query_one(
            "SELECT r.value, r.revision, r.outcome, s.compliant, s.revision,
                    (SELECT value FROM lab_result_revision v
                     WHERE v.station_code = r.station_code AND v.sample_id = r.sample_id
                       AND v.item = r.item AND v.revision = 0)
             FROM lab_result r JOIN lab_sample s USING (station_code, sample_id)
             WHERE r.station_code = $1 AND r.sample_id = $2 AND r.item = 'free_chlorine'",
            &[&failing_site, &failing_sample],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Option<f64>>(0), Some(0.3));
    assert_eq!(row.get::<_, i32>(1), 1);
    assert_eq!(row.get::<_, &str>(2), "pass");
    assert_eq!(row.get::<_, Option<bool>>(3), Some(true));
    assert_eq!(row.get::<_, i32>(4), 1);
    assert_eq!(row.get::<_, Option<f64>>(5), Some(0.03));
    // The sample's other results are kept as they were.
    assert!(
        system
            .db
            .count(&format!(
                "SELECT count(*) FROM lab_result WHERE sample_id = '{failing_sample}'"
            ))
            .await
            > 5
    );
    let figures = get_json(&system, "/api/v1/drinking/compliance?period=2026-Q3").await;
    assert_eq!(figures["city"]["network"]["samples"]["passing"], 60);

    // Open data: each result with its limit and outcome, also as CSV.
    let csv = http::get(
        system.publisher_addr,
        &format!("/api/v1/drinking/samples?site={failing_site}&period=2026-Q3&format=csv"),
    )
    .await
    .unwrap();
    assert_eq!(csv.status, 200);
    let header = csv.body.lines().next().unwrap();
    assert!(
        header.contains("value_text") && header.contains("limit") && header.contains("outcome")
    );
    assert!(csv.body.contains("≥ 0.05 mg/L"), "{}", csv.body);
    system.shutdown().await;
}
