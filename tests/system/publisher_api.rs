//! The publisher's HTTP API: stations, latest state, parameters, health,
//! errors, and the dashboard files.

use std::time::Duration;

use crate::helpers::{TestSystem, http, wait_for};

#[tokio::test]
async fn stations_lists_the_shanghai_registry_with_chinese_names_intact() {
    let system = TestSystem::start_publisher_only().await;
    let response = http::get(system.publisher_addr, "/api/v1/stations")
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = response.json();
    let stations = body["stations"].as_array().unwrap();
    let count = |kind: &str| stations.iter().filter(|s| s["kind"] == kind).count();
    assert_eq!((count("air"), count("river"), count("source")), (19, 18, 4));
    let putuo = stations.iter().find(|s| s["code"] == "1141A").unwrap();
    assert_eq!(putuo["name_zh"], "普陀");
    assert_eq!(putuo["longitude"], 121.401);
    let qingcaosha = stations
        .iter()
        .find(|s| s["name_zh"] == "青草沙水库")
        .unwrap();
    assert_eq!(qingcaosha["water_body_type"], "lake");
    system.shutdown().await;
}

#[tokio::test]
async fn latest_state_follows_ingest_and_bad_codes_get_clear_errors() {
    let system = TestSystem::start().await;
    let before = http::get(system.publisher_addr, "/api/v1/stations/1141A/latest")
        .await
        .unwrap();
    assert_eq!(before.status, 200);
    assert_eq!(before.json()["updated_at"], serde_json::Value::Null);

    system
        .mosquitto_pub(
            "sensors/river/wusongkou",
            r#"{"station":"wusongkou","observed_at":"2026-11-25T16:00:00+08:00","readings":{"nh3n":0.42,"ph":7.61}}"#,
        )
        .await;
    let latest = wait_for("latest state", Duration::from_secs(10), || async {
        let response = http::get(system.publisher_addr, "/api/v1/stations/wusongkou/latest")
            .await
            .unwrap();
        let body = response.json();
        if body["readings"]["nh3n"]["value"] == 0.42 {
            Ok(body)
        } else {
            Err(body.to_string())
        }
    })
    .await;
    assert_eq!(latest["kind"], "river");
    assert_eq!(latest["readings"]["nh3n"]["unit"], "mg/L");
    assert_eq!(latest["updated_at"], "2026-11-25T08:00:00Z");

    let unknown = http::get(system.publisher_addr, "/api/v1/stations/NOPE/latest")
        .await
        .unwrap();
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["code"], "not_found");
    let invalid = http::get(system.publisher_addr, "/api/v1/stations/a.b/latest")
        .await
        .unwrap();
    assert_eq!(invalid.status, 400);
    assert!(
        invalid.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("code")
    );
    let no_route = http::get(system.publisher_addr, "/api/v9/nothing")
        .await
        .unwrap();
    assert_eq!(no_route.status, 404);
    system.shutdown().await;
}

#[tokio::test]
async fn parameters_state_their_canonical_units() {
    let system = TestSystem::start_publisher_only().await;
    let body = http::get(system.publisher_addr, "/api/v1/parameters")
        .await
        .unwrap()
        .json();
    let unit = |code: &str| {
        body["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == code)
            .unwrap()["unit"]
            .clone()
    };
    assert_eq!(unit("co"), "mg/m3");
    assert_eq!(unit("pm25"), "ug/m3");
    assert_eq!(unit("tp"), "mg/L");
    system.shutdown().await;
}

#[tokio::test]
async fn health_and_dashboard_are_served() {
    let system = TestSystem::start().await;
    let health = http::get(system.publisher_addr, "/healthz").await.unwrap();
    assert_eq!(health.status, 200);
    let ingest_health = http::get(system.ingest_health_addr, "/readyz")
        .await
        .unwrap();
    assert_eq!(
        (ingest_health.status, ingest_health.body.as_str()),
        (200, "ready")
    );
    let page = http::get(system.publisher_addr, "/").await.unwrap();
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.body.contains("app.js"));
    let script = http::get(system.publisher_addr, "/app.js").await.unwrap();
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_new_live_client_gets_the_committed_state_as_its_snapshot() {
    let system = TestSystem::start().await;
    system
        .mosquitto_pub(
            "sensors/air/1150A",
            r#"{"station":"1150A","observed_at":"2026-11-25T18:00:00+08:00","readings":{"o3":88}}"#,
        )
        .await;
    wait_for(
        "the reading to be committed",
        Duration::from_secs(10),
        || async {
            let count = system.db.count("SELECT count(*) FROM station_latest").await;
            if count == 1 {
                Ok(())
            } else {
                Err(format!("{count} rows"))
            }
        },
    )
    .await;
    let snapshot = wait_for(
        "a snapshot holding the station",
        Duration::from_secs(10),
        || async {
            let (_, snapshot) = system.live_client().await;
            match snapshot {
                envmon_core::wire::LiveMessage::Snapshot { stations, .. }
                    if !stations.is_empty() =>
                {
                    Ok(stations)
                }
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert_eq!(snapshot[0].station.as_str(), "1150A");
    assert_eq!(
        snapshot[0].readings[&envmon_core::Parameter::O3].value,
        88.0
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_database_outage_leaves_the_publisher_ready_serving_the_held_state_marked_stale() {
    // Arrange: a station with data, held by the publisher.
    let mut system = TestSystem::start().await;
    system
        .mosquitto_pub(
            "sensors/river/wusongkou",
            r#"{"station":"wusongkou","observed_at":"2026-11-25T16:00:00+08:00","readings":{"nh3n":0.42}}"#,
        )
        .await;
    let addr = system.publisher_addr;
    wait_for(
        "the reading to be held",
        Duration::from_secs(10),
        || async {
            let body = http::get(addr, "/api/v1/latest?station=wusongkou")
                .await
                .unwrap()
                .json();
            match body["items"][0]["readings"]["nh3n"]["value"].as_f64() {
                Some(0.42) => Ok(()),
                _ => Err(body.to_string()),
            }
        },
    )
    .await;
    system.kill_ingest().await;

    // Act: this database goes away.
    system.db.set_reachable(false).await;

    // Assert: still ready, saying why the answers are stale.
    let ready = wait_for(
        "/readyz to report the outage",
        Duration::from_secs(15),
        || async {
            let response = http::get(addr, "/readyz")
                .await
                .map_err(|e| e.to_string())?;
            if response.body.contains("database unreachable") {
                Ok(response)
            } else {
                Err(format!("{} {}", response.status, response.body))
            }
        },
    )
    .await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    let one = http::get(addr, "/api/v1/stations/wusongkou/latest")
        .await
        .unwrap();
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.header("envmon-stale"), Some("database-unreachable"));
    let body = one.json();
    assert_eq!(body["stale"], true);
    assert_eq!(body["readings"]["nh3n"]["value"], 0.42);
    let all = http::get(addr, "/api/v1/latest?station=wusongkou&format=csv")
        .await
        .unwrap();
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.header("envmon-stale"), Some("database-unreachable"));
    assert!(all.body.contains("wusongkou"), "{}", all.body);
    let unknown = http::get(addr, "/api/v1/stations/nosuch/latest")
        .await
        .unwrap();
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // And fresh again once the database is back.
    system.db.set_reachable(true).await;
    wait_for("/readyz to recover", Duration::from_secs(15), || async {
        let response = http::get(addr, "/readyz")
            .await
            .map_err(|e| e.to_string())?;
        if response.body == "ready" {
            Ok(())
        } else {
            Err(response.body)
        }
    })
    .await;
    let fresh = http::get(addr, "/api/v1/stations/wusongkou/latest")
        .await
        .unwrap();
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert!(fresh.header("envmon-stale").is_none());
    assert!(fresh.json().get("stale").is_none());
    let fresh_all = http::get(addr, "/api/v1/latest?station=wusongkou")
        .await
        .unwrap();
    assert!(
        fresh_all.json().get("stale").is_none(),
        "{}",
        fresh_all.body
    );
    system.shutdown().await;
}

#[tokio::test]
async fn health_listen_serves_health_on_an_internal_address() {
    let system = TestSystem::start_publisher_only().await;
    let settings = envmon_publisher::Settings {
        health_listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
        ..system.publisher_settings()
    };
    let publisher = envmon_publisher::Publisher::build(settings).await.unwrap();
    let health = publisher.health_addr().expect("health_listen is set");
    assert_ne!(health, publisher.addr());
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(publisher.run_until_stopped(stop.clone().cancelled_owned()));

    let ready = wait_for("internal /readyz", Duration::from_secs(10), || async {
        match http::get(health, "/readyz").await {
            Ok(response) if response.status == 200 => Ok(response),
            Ok(response) => Err(format!("{} {}", response.status, response.body)),
            Err(error) => Err(error.to_string()),
        }
    })
    .await;
    assert_eq!(ready.body, "ready");
    let alive = http::get(health, "/healthz").await.unwrap();
    assert_eq!((alive.status, alive.body.as_str()), (200, "ok"));
    let api = http::get(health, "/api/v1/stations").await.unwrap();
    assert_eq!(api.status, 404, "the internal address serves health only");

    stop.cancel();
    running.await.unwrap().unwrap();
    system.shutdown().await;
}
