//! Chart images over real data: hourly means sent through ingest, rolled
//! up in PostgreSQL, drawn by the publisher as SVG and PNG; gaps, flags,
//! caching (ETag, 304, a new ETag after new data) and refusals.

use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};

use crate::helpers::http::{self, BinaryResponse};
use crate::helpers::{TestSystem, wait_for};

/// The window end every chart of this hour uses: the next whole hour.
fn window_end() -> DateTime<Utc> {
    let hour = chrono::Duration::hours(1);
    Utc::now().duration_trunc(hour).unwrap() + hour
}

/// An hourly record of `station`, PM2.5 at `value`, labelled `hours_back` hours before the
/// window's end.
fn pm25_record(station: &str, hours_back: i64, value: f64) -> String {
    let at = window_end() - chrono::Duration::hours(hours_back);
    // The other pollutants low and steady, so PM2.5 decides the AQI.
    format!(
        r#"{{"station":"{station}","observed_at":"{}","period":"PT1H","readings":{{"pm25":{value},"pm10":{},"so2":8,"no2":30,"co":0.6,"o3":60}}}}"#,
        at.to_rfc3339(),
        (value * 1.2).min(100.0)
    )
}

/// Sends 1141A's last 23 hours, except hours 8 and 9 back (missing) and 5
/// back (an impossible 2500 µg/m³, flagged out of range), and waits until
/// every hour is rolled up.
async fn seed_with_gaps(system: &TestSystem) {
    let payloads: Vec<String> = (1..=23)
        .filter(|h| ![8, 9].contains(h))
        .map(|h| {
            let value = if h == 5 {
                2500.0
            } else {
                30.0 + f64::from(u8::try_from(h % 7).unwrap()) * 3.0
            };
            pm25_record("1141A", h, value)
        })
        .collect();
    system
        .mosquitto_pub_lines("sensors/air/1141A", &payloads)
        .await;
    wait_rolled_up(system, 20).await;
}

/// Waits until the station has `hours` hourly PM2.5 means and nothing is
/// pending.
async fn wait_rolled_up(system: &TestSystem, hours: i64) {
    let client = system.db.client().await;
    wait_for("the hours rolled up", Duration::from_secs(20), || async {
        let means: i64 = client
            .query_one(
                "SELECT count(*) FROM hourly_mean WHERE station_code = '1141A' AND parameter_code = 'pm25' AND valid",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let pending: i64 = client
            .query_one("SELECT count(*) FROM rollup_pending", &[])
            .await
            .unwrap()
            .get(0);
        if means >= hours && pending == 0 {
            Ok(())
        } else {
            Err(format!("{means} hourly means, {pending} pending"))
        }
    })
    .await;
}

async fn get(system: &TestSystem, path: &str) -> BinaryResponse {
    http::get_bytes(system.publisher_addr, path, &[])
        .await
        .unwrap()
}

/// Keeps an image in `target/charts/` for a person to look at.
fn keep(name: &str, response: &BinaryResponse) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/charts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), &response.body).unwrap();
}

fn text(response: &BinaryResponse) -> &str {
    std::str::from_utf8(&response.body).unwrap()
}

/// The `points` attribute of every polyline drawn in `colour`.
fn polylines<'a>(svg: &'a str, colour: &str) -> Vec<&'a str> {
    svg.split("<polyline")
        .skip(1)
        .filter(|element| element.contains(&format!("stroke=\"{colour}\"")))
        .filter(|element| element.contains("stroke-width=\"2\""))
        .map(|element| {
            element
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn svg_breaks_the_line_at_missing_hours_and_marks_the_flagged_one() {
    let system = TestSystem::start().await;
    seed_with_gaps(&system).await;

    let response = get(&system, "/api/v1/charts/station/1141A/pm25.svg?lang=en").await;
    assert_eq!(response.status, 200, "{}", text(&response));
    assert_eq!(response.header("content-type"), Some("image/svg+xml"));
    keep("pm25-24h-en.svg", &response);
    keep(
        "pm25-24h-zh.png",
        &get(&system, "/api/v1/charts/station/1141A/pm25.png").await,
    );
    keep(
        "aqi-24h-en.png",
        &get(&system, "/api/v1/charts/station/1141A/aqi.png?lang=en").await,
    );
    let svg = text(&response);
    assert!(svg.starts_with("<svg"), "{svg}");
    // Names the station, the parameter, the unit, the time range, the
    // source and when it was made.
    for expected in [
        "Putuo · PM2.5 (μg/m³)",
        "1141A",
        "Beijing time",
        "Source: envmon",
        "Made ",
    ] {
        assert!(svg.contains(expected), "no {expected:?} in the SVG");
    }
    // 23 hours back to 10 back, then 7 and 6, then 4 to 1: three runs, so
    // three separate lines; nothing drawn across the missing or flagged
    // hours.
    let runs = polylines(svg, "#1F2933");
    let points: Vec<usize> = runs.iter().map(|p| p.split_whitespace().count()).collect();
    assert_eq!(points, [14, 2, 4], "runs of the line: {runs:?}");
    // The flagged hour is marked with an × (two strokes of the flag colour).
    assert_eq!(
        svg.matches("stroke=\"#C81E6E\"").count(),
        2,
        "one flag mark"
    );
    // PM2.5 bands of HJ 633-2026 behind: level I green and level II yellow.
    assert!(svg.contains("fill=\"#00E400\""), "level I band");
    assert!(svg.contains("fill=\"#FFFF00\""), "level II band");
    assert!(svg.contains("HJ 633-2026 Table 3"));

    // The JSON behind it has the same 20 hours and the flagged one.
    let json: serde_json::Value = serde_json::from_slice(
        &get(&system, "/api/v1/charts/station/1141A/pm25.json")
            .await
            .body,
    )
    .unwrap();
    let series = &json["series"][0];
    assert_eq!(series["points"].as_array().unwrap().len(), 20);
    assert_eq!(series["flagged"][0]["value"], 2500.0);
    system.shutdown().await;
}

#[tokio::test]
async fn aqi_bars_and_a_comparison_draw_from_the_same_data() {
    let system = TestSystem::start().await;
    seed_with_gaps(&system).await;
    system
        .mosquitto_pub_lines(
            "sensors/air/1143A",
            &[pm25_record("1143A", 2, 80.0), pm25_record("1143A", 1, 90.0)],
        )
        .await;

    let client = system.db.client().await;
    wait_for("1143A's hours rolled up", Duration::from_secs(20), || async {
        let means: i64 = client
            .query_one(
                "SELECT count(*) FROM hourly_mean WHERE station_code = '1143A' AND parameter_code = 'pm25'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if means == 2 { Ok(()) } else { Err(format!("{means} hourly means")) }
    })
    .await;

    let aqi = get(
        &system,
        "/api/v1/charts/station/1141A/aqi.svg?range=7d&theme=dark",
    )
    .await;
    assert_eq!(aqi.status, 200, "{}", text(&aqi));
    keep("aqi-7d-dark.svg", &aqi);
    let svg = text(&aqi);
    // PM2.5 30–48 µg/m³ hourly: AQI 43–69 under HJ 633-2026, levels I and
    // II: green and yellow bars (HJ 633-2026 Table A.1), opaque.
    let bars = |fill: &str| {
        svg.split("<rect")
            .filter(|r| r.contains(&format!("fill=\"{fill}\"")) && !r.contains("opacity=\"0.3\""))
            .count()
    };
    assert!(bars("#00E400") + bars("#FFFF00") >= 20, "one bar per hour");
    assert!(svg.contains("Air Quality Index") || svg.contains("空气质量指数"));
    assert!(svg.contains("fill=\"#12161C\""), "dark background");

    let compare = get(
        &system,
        "/api/v1/charts/compare/pm25.svg?stations=1141A,1143A&lang=zh",
    )
    .await;
    assert_eq!(compare.status, 200, "{}", text(&compare));
    keep("compare-pm25-zh.svg", &compare);
    let svg = text(&compare);
    assert!(
        svg.contains("普陀") && svg.contains("虹口"),
        "both stations named"
    );
    assert!(svg.contains("2个站点比较"));
    // The second station's line is its own colour.
    assert_eq!(
        polylines(svg, "#1B4F9C").len(),
        1,
        "虹口's two hours, one line"
    );
    system.shutdown().await;
}

/// Grey levels of the title band (rows 8–34) of a decoded RGB PNG.
fn title_band(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let width = info.width as usize;
    let band = buffer[8 * width * 3..34 * width * 3]
        .chunks(3)
        .map(|px| ((u16::from(px[0]) + u16::from(px[1]) + u16::from(px[2])) / 3) as u8)
        .collect();
    (info.width, info.height, band)
}

#[tokio::test]
async fn png_titles_draw_chinese_glyphs() {
    let system = TestSystem::start_publisher_only().await;
    let putuo = get(
        &system,
        "/api/v1/charts/station/1141A/pm25.png?lang=zh&width=640&height=320",
    )
    .await;
    assert_eq!(putuo.status, 200, "{:?}", putuo.headers);
    assert_eq!(putuo.header("content-type"), Some("image/png"));
    let hongkou = get(
        &system,
        "/api/v1/charts/station/1143A/pm25.png?lang=zh&width=640&height=320",
    )
    .await;
    assert_eq!(hongkou.status, 200);

    let (width, height, a) = title_band(&putuo.body);
    assert_eq!((width, height), (640, 320));
    let (_, _, b) = title_band(&hongkou.body);
    // The titles "普陀 · PM2.5（μg/m³）" and "虹口 · PM2.5（μg/m³）" differ only
    // in two Chinese characters. Were those drawn as missing-glyph boxes,
    // both would be the same two boxes and the bands identical.
    let dark = a.iter().filter(|&&g| g < 100).count();
    let differing = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.abs_diff(**y) > 64)
        .count();
    assert!(dark > 300, "only {dark} dark pixels in the title");
    assert!(
        differing > 150,
        "普陀 and 虹口 drew alike ({differing} pixels differ)"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn etag_answers_304_until_new_data_changes_it() {
    let system = TestSystem::start().await;
    seed_with_gaps(&system).await;
    let path = "/api/v1/charts/station/1141A/pm25.svg?range=24h";

    let first = get(&system, path).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(first.header("x-envmon-render"), Some("rendered"));
    let etag = first.header("etag").unwrap().to_owned();

    // The same chart asked the same way, or with its parameters in another
    // order, is the cached drawing; a conditional request is 304, no body.
    let again = get(
        &system,
        "/api/v1/charts/station/1141A/pm25.svg?lang=zh&range=24h",
    )
    .await;
    assert_eq!(again.header("x-envmon-render"), Some("cached"));
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let conditional = http::get_bytes(system.publisher_addr, path, &[("If-None-Match", &etag)])
        .await
        .unwrap();
    assert_eq!(conditional.status, 304);
    assert!(conditional.body.is_empty());
    assert_eq!(conditional.header("etag"), Some(etag.as_str()));

    // A new hour arrives through ingest: the ETag moves on, the old one no
    // longer matches, and the chart is drawn again with the new point.
    system
        .mosquitto_pub_lines("sensors/air/1141A", &[pm25_record("1141A", 9, 41.0)])
        .await;
    wait_rolled_up(&system, 21).await;
    // The version read from the database is reused for up to a second.
    let fresh = wait_for("a new ETag", Duration::from_secs(5), || async {
        let response = http::get_bytes(system.publisher_addr, path, &[("If-None-Match", &etag)])
            .await
            .unwrap();
        if response.status == 304 {
            Err("still 304".to_owned())
        } else {
            Ok(response)
        }
    })
    .await;
    assert_eq!(fresh.status, 200);
    assert_ne!(fresh.header("etag"), Some(etag.as_str()));
    assert_eq!(fresh.header("x-envmon-render"), Some("rendered"));
    let runs = polylines(text(&fresh), "#1F2933");
    assert_eq!(
        runs.len(),
        3,
        "hour 9 filled, hour 8 still missing: {runs:?}"
    );
    system.shutdown().await;
}

#[tokio::test]
async fn bad_chart_requests_are_refused_naming_the_parameter() {
    let system = TestSystem::start_publisher_only().await;
    let cases = [
        (
            "/api/v1/charts/station/1141A/pm25.svg?range=1y",
            400,
            "`range`",
        ),
        (
            "/api/v1/charts/station/1141A/pm25.svg?width=9000",
            400,
            "`width`",
        ),
        (
            "/api/v1/charts/station/1141A/pm25.png?height=10",
            400,
            "`height`",
        ),
        (
            "/api/v1/charts/station/1141A/pm25.svg?lang=fr",
            400,
            "`lang`",
        ),
        (
            "/api/v1/charts/station/1141A/pm25.svg?theme=neon",
            400,
            "`theme`",
        ),
        ("/api/v1/charts/station/1141A/pm25.svg?tz=Mars", 400, "`tz`"),
        (
            "/api/v1/charts/station/1141A/pm25.svg?colour=red",
            400,
            "colour",
        ),
        ("/api/v1/charts/station/1141A/nope.svg", 400, "`parameter`"),
        ("/api/v1/charts/station/1141A/pm25.gif", 400, "`format`"),
        ("/api/v1/charts/station/1141A/ph.svg", 400, "`parameter`"),
        (
            "/api/v1/charts/station/wusongkou/aqi.svg",
            400,
            "`parameter`",
        ),
        ("/api/v1/charts/station/NOPE1/pm25.svg", 404, "NOPE1"),
        ("/api/v1/charts/compare/pm25.svg", 400, "`stations`"),
        (
            "/api/v1/charts/compare/pm25.svg?stations=1141A,NOPE1",
            404,
            "NOPE1",
        ),
    ];
    for (path, status, named) in cases {
        let response = get(&system, path).await;
        assert_eq!(response.status, status, "{path}: {}", text(&response));
        let body: serde_json::Value = serde_json::from_slice(&response.body)
            .unwrap_or_else(|e| panic!("{path}: {e}: {}", text(&response)));
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(named),
            "{path}: {message:?} does not name {named}"
        );
    }
    system.shutdown().await;
}

#[tokio::test]
async fn water_chart_draws_the_gb3838_class_limits_of_its_water_body() {
    let system = TestSystem::start().await;
    let payloads: Vec<String> = [3, 2, 1]
        .into_iter()
        .map(|hours_back| {
            let at = window_end() - chrono::Duration::hours(hours_back) - chrono::Duration::minutes(30);
            format!(
                r#"{{"station":"wusongkou","observed_at":"{}","readings":{{"nh3n":0.{hours_back}2,"do":6.5,"ph":7.4}}}}"#,
                at.to_rfc3339()
            )
        })
        .collect();
    system
        .mosquitto_pub_lines("sensors/river/wusongkou", &payloads)
        .await;
    let client = system.db.client().await;
    wait_for("the water readings stored", Duration::from_secs(20), || async {
        let stored: i64 = client
            .query_one(
                "SELECT count(*) FROM reading WHERE station_code = 'wusongkou' AND parameter_code = 'nh3n'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if stored == 3 { Ok(()) } else { Err(format!("{stored} readings")) }
    })
    .await;

    let response = get(&system, "/api/v1/charts/station/wusongkou/nh3n.svg?lang=zh").await;
    assert_eq!(response.status, 200, "{}", text(&response));
    keep("nh3n-24h-zh.svg", &response);
    let svg = text(&response);
    assert!(svg.contains("吴淞口 · 氨氮（mg/L）"), "title");
    assert!(
        svg.contains("GB 3838-2002 表1 河流水质类别限值"),
        "bands named"
    );
    // NH3-N 0.12–0.32 mg/L: the class I (≤ 0.15) and class II (≤ 0.5)
    // bands are drawn in the dashboard's class colours.
    assert!(svg.contains("fill=\"#4FA3C4\"") && svg.contains("fill=\"#3B6FB0\""));
    // Three hourly points, one line.
    let runs = polylines(svg, "#1F2933");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].split_whitespace().count(), 3);
    system.shutdown().await;
}
