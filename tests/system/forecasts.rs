//! Forecasts end to end, against a real database and broker: an operator
//! drafts a three-day forecast, an approver publishes it (never their own,
//! never text they did not review), the signed document verifies with an
//! independent Ed25519 and JSON implementation (Python's `cryptography`),
//! reaches the live feed and its snapshot, the API as JSON and CSV and a
//! well-formed Atom feed (xmllint); a forged forecast on the broker reaches
//! no one; past forecasts are scored against seeded daily AQI, worked by hand.

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use envmon_core::alert::NoticeSigner;
use envmon_publisher::staff::Role;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::staff::{self, Staff};
use crate::helpers::system::LiveClient;
use crate::helpers::{TestSystem, http, unique};

fn beijing_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&envmon_core::beijing::offset())
        .date_naive()
}

fn day(offset: i64) -> String {
    (beijing_today() + chrono::Duration::days(offset)).to_string()
}

/// A three-day forecast for `area` starting tomorrow, the first day 92–112.
fn content(area: &str) -> Value {
    json!({
        "area": area,
        "days": [
            {"day": day(1), "aqi_low": 92, "aqi_high": 112, "primary": ["pm25"],
             "text": {"zh": "良至轻度污染，首要污染物PM2.5", "en": "Good to lightly polluted, PM2.5"}},
            {"day": day(2), "aqi_low": 60, "aqi_high": 80, "primary": ["o3_8h"],
             "text": {"zh": "良", "en": "Good"}},
            {"day": day(3), "aqi_low": 30, "aqi_high": 50, "primary": [],
             "text": {"zh": "优", "en": "Excellent"}}
        ]
    })
}

async fn reviewed(staff: &Staff, id: &str) -> String {
    let view = staff
        .call("GET", &format!("/api/v1/staff/forecasts/{id}"), None)
        .await
        .json();
    let draft = view["versions"]
        .as_array()
        .and_then(|versions| versions.iter().find(|v| v["state"] == "draft"))
        .unwrap_or_else(|| panic!("{id} has no open draft: {view}"))
        .clone();
    json!({ "version": draft["version"], "content_hash": draft["content_hash"] }).to_string()
}

async fn approve(staff: &Staff, id: &str, body: &str) -> http::Response {
    staff
        .call(
            "POST",
            &format!("/api/v1/staff/forecasts/{id}/approve"),
            Some(body),
        )
        .await
}

async fn draft(staff: &Staff, area: &str) -> String {
    let created = staff
        .call(
            "POST",
            "/api/v1/staff/forecasts",
            Some(&json!({ "content": content(area) }).to_string()),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    created.json()["id"].as_str().unwrap().to_owned()
}

/// Checks `document`'s signature with Python's `cryptography` and its own
/// JSON writer (sorted keys, no spaces: RFC 8785 for these documents), so
/// envmon's canonical form and Ed25519 are not their own judges.
fn verify_independently(document: &Value, public_key_hex: &str) -> Result<(), String> {
    const SCRIPT: &str = r#"
import json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
doc = json.load(sys.stdin)
sig = doc.pop("signature")
data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
Ed25519PublicKey.from_public_bytes(bytes.fromhex(sys.argv[1])).verify(bytes.fromhex(sig["value"]), data)
print("ok")
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT, public_key_hex])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is installed");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(document.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn xmllint(xml: &str) -> Result<(), String> {
    let file = std::env::temp_dir().join(format!("{}.xml", unique("envmon-forecast-atom")));
    std::fs::write(&file, xml).unwrap();
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg(&file)
        .output()
        .expect("xmllint is installed");
    let _ = std::fs::remove_file(&file);
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

struct Viewer(LiveClient);

impl Viewer {
    async fn open(addr: std::net::SocketAddr) -> (Self, Value) {
        let url = format!("ws://{addr}/api/v1/live");
        let (client, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut viewer = Self(client);
        let snapshot = viewer.next().await;
        assert_eq!(snapshot["type"], "snapshot");
        (viewer, snapshot)
    }

    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.0.next())
                .await
                .expect("a live message within 10 s")
                .expect("the socket stays open")
                .unwrap();
            if let Message::Text(text) = frame {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    /// Reads forecast messages until one for `id` arrives; fails if one
    /// for an id in `never` comes first.
    async fn forecast_before(&mut self, id: &str, never: &[&str]) -> Value {
        loop {
            let message = self.next().await;
            if message["type"] != "forecast" {
                continue;
            }
            let got = message["forecast"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                !never.contains(&got.as_str()),
                "the public received {got}: {message}"
            );
            if got == id {
                return message["forecast"].clone();
            }
        }
    }
}

async fn audit_actions(system: &TestSystem, id: &str) -> Vec<String> {
    system
        .db
        .client()
        .await
        .query(
            "SELECT action FROM audit_log WHERE subject = $1 ORDER BY seq",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn a_forecast_needs_a_second_person_who_reviewed_its_exact_text() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "forecaster", Role::Operator).await;
    staff::add(&system.db, "checker", Role::Approver).await;
    staff::add(&system.db, "chief", Role::Admin).await;
    let forecaster = Staff::login(addr, "forecaster").await;
    let checker = Staff::login(addr, "checker").await;
    let chief = Staff::login(addr, "chief").await;

    // Checks before anything is stored: a day too far ahead, an unknown area.
    let mut too_far = content("shanghai");
    too_far["days"][2]["day"] = day(4).into();
    let refused = forecaster
        .call(
            "POST",
            "/api/v1/staff/forecasts",
            Some(&json!({ "content": too_far }).to_string()),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("must be 1 to 3"), "{}", refused.body);
    let nowhere = forecaster
        .call(
            "POST",
            "/api/v1/staff/forecasts",
            Some(&json!({ "content": content("atlantis") }).to_string()),
        )
        .await;
    assert_eq!(nowhere.status, 400, "{}", nowhere.body);

    let id = draft(&forecaster, "shanghai").await;
    // An operator may not approve; nobody approves their own draft.
    let stale_view = reviewed(&checker, &id).await;
    assert_eq!(approve(&forecaster, &id, &stale_view).await.status, 403);
    let own = draft(&chief, "pudong").await;
    let own_view = reviewed(&chief, &own).await;
    let refused = approve(&chief, &own, &own_view).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("own_draft"), "{}", refused.body);

    // The text changes after the approver looked: 409, and nothing is published.
    let mut changed = content("shanghai");
    changed["days"][0]["aqi_high"] = 118.into();
    let edited = forecaster
        .call(
            "PUT",
            &format!("/api/v1/staff/forecasts/{id}/draft"),
            Some(&json!({ "content": changed }).to_string()),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let conflict = approve(&checker, &id, &stale_view).await;
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    let public = http::get(addr, "/api/v1/forecasts").await.unwrap().json();
    assert_eq!(public["forecasts"], json!([]), "nothing public yet");

    // Reviewed again, approved: signed, with levels derived from each range.
    let issued = approve(&checker, &id, &reviewed(&checker, &id).await).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let document = issued.json();
    assert_eq!(document["status"], "published");
    assert_eq!(document["area_name"]["en"], "Shanghai");
    assert_eq!(document["days"][0]["aqi_high"], 118);
    assert_eq!(document["days"][0]["levels"], json!([2, 3]));
    assert_eq!(document["days"][1]["levels"], json!([2]));
    assert_eq!(document["days"][2]["levels"], json!([1]));
    assert_eq!(document["days"][0]["days_ahead"], 1);
    let key = http::get(addr, "/api/v1/alerts/public-key")
        .await
        .unwrap()
        .json();
    let key = key["public_key"].as_str().unwrap();
    verify_independently(&document, key).unwrap();
    let mut altered = document.clone();
    altered["days"][0]["aqi_low"] = 40.into();
    assert!(
        verify_independently(&altered, key).is_err(),
        "a change breaks it"
    );

    // Every step is in the audit chain, the refusals included.
    assert_eq!(
        audit_actions(&system, &id).await,
        [
            "forecast.draft",
            "forecast.edit",
            "forecast.approve.refused",
            "forecast.approve"
        ]
    );
    assert_eq!(
        audit_actions(&system, &own).await,
        ["forecast.draft", "forecast.approve.refused"]
    );
    // The schema holds the two-person rule too.
    let same_person = system
        .db
        .client()
        .await
        .execute(
            "UPDATE forecast_version SET approved_by = drafted_by WHERE forecast_id = $1",
            &[&id],
        )
        .await;
    assert!(same_person.is_err(), "the database refuses self-approval");
    system.shutdown().await;
}

/// Each forecast route by every role and by no one: `{f}` a fresh forecast
/// drafted by someone else (issued first for updates and withdrawals).
#[tokio::test]
async fn every_forecast_route_admits_exactly_its_roles() {
    const DRAFT: &[Role] = &[Role::Operator, Role::Admin];
    const APPROVE: &[Role] = &[Role::Approver, Role::Admin];
    const ALL: &[Role] = &[Role::Operator, Role::Approver, Role::Admin];
    let routes: &[(&str, &str, &str, &[Role])] = &[
        ("GET", "/api/v1/staff/forecasts", "", ALL),
        ("GET", "/api/v1/staff/forecasts/{f}", "", ALL),
        ("POST", "/api/v1/staff/forecasts", "CONTENT", DRAFT),
        ("PUT", "/api/v1/staff/forecasts/{f}/draft", "CONTENT", DRAFT),
        (
            "POST",
            "/api/v1/staff/forecasts/{f}/update",
            "CONTENT",
            DRAFT,
        ),
        (
            "POST",
            "/api/v1/staff/forecasts/{f}/approve",
            "REVIEWED",
            APPROVE,
        ),
        (
            "POST",
            "/api/v1/staff/forecasts/{f}/withdraw",
            "{}",
            APPROVE,
        ),
    ];
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    for (name, role) in [
        ("op", Role::Operator),
        ("ap", Role::Approver),
        ("ad", Role::Admin),
        ("writer", Role::Operator),
        ("checker", Role::Approver),
    ] {
        staff::add(&system.db, name, role).await;
    }
    let writer = Staff::login(addr, "writer").await;
    let checker = Staff::login(addr, "checker").await;
    let body_of_content = json!({ "content": content("shanghai") }).to_string();
    let mut sessions = std::collections::HashMap::new();
    for (method, path, body, allowed) in routes {
        for role in [
            None,
            Some(Role::Operator),
            Some(Role::Approver),
            Some(Role::Admin),
        ] {
            let id = draft(&writer, "shanghai").await;
            if path.ends_with("/update") || path.ends_with("/withdraw") {
                let issued = approve(&checker, &id, &reviewed(&checker, &id).await).await;
                assert_eq!(issued.status, 200, "{}", issued.body);
            }
            let path = path.replace("{f}", &id);
            let body = match *body {
                "" => None,
                "CONTENT" => Some(body_of_content.clone()),
                "REVIEWED" => Some(reviewed(&writer, &id).await),
                other => Some(other.to_owned()),
            };
            let response = match role {
                None => {
                    let origin = format!("http://{addr}");
                    staff::send(addr, method, &path, &[("Origin", &origin)], body.as_deref()).await
                }
                Some(role) => {
                    let name = match role {
                        Role::Operator => "op",
                        Role::Approver => "ap",
                        Role::Admin => "ad",
                    };
                    if !sessions.contains_key(name) {
                        sessions.insert(name, Staff::login(addr, name).await);
                    }
                    sessions[name].call(method, &path, body.as_deref()).await
                }
            };
            let expected = match role {
                None => 401,
                Some(role) if allowed.contains(&role) => 200,
                Some(_) => 403,
            };
            assert_eq!(
                response.status, expected,
                "{method} {path} as {role:?}: {}",
                response.body
            );
        }
    }
    system.shutdown().await;
}

#[tokio::test]
async fn a_published_forecast_reaches_the_api_the_feed_and_the_live_protocol_until_withdrawn() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "forecaster", Role::Operator).await;
    staff::add(&system.db, "checker", Role::Approver).await;
    let forecaster = Staff::login(addr, "forecaster").await;
    let checker = Staff::login(addr, "checker").await;
    let (mut viewer, snapshot) = Viewer::open(addr).await;
    assert_eq!(snapshot["forecasts"], json!([]));

    let id = draft(&forecaster, "shanghai").await;
    let issued = approve(&checker, &id, &reviewed(&checker, &id).await).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let document = issued.json();

    // Subscribers to the daily forecast are owed a message by the publication's transaction.
    let owed = system
        .db
        .client()
        .await
        .query_one(
            "SELECT payload FROM outbox_event WHERE kind = 'daily_forecast'",
            &[],
        )
        .await
        .unwrap();
    let owed: serde_json::Value = owed.get(0);
    assert_eq!(owed["forecast_id"], json!(id), "{owed}");
    assert_eq!(owed["area_ids"], json!(["shanghai"]));
    assert!(
        owed["text_zh"]
            .as_str()
            .unwrap()
            .starts_with("上海市空气质量预报："),
        "{owed}"
    );

    // Live: the message, through the broker, exactly as signed.
    let relayed = viewer.forecast_before(&id, &[]).await;
    assert_eq!(relayed, document);
    let (_, snapshot) = Viewer::open(addr).await;
    assert_eq!(snapshot["forecasts"], json!([document.clone()]));

    // The API: JSON, CSV with one row per day, one version, the Atom feed.
    let listed = http::get(addr, "/api/v1/forecasts").await.unwrap().json();
    assert_eq!(listed["forecasts"], json!([document.clone()]));
    let csv = http::get(addr, "/api/v1/forecasts?format=csv")
        .await
        .unwrap();
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "{}", csv.body);
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][column("forecast_id")], id);
    assert_eq!(&rows[0][column("day")], day(1));
    assert_eq!(&rows[0][column("aqi_low")], "92");
    assert_eq!(&rows[0][column("levels")], "2;3");
    assert_eq!(&rows[0][column("area_name_zh")], "上海市");
    assert_eq!(&rows[2][column("primary")], "");
    let one = http::get(addr, &format!("/api/v1/forecasts/{id}.v1"))
        .await
        .unwrap();
    assert_eq!(one.json(), document);
    let atom = http::get(addr, "/api/v1/forecasts.atom").await.unwrap();
    assert!(
        atom.header("content-type")
            .unwrap()
            .starts_with("application/atom+xml")
    );
    xmllint(&atom.body).unwrap();
    assert!(
        atom.body.contains(&format!("urn:envmon:forecast:{id}.v1")),
        "{}",
        atom.body
    );
    assert!(!atom.body.contains("cap+xml"), "no CAP for forecasts");

    // A newer forecast of the area supersedes it.
    let newer = draft(&forecaster, "shanghai").await;
    assert_eq!(
        approve(&checker, &newer, &reviewed(&checker, &newer).await)
            .await
            .status,
        200
    );
    let listed = http::get(addr, "/api/v1/forecasts").await.unwrap().json();
    assert_eq!(listed["forecasts"].as_array().unwrap().len(), 1);
    assert_eq!(listed["forecasts"][0]["id"], newer.as_str());

    // Withdrawn: announced, signed, and current nowhere.
    let withdrawn = checker
        .call(
            "POST",
            &format!("/api/v1/staff/forecasts/{newer}/withdraw"),
            Some(r#"{"reason":"model run failed"}"#),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.body);
    let relayed = loop {
        let message = viewer.forecast_before(&newer, &[]).await;
        if message["status"] == "withdrawn" {
            break message;
        }
    };
    assert_eq!(relayed["version"], 2);
    let listed = http::get(addr, "/api/v1/forecasts").await.unwrap().json();
    assert_eq!(
        listed["forecasts"][0]["id"],
        id.as_str(),
        "the older one is current again"
    );
    system.shutdown().await;
}

/// A forecast in the public shape, unsigned, for the forger.
fn forged_body(id: &str) -> Value {
    json!({
        "id": id, "version": 1, "version_id": format!("{id}.v1"), "status": "published",
        "area": "shanghai", "area_name": {"zh": "上海市", "en": "Shanghai"},
        "issued_at": Utc::now().to_rfc3339(),
        "days": [{"day": day(1), "days_ahead": 1, "aqi_low": 0, "aqi_high": 20, "levels": [1],
                  "edition": "HJ 633-2026", "primary": [],
                  "text": {"zh": "空气极好", "en": "All clear"}}],
        "references": null
    })
}

async fn forge(system: &TestSystem, topic: &str, payload: &Value) {
    let broker = system.broker.publisher_settings();
    let mut command = tokio::process::Command::new("mosquitto_pub");
    command.args(["-h", "127.0.0.1", "-p", &system.broker.port.to_string()]);
    if let Some(user) = broker.username {
        command.args(["-u", &user, "-P", &broker.password.unwrap_or_default()]);
    }
    command.args([
        "-i",
        &unique("forger"),
        "-q",
        "1",
        "-r",
        "-t",
        topic,
        "-m",
        &payload.to_string(),
    ]);
    assert!(command.status().await.unwrap().success());
}

fn refused(reason: &str) -> f64 {
    let series = format!("envmon_publisher_forecasts_refused_total{{reason=\"{reason}\"}} ");
    envmon_publisher::metrics::render()
        .lines()
        .find_map(|line| line.strip_prefix(&series)?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_forged_forecast_on_the_broker_reaches_no_one() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let (mut viewer, _) = Viewer::open(addr).await;
    let unsigned_before = refused("unsigned");
    let untrusted_before = refused("untrusted_key");
    let altered_before = refused("bad_signature");

    let unsigned = unique("FC-UNSIGNED").replace('_', "-");
    forge(
        &system,
        &format!("live/forecast/{unsigned}"),
        &forged_body(&unsigned),
    )
    .await;
    let stranger = unique("FC-STRANGER").replace('_', "-");
    let mut by_stranger = forged_body(&stranger);
    NoticeSigner::from_seed(&[0x5a; 32]).sign_document(&mut by_stranger);
    forge(&system, &format!("live/forecast/{stranger}"), &by_stranger).await;
    let altered = unique("FC-ALTERED").replace('_', "-");
    let mut tampered = staff::signed(forged_body(&altered));
    tampered["days"][0]["aqi_high"] = 10.into();
    forge(&system, &format!("live/forecast/{altered}"), &tampered).await;

    // A genuine one (signed with the publishers' key) after them: once it
    // arrives, the forgeries before it have been judged.
    let canary = unique("FC-CANARY").replace('_', "-");
    forge(
        &system,
        &format!("live/forecast/{canary}"),
        &staff::signed(forged_body(&canary)),
    )
    .await;
    viewer
        .forecast_before(&canary, &[&unsigned, &stranger, &altered])
        .await;
    assert!(refused("unsigned") > unsigned_before);
    assert!(refused("untrusted_key") > untrusted_before);
    assert!(refused("bad_signature") > altered_before);
    let (_, snapshot) = Viewer::open(addr).await;
    let ids: Vec<&str> = snapshot["forecasts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [canary.as_str()]);
    system.shutdown().await;
}

/// A past forecast issued on `issued` (Beijing day) with `days`
/// (day, low, high, levels), stored as the workflow stores one, signed with
/// the publishers' key.
async fn store_past_forecast(
    system: &TestSystem,
    id: &str,
    issued: NaiveDate,
    days: &[(NaiveDate, u16, u16, &[u8])],
) {
    let client = system.db.client().await;
    let users: Vec<i64> = client
        .query(
            "SELECT id FROM staff_user WHERE username IN ('forecaster', 'checker') ORDER BY username DESC",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let issued_at = format!("{issued}T08:00:00+08:00");
    let document = staff::signed(json!({
        "id": id, "version": 1, "version_id": format!("{id}.v1"), "status": "published",
        "area": "shanghai", "area_name": {"zh": "上海市", "en": "Shanghai"},
        "issued_at": chrono::DateTime::parse_from_rfc3339(&issued_at).unwrap().to_utc(),
        "days": days.iter().map(|(d, low, high, levels)| json!({
            "day": d, "days_ahead": (*d - issued).num_days(), "aqi_low": low, "aqi_high": high,
            "levels": levels, "edition": "HJ 633-2026", "primary": ["pm25"],
            "text": {"zh": "预报", "en": "Forecast"}
        })).collect::<Vec<_>>(),
        "references": null
    }));
    client
        .execute(
            "INSERT INTO forecast (id, area_id) VALUES ($1, 'shanghai')",
            &[&id],
        )
        .await
        .unwrap();
    let last_day = days.iter().map(|d| d.0).max().unwrap();
    client
        .execute(
            "INSERT INTO forecast_version (forecast_id, version, state, content, drafted_by,
                approved_by, published_at, document, last_day)
             VALUES ($1, 1, 'published', '{}', $2, $3, $4::text::timestamptz, $5, $6)",
            &[&id, &users[0], &users[1], &issued_at, &document, &last_day],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn past_forecasts_are_scored_against_the_observed_daily_aqi() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    staff::add(&system.db, "forecaster", Role::Operator).await;
    staff::add(&system.db, "checker", Role::Approver).await;
    let today = beijing_today();
    let ago = |n: i64| today - chrono::Duration::days(n);
    // Observed: 10 days ago AQI 120 (level III), 9 days ago 85 (II), 8 days
    // ago 160 (IV), 7 days ago 100 (II); none 6 days ago.
    let client = system.db.client().await;
    for (d, aqi, level) in [
        (ago(10), 120_i16, 3_i16),
        (ago(9), 85, 2),
        (ago(8), 160, 4),
        (ago(7), 100, 2),
    ] {
        client
            .execute(
                "INSERT INTO area_aqi_daily (area_id, day, edition, aqi, computed_aqi, level,
                     primary_pollutants, stations, report)
                 VALUES ('shanghai', $1, 'HJ 633-2026', $2, $2, $3, '{pm25}', 10, '{}')",
                &[&d, &aqi, &level],
            )
            .await
            .unwrap();
    }
    // Forecast A, issued 11 days ago: 10 ago 92–112 (II, III), 9 ago 92–112, 8 ago 92–112.
    store_past_forecast(
        &system,
        "FC-PAST-A",
        ago(11),
        &[
            (ago(10), 92, 112, &[2, 3]),
            (ago(9), 92, 112, &[2, 3]),
            (ago(8), 92, 112, &[2, 3]),
        ],
    )
    .await;
    // Forecast B, issued 8 days ago: 7 ago 90–110 (II, III); 6 ago has no observation.
    store_past_forecast(
        &system,
        "FC-PAST-B",
        ago(8),
        &[(ago(7), 90, 110, &[2, 3]), (ago(6), 60, 80, &[2])],
    )
    .await;

    let scores = http::get(addr, "/api/v1/forecasts/scores?area=shanghai")
        .await
        .unwrap()
        .json();
    let items = scores["items"].as_array().unwrap();
    // By hand: 120 in III, a hit, 8 above 112; 85 in II, a hit, 7 below 92;
    // 160 in IV, a miss, 48 above; 100 (B, 1 day ahead) a hit, inside.
    let got: Vec<(String, i64, bool, bool, i64)> = items
        .iter()
        .map(|i| {
            (
                i["day"].as_str().unwrap().to_owned(),
                i["days_ahead"].as_i64().unwrap(),
                i["level_hit"].as_bool().unwrap(),
                i["within_range"].as_bool().unwrap(),
                i["abs_error"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (ago(10).to_string(), 1, true, false, 8),
            (ago(9).to_string(), 2, true, false, 7),
            (ago(8).to_string(), 3, false, false, 48),
            (ago(7).to_string(), 1, true, true, 0),
        ]
    );
    let summary = &scores["summary"];
    assert_eq!(summary["scored"], 4);
    assert_eq!(summary["level_hits"], 3);
    assert_eq!(summary["level_hit_rate"], 0.75);
    assert_eq!(summary["within_range_rate"], 0.25);
    assert_eq!(summary["mean_abs_error"], 15.75);
    // One day ahead: two days, both hits, one inside.
    assert_eq!(scores["by_days_ahead"][0]["summary"]["level_hits"], 2);
    assert_eq!(scores["by_days_ahead"][0]["summary"]["within_range"], 1);

    let csv = http::get(
        addr,
        &format!("/api/v1/forecasts/scores?format=csv&from={}", ago(9)),
    )
    .await
    .unwrap();
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "{}", csv.body);
    assert_eq!(&rows[1][0], "FC-PAST-A");
    let bad = http::get(addr, "/api/v1/forecasts/scores?from=yesterday")
        .await
        .unwrap();
    assert_eq!(bad.status, 400);
    system.shutdown().await;
}

#[tokio::test]
async fn forecast_in_a_real_browser() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run deploy/test.sh (it runs npm ci in tests/browser)"
    );
    let screenshots = root.join("target/screenshots");
    staff::add(&system.db, "forecaster", Role::Operator).await;
    staff::add(&system.db, "checker", Role::Approver).await;
    let forecaster = Staff::login(addr, "forecaster").await;
    let checker = Staff::login(addr, "checker").await;
    // Published: 92–112 tomorrow. Drafted, for the approver in the console: 101–130.
    let published = draft(&forecaster, "shanghai").await;
    let issued = approve(&checker, &published, &reviewed(&checker, &published).await).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let mut newer = content("shanghai");
    newer["days"][0]["aqi_low"] = 101.into();
    newer["days"][0]["aqi_high"] = 130.into();
    let drafted = forecaster
        .call(
            "POST",
            "/api/v1/staff/forecasts",
            Some(&json!({ "content": newer }).to_string()),
        )
        .await;
    assert_eq!(drafted.status, 200, "{}", drafted.body);
    let draft_id = drafted.json()["id"].as_str().unwrap().to_owned();
    let forged_id = "FC-FORGED-IN-RELAY";
    let mut forged = forged_body(forged_id);
    NoticeSigner::from_seed(&[0x5a; 32]).sign_document(&mut forged);
    let fixtures = std::env::temp_dir().join(format!("{}.json", unique("forecast-fixtures")));
    std::fs::write(
        &fixtures,
        json!({
            "published": {"id": published, "range": [92, 112]},
            "draft": {"id": draft_id, "range": [101, 130]},
            "forged": forged,
        })
        .to_string(),
    )
    .unwrap();

    let run = tokio::process::Command::new("node")
        .current_dir(&browser_dir)
        .arg("forecast.mjs")
        .arg(format!("http://{addr}/"))
        .args(["forecaster", "checker", staff::PASSWORD])
        .arg(&fixtures)
        .arg(&screenshots)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(150), run)
        .await
        .expect("the browser check finishes")
        .unwrap();
    let _ = std::fs::remove_file(&fixtures);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser check failed:\n{stdout}\n{stderr}"
    );
    // What the console did is what the database holds: approved by the other person.
    let row = system
        .db
        .client()
        .await
        .query_one(
            "SELECT v.state, d.username, a.username FROM forecast_version v
             JOIN staff_user d ON d.id = v.drafted_by JOIN staff_user a ON a.id = v.approved_by
             WHERE v.forecast_id = $1 AND v.version = 1",
            &[&draft_id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "published");
    assert_eq!(row.get::<_, String>(1), "forecaster");
    assert_eq!(row.get::<_, String>(2), "checker");
    // The operator's form made a draft: Pudong, one morning, as typed.
    let drafted = forecaster
        .call("GET", "/api/v1/staff/forecasts", None)
        .await
        .json();
    let pudong = drafted["forecasts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["area"] == "pudong")
        .unwrap_or_else(|| panic!("no Pudong draft: {drafted}"));
    let content = &pudong["versions"][0]["content"];
    assert_eq!(pudong["versions"][0]["drafted_by"], "forecaster");
    assert_eq!(
        content["days"],
        json!([{"day": day(1), "part": "morning", "aqi_low": 40, "aqi_high": 60,
                "primary": ["pm25"], "text": {"zh": "上午优至良", "en": "Excellent to good in the morning"}}])
    );
    system.shutdown().await;
}
