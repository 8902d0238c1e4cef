//! The dashboard's map of Shanghai in a real headless Chromium
//! (tests/browser/map.mjs): districts and coast drawn where they belong,
//! district fills, keyboard pan and zoom, "near me" by an emulated location
//! and by a click, both languages on a desktop and a phone, axe-core, no
//! request to another origin, and the load budget. A second publisher with
//! `[publisher.basemap]` set draws a local tile server's tiles under the
//! districts, allowed by its policy.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DurationRound, FixedOffset, TimeDelta, Utc};
use envmon_publisher::settings::{BasemapSettings, TileUrl};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::process::Command;

use crate::helpers::{TestSystem, http, wait_for};

/// An hourly record for an air station in the current hour (Beijing time).
fn air_record(station: &str, hour: &str, pm25: u32) -> String {
    format!(
        r#"{{"station":"{station}","observed_at":"{hour}","period":"PT1H",
            "readings":{{"so2":8,"no2":30,"co":0.6,"o3":90,"pm10":50,"pm25":{pm25}}}}}"#
    )
}

/// A tile server on another origin (another port): every tile is a solid
/// magenta square, so the page's pixels show where tiles were drawn.
async fn tile_server() -> (SocketAddr, Arc<AtomicUsize>) {
    const TILE: &str = "<svg xmlns='http://www.w3.org/2000/svg' width='256' height='256'>\
        <rect width='256' height='256' fill='#ff00ff'/></svg>";
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let mut request = [0_u8; 4096];
                if stream.read(&mut request).await.unwrap_or(0) == 0 {
                    return;
                }
                count.fetch_add(1, Ordering::Relaxed);
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/svg+xml\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{TILE}",
                    TILE.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    (addr, served)
}

#[tokio::test]
async fn the_map_in_a_real_browser() {
    let mut system = TestSystem::start().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir()
            && browser_dir.join("node_modules/axe-core").is_dir(),
        "playwright-core or axe-core is missing: run npm ci in tests/browser"
    );
    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    let hour = Utc::now()
        .with_timezone(&beijing)
        .duration_trunc(TimeDelta::hours(1))
        .unwrap()
        .to_rfc3339();
    // Every air station reports, PM2.5 from 20 to 92 µg/m³: districts from
    // HJ 633 level I to level III, so the map shows several fills.
    let stations = http::get(system.publisher_addr, "/api/v1/stations?kind=air")
        .await
        .unwrap()
        .json();
    let codes: Vec<String> = stations["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap().to_owned())
        .collect();
    for (i, code) in codes.iter().enumerate() {
        let pm25 = 20 + u32::try_from(i).unwrap() * 4;
        system
            .mosquitto_pub(
                &format!("sensors/air/{code}"),
                &air_record(code, &hour, pm25),
            )
            .await;
    }
    wait_for(
        "the districts' hour of AQI",
        Duration::from_secs(20),
        || async {
            let n = system
                .db
                .count("SELECT count(*) FROM area_aqi_hourly WHERE aqi IS NOT NULL")
                .await;
            if n >= 17 { Ok(()) } else { Err(n.to_string()) }
        },
    )
    .await;

    // The same system behind a publisher with a basemap.
    let (tiles, served) = tile_server().await;
    let mut settings = system.publisher_settings();
    settings.basemap = Some(BasemapSettings {
        tiles: TileUrl::parse(&format!("http://{tiles}/tiles/{{z}}/{{x}}/{{y}}.svg")).unwrap(),
        attribution: "Tiles: test server".into(),
        max_zoom: 18,
    });
    let with_basemap = system.spawn_publisher(settings).await;

    let check = tokio::time::timeout(
        Duration::from_secs(200),
        Command::new("node")
            .current_dir(&browser_dir)
            .arg("map.mjs")
            .arg(format!("http://{}/", system.publisher_addr))
            .arg(&screenshots)
            .arg(format!("http://{with_basemap}/"))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    );
    // Live updates while the page is open: Putuo (1141A) reports a new
    // PM2.5 every two seconds, so the map is repainted again and again.
    let live_updates = async {
        for pm25 in (30..).step_by(3) {
            tokio::time::sleep(Duration::from_secs(2)).await;
            system
                .mosquitto_pub("sensors/air/1141A", &air_record("1141A", &hour, pm25))
                .await;
        }
    };
    let output = tokio::select! {
        output = check => output,
        () = live_updates => unreachable!("the updates go on until the check ends"),
    }
    .expect("the map check ends within 200 s")
    .expect("node is installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    std::fs::write(screenshots.join("map-metrics.txt"), stdout.as_bytes()).unwrap();
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        served.load(Ordering::Relaxed) > 0,
        "the page with a basemap fetched no tile"
    );
    for name in ["map-desktop-zh.png", "map-phone-en.png"] {
        assert!(screenshots.join(name).is_file(), "no screenshot {name}");
    }
    system.shutdown().await;
}
