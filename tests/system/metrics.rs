//! Prometheus metrics, scraped from the real `envmon ingest` and
//! `envmon publish` processes after real traffic: OpenMetrics text, with
//! the daemons' own series, the build and the process's figures.

use std::time::Duration;

use crate::helpers::process::{EnvmonProcess, free_addr};
use crate::helpers::{TestBroker, TestDb, http, unique, wait_for};

/// The value of the sample `series` (name with labels, as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(addr: std::net::SocketAddr) -> String {
    let response = http::get(addr, "/metrics").await.unwrap();
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text; version=1.0.0")),
        "{:?}",
        response.headers
    );
    assert!(response.body.ends_with("# EOF\n"), "{}", response.body);
    response.body
}

/// The series every envmon process exposes, whatever it runs: the build
/// and the process's own figures, each within what a test process can be.
fn assert_build_and_process_series(text: &str) {
    let version = format!(
        "envmon_build_info{{version=\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(sample(text, &version), Some(1.0), "{text}");
    let memory = sample(text, "process_resident_memory_bytes").unwrap();
    assert!((1e6..4e9).contains(&memory), "{memory} bytes resident");
    let cpu = sample(text, "process_cpu_seconds_total").unwrap();
    assert!((0.0..600.0).contains(&cpu), "{cpu} CPU seconds");
    let fds = sample(text, "process_open_fds").unwrap();
    assert!((3.0..10_000.0).contains(&fds), "{fds} open descriptors");
    let started = sample(text, "process_start_time_seconds").unwrap();
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(
        (now - 600.0..=now + 1.0).contains(&started),
        "started at {started}, now {now}"
    );
}

async fn mosquitto_pub(broker: &TestBroker, topic: &str, payload: &str) {
    let status = tokio::process::Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &broker.port.to_string(), "-q", "1"])
        .args(TestBroker::login_args_for(topic))
        .args(["-i", &unique("pub"), "-t", topic, "-m", payload])
        .status()
        .await
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn metrics_count_real_traffic_in_ingest_and_publisher() {
    let db = TestDb::new().await;
    let broker = TestBroker::start();
    let (ingest_metrics, publisher_metrics) = (free_addr(), free_addr());
    let ingest_started = tokio::time::Instant::now();
    let _ingest = EnvmonProcess::ingest(
        &db,
        &broker,
        &unique("ingest"),
        free_addr(),
        &[("ENVMON__METRICS__LISTEN", &ingest_metrics.to_string())],
    )
    .await;
    let publisher_addr = free_addr();
    let _publisher = EnvmonProcess::publisher(
        &db,
        &broker,
        publisher_addr,
        &[("ENVMON__METRICS__LISTEN", &publisher_metrics.to_string())],
    )
    .await;
    let (mut live, _) =
        tokio_tungstenite::connect_async(format!("ws://{publisher_addr}/api/v1/live"))
            .await
            .unwrap();

    // Two good records (three readings each) and one that is not JSON.
    for (station, at) in [("1141A", "18:00"), ("1142A", "19:00")] {
        let record = format!(
            r#"{{"station":"{station}","observed_at":"2026-11-25T{at}:00+08:00","readings":{{"pm25":30,"no2":41,"co":0.7}}}}"#
        );
        mosquitto_pub(&broker, &format!("sensors/air/{station}"), &record).await;
    }
    mosquitto_pub(&broker, "sensors/air/1141A", "{not json").await;
    // One public alert notice, signed as the publisher signs it.
    let notice = crate::helpers::staff::signed(serde_json::json!({
        "id": "n-1", "version": 1, "status": "published", "severity": "orange",
        "headline": {"zh": "重污染天气橙色预警", "en": "Orange alert"},
        "description": {"zh": "", "en": ""}, "instruction": {"zh": "", "en": ""},
        "area": {"districts": [], "stations": []},
        "effective": "2026-11-25T08:00:00Z", "expires": "2099-01-01T00:00:00Z",
        "published_at": "2026-11-25T08:00:00Z", "references": null,
        "cap_url": "/api/v1/alerts/n-1.cap"
    }));
    mosquitto_pub(&broker, "live/alert/n-1", &notice.to_string()).await;
    wait_for("readings stored", Duration::from_secs(10), || async {
        match db.count("SELECT count(*) FROM reading").await {
            6 => Ok(()),
            n => Err(format!("{n} readings")),
        }
    })
    .await;
    for path in ["/api/v1/stations", "/api/v1/stations", "/no/such/route"] {
        http::get(publisher_addr, path).await.unwrap();
    }

    let ingest = scrape(ingest_metrics).await;
    let expect = |series: &str, value: f64| {
        assert_eq!(
            sample(&ingest, series),
            Some(value),
            "{series} in\n{ingest}"
        );
    };
    expect(
        "envmon_ingest_messages_received_total{source=\"mqtt\"}",
        3.0,
    );
    expect("envmon_ingest_readings_stored_total", 6.0);
    expect(
        "envmon_ingest_dead_letters_total{reason=\"malformed\"}",
        1.0,
    );
    expect("envmon_ingest_broker_connected", 1.0);
    // A fresh broker: one connection, without a session to resume.
    expect(
        "envmon_ingest_broker_connections_total{session=\"new\"}",
        1.0,
    );
    expect("envmon_ingest_database_up", 1.0);
    expect("envmon_ingest_batch_failures_total", 0.0);
    let batches = sample(&ingest, "envmon_ingest_batch_messages_count").unwrap();
    assert!((1.0..=3.0).contains(&batches), "{ingest}");
    assert_eq!(
        sample(&ingest, "envmon_ingest_batch_messages_sum"),
        Some(3.0)
    );
    assert_eq!(
        sample(&ingest, "envmon_ingest_batch_commit_seconds_count"),
        Some(batches)
    );
    assert!(ingest.contains("# TYPE envmon_ingest_batch_commit_seconds histogram"));
    // The maintenance pass at start runs beside the traffic.
    wait_for(
        "the first maintenance pass",
        Duration::from_secs(10),
        || async {
            let text = scrape(ingest_metrics).await;
            match sample(
                &text,
                "envmon_ingest_maintenance_passes_total{outcome=\"ok\"}",
            ) {
                Some(1.0) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    // An ingest process exposes only ingest's metrics.
    assert!(!ingest.contains("envmon_http_requests_total"));
    assert_build_and_process_series(&ingest);
    // Everything received was committed and acknowledged: nothing waits.
    wait_for(
        "ingest's queue and acknowledgements to drain",
        Duration::from_secs(10),
        || async {
            let text = scrape(ingest_metrics).await;
            match (
                sample(&text, "envmon_ingest_queue_depth"),
                sample(&text, "envmon_ingest_unacknowledged_messages"),
            ) {
                (Some(0.0), Some(0.0)) => Ok(()),
                other => Err(format!("queue, unacknowledged: {other:?}")),
            }
        },
    )
    .await;

    // A station the registry does not know, once the station directory is
    // old enough (5 s) that a miss reloads it and decodes again: one dead
    // letter, counted once.
    tokio::time::sleep_until(ingest_started + Duration::from_secs(6)).await;
    mosquitto_pub(
        &broker,
        "sensors/air/9999Z",
        r#"{"station":"9999Z","observed_at":"2026-11-25T18:00:00+08:00","readings":{"pm25":30}}"#,
    )
    .await;
    wait_for(
        "the unknown station's dead letter",
        Duration::from_secs(10),
        || async {
            match db
                .count("SELECT count(*) FROM dead_letter WHERE reason_code = 'unknown_station'")
                .await
            {
                1 => Ok(()),
                n => Err(format!("{n} dead letters")),
            }
        },
    )
    .await;
    assert_eq!(
        sample(
            &scrape(ingest_metrics).await,
            "envmon_ingest_dead_letters_total{reason=\"unknown_station\"}"
        ),
        Some(1.0)
    );

    let publisher = scrape(publisher_metrics).await;
    let expect = |series: &str, value: f64| {
        assert_eq!(
            sample(&publisher, series),
            Some(value),
            "{series} in\n{publisher}"
        );
    };
    expect("envmon_publisher_live_clients", 1.0);
    expect("envmon_publisher_alert_notices_total", 1.0);
    expect("envmon_publisher_broker_connected", 1.0);
    // By route pattern, never by raw path.
    expect(
        "envmon_http_requests_total{route=\"/api/v1/stations\",status=\"200\"}",
        2.0,
    );
    expect(
        "envmon_http_requests_total{route=\"unmatched\",status=\"404\"}",
        1.0,
    );
    expect(
        "envmon_http_requests_total{route=\"/api/v1/live\",status=\"101\"}",
        1.0,
    );
    assert!(!publisher.contains("/no/such/route"));
    assert_build_and_process_series(&publisher);
    assert!(!publisher.contains("envmon_ingest_"));
    // The pool: the 4 connections the test processes are given.
    expect("envmon_publisher_database_pool_size", 4.0);
    let in_use = sample(&publisher, "envmon_publisher_database_pool_in_use").unwrap();
    assert!((0.0..=4.0).contains(&in_use), "{in_use} in use");
    // The newest air reading was observed at 19:00 Shanghai time.
    let newest = chrono::DateTime::parse_from_rfc3339("2026-11-25T19:00:00+08:00").unwrap();
    let expected_age = (chrono::Utc::now() - newest.to_utc()).num_seconds() as f64;
    let age = sample(
        &publisher,
        "envmon_publisher_data_age_seconds{kind=\"air\"}",
    )
    .unwrap();
    assert!(
        (age - expected_age).abs() < 120.0,
        "air data {age} s old, expected about {expected_age}"
    );
    assert_eq!(
        sample(
            &publisher,
            "envmon_publisher_data_age_seconds{kind=\"river\"}"
        ),
        None,
        "no river data was sent"
    );
    // Ingest's live states carry their commit time: the lag since the last
    // one relayed is measured, and short. Clients never see that time.
    wait_for("the live lag", Duration::from_secs(10), || async {
        let text = scrape(publisher_metrics).await;
        match sample(&text, "envmon_publisher_live_lag_seconds") {
            Some(lag) if (0.0..60.0).contains(&lag) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let frames = drain_text_frames(&mut live).await;
    assert!(frames.contains("1141A"), "{frames}");
    assert!(!frames.contains("committed_at"), "{frames}");

    // A client that leaves is no longer counted.
    live.close(None).await.unwrap();
    drop(live);
    wait_for(
        "the live client to be gone",
        Duration::from_secs(5),
        || async {
            let text = scrape(publisher_metrics).await;
            match sample(&text, "envmon_publisher_live_clients") {
                Some(0.0) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}

/// The text frames a live client has been sent so far, joined.
async fn drain_text_frames(live: &mut crate::helpers::system::LiveClient) -> String {
    use futures_util::StreamExt;
    let mut frames = String::new();
    while let Ok(Some(Ok(frame))) =
        tokio::time::timeout(Duration::from_millis(500), live.next()).await
    {
        if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
            frames.push_str(&text);
        }
    }
    frames
}
