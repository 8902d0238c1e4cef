//! An area's year charts (calendar heat map, good days by month, annual
//! statistics against the limits) drawn from stored daily statistics, and
//! the public page's city headline, district ranking, year and calendar in
//! headless Chromium (tests/browser/areas.mjs).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{Datelike, DurationRound, TimeDelta, Utc};
use envmon_core::aqi::{Edition, HourlyConcentrations, real_time_aqi};
use envmon_core::station::WaterBodyType;
use envmon_core::water::{WaterClass, WaterItem, assess};
use tokio::process::Command;

use crate::helpers::{TestSystem, http};

/// HJ 633 Table A.1 as the charts write the colours.
const GREEN: &str = "#00E400";
const YELLOW: &str = "#FFFF00";
const RED: &str = "#FF0000";
/// Days without a daily AQI.
const GREY: &str = "#C8CDD3";

/// One set of daily statistics per kind of day: HJ 633 level I (AQI ≤ 50),
/// level II (PM2.5 36 µg/m³) and level IV (PM2.5 150 µg/m³ → AQI 200), in
/// the order SO2, NO2, CO, O3 8 h, PM10, PM2.5.
const CLEAN: [f64; 6] = [5.0, 20.0, 0.4, 60.0, 20.0, 10.0];
const MODERATE: [f64; 6] = [8.0, 30.0, 0.6, 110.0, 60.0, 36.0];
const POLLUTED: [f64; 6] = [8.0, 30.0, 0.6, 110.0, 60.0, 150.0];

/// Whether the SVG has a text element reading exactly `label` (plotters
/// writes the text on a line of its own).
fn has_text(svg: &str, label: &str) -> bool {
    svg.contains(&format!(">\n{label}\n</text>"))
}

/// Stores valid daily statistics `values` for every station of `area` on
/// each day of `from..=to`, and rewrites the area's days as the rollup
/// does.
async fn store_days(
    client: &mut tokio_postgres::Client,
    area: &str,
    from: &str,
    to: &str,
    [so2, no2, co, o3_8h, pm10, pm25]: [f64; 6],
) {
    client
        .execute(
            "INSERT INTO daily_stat (station_code, parameter_code, day, statistic, value, count, valid)
             SELECT s.station_code, p, d::date, st, v, 24, true
             FROM area_station s,
                  generate_series($2::text::date, $3::text::date, interval '1 day') AS d,
                  unnest(ARRAY['so2', 'no2', 'co', 'o3', 'pm10', 'pm25'],
                         ARRAY['mean', 'mean', 'mean', 'max_8h', 'mean', 'mean'],
                         ARRAY[$4, $5, $6, $7, $8, $9]::float8[]) AS t(p, st, v)
             WHERE s.area_id = $1
             ON CONFLICT (station_code, parameter_code, day, statistic)
             DO UPDATE SET value = excluded.value",
            &[&area, &from, &to, &so2, &no2, &co, &o3_8h, &pm10, &pm25],
        )
        .await
        .unwrap();
    // As the rollup does after its stations' days: the area's days are rewritten.
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    envmon_ingest::rebuild_area_days(client, day(from), day(to))
        .await
        .unwrap();
}

/// Shanghai in 2025: January clean, 1–3 February polluted, the rest of
/// February and March moderate except 10 February (no data at all); and
/// every day of January to March 2024 clean.
async fn seed_2025(client: &mut tokio_postgres::Client) {
    store_days(client, "shanghai", "2025-01-01", "2025-01-31", CLEAN).await;
    store_days(client, "shanghai", "2025-02-01", "2025-02-03", POLLUTED).await;
    store_days(client, "shanghai", "2025-02-04", "2025-02-09", MODERATE).await;
    store_days(client, "shanghai", "2025-02-11", "2025-03-31", MODERATE).await;
    store_days(client, "shanghai", "2024-01-01", "2024-03-31", CLEAN).await;
}

#[tokio::test]
async fn area_year_charts_come_from_stored_days_in_both_languages_with_validators() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let mut client = system.db.client().await;
    seed_2025(&mut client).await;

    let svg = |path: String| async move {
        let response = http::get(addr, &path).await.unwrap();
        assert_eq!(response.status, 200, "{path}: {}", response.body);
        assert_eq!(response.header("content-type"), Some("image/svg+xml"));
        response
    };

    // Once the publisher hears the aggregates' announcements, its validators are theirs.
    crate::helpers::wait_for("announced validators", Duration::from_secs(10), || async {
        let response = http::get(addr, "/api/v1/charts/area/shanghai/calendar.svg?year=2025")
            .await
            .map_err(|e| e.to_string())?;
        let etag = response.header("etag").unwrap_or_default().to_owned();
        if etag.starts_with("\"m") {
            Ok(())
        } else {
            Err(etag)
        }
    })
    .await;
    let zh = svg("/api/v1/charts/area/shanghai/calendar.svg?year=2025".into()).await;
    let body = &zh.body;
    assert!(
        body.contains("上海市 2025年每日空气质量指数（AQI）"),
        "{body}"
    );
    // 90 days with an AQI: 31 + 3 + 56 - one day of February without data.
    assert!(body.contains("有效天数 89，优良天数 86"), "{body}");
    for label in [
        "1月",
        "12月",
        "优",
        "良",
        "中度污染",
        "严重污染",
        "无数据",
        "31",
    ] {
        assert!(has_text(body, label), "label {label}");
    }
    let fills = |colour: &str| body.matches(&format!("fill=\"{colour}\"")).count();
    // Each level's cells plus its legend swatch.
    assert_eq!(fills(GREEN), 31 + 1);
    assert_eq!(fills(RED), 3 + 1);
    assert_eq!(fills(YELLOW), 55 + 1);
    // 10 February and April to December: the year is over, so all missing.
    assert_eq!(fills(GREY), 1 + 275 + 1);
    assert!(
        has_text(body, "200"),
        "the AQI is written on the polluted days"
    );

    let en = svg("/api/v1/charts/area/shanghai/calendar.svg?year=2025&lang=en".into()).await;
    for label in ["Jan", "Dec", "Excellent", "Moderately Polluted", "No data"] {
        assert!(has_text(&en.body, label), "{label}");
    }
    assert!(
        en.body
            .contains("Shanghai: daily Air Quality Index (AQI), 2025")
    );
    assert!(en.body.contains("89 valid days, 86 good days"));
    assert_eq!(en.body.matches(&format!("fill=\"{RED}\"")).count(), 3 + 1);

    let good = svg("/api/v1/charts/area/shanghai/good-days.svg?year=2025".into()).await;
    // February 2025: 24 good days of 27 (89 %); March and 2024: every day good.
    for label in ["2024年", "2025年", "2月", "89", "100"] {
        assert!(has_text(&good.body, label), "{label}: {}", good.body);
    }
    let good_en = svg("/api/v1/charts/area/pudong/good-days.svg?year=2025&lang=en".into()).await;
    assert!(good_en.body.contains("Pudong"), "{}", good_en.body);
    assert!(good_en.body.contains("against 2024"));

    let annual = svg("/api/v1/charts/area/shanghai/annual.svg?year=2025&lang=en".into()).await;
    for label in [
        "PM2.5 annual mean",
        "O3 90th pct. of daily max 8 h",
        "limit",
    ] {
        assert!(has_text(&annual.body, label), "{label}: {}", annual.body);
    }
    assert!(annual.body.contains("too few days"));
    let annual_zh = svg("/api/v1/charts/area/shanghai/annual.svg?year=2025".into()).await;
    assert!(annual_zh.body.contains("GB 3095-2026 限值"));

    // PNG in both languages, with the headers other sites rely on.
    for lang in ["zh", "en"] {
        let path = format!("/api/v1/charts/area/shanghai/calendar.png?year=2025&lang={lang}");
        let png = http::get_bytes(addr, &path, &[]).await.unwrap();
        assert_eq!(png.status, 200, "{}", String::from_utf8_lossy(&png.body));
        assert_eq!(png.header("content-type"), Some("image/png"));
        assert!(png.body.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        std::fs::write(shots.join(format!("area-calendar-{lang}.png")), &png.body).unwrap();
        assert_eq!(png.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            png.header("content-security-policy"),
            Some("default-src 'none'; sandbox")
        );
    }
    let png = http::get_bytes(
        addr,
        "/api/v1/charts/area/shanghai/good-days.png?year=2025",
        &[],
    )
    .await
    .unwrap();
    assert!(png.body.starts_with(b"\x89PNG"));
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::write(shots.join("area-good-days-zh.png"), &png.body).unwrap();
    let png = http::get_bytes(
        addr,
        "/api/v1/charts/area/shanghai/annual.png?year=2025&lang=en",
        &[],
    )
    .await
    .unwrap();
    assert!(png.body.starts_with(b"\x89PNG"));
    std::fs::write(shots.join("area-annual-en.png"), &png.body).unwrap();

    // Validators: the same data revalidates; a new stored day changes the ETag.
    let path = "/api/v1/charts/area/shanghai/calendar.svg?year=2025";
    let etag = zh.header("etag").unwrap().to_owned();
    let again = http::get_bytes(addr, path, &[("If-None-Match", &etag)])
        .await
        .unwrap();
    assert_eq!(again.status, 304);
    let cached = http::get(addr, path).await.unwrap();
    assert_eq!(cached.header("x-envmon-render"), Some("cached"));
    store_days(&mut client, "shanghai", "2025-02-10", "2025-02-10", CLEAN).await;
    // The rebuild announces the change at its commit; the publisher hears it within moments.
    let changed = crate::helpers::wait_for("a new stored day", Duration::from_secs(10), || async {
        let response = http::get_bytes(addr, path, &[("If-None-Match", &etag)])
            .await
            .map_err(|e| e.to_string())?;
        if response.status == 200 {
            Ok(response)
        } else {
            Err(response.status.to_string())
        }
    })
    .await;
    let body = String::from_utf8(changed.body).unwrap();
    assert_eq!(body.matches(&format!("fill=\"{GREEN}\"")).count(), 32 + 1);

    // Embeddable: oEmbed turns the chart's URL into its PNG, sized to the consumer's bounds.
    let base = format!("http://{addr}");
    let chart_url = format!("{base}{path}&lang=en");
    let encoded: String = chart_url
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let answer = http::get(addr, &format!("/api/v1/oembed?url={encoded}&maxwidth=600"))
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = answer.json();
    assert_eq!(answer["type"], "photo");
    assert_eq!(answer["title"], "Shanghai: daily air quality in 2025");
    assert_eq!(
        (answer["width"].as_u64(), answer["height"].as_u64()),
        (Some(600), Some(325))
    );
    let image = answer["url"].as_str().unwrap().strip_prefix(&base).unwrap();
    let png = http::get_bytes(addr, image, &[]).await.unwrap();
    assert_eq!(png.status, 200);
    assert!(png.body.starts_with(b"\x89PNG"));
    let unknown = http::get(
        addr,
        &format!(
            "/api/v1/oembed?url={}",
            encoded.replace("shanghai", "atlantis")
        ),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // Refusals name what is wrong.
    for (path, status, words) in [
        ("/api/v1/charts/area/atlantis/calendar.svg", 404, "no area"),
        ("/api/v1/charts/area/shanghai/pie.svg", 400, "`file`"),
        (
            "/api/v1/charts/area/shanghai/calendar.svg?year=99",
            400,
            "`year`",
        ),
        (
            "/api/v1/charts/area/shanghai/calendar.svg?lang=fr",
            400,
            "`lang`",
        ),
        (
            "/api/v1/charts/area/shanghai/calendar.svg?range=7d",
            400,
            "`range`",
        ),
    ] {
        let response = http::get(addr, path).await.unwrap();
        assert_eq!(response.status, status, "{path}: {}", response.body);
        assert!(response.body.contains(words), "{path}: {}", response.body);
    }
    system.shutdown().await;
}

/// Stores an area's hour ending `hour_end` whose report is envmon-core's
/// real-time AQI of `pm25` (the other pollutants low).
async fn store_area_hour(client: &tokio_postgres::Client, area: &str, hour_end: &str, pm25: f64) {
    let edition = Edition::Hj633_2026;
    let report = real_time_aqi(
        edition,
        &HourlyConcentrations {
            so2_ug_m3: Some(5.0),
            no2_ug_m3: Some(20.0),
            co_mg_m3: Some(0.4),
            o3_ug_m3: Some(60.0),
            pm10_ug_m3: Some(20.0),
            pm25_ug_m3: Some(pm25),
            so2_24h_ug_m3: None,
        },
    )
    .unwrap();
    let aqi = report.aqi.map(|a| i16::try_from(a).unwrap());
    let level = report.level.map(|l| i16::from(l.level));
    let primary: Vec<String> = report.primary.iter().map(|p| p.code().to_owned()).collect();
    let report = serde_json::to_value(&report).unwrap();
    client
        .execute(
            "INSERT INTO area_aqi_hourly (area_id, hour_end, edition, aqi, computed_aqi, level,
                 primary_pollutants, stations, report)
             SELECT $1, $2::text::timestamptz, $3, $4, $4, $5, $6,
                    (SELECT count(*) FROM area_station WHERE area_id = $1)::smallint, $7",
            &[
                &area,
                &hour_end,
                &edition.code(),
                &aqi,
                &level,
                &primary,
                &report,
            ],
        )
        .await
        .unwrap();
}

/// Stores a river section's record (target class III) as ingest assesses it.
async fn store_river(client: &tokio_postgres::Client, station: &str, nh3n: f64) {
    let samples = [
        (WaterItem::Nh3n, nh3n),
        (WaterItem::Do, 7.0),
        (WaterItem::Ph, 7.4),
    ];
    let assessment = assess(&samples, WaterBodyType::River, WaterClass::III);
    let class = assessment.class.map(|c| i16::from(c.number()));
    let report = serde_json::to_value(&assessment).unwrap();
    let at = Utc::now() - TimeDelta::hours(1);
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

#[tokio::test]
async fn the_page_shows_the_city_districts_and_year_in_a_real_browser() {
    let system = TestSystem::start_publisher_only().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir()
            && browser_dir.join("node_modules/axe-core").is_dir(),
        "playwright-core or axe-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let mut client = system.db.client().await;

    // The latest hour: the city at AQI 86 (level II), four districts spread
    // over levels I to III, the rest without data.
    let hour = Utc::now()
        .duration_trunc(TimeDelta::hours(1))
        .unwrap()
        .to_rfc3339();
    for (area, pm25) in [
        ("shanghai", 60.0),
        ("pudong", 90.0),
        ("jingan", 12.0),
        ("putuo", 40.0),
        ("xuhui", 60.0),
    ] {
        store_area_hour(&client, area, &hour, pm25).await;
    }
    // This January and last January (the year so far against the same
    // days of last year): three polluted days this year.
    let year = (Utc::now() + TimeDelta::hours(8)).year();
    let day = |y: i32, d: u32| format!("{y}-01-{d:02}");
    store_days(
        &mut client,
        "shanghai",
        &day(year, 1),
        &day(year, 3),
        POLLUTED,
    )
    .await;
    store_days(
        &mut client,
        "shanghai",
        &day(year, 4),
        &day(year, 31),
        CLEAN,
    )
    .await;
    store_days(
        &mut client,
        "shanghai",
        &day(year - 1, 1),
        &day(year - 1, 31),
        CLEAN,
    )
    .await;

    // The month's water: one river section of class II, one of class IV
    // (GB 3838-2002 Table 1: NH3-N 0.3 and 1.3 mg/L), so half meet class III.
    store_river(&client, "linjiang", 0.3).await;
    store_river(&client, "wusongkou", 1.3).await;

    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .current_dir(&browser_dir)
            .arg("areas.mjs")
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
    println!("{stdout}");
    assert!(output.status.success(), "{stdout}\n{stderr}");
    system.shutdown().await;
}
