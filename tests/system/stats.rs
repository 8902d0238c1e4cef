//! Period statistics from the stored daily aggregates, through the real CLI and PostgreSQL.

use std::process::Command;

use crate::helpers::{TestDb, TestSystem, http};

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

fn date(text: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Stores one day's valid daily statistics of a station.
async fn store_day(
    client: &tokio_postgres::Client,
    station: &str,
    day: &str,
    [so2, no2, co, o3_8h, pm10, pm25]: [f64; 6],
) {
    client
        .execute(
            "INSERT INTO daily_stat (station_code, parameter_code, day, statistic, value, count, valid)
             SELECT $1, p, $2::text::date, s, v, 24, true
             FROM unnest(ARRAY['so2', 'no2', 'co', 'o3', 'pm10', 'pm25'],
                         ARRAY['mean', 'mean', 'mean', 'max_8h', 'mean', 'mean'],
                         ARRAY[$3, $4, $5, $6, $7, $8]::float8[]) AS t(p, s, v)",
            &[&station, &day, &so2, &no2, &co, &o3_8h, &pm10, &pm25],
        )
        .await
        .unwrap();
}

/// Pudong (four stations) in April 2027 against April 2026, worked by hand:
///
/// - Each day the stations' PM2.5 are 30, 34, 38 and 42 (mean 36) except on 1–3 April, when
///   all four read 150; PM10 60, SO2 8, NO2 30, CO 0.6; O3 daily maximum 8 h 100 + day.
///   On 10 April station 3274A has no data: 3 of 4 still count (75 %).
/// - Daily AQI (HJ 633-2026): 1–3 April PM2.5 150 → 200 (moderately polluted: exceedance, not
///   heavy); other days at most 75 (O3 130 → 75), so 27 good days of 30: 90.0 %.
/// - PM2.5 mean (3 × 150 + 27 × 36) / 30 = 47.4 → 47 (on 10 April the three stations' mean is
///   (30 + 34 + 38) / 3 = 34, so the sum is 2 lower: 47.33 → 47); O3 p90 of 101 … 130: k = 27.1
///   → 127.1 → 127; limits in force on 30 April 2027: transitional grade 2 (PM2.5 30).
/// - April 2026: PM2.5 50 every day → AQI 80, all good: ratio −10.0 points, PM2.5 −6.0 %.
/// - Composite index 8/60 + 30/40 + 0.6/4 + 127/160 + 60/60 + 47/30 = 4.39.
#[tokio::test]
async fn air_statistics_of_a_district_month_against_the_year_before() {
    let db = TestDb::new().await;
    let client = db.client().await;
    let stations = ["1148A", "1149A", "1150A", "3274A"];
    for day in 1..=30 {
        for (i, station) in stations.iter().enumerate() {
            if day == 10 && *station == "3274A" {
                continue;
            }
            let pm25 = if day <= 3 {
                150.0
            } else {
                30.0 + 4.0 * i as f64
            };
            let this_year = format!("2027-04-{day:02}");
            store_day(
                &client,
                station,
                &this_year,
                [8.0, 30.0, 0.6, 100.0 + f64::from(day), 60.0, pm25],
            )
            .await;
            let last_year = format!("2026-04-{day:02}");
            store_day(
                &client,
                station,
                &last_year,
                [8.0, 30.0, 0.6, 100.0, 60.0, 50.0],
            )
            .await;
        }
    }

    // The districts' days, recomputed from the stations' as the rollup does.
    let (ok, stdout, stderr) = envmon(
        &[
            "stats",
            "rebuild-areas",
            "--from",
            "2026-04-01",
            "--to",
            "2027-04-30",
        ],
        &db.url,
    );
    assert!(ok, "{stderr}");
    // 30 days of four stations in each April, less 3274A's 10 April.
    assert!(stdout.contains("from 238 station-days"), "{stdout}");

    let (ok, stdout, stderr) = envmon(
        &[
            "stats",
            "air",
            "--from",
            "2027-04-01",
            "--to",
            "2027-04-30",
            "--area",
            "pudong",
            "--json",
        ],
        &db.url,
    );
    assert!(ok, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let period = &report["period"];
    assert_eq!(period["days"], 30);
    assert_eq!(period["valid_days"], 30);
    assert_eq!(period["good_days"], 27);
    assert_eq!(period["good_day_ratio"], 0.9);
    assert_eq!(period["exceedance_days"], 3);
    assert_eq!(period["heavy_pollution_days"], 0);
    assert_eq!(period["level_days"], serde_json::json!([0, 27, 0, 3, 0, 0]));
    let pollutant = |code: &str| {
        period["pollutants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["pollutant"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(pollutant("pm25")["value"], 47.0);
    assert_eq!(pollutant("pm25")["limit"], 30.0);
    assert_eq!(pollutant("pm25")["attains"], false);
    assert_eq!(pollutant("o3")["statistic"], "percentile90");
    assert_eq!(pollutant("o3")["value"], 127.0);
    assert_eq!(pollutant("co")["value"], 0.6);
    assert_eq!(report["composite_index"]["value"], 4.39);
    let before = &report["year_before"];
    assert_eq!(before["good_day_ratio"], 1.0);
    assert_eq!(before["good_day_ratio_change_points"], -10.0);
    let pm25_change = before["pollutants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pollutant"] == "pm25")
        .unwrap();
    assert_eq!(pm25_change["change_percent"], -6.0);

    // The table says the same in words.
    let (ok, table, stderr) = envmon(
        &[
            "stats",
            "air",
            "--from",
            "2027-04-01",
            "--to",
            "2027-04-30",
            "--area",
            "pudong",
        ],
        &db.url,
    );
    assert!(ok, "{stderr}");
    assert!(
        table.contains("good-day ratio 90.0 % (year before 100.0 %, -10.0 points)"),
        "{table}"
    );
    assert!(table.contains("composite index 4.39"), "{table}");
}

#[tokio::test]
async fn stats_refuse_an_unknown_area_and_a_reversed_period() {
    let db = TestDb::new().await;
    let (ok, _, stderr) = envmon(
        &[
            "stats",
            "air",
            "--from",
            "2027-04-01",
            "--to",
            "2027-04-30",
            "--area",
            "atlantis",
        ],
        &db.url,
    );
    assert!(!ok);
    assert!(stderr.contains("there is no area \"atlantis\""), "{stderr}");
    let (ok, _, stderr) = envmon(
        &["stats", "air", "--from", "2027-04-30", "--to", "2027-04-01"],
        &db.url,
    );
    assert!(!ok);
    assert!(stderr.contains("is before --from"), "{stderr}");
}

/// The same figures through the open-data API, and the period ranking of districts by the
/// composite index: Pudong (4.39, as above) and Jing'an, whose one station reads half of
/// Pudong's PM2.5 and PM10 (a cleaner composite), the other districts without data unranked.
#[tokio::test]
async fn the_api_serves_period_statistics_and_ranks_districts_by_the_composite_index() {
    let system = TestSystem::start_publisher_only().await;
    let client = system.db.client().await;
    for day in 1..=30 {
        let date = format!("2027-04-{day:02}");
        for (i, station) in ["1148A", "1149A", "1150A", "3274A"].iter().enumerate() {
            let pm25 = if day <= 3 {
                150.0
            } else {
                30.0 + 4.0 * i as f64
            };
            store_day(
                &client,
                station,
                &date,
                [8.0, 30.0, 0.6, 100.0 + f64::from(day), 60.0, pm25],
            )
            .await;
        }
        store_day(
            &client,
            "1147A",
            &date,
            [8.0, 30.0, 0.6, 100.0 + f64::from(day), 30.0, 18.0],
        )
        .await;
    }
    let mut client = client;
    envmon_ingest::rebuild_area_days(&mut client, date("2027-04-01"), date("2027-04-30"))
        .await
        .unwrap();
    let get = |path: &'static str| http::get(system.publisher_addr, path);
    let report = get("/api/v1/stats/air?area=pudong&from=2027-04-01&to=2027-04-30")
        .await
        .unwrap()
        .json();
    assert_eq!(report["subject"], "pudong");
    assert_eq!(report["period"]["good_day_ratio"], 0.9);
    assert_eq!(report["composite_index"]["value"], 4.39);
    let csv = get("/api/v1/stats/air?area=pudong&from=2027-04-01&to=2027-04-30&format=csv")
        .await
        .unwrap();
    assert!(
        csv.body
            .contains("pudong,2027-04-01,2027-04-30,30,27,0.9,pm25,mean,47,30,true,30,false,"),
        "{}",
        csv.body
    );
    let station = get("/api/v1/stats/air?station=1147A&from=2027-04-01&to=2027-04-30")
        .await
        .unwrap();
    assert_eq!(station.status, 200, "{}", station.body);
    for (path, reason) in [
        (
            "/api/v1/stats/air?area=atlantis&from=2027-04-01&to=2027-04-30",
            "no area",
        ),
        (
            "/api/v1/stats/air?from=2027-04-30&to=2027-04-01",
            "after `to`",
        ),
        ("/api/v1/stats/air?from=2020-01-01&to=2027-04-01", "at most"),
        ("/api/v1/stats/air?from=April", "must be a date"),
        ("/api/v1/stats/water?from=2027-13", "must be a month"),
    ] {
        let response = get(path).await.unwrap();
        assert!(
            response.status == 400 || response.status == 404,
            "{path}: {}",
            response.status
        );
        assert!(response.body.contains(reason), "{path}: {}", response.body);
    }

    // Jing'an: PM10 30/60 = 0.5 and PM2.5 18/30 = 0.6 instead of Pudong's 1.0 and 1.57.
    let ranking = get("/api/v1/rankings?period=range&from=2027-04-01&to=2027-04-30")
        .await
        .unwrap()
        .json();
    assert_eq!(ranking["by"], "composite");
    let items = ranking["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], "jingan");
    assert_eq!(items[0]["rank"], 1);
    assert_eq!(items[1]["id"], "pudong");
    assert_eq!(items[1]["value"], 4.39);
    assert_eq!(items[2]["rank"], serde_json::Value::Null);
    system.shutdown().await;
}
