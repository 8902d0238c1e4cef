//! The MN is the only identity an HJ 212 logger has besides its secret: an
//! attacker who reads it from the open API knows what to put in a forged
//! packet. Every public endpoint (every path of the OpenAPI document the
//! server serves, in each format, the live WebSocket and SSE, the pages)
//! is asked, and its body searched for the MN and the logger's networks.

use std::time::Duration;

use chrono::{DurationRound, SecondsFormat, TimeDelta, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use envmon_core::network::Network;
use envmon_core::registry::{SHANGHAI_REGISTRY, import_stations, parse_registry};

use super::wire::{MN, set_secret};
use crate::helpers::{TestSystem, http, wait_for};

/// Percent-encodes a URL for a query parameter.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The requests that exercise one documented path.
fn requests_for(path: &str, base: &str) -> Vec<String> {
    let concrete = path.replace("{code}", "1141A");
    match path {
        "/api/v1/stations" | "/api/v1/latest" => vec![
            concrete.clone(),
            format!("{concrete}?format=csv"),
            format!("{concrete}?format=geojson"),
            format!("{concrete}?station=1141A"),
        ],
        "/api/v1/stations/{code}/readings" => vec![
            format!("{concrete}?parameter=pm25"),
            format!("{concrete}?parameter=pm25&aggregate=hourly&format=csv"),
        ],
        "/api/v1/aqi" | "/api/v1/water" => vec![
            format!("{concrete}?station=1141A"),
            format!("{concrete}?station=1141A&format=csv"),
        ],
        "/api/v1/charts/station/{code}/{file}" => vec![
            concrete.replace("{file}", "pm25.svg"),
            concrete.replace("{file}", "aqi.png"),
        ],
        "/api/v1/charts/compare/{file}" => {
            vec![concrete.replace("{file}", "pm25.svg") + "?stations=1141A,1142A"]
        }
        "/api/v1/oembed" => vec![format!(
            "{concrete}?url={}",
            encode(&format!("{base}/embed/station/1141A"))
        )],
        "/api/v1/alerts/{file}" => vec![concrete.replace("{file}", "none.json")],
        _ => vec![concrete],
    }
}

/// The first bytes of the SSE stream: headers and the snapshot event.
async fn sse_snapshot(system: &TestSystem) -> String {
    let mut stream = TcpStream::connect(system.publisher_addr).await.unwrap();
    let request = format!(
        "GET /api/v1/live/sse HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        system.publisher_addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 8192];
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
            if String::from_utf8_lossy(&seen).contains("1141A") {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn the_loggers_mn_and_networks_appear_in_no_public_response() {
    let mut system = TestSystem::start().await;
    // The logger's MN and network come in through the registry import, as
    // an operator adds them.
    let mut putuo = parse_registry(SHANGHAI_REGISTRY).unwrap().remove(0);
    assert_eq!(putuo.code.as_str(), "1141A");
    putuo.hj212_mn = Some(MN.to_owned());
    putuo.hj212_networks = vec![Network::parse("10.20.0.0/16").unwrap()];
    import_stations(&mut system.db.client().await, &[putuo])
        .await
        .unwrap();
    let stored: (String, Vec<String>) = {
        let row = system
            .db
            .client()
            .await
            .query_one(
                "SELECT hj212_mn, hj212_networks::text[] FROM station WHERE code = '1141A'",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(stored, (MN.to_owned(), vec!["10.20.0.0/16".to_owned()]));
    set_secret(&system.db, "1141A", "Putuo-Logger-7").await;
    system.stop_ingest().await.unwrap();
    system.start_ingest().await;
    let hour_end = Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap();
    let record = format!(
        r#"{{"station":"1141A","observed_at":"{}","period":"PT1H",
            "readings":{{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":62}}}}"#,
        hour_end.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    system.mosquitto_pub("sensors/air/1141A", &record).await;
    wait_for("the hour's AQI", Duration::from_secs(15), || async {
        let count = system.db.count("SELECT count(*) FROM aqi_hourly").await;
        if count == 1 {
            Ok(())
        } else {
            Err(format!("{count}"))
        }
    })
    .await;

    let addr = system.publisher_addr;
    let base = format!("http://{addr}");
    let document = http::get(addr, "/api/v1/openapi.json")
        .await
        .unwrap()
        .json();
    let paths: Vec<String> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(paths.len() >= 15, "{paths:?}");

    let mut bodies: Vec<(String, String)> = Vec::new();
    for path in &paths {
        match path.as_str() {
            "/api/v1/live" => {
                let url = format!("ws://{addr}/api/v1/live");
                let (mut client, _) = tokio_tungstenite::connect_async(url).await.unwrap();
                let frame = tokio::time::timeout(Duration::from_secs(10), async {
                    use futures_util::StreamExt;
                    loop {
                        if let Some(Ok(Message::Text(text))) = client.next().await {
                            return text.to_string();
                        }
                    }
                })
                .await
                .unwrap();
                bodies.push((path.clone(), frame));
            }
            "/api/v1/live/sse" => bodies.push((path.clone(), sse_snapshot(&system).await)),
            _ => {
                for request in requests_for(path, &base) {
                    let response = http::get(addr, &request).await.unwrap();
                    assert!(
                        response.status < 500,
                        "{request}: {} {}",
                        response.status,
                        response.body
                    );
                    bodies.push((request, response.body));
                }
            }
        }
    }
    for page in ["/", "/station/1141A", "/embed/station/1141A"] {
        let response = http::get(addr, page).await.unwrap();
        assert_eq!(response.status, 200, "{page}");
        bodies.push((page.to_owned(), response.body));
    }

    for (request, body) in &bodies {
        for secret in [MN, "hj212", "10.20.0.0"] {
            assert!(
                !body.contains(secret),
                "{request} carries {secret:?}: {body}"
            );
        }
    }
    // Not vacuous: the answers do describe the station.
    for listing in [
        "/api/v1/stations",
        "/api/v1/stations?format=csv",
        "/api/v1/stations?format=geojson",
        "/api/v1/stations.geojson",
        "/api/v1/stations/1141A/latest",
        "/api/v1/live",
        "/api/v1/live/sse",
    ] {
        let (_, body) = bodies
            .iter()
            .find(|(request, _)| request == listing)
            .unwrap_or_else(|| panic!("{listing} was asked"));
        assert!(body.contains("1141A"), "{listing}: {body}");
    }
    system.shutdown().await;
}
