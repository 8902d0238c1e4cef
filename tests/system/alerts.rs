//! Alert notices end to end: an operator drafts, an approver publishes; the
//! signed notice reaches MQTT (read back with Mosquitto's own client), a
//! WebSocket client of the public live feed, the public API, CAP 1.2 (validated against the OASIS schema by xmllint) and
//! Atom; `envmon alerts verify` accepts it and refuses a tampered copy.

use std::path::{Path, PathBuf};
use std::process::Command;

use envmon_publisher::staff::Role;
use serde_json::Value;

use crate::helpers::staff::{self, Staff};
use crate::helpers::{TestBroker, TestSystem, http, unique};

const CAP_XSD: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/core/src/alert/reference/CAP-v1.2.xsd"
);

/// Runs xmllint on `xml`; with `schema`, validates against it.
fn xmllint(xml: &str, schema: Option<&str>) -> Result<(), String> {
    let file = std::env::temp_dir().join(format!("{}.xml", unique("envmon-xml")));
    std::fs::write(&file, xml).unwrap();
    let mut command = Command::new("xmllint");
    command.arg("--noout");
    if let Some(schema) = schema {
        command.args(["--schema", schema]);
    }
    let output = command
        .arg(&file)
        .output()
        .expect("xmllint is installed (libxml2-utils; deploy/provision.sh)");
    std::fs::remove_file(&file).unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The retained message on `topic`, read with mosquitto_sub.
async fn retained(system: &TestSystem, topic: &str) -> Value {
    let output = tokio::process::Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &system.broker.port.to_string()])
        .args(TestBroker::login_args_for("live/#"))
        .args([
            "-i",
            &unique("sub"),
            "-t",
            topic,
            "-C",
            "1",
            "-W",
            "10",
            "-q",
            "1",
        ])
        .output()
        .await
        .expect("mosquitto_sub is installed");
    assert!(output.status.success(), "no retained message on {topic}");
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn wait_retained_version(system: &TestSystem, topic: &str, version: i64) -> Value {
    for _ in 0..50 {
        let message = retained(system, topic).await;
        if message["version"] == version {
            return message;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("version {version} never reached {topic}");
}

fn verify_cli(file: &Path, public_key: &str) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(["alerts", "verify", "--public-key", public_key])
        .arg(file)
        .env_remove("ENVMON_CONFIG")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The next `{"type":"notice"}` frame for `id` on a public live socket.
async fn next_notice(client: &mut crate::helpers::system::LiveClient, id: &str) -> Value {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = std::time::Duration::from_secs(10);
    loop {
        let frame = tokio::time::timeout(deadline, client.next())
            .await
            .expect("a notice on the live socket within 10 s")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = frame {
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["type"] == "notice" && message["notice"]["id"] == id {
                return message["notice"].clone();
            }
        }
    }
}

async fn cap_of(system: &TestSystem, version_id: &str) -> String {
    let response = http::get(
        system.publisher_addr,
        &format!("/api/v1/alerts/{version_id}.cap"),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("application/cap+xml")
    );
    response.body
}

#[tokio::test]
async fn notice_travels_from_draft_to_mqtt_api_cap_and_atom_signed() {
    let mut system = TestSystem::start_publisher_only().await;
    // A second publisher instance: the notice must reach its clients too.
    let second = system.spawn_publisher(system.publisher_settings()).await;
    staff::add(&system.db, "olivia", Role::Operator).await;
    staff::add(&system.db, "arthur", Role::Approver).await;
    let operator = Staff::login(system.publisher_addr, "olivia").await;
    let approver = Staff::login(system.publisher_addr, "arthur").await;
    let url = format!("ws://{}/api/v1/live", system.publisher_addr);
    let (mut viewer, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let url = format!("ws://{second}/api/v1/live");
    let (mut other_viewer, _) = tokio_tungstenite::connect_async(url).await.unwrap();

    // A draft naming a station that does not exist is refused, naming it.
    let mut bad = staff::content("Nowhere");
    bad["area"]["stations"] = serde_json::json!(["NOPE1"]);
    let refused = operator
        .call(
            "POST",
            "/api/v1/staff/notices",
            Some(&serde_json::json!({ "content": bad }).to_string()),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("content.area.stations")
    );

    // Draft: not public yet.
    let body =
        serde_json::json!({ "content": staff::content("Orange warning: heavy air pollution") });
    let draft = operator
        .call("POST", "/api/v1/staff/notices", Some(&body.to_string()))
        .await;
    assert_eq!(draft.status, 200, "{}", draft.body);
    assert_eq!(draft.header("cache-control"), Some("no-store"));
    let id = draft.json()["id"].as_str().unwrap().to_owned();
    let public = http::get(system.publisher_addr, "/api/v1/alerts")
        .await
        .unwrap();
    assert_eq!(public.json()["notices"], serde_json::json!([]));

    // Approve: published, signed, on MQTT.
    let approved = approver.approve(&id).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    // A member of the public watching the live feed gets it.
    let seen = next_notice(&mut viewer, &id).await;
    assert_eq!(seen["status"], "published");
    assert_eq!(seen["version"], 1);
    assert_eq!(next_notice(&mut other_viewer, &id).await, seen);
    let topic = format!("live/alert/{id}");
    let message = wait_retained_version(&system, &topic, 1).await;
    assert_eq!(seen, message);
    assert_eq!(message["status"], "published");
    assert_eq!(message["severity"], "orange");
    assert_eq!(
        message["headline"]["en"],
        "Orange warning: heavy air pollution"
    );
    assert_eq!(message["references"], Value::Null);
    assert_eq!(message["signature"]["algorithm"], "Ed25519");

    let listed = http::get(system.publisher_addr, "/api/v1/alerts")
        .await
        .unwrap()
        .json();
    assert_eq!(listed["notices"][0]["id"], id.as_str());
    assert_eq!(listed["active"][0], id.as_str());

    // CAP 1.2 against the OASIS schema, by a tool we did not write.
    let cap = cap_of(&system, &format!("{id}.v1")).await;
    xmllint(&cap, Some(CAP_XSD)).unwrap_or_else(|e| panic!("{e}\n{cap}"));
    assert!(cap.contains("<msgType>Alert</msgType>"));
    assert!(cap.contains("<severity>Severe</severity>"));

    // Update: a new version that references the first.
    let body = serde_json::json!({ "content": staff::content("Red warning: heavy air pollution") });
    let update = operator
        .call(
            "POST",
            &format!("/api/v1/staff/notices/{id}/update"),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(update.status, 200, "{}", update.body);
    let approved = approver.approve(&id).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let message = wait_retained_version(&system, &topic, 2).await;
    assert_eq!(message["status"], "updated");
    assert_eq!(message["references"], format!("{id}.v1"));
    let cap = cap_of(&system, &format!("{id}.v2")).await;
    xmllint(&cap, Some(CAP_XSD)).unwrap_or_else(|e| panic!("{e}\n{cap}"));
    assert!(cap.contains("<msgType>Update</msgType>"));
    assert!(cap.contains(&format!(",{id}.v1,")), "{cap}");

    // Signature: valid as served, invalid once tampered.
    let key = http::get(system.publisher_addr, "/api/v1/alerts/public-key")
        .await
        .unwrap()
        .json()["public_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = std::env::temp_dir().join(unique("envmon-notice"));
    std::fs::create_dir_all(&dir).unwrap();
    let good: PathBuf = dir.join("notice.json");
    std::fs::write(&good, serde_json::to_string_pretty(&message).unwrap()).unwrap();
    let (ok, text) = verify_cli(&good, &key);
    assert!(ok, "{text}");
    let mut forged = message.clone();
    forged["severity"] = "blue".into();
    let bad = dir.join("tampered.json");
    std::fs::write(&bad, serde_json::to_string(&forged).unwrap()).unwrap();
    let (ok, text) = verify_cli(&bad, &key);
    assert!(!ok, "a tampered notice verified: {text}");
    assert!(text.contains("altered"), "{text}");

    // Cancel: version 3, msgType Cancel.
    let cancelled = approver
        .call(
            "POST",
            &format!("/api/v1/staff/notices/{id}/cancel"),
            Some(r#"{"reason":"episode over"}"#),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let message = wait_retained_version(&system, &topic, 3).await;
    assert_eq!(message["status"], "cancelled");
    let cap = cap_of(&system, &id).await;
    xmllint(&cap, Some(CAP_XSD)).unwrap_or_else(|e| panic!("{e}\n{cap}"));
    assert!(cap.contains("<msgType>Cancel</msgType>"));
    let listed = http::get(system.publisher_addr, "/api/v1/alerts")
        .await
        .unwrap()
        .json();
    assert_eq!(listed["active"], serde_json::json!([]));

    // Atom: well-formed, linking the CAP document.
    let atom = http::get(system.publisher_addr, "/api/v1/alerts.atom")
        .await
        .unwrap();
    assert!(
        atom.header("content-type")
            .unwrap()
            .starts_with("application/atom+xml")
    );
    xmllint(&atom.body, None).unwrap_or_else(|e| panic!("{e}\n{}", atom.body));
    let cap_url = format!("http://{}/api/v1/alerts/{id}.v3.cap", system.publisher_addr);
    assert!(atom.body.contains(&cap_url), "{}", atom.body);

    std::fs::remove_dir_all(dir).unwrap();
    system.shutdown().await;
}

#[tokio::test]
async fn a_notice_past_its_expiry_is_announced_expired_and_still_verifies() {
    let system = TestSystem::start_publisher_only().await;
    staff::add(&system.db, "olivia", Role::Operator).await;
    staff::add(&system.db, "arthur", Role::Approver).await;
    let operator = Staff::login(system.publisher_addr, "olivia").await;
    let approver = Staff::login(system.publisher_addr, "arthur").await;
    let mut content = staff::content("Short-lived warning");
    let now = chrono::Utc::now();
    content["effective"] = (now - chrono::Duration::hours(2)).to_rfc3339().into();
    content["expires"] = (now + chrono::Duration::seconds(2)).to_rfc3339().into();
    let body = serde_json::json!({ "content": content }).to_string();
    let id = operator
        .call("POST", "/api/v1/staff/notices", Some(&body))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let approved = approver.approve(&id).await;
    assert_eq!(approved.status, 200, "{}", approved.body);

    let topic = format!("live/alert/{id}");
    let mut last = Value::Null;
    for _ in 0..60 {
        last = retained(&system, &topic).await;
        if last["status"] == "expired" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(last["status"], "expired", "{last}");
    assert_eq!(last["version"], 1);
    let key = http::get(system.publisher_addr, "/api/v1/alerts/public-key")
        .await
        .unwrap()
        .json()["public_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = envmon_core::alert::hex::decode::<32>(&key).unwrap();
    envmon_core::alert::verify_notice(&last.to_string(), &key).unwrap();

    let listed = http::get(system.publisher_addr, "/api/v1/alerts")
        .await
        .unwrap()
        .json();
    assert_eq!(listed["notices"][0]["status"], "expired");
    assert_eq!(listed["active"], serde_json::json!([]));
    system.shutdown().await;
}
