//! The live widget for other sites and its oEmbed answer: the pages, their
//! discovery links and headers over HTTP, and a newsroom's blank page with
//! the copied iframe code and chart image in a real headless Chromium, in
//! both languages, updating live from a reading published over MQTT.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DurationRound, Utc};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::TestSystem;
use crate::helpers::http::{self, Response};

async fn get(system: &TestSystem, path: &str) -> Response {
    http::get(system.publisher_addr, path).await.unwrap()
}

/// The `href` of the page's oEmbed discovery link, unescaped.
fn discovery_href(page: &str) -> String {
    let link = page
        .split("<link")
        .find(|l| l.contains(r#"type="application/json+oembed""#))
        .expect("an oEmbed discovery link");
    let href = link
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    href.replace("&amp;", "&")
}

#[tokio::test]
async fn widget_page_is_cookieless_framable_and_discoverable() {
    let system = TestSystem::start_publisher_only().await;
    let base = format!("http://{}", system.publisher_addr);

    let page = get(&system, "/embed/station/1141A?lang=en&theme=dark").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.header("set-cookie").is_none(), "no cookies");
    assert!(
        page.header("x-frame-options").is_none(),
        "any site may frame it"
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        !csp.contains("frame-ancestors") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    for expected in [
        r#"data-station="1141A""#,
        "theme-dark",
        "<title>Putuo",
        r##""hex":"#FF7E00""##, // HJ 633 Table A.1 level III orange, from envmon-core
        "Lightly Polluted",
        "envmon · Shanghai monitoring stations",
        "/embed/embed.js",
    ] {
        assert!(
            page.body.contains(expected),
            "no {expected:?} in the widget page"
        );
    }
    // Its discovery link answers with the widget's own iframe code.
    let href = discovery_href(&page.body);
    assert!(
        href.starts_with(&format!("{base}/api/v1/oembed?url=")),
        "{href}"
    );
    let oembed = get(&system, href.strip_prefix(&base).unwrap()).await;
    assert_eq!(oembed.status, 200, "{}", oembed.body);
    let answer = oembed.json();
    assert_eq!(answer["version"], "1.0");
    assert_eq!(answer["type"], "rich");
    assert_eq!(answer["provider_name"], "envmon");
    assert_eq!(answer["title"], "Putuo · live monitoring");
    let html = answer["html"].as_str().unwrap();
    assert!(
        html.starts_with(&format!(
            r#"<iframe src="{base}/embed/station/1141A?lang=en&amp;theme=light""#
        )),
        "{html}"
    );
    assert_eq!(
        (answer["width"].as_u64(), answer["height"].as_u64()),
        (Some(480), Some(236))
    );
    assert!(
        answer["thumbnail_url"]
            .as_str()
            .unwrap()
            .contains("/api/v1/charts/station/1141A/aqi.png")
    );

    // The script and style come from the same server.
    for (path, content_type) in [
        ("/embed/embed.js", "text/javascript; charset=utf-8"),
        ("/embed/embed.css", "text/css; charset=utf-8"),
    ] {
        let response = get(&system, path).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some(content_type));
    }
    assert_eq!(get(&system, "/embed/station/NOPE1").await.status, 404);
    let bad = get(&system, "/embed/station/1141A?lang=fr").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`lang`")
    );
    system.shutdown().await;
}

#[tokio::test]
async fn station_page_offers_the_codes_and_oembed_keeps_to_its_bounds() {
    let system = TestSystem::start_publisher_only().await;
    let base = format!("http://{}", system.publisher_addr);

    let page = get(&system, "/station/wusongkou?lang=zh").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("吴淞口"));
    assert!(page.body.contains(r#"data-embed="iframe""#));
    assert!(
        page.body
            .contains("/api/v1/charts/station/wusongkou/do.png")
    );
    let href = discovery_href(&page.body);
    let answer = get(&system, href.strip_prefix(&base).unwrap()).await.json();
    assert_eq!(answer["title"], "吴淞口 · 实时监测");

    // maxwidth and maxheight bound the iframe; a thumbnail that would not
    // fit is left out.
    let url = http_encode(&format!(
        "{base}/embed/station/wusongkou?lang=en&theme=dark"
    ));
    let small = get(
        &system,
        &format!("/api/v1/oembed?url={url}&maxwidth=320&maxheight=200"),
    )
    .await;
    assert_eq!(small.status, 200, "{}", small.body);
    let answer = small.json();
    assert_eq!(
        (answer["width"].as_u64(), answer["height"].as_u64()),
        (Some(320), Some(200))
    );
    assert!(answer.get("thumbnail_url").is_none());
    assert!(
        answer["html"]
            .as_str()
            .unwrap()
            .contains("lang=en&amp;theme=dark")
    );

    let cases = [
        ("/api/v1/oembed", 400, "`url`"),
        (
            &*format!("/api/v1/oembed?url={url}&format=xml"),
            501,
            "`format`",
        ),
        (
            &*format!("/api/v1/oembed?url={url}&maxwidth=-3"),
            400,
            "`maxwidth`",
        ),
        (
            "/api/v1/oembed?url=http%3A%2F%2Fh%2Fapi%2Fv1%2Fstations",
            404,
            "`url`",
        ),
        (
            "/api/v1/oembed?url=http%3A%2F%2Fh%2Fstation%2FNOPE1",
            404,
            "NOPE1",
        ),
    ];
    for (path, status, named) in cases {
        let response = get(&system, path).await;
        assert_eq!(response.status, status, "{path}: {}", response.body);
        let message = response.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(named), "{path}: {message}");
    }
    system.shutdown().await;
}

fn http_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn copied_embed_shows_the_live_widget_and_chart_in_chromium_in_both_languages() {
    let system = TestSystem::start().await;
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    let mut browser = Command::new("node")
        .current_dir(&browser_dir)
        .arg("embed_widget.mjs")
        .arg(format!("http://{}", system.publisher_addr))
        // HJ 633-2026: PM2.5 1-h 62 µg/m³ -> IAQI 101.8 -> AQI 102, level III.
        .args(["1141A", "102"])
        .arg(&screenshots)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node is installed");
    let mut lines = BufReader::new(browser.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(40), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.trim() == "READY" {
                return true;
            }
        }
        false
    })
    .await;
    if !matches!(ready, Ok(true)) {
        let output = browser.wait_with_output().await.unwrap();
        panic!(
            "the article page never became ready: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    // The last whole hour, so the sparkline's 24 hours include it.
    let hour = Utc::now()
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap();
    let record = format!(
        r#"{{"station":"1141A","observed_at":"{}","period":"PT1H",
            "readings":{{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":62}}}}"#,
        hour.to_rfc3339()
    );
    system.mosquitto_pub("sensors/air/1141A", &record).await;

    let output = tokio::time::timeout(Duration::from_secs(60), browser.wait_with_output())
        .await
        .expect("the browser check finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    assert!(screenshots.join("embed-article.png").is_file());
    system.shutdown().await;
}
