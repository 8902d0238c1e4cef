//! Subscriptions' rules through the whole system: hourly AQI rolled up by
//! ingest reaching a subscriber's level (once, with hysteresis), and a
//! webhook that keeps failing disabled with a message to its owner; staff see
//! the counts and never an address.

use std::time::Duration;

use envmon_publisher::staff::Role;

use crate::helpers::process::free_addr;
use crate::helpers::staff::{self, Staff};
use crate::helpers::subscribers::{
    Receiver, SmtpServer, delivery_settings, header, issue_notice, scratch_dir, subscribe,
};
use crate::helpers::{TestSystem, wait_for};

const DEADLINE: Duration = Duration::from_secs(20);

/// An hourly-mean record of all six pollutants, labelled by the end of its hour.
fn hourly(station: &str, hour_end: &str, pm25: f64) -> String {
    format!(
        r#"{{"station":"{station}","observed_at":"{hour_end}","period":"PT1H",
            "readings":{{"so2":8,"no2":45,"co":0.7,"o3":120,"pm10":85,"pm25":{pm25}}}}}"#
    )
}

/// Waits until every outbox event has been fanned out.
async fn fanned_out(system: &TestSystem) {
    wait_for("every event fanned out", DEADLINE, || async {
        let waiting = system
            .db
            .count("SELECT count(*) FROM outbox_event WHERE fanned_out_at IS NULL")
            .await;
        if waiting == 0 {
            Ok(())
        } else {
            Err(format!("{waiting} waiting"))
        }
    })
    .await;
}

#[tokio::test]
async fn an_hour_reaching_the_level_tells_the_station_and_district_subscribers_once() {
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let settings = delivery_settings(&scratch_dir(), None);
    let mut system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    system.start_ingest().await;
    // 1141A is Putuo's only evaluation station: the district follows it.
    for (n, target) in [("station", "1141A"), ("area", "putuo")].iter().enumerate() {
        let answer = subscribe(
            &system,
            serde_json::json!({ "channel": "webhook", "address": format!("http://{addr}/level/{n}"),
                "topic": "level", target.0: target.1, "level": 3, "language": "en" }),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }

    // HJ 633-2026: PM2.5 62 gives AQI 102, level III (see indices.rs).
    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &hourly("1141A", "2026-11-25T16:00:00+08:00", 62.0),
        )
        .await;
    let events = wait_for("both level messages", DEADLINE, || async {
        let events = receiver.events();
        if events.len() >= 2 {
            Ok(events)
        } else {
            Err(format!("{} messages", events.len()))
        }
    })
    .await;
    for event in &events {
        let body: serde_json::Value = serde_json::from_slice(&event.body).unwrap();
        assert_eq!(body["type"], "level");
        assert_eq!(body["data"]["aqi"], 102, "{body}");
        assert!(
            body["reason"]
                .as_str()
                .unwrap()
                .contains("\"Lightly Polluted\" or worse"),
            "{body}"
        );
    }

    // Still above the level the next hour: nothing new to say.
    system
        .mosquitto_pub(
            "sensors/air/1141A",
            &hourly("1141A", "2026-11-25T17:00:00+08:00", 70.0),
        )
        .await;
    wait_for("the next hour rolled up", DEADLINE, || async {
        let rows = system
            .db
            .count("SELECT count(*) FROM aqi_hourly WHERE hour_end = '2026-11-25T17:00:00+08:00'")
            .await;
        if rows == 1 {
            Ok(())
        } else {
            Err("not yet".into())
        }
    })
    .await;
    fanned_out(&system).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        receiver.events().len(),
        2,
        "one message per rule while above"
    );
    assert_eq!(
        system
            .db
            .count("SELECT count(*) FROM subscription WHERE level_above")
            .await,
        2
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_webhook_failing_past_the_retry_period_is_disabled_and_its_owner_told() {
    let dir = scratch_dir();
    let smtp_port = free_addr().port();
    let mail = SmtpServer::start(smtp_port, &dir.join("maildir"));
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let mut settings = delivery_settings(&dir, Some(smtp_port));
    settings.give_up_after = Duration::from_secs(2);
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    let answer = subscribe(
        &system,
        serde_json::json!({ "channel": "webhook", "address": format!("http://{addr}/broken"),
            "owner_email": "owner@example.org", "topic": "notices", "area": "shanghai",
            "language": "en" }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    receiver.statuses.lock().unwrap().extend([500; 100]);

    issue_notice(&system, "Nobody listens").await;
    let told = wait_for("the owner's message", DEADLINE, || async {
        mail.messages()
            .into_iter()
            .find(|m| header(m, "To").as_deref() == Some("owner@example.org"))
            .ok_or_else(|| format!("{} attempts so far", receiver.events().len()))
    })
    .await;
    assert_eq!(
        header(&told, "Subject").as_deref(),
        Some("Your webhook was disabled")
    );
    assert!(receiver.events().len() >= 2, "retried before giving up");
    let disabled = system
        .db
        .count("SELECT count(*) FROM subscription WHERE state = 'disabled' AND disabled_reason LIKE '%500%'")
        .await;
    assert_eq!(disabled, 1);

    // Staff see the counts, and no address anywhere in the answer.
    staff::add(&system.db, "watcher", Role::Operator).await;
    let watcher = Staff::login(system.publisher_addr, "watcher").await;
    let health = watcher.call("GET", "/api/v1/staff/delivery", None).await;
    assert_eq!(health.status, 200, "{}", health.body);
    let report = health.json();
    assert_eq!(report["channels"]["webhook"]["disabled"], 1, "{report}");
    assert_eq!(report["deliveries"]["failed"], 1, "{report}");
    assert!(!health.body.contains("example.org") && !health.body.contains("/broken"));
    system.shutdown().await;
}

#[tokio::test]
async fn the_daily_summary_and_a_published_forecast_reach_their_subscribers() {
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let mut settings = delivery_settings(&scratch_dir(), None);
    settings.worker = false;
    let mut system = TestSystem::start_publisher_only_with(|s| s.delivery = settings.clone()).await;
    for topic in ["daily_summary", "daily_forecast"] {
        let answer = subscribe(
            &system,
            serde_json::json!({ "channel": "webhook", "address": format!("http://{addr}/{topic}"),
                "topic": topic, "area": "shanghai", "language": "zh" }),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    // The forecast's publication writes its event in its own transaction.
    let mut client = system.db.client().await;
    let tx = client.transaction().await.unwrap();
    let forecast = envmon_core::outbox::ForecastSummary {
        forecast_id: "FC-2026-0001".into(),
        area_ids: vec!["shanghai".into()],
        text_zh: "明天 AQI 92–112，良至轻度污染。".into(),
        text_en: "Tomorrow AQI 92–112, good to lightly polluted.".into(),
        published_at: chrono::Utc::now(),
    };
    envmon_core::outbox::enqueue(
        &tx,
        &envmon_core::outbox::OutboxCause::DailyForecast(forecast),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // A worker starting after the summary hour writes yesterday's summary once.
    settings.worker = true;
    settings.daily_summary_hour = 0;
    system
        .spawn_publisher(envmon_publisher::Settings {
            delivery: settings,
            ..system.publisher_settings()
        })
        .await;
    let events = wait_for("the summary and the forecast", DEADLINE, || async {
        let events = receiver.events();
        if events.len() >= 2 {
            Ok(events)
        } else {
            Err(format!("{} messages", events.len()))
        }
    })
    .await;
    let by_type: std::collections::BTreeMap<String, serde_json::Value> = events
        .iter()
        .map(|e| serde_json::from_slice::<serde_json::Value>(&e.body).unwrap())
        .map(|body| (body["type"].as_str().unwrap().to_owned(), body))
        .collect();
    assert_eq!(
        by_type["daily_forecast"]["text"],
        "明天 AQI 92–112，良至轻度污染。"
    );
    assert!(
        by_type["daily_forecast"]["reason"]
            .as_str()
            .unwrap()
            .contains("每日空气质量预报")
    );
    assert!(
        by_type["daily_summary"]["subject"]
            .as_str()
            .unwrap()
            .starts_with("上海市"),
        "{by_type:?}"
    );
    assert_eq!(
        system
            .db
            .count("SELECT count(*) FROM outbox_event WHERE kind = 'daily_summary'")
            .await,
        1
    );
    system.shutdown().await;
}

#[tokio::test]
async fn sign_ups_are_bounded_per_client_and_per_address() {
    let mut settings = delivery_settings(&scratch_dir(), None);
    settings.signups_per_hour = 3;
    settings.max_per_address = 1;
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let hook = |path: &str| {
        serde_json::json!({ "channel": "webhook", "address": format!("http://{addr}/{path}"),
            "topic": "notices", "area": "shanghai", "language": "en" })
    };
    assert_eq!(subscribe(&system, hook("a")).await.status, 201);
    let again = subscribe(&system, hook("a")).await;
    assert_eq!(
        again.status, 429,
        "one subscription per address here: {}",
        again.body
    );
    assert_eq!(subscribe(&system, hook("b")).await.status, 201);
    let flood = subscribe(&system, hook("c")).await;
    assert_eq!(
        flood.status, 429,
        "three sign-ups an hour per client: {}",
        flood.body
    );
    assert!(flood.header("retry-after").is_some());
    // E-mail is refused where no relay is configured, rather than queued forever.
    let mail = subscribe(
        &system,
        serde_json::json!({ "channel": "email", "address": "x@example.org", "topic": "notices",
            "area": "shanghai", "language": "en" }),
    )
    .await;
    assert!(mail.status == 503 || mail.status == 429, "{}", mail.body);
    system.shutdown().await;
}

#[tokio::test]
async fn a_publisher_without_a_usable_vapid_key_serves_and_offers_no_push() {
    let mut settings = delivery_settings(&scratch_dir(), None);
    settings.vapid_key_file = "/proc/envmon-nowhere/vapid.key".into();
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    let options = crate::helpers::http::send(
        system.publisher_addr,
        "GET",
        "/api/v1/subscriptions",
        &[],
        None,
    )
    .await
    .json();
    assert_eq!(
        options["channels"],
        serde_json::json!(["webhook"]),
        "{options}"
    );
    assert!(options["vapid_public_key"].is_null());
    let push = subscribe(
        &system,
        serde_json::json!({ "channel": "push", "topic": "notices", "area": "shanghai", "language": "en",
            "push": { "endpoint": "https://push.example.net/x",
                "keys": { "p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
                    "auth": "BTBZMqHH6r4Tts7J_aSIgg" } } }),
    )
    .await;
    assert_eq!(push.status, 503, "{}", push.body);
    system.shutdown().await;
}
