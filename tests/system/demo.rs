//! `envmon demo`, the binary itself: it starts against a given database and
//! broker, prints the URL, shows simulated stations updating, and stops
//! cleanly on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::helpers::{TestBroker, TestDb, http, unique, wait_for};

#[tokio::test]
async fn demo_serves_live_simulated_stations_and_stops_on_sigterm() {
    let db = TestDb::new().await;
    let broker = TestBroker::start();
    // The daemons' accounts, as provisioning writes them for deploy/demo.sh.
    let users = std::env::temp_dir().join(unique("broker-users"));
    std::fs::write(&users, broker.users_file()).unwrap();
    std::fs::set_permissions(&users, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .arg("demo")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ENVMON__DATABASE__URL", &db.url)
        .env("ENVMON__BROKER__PORT", broker.port.to_string())
        .env("ENVMON__BROKER_USERS__FILE", &users)
        .env("ENVMON__PUBLISHER__LISTEN", "127.0.0.1:0")
        .env("ENVMON__INGEST__HEALTH_LISTEN", "127.0.0.1:0")
        .env("ENVMON__INGEST__CLIENT_ID", unique("demo-ingest"))
        .env("ENVMON__SIMULATOR__CLIENT_ID", unique("demo-sim"))
        .env("ENVMON__SIMULATOR__AIR_INTERVAL", "1s")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split("open http://").nth(1) {
                return rest.split('/').next().unwrap().to_owned();
            }
        }
        panic!("demo exited without printing its URL");
    })
    .await
    .expect("the demo prints its URL");
    let addr: std::net::SocketAddr = url.parse().unwrap();

    wait_for(
        "simulated air readings",
        Duration::from_secs(20),
        || async {
            let body = http::get(addr, "/api/v1/stations/1141A/latest")
                .await
                .map_err(|e| e.to_string())?
                .json();
            if body["readings"]["pm25"]["value"].is_number() {
                Ok(())
            } else {
                Err(body.to_string())
            }
        },
    )
    .await;

    // A published three-day forecast of the city, and past ones to score.
    let forecasts = http::get(addr, "/api/v1/forecasts").await.unwrap().json();
    let city = &forecasts["forecasts"][0];
    assert_eq!(city["area"], "shanghai", "{forecasts}");
    assert_eq!(
        city["days"].as_array().map(Vec::len),
        Some(3),
        "{forecasts}"
    );
    assert!(city["signature"]["value"].is_string());
    assert_eq!(
        db.count(
            "SELECT count(*) FROM forecast_version WHERE published_at < now() - interval '1 day'"
        )
        .await,
        13
    );

    // The last two quarters' laboratory results, published by a second name.
    let last = envmon_core::stats::ReportPeriod::quarter_of(
        chrono::Utc::now()
            .with_timezone(&envmon_core::beijing::offset())
            .date_naive(),
    )
    .previous();
    let figures = http::get(addr, &format!("/api/v1/drinking/compliance?period={last}"))
        .await
        .unwrap()
        .json();
    assert_eq!(
        figures["city"]["network"]["samples_tested"], 60,
        "{figures}"
    );
    assert_eq!(figures["plants"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        db.count("SELECT count(*) FROM lab_batch WHERE state = 'published' AND decided_by <> submitted_by")
            .await,
        2
    );

    let pid = demo.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), demo.wait())
        .await
        .expect("the demo stops")
        .unwrap();
    assert!(exit.success(), "demo exited with {exit}");
    assert!(db.count("SELECT count(*) FROM reading").await > 0);
    assert_eq!(db.count("SELECT count(*) FROM dead_letter").await, 0);
}
