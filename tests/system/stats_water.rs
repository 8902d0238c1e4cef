//! `envmon stats water` over stored water assessments: the binary against a real PostgreSQL
//! holding the Shanghai registry (18 river sections with target III, 4 reservoir sources with
//! target II), with records stored as ingest stores them.

use std::process::Command;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use envmon_core::station::WaterBodyType;
use envmon_core::water::{
    SECOND_LEVEL_ZONE_CLASS, WaterClass, WaterItem, assess, drinking_source_compliance,
};
use serde_json::Value;
use tokio_postgres::Client;

use crate::helpers::TestDb;
use WaterItem::{Do, Nh3n, Ph, Tp};

/// A Beijing wall-clock instant.
fn beijing(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Stores one record's assessment as ingest does (`ingest/src/indices.rs`, `water`).
async fn store(
    client: &Client,
    station: &str,
    at: DateTime<Utc>,
    body: WaterBodyType,
    target: WaterClass,
    samples: &[(WaterItem, f64)],
) {
    let assessment = assess(samples, body, target);
    let mut report = serde_json::to_value(&assessment).unwrap();
    if station.ends_with("-shuiku") {
        let compliance = drinking_source_compliance(samples, body, SECOND_LEVEL_ZONE_CLASS);
        report["source_compliance"] = serde_json::to_value(&compliance).unwrap();
    }
    let class = assessment.class.map(|c| i16::from(c.number()));
    client
        .execute(
            "INSERT INTO water_assessment (station_code, observed_at, class, meets_target, report)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &station,
                &at,
                &class,
                &class.map(|_| assessment.meets_target),
                &report,
            ],
        )
        .await
        .unwrap();
}

async fn river(client: &Client, station: &str, at: DateTime<Utc>, samples: &[(WaterItem, f64)]) {
    store(
        client,
        station,
        at,
        WaterBodyType::River,
        WaterClass::III,
        samples,
    )
    .await;
}

async fn reservoir(client: &Client, at: DateTime<Utc>, samples: &[(WaterItem, f64)]) {
    store(
        client,
        "jinze-shuiku",
        at,
        WaterBodyType::Lake,
        WaterClass::II,
        samples,
    )
    .await;
}

/// Three sections and one source over January to March 2027 (Beijing months).
async fn seed(client: &Client) {
    // linjiang: January NH3-N (0.8 + 1.6 + 0.6) / 3 = 1.0, exactly row 7's class III limit;
    // the last record, 23:00 on 31 January, is January's. February (from 00:00 on 1
    // February) NH3-N (1.2 + 1.4) / 2 = 1.3 → IV. No March records: the one at 00:00 on
    // 1 April and the one in December are outside the period (NH3-N 9 would be 劣V).
    river(
        client,
        "linjiang",
        beijing(2026, 12, 31, 23, 59),
        &[(Nh3n, 9.0)],
    )
    .await;
    river(
        client,
        "linjiang",
        beijing(2027, 1, 5, 8, 0),
        &[(Nh3n, 0.8), (Do, 6.0), (Ph, 7.5)],
    )
    .await;
    river(
        client,
        "linjiang",
        beijing(2027, 1, 20, 8, 0),
        &[(Nh3n, 1.6), (Do, 6.0), (Ph, 7.5)],
    )
    .await;
    river(
        client,
        "linjiang",
        beijing(2027, 1, 31, 23, 0),
        &[(Nh3n, 0.6), (Do, 6.0), (Ph, 7.5)],
    )
    .await;
    river(
        client,
        "linjiang",
        beijing(2027, 2, 1, 0, 0),
        &[(Nh3n, 1.2), (Do, 6.0)],
    )
    .await;
    river(
        client,
        "linjiang",
        beijing(2027, 2, 15, 8, 0),
        &[(Nh3n, 1.4), (Do, 6.0)],
    )
    .await;
    river(
        client,
        "linjiang",
        beijing(2027, 4, 1, 0, 0),
        &[(Nh3n, 9.0)],
    )
    .await;
    // minhangxijie: January DO (4.0 + 4.4) / 2 = 4.2, below row 3's class III minimum 5 → IV;
    // February TP 0.5 above row 8's class V 0.4 → 劣V; March NH3-N 0.3 → II.
    river(
        client,
        "minhangxijie",
        beijing(2027, 1, 10, 8, 0),
        &[(Do, 4.0), (Nh3n, 0.4)],
    )
    .await;
    river(
        client,
        "minhangxijie",
        beijing(2027, 1, 11, 8, 0),
        &[(Do, 4.4), (Nh3n, 0.4)],
    )
    .await;
    river(
        client,
        "minhangxijie",
        beijing(2027, 2, 10, 8, 0),
        &[(Tp, 0.5), (Nh3n, 0.3)],
    )
    .await;
    river(
        client,
        "minhangxijie",
        beijing(2027, 3, 10, 8, 0),
        &[(Do, 7.5), (Nh3n, 0.3)],
    )
    .await;
    // mingxingluqiao: January pH 9.2 outside row 2's 6–9 → 劣V; February I; March DO 2.0,
    // exactly row 3's class V minimum → V.
    river(
        client,
        "mingxingluqiao",
        beijing(2027, 1, 10, 8, 0),
        &[(Ph, 9.2), (Do, 8.0)],
    )
    .await;
    river(
        client,
        "mingxingluqiao",
        beijing(2027, 2, 10, 8, 0),
        &[(Ph, 8.0), (Do, 8.0)],
    )
    .await;
    river(
        client,
        "mingxingluqiao",
        beijing(2027, 3, 10, 8, 0),
        &[(Ph, 8.5), (Do, 2.0)],
    )
    .await;
    // jinze-shuiku (reservoir, target II; compliance against class III, lake TP III = 0.05):
    // January: the second sample's TP 0.08 fails, and the month mean TP 0.06 too (class IV).
    // February: the first sample's DO 4.5 fails (III minimum 5); the mean DO 5.5 complies
    // (class III, short of the target II's 6). March: all class I, compliant.
    reservoir(
        client,
        beijing(2027, 1, 10, 8, 0),
        &[(Do, 6.5), (Nh3n, 0.4), (Tp, 0.04)],
    )
    .await;
    reservoir(
        client,
        beijing(2027, 1, 20, 8, 0),
        &[(Do, 6.5), (Nh3n, 0.4), (Tp, 0.08)],
    )
    .await;
    reservoir(
        client,
        beijing(2027, 2, 10, 8, 0),
        &[(Do, 4.5), (Nh3n, 0.3), (Tp, 0.02)],
    )
    .await;
    reservoir(
        client,
        beijing(2027, 2, 20, 8, 0),
        &[(Do, 6.5), (Nh3n, 0.3), (Tp, 0.02)],
    )
    .await;
    reservoir(
        client,
        beijing(2027, 3, 10, 8, 0),
        &[(Do, 7.6), (Nh3n, 0.1), (Tp, 0.01)],
    )
    .await;
}

fn envmon(args: &[&str], database_url: &str) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(args)
        .env_remove("ENVMON_CONFIG")
        .env("ENVMON__DATABASE__URL", database_url)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn run_json(args: &[&str], database_url: &str) -> Value {
    let (ok, stdout, stderr) = envmon(args, database_url);
    assert!(ok, "{stdout}{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

fn station<'a>(json: &'a Value, code: &str) -> &'a Value {
    json["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["station"] == code)
        .unwrap_or_else(|| panic!("no {code} in {json}"))
}

/// The month classes of a station, `null` for a month without records.
fn classes(site: &Value) -> Vec<Option<u64>> {
    site["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["class"].as_u64())
        .collect()
}

fn assert_share(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is no share"));
    assert!((got - expected).abs() < 1e-9, "{got} != {expected}");
}

fn counts(value: &Value) -> Vec<(String, u64)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["item"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, u64)]) -> Vec<(String, u64)> {
    expected
        .iter()
        .map(|(i, c)| ((*i).to_owned(), *c))
        .collect()
}

/// A month's city figures: class counts, sections assessed, shares of I–III, worse than V and
/// meeting the target, main pollutants.
type MonthFigures<'a> = ([u64; 6], u64, f64, f64, f64, &'a [(&'a str, u64)]);

#[tokio::test]
async fn water_statistics_of_a_quarter_from_stored_assessments() {
    // Arrange
    let db = TestDb::new().await;
    seed(&db.client().await).await;

    // Act
    let json = run_json(
        &[
            "stats", "water", "--from", "2027-01", "--to", "2027-03", "--json",
        ],
        &db.url,
    );

    // Assert: each section's months.
    assert_eq!(
        (json["from"].as_str(), json["months"].as_u64()),
        (Some("2027-01"), Some(3))
    );
    let linjiang = station(&json, "linjiang");
    assert_eq!(classes(linjiang), [Some(3), Some(4), None]);
    assert_eq!(linjiang["months"][0]["records"], 3);
    assert_eq!(
        linjiang["months"][0]["determining"],
        serde_json::json!(["nh3n"])
    );
    assert_eq!(linjiang["months"][0]["meets_target"], true);
    assert_eq!(linjiang["months"][1]["records"], 2);
    assert_eq!(
        linjiang["months"][1]["exceeding_target"],
        serde_json::json!(["nh3n"])
    );
    assert_eq!(linjiang["months"][2]["records"], 0);
    assert_eq!(linjiang["months"][2]["meets_target"], Value::Null);
    // One of two classed months meets III; the period's NH3-N (0.8 + 1.6 + 0.6 + 1.2 + 1.4) / 5
    // = 1.12 → IV.
    assert_eq!(
        (
            linjiang["months_assessed"].as_u64(),
            linjiang["months_meeting_target"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_share(&linjiang["month_attainment_share"], 0.5);
    assert_eq!(linjiang["period"]["class"], 4);
    let nh3n = &linjiang["period"]["means"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["item"] == "nh3n")
        .unwrap();
    assert_share(&nh3n["mean"], 1.12);
    assert_eq!(nh3n["samples"], 5);

    let minhang = station(&json, "minhangxijie");
    assert_eq!(classes(minhang), [Some(4), Some(6), Some(2)]);
    assert_eq!(
        minhang["months"][0]["determining"],
        serde_json::json!(["do"])
    );
    assert_eq!(
        minhang["months"][1]["determining"],
        serde_json::json!(["tp"])
    );
    // Period: DO (4.0 + 4.4 + 7.5) / 3 = 5.3 → III, NH3-N 0.35 → II, TP 0.5 → 劣V.
    assert_eq!(minhang["period"]["class"], 6);
    assert_share(&minhang["month_attainment_share"], 1.0 / 3.0);

    let mingxing = station(&json, "mingxingluqiao");
    assert_eq!(classes(mingxing), [Some(6), Some(1), Some(5)]);
    assert_eq!(
        mingxing["months"][0]["determining"],
        serde_json::json!(["ph"])
    );
    assert_eq!(
        mingxing["months"][2]["determining"],
        serde_json::json!(["do"])
    );
    // Period: pH (9.2 + 8.0 + 8.5) / 3 ≈ 8.57 → I, DO (8 + 8 + 2) / 3 = 6 → II.
    assert_eq!(mingxing["period"]["class"], 2);
    assert_eq!(mingxing["period"]["determining"], serde_json::json!(["do"]));

    // Sections without records are listed with no class.
    assert_eq!(classes(station(&json, "wuxiao")), [None, None, None]);

    // The city, month by month, over the 3 of 18 sections with a class:
    //   January  linjiang III, minhangxijie IV (DO), mingxingluqiao 劣V (pH)
    //   February linjiang IV (NH3-N), minhangxijie 劣V (TP), mingxingluqiao I
    //   March    minhangxijie II, mingxingluqiao V (DO); linjiang has no records
    let month_figures = json["city_months"].as_array().unwrap();
    let expected: [MonthFigures; 3] = [
        (
            [0, 0, 1, 1, 0, 1],
            3,
            1.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
            &[("ph", 1), ("do", 1)],
        ),
        (
            [1, 0, 0, 1, 0, 1],
            3,
            1.0 / 3.0,
            1.0 / 3.0,
            1.0 / 3.0,
            &[("nh3n", 1), ("tp", 1)],
        ),
        ([0, 1, 0, 0, 1, 0], 2, 0.5, 0.0, 0.5, &[("do", 1)]),
    ];
    for (figures, (class_counts, assessed, good, worse, attained, main)) in
        month_figures.iter().zip(expected)
    {
        assert_eq!(figures["sections"], 18, "{figures}");
        assert_eq!(figures["sections_assessed"], assessed, "{figures}");
        assert_eq!(
            figures["class_counts"],
            serde_json::json!(class_counts),
            "{figures}"
        );
        assert_share(&figures["good_share"], good);
        assert_share(&figures["worse_than_v_share"], worse);
        assert_share(&figures["attainment_rate"], attained);
        assert_eq!(
            counts(&figures["main_pollutants"]),
            pairs(main),
            "{figures}"
        );
    }
    // The quarter, by the period means: linjiang IV (NH3-N), minhangxijie 劣V (TP),
    // mingxingluqiao II.
    let city = &json["city"];
    assert_eq!(
        (city["from"].as_str(), city["to"].as_str()),
        (Some("2027-01"), Some("2027-03"))
    );
    assert_eq!(city["class_counts"], serde_json::json!([0, 1, 0, 1, 0, 1]));
    assert_share(&city["good_share"], 1.0 / 3.0);
    assert_share(&city["worse_than_v_share"], 1.0 / 3.0);
    assert_share(&city["attainment_rate"], 1.0 / 3.0);
    assert_eq!(
        counts(&city["main_pollutants"]),
        pairs(&[("nh3n", 1), ("tp", 1)])
    );

    // The source: 5 samples, 3 compliant (January's first, February's second, March's);
    // months: January fails on TP, February and March comply.
    let jinze = station(&json, "jinze-shuiku");
    assert_eq!(classes(jinze), [Some(4), Some(3), Some(1)]);
    assert_eq!(jinze["months_meeting_target"], 1);
    let source = &jinze["source"];
    assert_eq!(
        (
            source["samples_assessed"].as_u64(),
            source["samples_compliant"].as_u64()
        ),
        (Some(5), Some(3))
    );
    assert_share(&source["sample_compliance_share"], 0.6);
    assert_eq!(
        (
            source["months_assessed"].as_u64(),
            source["months_compliant"].as_u64()
        ),
        (Some(3), Some(2))
    );
    assert_share(&source["month_compliance_share"], 2.0 / 3.0);
    assert_eq!(
        counts(&source["failed_samples"]),
        pairs(&[("do", 1), ("tp", 1)])
    );
    assert_eq!(counts(&source["failed_months"]), pairs(&[("tp", 1)]));
    assert_eq!(
        jinze["months"][0]["source"]["failing_items"],
        serde_json::json!(["tp"])
    );
    assert_eq!(jinze["months"][1]["source"]["samples_not_compliant"], 1);
    // The other sources have no records: the total is jinze's.
    assert_eq!(&json["sources"], source);
    assert!(station(&json, "linjiang").get("source").is_none());
}

#[tokio::test]
async fn water_statistics_of_one_station_as_a_table_and_refusals() {
    let db = TestDb::new().await;
    seed(&db.client().await).await;

    // One station: its months, no city figures.
    let json = run_json(
        &[
            "stats",
            "water",
            "--from",
            "2027-02",
            "--to",
            "2027-02",
            "--station",
            "linjiang",
            "--json",
        ],
        &db.url,
    );
    assert_eq!(json["stations"].as_array().unwrap().len(), 1);
    assert_eq!(classes(station(&json, "linjiang")), [Some(4)]);
    assert!(
        json.get("city").is_none() && json.get("sources").is_none(),
        "{json}"
    );

    // The table.
    let (ok, stdout, stderr) = envmon(
        &["stats", "water", "--from", "2027-01", "--to", "2027-03"],
        &db.url,
    );
    assert!(ok, "{stderr}");
    let line = stdout.lines().find(|l| l.starts_with("linjiang ")).unwrap();
    assert!(
        line.contains("III nh3n") && line.contains("IV nh3n"),
        "{stdout}"
    );
    assert!(line.ends_with("1 of 2 months (50.0 %)"), "{line}");
    assert!(stdout.contains("2027-01..2027-03"), "{stdout}");
    let source = stdout
        .lines()
        .find(|l| l.starts_with("jinze-shuiku ") && l.contains("samples"))
        .unwrap();
    assert!(
        source.contains("samples compliant 3 of 5 (60.0 %)"),
        "{source}"
    );

    // Refusals: an unknown site, a date, a reversed range.
    let (ok, _, stderr) = envmon(
        &[
            "stats",
            "water",
            "--from",
            "2027-01",
            "--to",
            "2027-01",
            "--station",
            "1141A",
        ],
        &db.url,
    );
    assert!(
        !ok && stderr.contains("no river section or drinking-water source"),
        "{stderr}"
    );
    let (ok, _, stderr) = envmon(
        &["stats", "water", "--from", "2027-01-01", "--to", "2027-01"],
        &db.url,
    );
    assert!(!ok && stderr.contains("YYYY-MM"), "{stderr}");
    let (ok, _, stderr) = envmon(
        &["stats", "water", "--from", "2027-03", "--to", "2027-01"],
        &db.url,
    );
    assert!(!ok && stderr.contains("before"), "{stderr}");
}
