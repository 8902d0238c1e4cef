//! `envmon aqi` and `envmon water`: the binary run over CSV, as staff and
//! auditors use it to check a verdict by hand.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(args)
        .env_remove("ENVMON_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.success(),
        text(output.stdout),
        text(output.stderr),
    )
}

/// The city's AQI from two stations' rows: PM2.5 (58 + 66) / 2 = 62 → 101.8 → 102, and the
/// other pollutants' means are low; at 17:00 one of the two stations is silent (1 of 2 < 75 %),
/// so the area has no valid mean of anything and no AQI.
#[test]
fn aqi_area_writes_one_row_per_time_for_the_stations_together() {
    let input = "time,station,so2,no2,co,o3,pm10,pm25\n\
                 2026-11-25T16:00:00+08:00,1141A,8,45,0.7,120,80,58\n\
                 2026-11-25T16:00:00+08:00,1142A,8,45,0.7,120,90,66\n\
                 2026-11-25T17:00:00+08:00,1141A,8,45,0.7,120,80,58\n";
    let (ok, stdout, stderr) = run(&["aqi", "--area"], input);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "time,aqi,level,category,primary,edition,stations");
    assert_eq!(
        lines[1],
        "2026-11-25T16:00:00+08:00,102,3,轻度污染,pm25,HJ 633-2026,2"
    );
    assert_eq!(lines[2], "2026-11-25T17:00:00+08:00,,,,,HJ 633-2026,1");
    let (ok, _, stderr) = run(
        &["aqi", "--area"],
        "time,pm25\n2026-11-25T16:00:00+08:00,30\n",
    );
    assert!(!ok);
    assert!(stderr.contains("no `station` column"), "{stderr}");
}

#[test]
fn aqi_appends_the_verdict_judged_by_the_edition_of_each_hour() {
    let input = "time,so2,no2,co,o3,pm10,pm25\n\
                 2026-11-25T16:00:00+08:00,8,45,0.7,120,85,62\n\
                 2026-03-01T00:00:00+08:00,8,45,0.7,120,85,62\n\
                 2026-11-25T17:00:00+08:00,8,45,0.7,120,,40\n";
    let (ok, stdout, stderr) = run(&["aqi"], input);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "time,so2,no2,co,o3,pm10,pm25,aqi,level,category,primary,edition"
    );
    // HJ 633-2026 Table 3: PM2.5 62 -> 101.8 -> 102, 轻度污染.
    assert_eq!(
        lines[1],
        "2026-11-25T16:00:00+08:00,8,45,0.7,120,85,62,102,3,轻度污染,pm25,HJ 633-2026"
    );
    // The hour labelled 2026-03-01T00:00+08:00 is still HJ 633-2012: 83.75 -> 84.
    assert_eq!(
        lines[2],
        "2026-03-01T00:00:00+08:00,8,45,0.7,120,85,62,84,2,良,pm25,HJ 633-2012"
    );
    // PM10 missing and AQI 60 <= 100: HJ 633-2026 5.3 withholds the AQI.
    assert_eq!(
        lines[3],
        "2026-11-25T17:00:00+08:00,8,45,0.7,120,,40,,,,,HJ 633-2026"
    );
}

#[test]
fn aqi_refuses_a_bad_cell_naming_its_place() {
    let (ok, _, stderr) = run(&["aqi"], "time,pm25\n2026-11-25T16:00:00+08:00,lots\n");
    assert!(!ok);
    assert!(
        stderr.contains("pm25") && stderr.contains("line 2"),
        "{stderr}"
    );
}

#[test]
fn water_appends_class_determining_items_and_exceedances() {
    let input = "station,body,target,ph,do,codmn,nh3n,tp\n\
                 wusongkou,river,3,7.6,6.5,3.9,1.3,0.15\n\
                 qingcaosha,lake,II,7.5,8,2.5,0.1,0.02\n";
    let (ok, stdout, stderr) = run(&["water"], input);
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "station,body,target,ph,do,codmn,nh3n,tp,class,determining,exceedances"
    );
    // GB 3838-2002 Table 1: NH3-N 1.3 is class IV; (1.3 - 1.0) / 1.0 = 0.30 over class III.
    assert_eq!(
        lines[1],
        "wusongkou,river,3,7.6,6.5,3.9,1.3,0.15,IV,nh3n,nh3n:0.30"
    );
    // A reservoir: TP 0.02 is class II on the lake column (0.025), CODMn 2.5 is class II.
    assert_eq!(
        lines[2],
        "qingcaosha,lake,II,7.5,8,2.5,0.1,0.02,II,codmn;tp,"
    );
}

#[test]
fn help_documents_the_columns() {
    let (ok, stdout, _) = run(&["aqi", "--help"], "");
    assert!(ok);
    assert!(
        stdout.contains("o3_8h") && stdout.contains("edition"),
        "{stdout}"
    );
    let (ok, stdout, _) = run(&["water", "--help"], "");
    assert!(ok);
    assert!(
        stdout.contains("determining") && stdout.contains("target"),
        "{stdout}"
    );
}

#[test]
fn decode_shows_what_ingest_makes_of_a_payload() {
    let payload = r#"{"station":"1141A","observed_at":"2026-11-25T18:00:00+08:00",
        "readings":{"no2":{"value":20,"unit":"ppb"},"pm25":-2}}"#;
    let (ok, stdout, stderr) = run(&["decode", "--topic", "sensors/air/1141A"], payload);
    assert!(ok, "{stderr}");
    let line: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(line["station"], "1141A");
    assert_eq!(line["observed_at"], "2026-11-25T10:00:00Z");
    let readings = line["readings"].as_array().unwrap();
    let no2 = readings.iter().find(|r| r["parameter"] == "no2").unwrap();
    // 20 ppb x 46.01 / 24.45 = 37.64 ug/m3 at the GB 3095 reference state.
    assert!((no2["value"].as_f64().unwrap() - 37.636).abs() < 0.001);
    let pm25 = readings.iter().find(|r| r["parameter"] == "pm25").unwrap();
    assert_eq!(pm25["quality"], "out_of_range");

    let (ok, stdout, _) = run(&["decode", "--topic", "sensors/air/1141A"], "[{\"n\":1}]");
    assert!(ok);
    let refusal: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(
        refusal["refused"]["reason_code"]
            .as_str()
            .unwrap()
            .starts_with("senml_"),
        "{refusal}"
    );
}
