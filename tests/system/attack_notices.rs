//! Attacks on alert notices and on the staff trail, each tried for real
//! against a real broker and database, asserting the safe outcome and that
//! legitimate notices still go out.
//!
//! The forger publishes with Mosquitto's own client on `live/alert/#`, with
//! whatever credentials the test broker accepts: the publisher must be safe
//! even where the broker lets a stranger write there. A forgery is known to
//! have reached the publisher and been judged when a genuine notice sent
//! after it arrives (one broker, messages forwarded in the order received),
//! and by the publisher's refusal counter.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::Utc;
use envmon_core::alert::{NoticeSigner, TrustedKey, hex};
use envmon_publisher::staff::Role;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::staff::{self, Staff};
use crate::helpers::system::LiveClient;
use crate::helpers::{TestSystem, http, unique, wait_for};

// ---- the forger and the public ---------------------------------------------

/// What the forger publishes.
enum Forged<'a> {
    Json(&'a Value),
    /// A zero-length message: how MQTT clears a retained one.
    Empty,
}

/// `-h`, `-p` and the credentials (if any) the test broker accepts, for
/// Mosquitto's own clients.
fn broker_args(system: &TestSystem) -> Vec<String> {
    // The broker lets only the publisher's account write notice topics
    // (attack_broker proves it): the forger here holds that account's
    // password, the worst case, and still convinces no one.
    let broker = system.broker.publisher_settings();
    let mut args = vec![
        "-h".to_owned(),
        "127.0.0.1".to_owned(),
        "-p".to_owned(),
        system.broker.port.to_string(),
    ];
    if let Some(user) = broker.username {
        args.extend(["-u".to_owned(), user]);
        args.extend(["-P".to_owned(), broker.password.unwrap_or_default()]);
    }
    args
}

/// Publishes on `topic` as a stranger holding the publisher's broker
/// password would: `mosquitto_pub`, retained, QoS 1.
async fn forge(system: &TestSystem, topic: &str, payload: Forged<'_>) {
    let mut command = tokio::process::Command::new("mosquitto_pub");
    command
        .args(broker_args(system))
        .args(["-i", &unique("forger"), "-q", "1", "-r", "-t", topic]);
    match payload {
        Forged::Json(value) => command.args(["-m", &value.to_string()]),
        Forged::Empty => command.arg("-n"),
    };
    let status = command.status().await.expect("mosquitto_pub is installed");
    assert!(status.success(), "the broker refused the forger's message");
}

/// The retained message on `topic`, read with `mosquitto_sub`; none when
/// the broker holds none.
async fn retained(system: &TestSystem, topic: &str) -> Option<Value> {
    let output = tokio::process::Command::new("mosquitto_sub")
        .args(broker_args(system))
        .args(["-i", &unique("reader"), "-t", topic, "-C", "1", "-W", "2"])
        .args(["--retained-only"])
        .output()
        .await
        .expect("mosquitto_sub is installed");
    let text = String::from_utf8_lossy(&output.stdout);
    // A zero-length message, which clears a retained one, prints as an
    // empty line.
    (output.status.success() && !text.trim().is_empty())
        .then(|| serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text:?} on {topic}")))
}

/// A notice body in the public shape, unsigned.
fn body(id: &str, version: i64, status: &str, severity: &str, headline: &str) -> Value {
    let now = Utc::now();
    json!({
        "id": id, "version": version, "version_id": format!("{id}.v{version}"),
        "status": status, "severity": severity, "urgency": "Immediate", "certainty": "Observed",
        "headline": {"zh": headline, "en": headline},
        "description": {"zh": "说明", "en": "Description"},
        "instruction": {"zh": "建议", "en": "Instruction"},
        "area": {"districts": [], "stations": []},
        "effective": (now - chrono::Duration::hours(1)).to_rfc3339(),
        "expires": (now + chrono::Duration::hours(24)).to_rfc3339(),
        "evidence_url": null,
        "published_at": now.to_rfc3339(), "references": null,
        "cap_url": format!("/api/v1/alerts/{id}.v{version}.cap")
    })
}

fn signed_by(signer: &NoticeSigner, mut notice: Value) -> Value {
    signer.sign_document(&mut notice);
    notice
}

/// A key nobody trusts.
fn stranger() -> NoticeSigner {
    NoticeSigner::from_seed(&[0x5a; 32])
}

/// A genuine notice (signed with the publishers' key) sent after an
/// attack: once a viewer has it, the attack before it has been judged.
async fn send_canary(system: &TestSystem) -> String {
    let id = unique("canary").replace('_', "-");
    let notice = staff::signed(body(&id, 1, "published", "blue", "Canary"));
    forge(system, &format!("live/alert/{id}"), Forged::Json(&notice)).await;
    id
}

/// How many messages on alert topics the publishers of this process
/// refused for `reason` (one counter for every publisher in the process:
/// it only grows, so a rise of at least one is what is asserted).
fn refused(reason: &str) -> f64 {
    let series = format!("envmon_publisher_alert_notices_refused_total{{reason=\"{reason}\"}} ");
    envmon_publisher::metrics::render()
        .lines()
        .find_map(|line| line.strip_prefix(&series)?.parse().ok())
        .unwrap_or(0.0)
}

/// A member of the public on the live WebSocket.
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

    /// Reads notices until one for `id` arrives; fails if any notice for
    /// an id in `never` comes first.
    async fn notice_before(&mut self, id: &str, never: &[&str]) -> Value {
        loop {
            let message = self.next().await;
            if message["type"] != "notice" {
                continue;
            }
            let got = message["notice"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                !never.contains(&got.as_str()),
                "the public received {got}: {message}"
            );
            if got == id {
                return message["notice"].clone();
            }
        }
    }
}

/// Every notice a publisher has relayed since it started, as a client
/// resuming from before its first event is replayed them (its replay ring
/// holds every event of a short test).
async fn relayed_since_start(addr: std::net::SocketAddr) -> Vec<Value> {
    let (_, snapshot) = Viewer::open(addr).await;
    let (epoch, last) = (
        snapshot["epoch"].as_str().unwrap(),
        snapshot["seq"].as_u64().unwrap(),
    );
    let url = format!("ws://{addr}/api/v1/live?resume={epoch}:0");
    let (client, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut resumed = Viewer(client);
    let mut notices = Vec::new();
    let mut seq = 0;
    while seq < last {
        let message = resumed.next().await;
        assert_ne!(
            message["type"], "snapshot",
            "the ring no longer covers the start"
        );
        seq = message["seq"].as_u64().unwrap_or(seq);
        if message["type"] == "notice" {
            notices.push(message["notice"].clone());
        }
    }
    notices
}

/// The ids of the notices a new viewer's snapshot holds (the active ones).
async fn active(addr: std::net::SocketAddr) -> Vec<String> {
    let (_, snapshot) = Viewer::open(addr).await;
    snapshot["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

// ---- the staff who issue genuine notices --------------------------------------

struct Desk {
    operator: Staff,
    approver: Staff,
}

impl Desk {
    async fn open(system: &TestSystem) -> Self {
        staff::add(&system.db, "olivia", Role::Operator).await;
        staff::add(&system.db, "arthur", Role::Approver).await;
        Self {
            operator: Staff::login(system.publisher_addr, "olivia").await,
            approver: Staff::login(system.publisher_addr, "arthur").await,
        }
    }

    async fn draft(&self, content: Value) -> String {
        let body = json!({ "content": content }).to_string();
        let draft = self
            .operator
            .call("POST", "/api/v1/staff/notices", Some(&body))
            .await;
        assert_eq!(draft.status, 200, "{}", draft.body);
        draft.json()["id"].as_str().unwrap().to_owned()
    }

    /// Drafts and approves a notice; returns its id.
    async fn issue(&self, headline: &str) -> String {
        let id = self.draft(staff::content(headline)).await;
        let approved = self.approver.approve(&id).await;
        assert_eq!(approved.status, 200, "{}", approved.body);
        id
    }

    async fn update(&self, id: &str, content: Value) {
        let body = json!({ "content": content }).to_string();
        let path = format!("/api/v1/staff/notices/{id}/update");
        let update = self.operator.call("POST", &path, Some(&body)).await;
        assert_eq!(update.status, 200, "{}", update.body);
        let approved = self.approver.approve(id).await;
        assert_eq!(approved.status, 200, "{}", approved.body);
    }

    async fn cancel(&self, id: &str) {
        let path = format!("/api/v1/staff/notices/{id}/cancel");
        let cancelled = self
            .approver
            .call("POST", &path, Some(r#"{"reason":"withdrawn"}"#))
            .await;
        assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    }
}

async fn wait_retained_version(system: &TestSystem, topic: &str, version: i64) -> Value {
    wait_for(
        &format!("version {version} retained on {topic}"),
        Duration::from_secs(10),
        || async {
            match retained(system, topic).await {
                Some(message) if message["version"] == version => Ok(message),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

// ---- independent checks: Python's JSON and OpenSSL's Ed25519 -------------------

/// The SHA-256 of `value`'s canonical JSON as Python writes it (sorted
/// keys, no spaces, UTF-8): RFC 8785 for documents with ASCII keys and no
/// fractions, computed by code that is not ours.
fn python_canonical_sha256(value: &Value) -> String {
    let script = "import json,sys,hashlib; v=json.load(sys.stdin); \
        print(hashlib.sha256(json.dumps(v,sort_keys=True,separators=(',',':'),ensure_ascii=False).encode()).hexdigest())";
    run_with_stdin("python3", &["-c", script], &value.to_string())
        .trim()
        .to_owned()
}

fn run_with_stdin(program: &str, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{program} failed");
    String::from_utf8(output.stdout).unwrap()
}

/// Whether OpenSSL verifies `document`'s Ed25519 signature with
/// `public_key`, over the canonical text Python writes.
fn openssl_verifies(document: &Value, public_key: &str) -> bool {
    let dir = std::env::temp_dir().join(unique("envmon-openssl"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut unsigned = document.clone();
    let signature = unsigned
        .as_object_mut()
        .unwrap()
        .remove("signature")
        .unwrap();
    let canonical = run_with_stdin(
        "python3",
        &[
            "-c",
            "import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin),sort_keys=True,separators=(',',':'),ensure_ascii=False))",
        ],
        &unsigned.to_string(),
    );
    std::fs::write(dir.join("data"), canonical).unwrap();
    let value = hex::decode::<64>(signature["value"].as_str().unwrap()).unwrap();
    std::fs::write(dir.join("sig"), value).unwrap();
    // The SubjectPublicKeyInfo of an Ed25519 key: a fixed prefix, then the key.
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend(hex::decode::<32>(public_key).unwrap());
    std::fs::write(dir.join("key.der"), der).unwrap();
    let status = std::process::Command::new("openssl")
        .args(["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-rawin"])
        .arg("-inkey")
        .arg(dir.join("key.der"))
        .arg("-in")
        .arg(dir.join("data"))
        .arg("-sigfile")
        .arg(dir.join("sig"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed");
    std::fs::remove_dir_all(&dir).unwrap();
    status.success()
}

// ---- the attacks ----------------------------------------------------------------

#[tokio::test]
async fn an_unsigned_notice_reaches_no_one_and_genuine_ones_still_do() {
    let mut system = TestSystem::start().await;
    let desk = Desk::open(&system).await;
    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;
    let before = refused("unsigned");

    // A red "evacuate" notice with a script link, as anyone could publish it.
    let mut forged = body("AN-2026-66666", 1, "published", "red", "Evacuate now");
    forged["cap_url"] = "javascript:alert(document.cookie)".into();
    forge(&system, "live/alert/AN-2026-66666", Forged::Json(&forged)).await;
    let canary = send_canary(&system).await;
    viewer.notice_before(&canary, &["AN-2026-66666"]).await;
    assert!(refused("unsigned") > before, "the forgery was not judged");
    let ids = active(system.publisher_addr).await;
    assert!(
        ids.contains(&canary) && !ids.iter().any(|i| i == "AN-2026-66666"),
        "{ids:?}"
    );

    // A publisher starting now gets the forgery as the broker's retained
    // message: refused on that path too.
    let late = system.spawn_publisher(system.publisher_settings()).await;
    let ids = active(late).await;
    assert!(
        ids.contains(&canary) && !ids.iter().any(|i| i == "AN-2026-66666"),
        "{ids:?}"
    );

    // Genuine notices still go out, to both.
    let (mut late_viewer, _) = Viewer::open(late).await;
    let id = desk.issue("Orange warning: heavy air pollution").await;
    assert_eq!(viewer.notice_before(&id, &[]).await["status"], "published");
    assert_eq!(late_viewer.notice_before(&id, &[]).await["version"], 1);
    system.shutdown().await;
}

#[tokio::test]
async fn a_notice_signed_by_an_untrusted_key_or_altered_is_refused() {
    let system = TestSystem::start().await;
    let desk = Desk::open(&system).await;
    let id = desk.issue("Orange warning: heavy air pollution").await;
    let genuine = wait_retained_version(&system, &format!("live/alert/{id}"), 1).await;
    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;
    let (untrusted, altered) = (refused("untrusted_key"), refused("bad_signature"));

    // Signed, but by a key nobody configured.
    let foreign = signed_by(
        &stranger(),
        body("AN-2026-77777", 1, "published", "red", "Foreign"),
    );
    forge(&system, "live/alert/AN-2026-77777", Forged::Json(&foreign)).await;
    // The same, relabelled with the trusted key's name.
    let mut relabelled = signed_by(
        &stranger(),
        body("AN-2026-77778", 1, "published", "red", "Relabelled"),
    );
    relabelled["signature"]["public_key"] = genuine["signature"]["public_key"].clone();
    forge(
        &system,
        "live/alert/AN-2026-77778",
        Forged::Json(&relabelled),
    )
    .await;
    // The genuine notice with its words changed and a higher version.
    let mut changed = genuine.clone();
    changed["version"] = 2.into();
    changed["severity"] = "blue".into();
    changed["headline"]["en"] = "All clear".into();
    forge(&system, &format!("live/alert/{id}"), Forged::Json(&changed)).await;

    let canary = send_canary(&system).await;
    viewer
        .notice_before(&canary, &["AN-2026-77777", "AN-2026-77778", &id])
        .await;
    assert!(refused("untrusted_key") > untrusted);
    assert!(refused("bad_signature") >= altered + 2.0);
    let (_, snapshot) = Viewer::open(system.publisher_addr).await;
    let held = snapshot["notices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id.as_str())
        .expect("the genuine notice is still active")
        .clone();
    assert_eq!(held, genuine, "held as issued, version 1, orange");
    system.shutdown().await;
}

#[tokio::test]
async fn a_replayed_older_version_changes_nothing_even_after_a_restart() {
    let mut system = TestSystem::start().await;
    let desk = Desk::open(&system).await;
    let id = desk.issue("Orange warning: heavy air pollution").await;
    let topic = format!("live/alert/{id}");
    // What an eavesdropper keeps: the genuine, signed first version.
    let first = wait_retained_version(&system, &topic, 1).await;
    let mut red = staff::content("Red warning: heavy air pollution");
    red["severity"] = "red".into();
    desk.update(&id, red).await;
    desk.cancel(&id).await;
    wait_retained_version(&system, &topic, 3).await;
    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;
    let stale = refused("not_newer");

    forge(&system, &topic, Forged::Json(&first)).await;
    let canary = send_canary(&system).await;
    viewer.notice_before(&canary, &[&id]).await;
    assert!(refused("not_newer") > stale);
    assert!(!active(system.publisher_addr).await.contains(&id));
    assert_eq!(
        retained(&system, &topic).await.unwrap()["version"],
        1,
        "the forger replaced the retained message"
    );

    // Restarted, the publisher holds nothing from before but its database:
    // the replay now waiting on the broker is still refused, and the
    // genuine cancellation is announced again over it.
    system.stop_publisher().await;
    system.restart_publisher().await;
    let barrier = send_canary(&system).await;
    wait_for(
        "the canary after the restart",
        Duration::from_secs(10),
        || async {
            let ids = active(system.publisher_addr).await;
            if ids.contains(&barrier) {
                Ok(())
            } else {
                Err(format!("{ids:?}"))
            }
        },
    )
    .await;
    let relayed = relayed_since_start(system.publisher_addr).await;
    assert!(
        !relayed.iter().any(|n| n["id"] == id.as_str()),
        "the restarted publisher relayed {id}: {relayed:?}"
    );
    assert!(relayed.iter().any(|n| n["id"] == barrier.as_str()));
    assert!(!active(system.publisher_addr).await.contains(&id));
    let healed = wait_retained_version(&system, &topic, 3).await;
    assert_eq!(healed["status"], "cancelled");
    let listed = http::get(system.publisher_addr, "/api/v1/alerts")
        .await
        .unwrap()
        .json();
    assert_eq!(listed["active"], json!([]));

    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;
    let next = desk.issue("Yellow warning").await;
    viewer.notice_before(&next, &[&id]).await;
    system.shutdown().await;
}

#[tokio::test]
async fn a_forged_higher_version_cancellation_silences_nothing() {
    let mut system = TestSystem::start().await;
    let desk = Desk::open(&system).await;
    let id = desk.issue("Orange warning: heavy air pollution").await;
    let topic = format!("live/alert/{id}");
    let genuine = wait_retained_version(&system, &topic, 1).await;
    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;

    let mut cancel = genuine.clone();
    cancel["version"] = 99.into();
    cancel["status"] = "cancelled".into();
    cancel["version_id"] = format!("{id}.v99").into();
    // With the genuine signature kept (it no longer matches) ...
    forge(&system, &topic, Forged::Json(&cancel)).await;
    // ... without one, and signed by a stranger.
    let mut unsigned = cancel.clone();
    unsigned.as_object_mut().unwrap().remove("signature");
    forge(&system, &topic, Forged::Json(&unsigned)).await;
    forge(
        &system,
        &topic,
        Forged::Json(&signed_by(&stranger(), unsigned.clone())),
    )
    .await;
    let canary = send_canary(&system).await;
    viewer.notice_before(&canary, &[&id]).await;
    assert!(active(system.publisher_addr).await.contains(&id));

    // Restarted with the forged cancellation retained on the broker: the
    // warning is still up (from the database), and announced again.
    system.stop_publisher().await;
    system.restart_publisher().await;
    assert!(active(system.publisher_addr).await.contains(&id));
    assert_eq!(wait_retained_version(&system, &topic, 1).await, genuine);
    let listed = http::get(system.publisher_addr, "/api/v1/alerts")
        .await
        .unwrap()
        .json();
    assert_eq!(listed["active"], json!([id]));

    // The genuine cancellation (one approver) still withdraws it at once.
    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;
    desk.cancel(&id).await;
    let withdrawn = viewer.notice_before(&id, &[]).await;
    assert_eq!(
        (withdrawn["status"].as_str(), withdrawn["version"].as_i64()),
        (Some("cancelled"), Some(2))
    );
    assert!(!active(system.publisher_addr).await.contains(&id));
    let cancelled_by: String = system
        .db
        .client()
        .await
        .query_one(
            "SELECT actor FROM audit_log WHERE action = 'notice.cancel' AND subject = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cancelled_by, "arthur");
    system.shutdown().await;
}

#[tokio::test]
async fn a_retained_empty_message_removes_no_notice() {
    let mut system = TestSystem::start().await;
    let desk = Desk::open(&system).await;
    let id = desk.issue("Orange warning: heavy air pollution").await;
    let topic = format!("live/alert/{id}");
    wait_retained_version(&system, &topic, 1).await;
    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;
    let empty = refused("empty");

    forge(&system, &topic, Forged::Empty).await;
    let canary = send_canary(&system).await;
    viewer.notice_before(&canary, &[&id]).await;
    assert!(refused("empty") > empty);
    assert_eq!(
        retained(&system, &topic).await,
        None,
        "the broker's copy is gone"
    );
    assert!(active(system.publisher_addr).await.contains(&id));

    // With nothing retained, a restarted publisher has it from its database
    // and announces it again.
    system.stop_publisher().await;
    system.restart_publisher().await;
    assert!(active(system.publisher_addr).await.contains(&id));
    wait_retained_version(&system, &topic, 1).await;
    system.shutdown().await;
}

#[tokio::test]
async fn a_script_link_is_refused_on_issue_and_on_relay() {
    let system = TestSystem::start().await;
    let desk = Desk::open(&system).await;
    for link in [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "/\\evil.example",
    ] {
        let mut content = staff::content("Linked");
        content["evidence_url"] = link.into();
        let body = json!({ "content": content }).to_string();
        let refused = desk
            .operator
            .call("POST", "/api/v1/staff/notices", Some(&body))
            .await;
        assert_eq!(refused.status, 400, "{link}: {}", refused.body);
        assert!(refused.body.contains("evidence_url"), "{}", refused.body);
    }
    let id = desk.draft(staff::content("Linked")).await;
    let mut content = staff::content("Linked");
    content["evidence_url"] = "javascript:alert(1)".into();
    let edit = desk
        .operator
        .call(
            "PUT",
            &format!("/api/v1/staff/notices/{id}/draft"),
            Some(&json!({ "content": content }).to_string()),
        )
        .await;
    assert_eq!(edit.status, 400, "{}", edit.body);

    // Signed with the trusted key itself, a script link is still refused
    // by the relay.
    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;
    let unsafe_links = refused("unsafe_link");
    let mut scripted = body("AN-2026-88888", 1, "published", "red", "Scripted");
    scripted["evidence_url"] = "javascript:alert(document.cookie)".into();
    let scripted = staff::signed(scripted);
    forge(&system, "live/alert/AN-2026-88888", Forged::Json(&scripted)).await;
    let canary = send_canary(&system).await;
    viewer.notice_before(&canary, &["AN-2026-88888"]).await;
    assert!(refused("unsafe_link") > unsafe_links);

    // A web link and a path on the site are fine.
    let mut content = staff::content("Linked");
    content["evidence_url"] = "https://example.org/report?id=1".into();
    desk.operator
        .call(
            "PUT",
            &format!("/api/v1/staff/notices/{id}/draft"),
            Some(&json!({ "content": content }).to_string()),
        )
        .await;
    assert_eq!(desk.approver.approve(&id).await.status, 200);
    let issued = viewer.notice_before(&id, &["AN-2026-88888"]).await;
    assert_eq!(issued["evidence_url"], "https://example.org/report?id=1");
    system.shutdown().await;
}

#[tokio::test]
async fn a_stale_approval_is_refused_with_409_and_a_fresh_one_publishes_what_was_read() {
    let system = TestSystem::start().await;
    let desk = Desk::open(&system).await;
    let id = desk
        .draft(staff::content("Orange warning: heavy air pollution"))
        .await;
    let path = format!("/api/v1/staff/notices/{id}/approve");

    // What the approver reads, and its hash, which Python computes alike.
    let view = desk
        .approver
        .call("GET", &format!("/api/v1/staff/notices/{id}"), None)
        .await
        .json();
    let read = view["versions"][0].clone();
    assert_eq!(
        read["content_hash"].as_str().unwrap(),
        python_canonical_sha256(&read["content"])
    );
    let reviewed = desk.approver.reviewed(&id).await;

    // The operator changes the text after it was read.
    let mut changed = staff::content("Orange warning: heavy air pollution");
    changed["instruction"]["en"] = "Stay indoors".into();
    let edit = desk
        .operator
        .call(
            "PUT",
            &format!("/api/v1/staff/notices/{id}/draft"),
            Some(&json!({ "content": changed }).to_string()),
        )
        .await;
    assert_eq!(edit.status, 200, "{}", edit.body);
    let stale = desk.approver.call("POST", &path, Some(&reviewed)).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stale")
    );
    let hash = read["content_hash"].as_str().unwrap();
    let wrong_version = json!({ "version": 2, "content_hash": hash }).to_string();
    let refused = desk
        .approver
        .call("POST", &path, Some(&wrong_version))
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    let unnamed = desk.approver.call("POST", &path, None).await;
    assert_eq!(
        unnamed.status, 400,
        "an approval must name what was reviewed"
    );
    let public = http::get(system.publisher_addr, "/api/v1/alerts")
        .await
        .unwrap()
        .json();
    assert_eq!(public["notices"], json!([]), "nothing was published");
    let refusals = system
        .db
        .count(
            "SELECT count(*) FROM audit_log WHERE action = 'notice.approve.refused' \
             AND detail::jsonb ->> 'reason' = 'stale'",
        )
        .await;
    assert_eq!(refusals, 2);

    // Read again, approved: the public gets exactly the text read.
    let (mut viewer, _) = Viewer::open(system.publisher_addr).await;
    let approved = desk.approver.approve(&id).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let issued = viewer.notice_before(&id, &[]).await;
    assert_eq!(issued["instruction"]["en"], "Stay indoors");
    let approval: Value = serde_json::from_str::<Value>(
        &system
            .db
            .client()
            .await
            .query_one(
                "SELECT detail FROM audit_log WHERE action = 'notice.approve' AND subject = $1",
                &[&id],
            )
            .await
            .unwrap()
            .get::<_, String>(0),
    )
    .unwrap();
    assert_eq!(
        approval["content_hash"].as_str().unwrap(),
        python_canonical_sha256(&issued_content(&issued))
    );

    // An update shows what it changes against the issued version.
    let mut red = staff::content("Orange warning: heavy air pollution");
    red["severity"] = "red".into();
    red["instruction"]["en"] = "Stay indoors".into();
    let update = desk
        .operator
        .call(
            "POST",
            &format!("/api/v1/staff/notices/{id}/update"),
            Some(&json!({ "content": red }).to_string()),
        )
        .await;
    assert_eq!(update.status, 200, "{}", update.body);
    let draft = update.json()["versions"][1].clone();
    assert_eq!(
        draft["changes_from_issued"],
        json!(["effective", "expires", "severity"])
    );
    system.shutdown().await;
}

/// The content members of an issued notice.
fn issued_content(notice: &Value) -> Value {
    let mut content = serde_json::Map::new();
    for key in [
        "severity",
        "urgency",
        "certainty",
        "headline",
        "description",
        "instruction",
        "area",
        "effective",
        "expires",
        "evidence_url",
    ] {
        content.insert(key.to_owned(), notice[key].clone());
    }
    Value::Object(content)
}

#[tokio::test]
async fn a_rotated_key_verifies_within_its_validity_and_not_after() {
    let mut system = TestSystem::start().await;
    let old = NoticeSigner::from_seed(&[0x0d; 32]);
    let future = NoticeSigner::from_seed(&[0x0f; 32]);
    let retired_at = Utc::now() + chrono::Duration::seconds(3);
    let mut settings = system.publisher_settings();
    settings.staff.trusted_keys = vec![
        TrustedKey {
            public_key: old.public_key(),
            not_before: None,
            not_after: Some(retired_at),
        },
        TrustedKey {
            public_key: future.public_key(),
            not_before: Some(Utc::now() + chrono::Duration::hours(1)),
            not_after: None,
        },
    ];
    let rotating = system.spawn_publisher(settings).await;
    let keys = http::get(rotating, "/api/v1/alerts/public-key")
        .await
        .unwrap()
        .json();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 3, "{keys}");
    assert_eq!(keys["keys"][1]["public_key"], old.public_key_hex());
    assert!(keys["keys"][1]["not_after"].is_string());
    let (mut viewer, _) = Viewer::open(rotating).await;
    let (mut plain, _) = Viewer::open(system.publisher_addr).await;

    // Within its validity the old key still verifies, where it is trusted.
    let early = signed_by(
        &old,
        body("AN-2026-10001", 1, "published", "orange", "Old key"),
    );
    forge(&system, "live/alert/AN-2026-10001", Forged::Json(&early)).await;
    viewer.notice_before("AN-2026-10001", &[]).await;
    let not_valid = refused("key_not_valid_now");
    let soon = signed_by(
        &future,
        body("AN-2026-10002", 1, "published", "orange", "Too early"),
    );
    forge(&system, "live/alert/AN-2026-10002", Forged::Json(&soon)).await;
    let canary = send_canary(&system).await;
    viewer.notice_before(&canary, &["AN-2026-10002"]).await;
    plain
        .notice_before(&canary, &["AN-2026-10001", "AN-2026-10002"])
        .await;
    assert!(refused("key_not_valid_now") > not_valid);

    // After it, nothing it signs verifies, not even a backdated notice.
    let wait = (retired_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(200)).await;
    let not_valid = refused("key_not_valid_now");
    let mut late = body("AN-2026-10003", 1, "published", "red", "Old key, too late");
    late["published_at"] = (retired_at - chrono::Duration::hours(1))
        .to_rfc3339()
        .into();
    forge(
        &system,
        "live/alert/AN-2026-10003",
        Forged::Json(&signed_by(&old, late)),
    )
    .await;
    let canary = send_canary(&system).await;
    viewer.notice_before(&canary, &["AN-2026-10003"]).await;
    assert!(refused("key_not_valid_now") > not_valid);

    // A publisher whose signing key was rotated serves what was issued
    // under the old key signed with its new one.
    let desk = Desk::open(&system).await;
    let id = desk.issue("Orange warning: heavy air pollution").await;
    let dir = std::env::temp_dir().join(unique("envmon-rotated"));
    std::fs::create_dir_all(&dir).unwrap();
    let new_key: PathBuf = dir.join("signing.key");
    let new = envmon_publisher::staff::keys::load_or_create(new_key.to_str().unwrap()).unwrap();
    let mut settings = system.publisher_settings();
    settings.staff.signing_key_file = new_key.display().to_string();
    settings.staff.trusted_keys = vec![TrustedKey {
        public_key: staff::signer().public_key(),
        not_before: None,
        not_after: Some(Utc::now() + chrono::Duration::days(7)),
    }];
    let renewed = system.spawn_publisher(settings).await;
    let served = http::get(renewed, &format!("/api/v1/alerts/{id}"))
        .await
        .unwrap()
        .json();
    assert_eq!(served["signature"]["public_key"], new.public_key_hex());
    envmon_core::alert::verify_notice(&served.to_string(), &new.public_key()).unwrap();
    assert!(openssl_verifies(&served, &new.public_key_hex()));
    assert!(active(renewed).await.contains(&id));
    std::fs::remove_dir_all(dir).unwrap();
    system.shutdown().await;
}

// ---- the audit chain, anchored outside the database ---------------------------------

/// `envmon audit verify` against the test database, with arguments.
fn audit_verify(system: &TestSystem, args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(["audit", "verify"])
        .args(args)
        .env_remove("ENVMON_CONFIG")
        .env("ENVMON__DATABASE__URL", &system.db.url)
        .env(
            "ENVMON__PUBLISHER__STAFF__SIGNING_KEY_FILE",
            staff::signing_key_file(),
        )
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn a_rewritten_audit_table_fails_against_a_kept_head() {
    let system = TestSystem::start().await;
    let desk = Desk::open(&system).await;
    desk.issue("Orange warning: heavy air pollution").await;
    let entries = system.db.count("SELECT count(*) FROM audit_log").await;
    assert!(entries >= 4, "{entries} entries");

    // Someone keeps the published head (from the API and the Atom feed).
    let head = wait_for(
        "a head covering every entry",
        Duration::from_secs(10),
        || async {
            let head = http::get(system.publisher_addr, "/api/v1/audit/head")
                .await
                .unwrap()
                .json();
            if head["seq"] == entries {
                Ok(head)
            } else {
                Err(head.to_string())
            }
        },
    )
    .await;
    let key = staff::signer().public_key_hex();
    assert!(
        openssl_verifies(&head, &key),
        "OpenSSL does not verify the head: {head}"
    );
    let atom = http::get(system.publisher_addr, "/api/v1/alerts.atom")
        .await
        .unwrap()
        .body;
    let start = atom
        .find("<envmon:auditHead")
        .expect("the feed carries the head");
    let text = &atom
        [atom[start..].find('>').unwrap() + start + 1..atom.find("</envmon:auditHead>").unwrap()];
    let in_feed: Value =
        serde_json::from_str(&text.replace("&quot;", "\"").replace("&amp;", "&")).unwrap();
    assert_eq!(in_feed["type"], "envmon.audit.head");
    assert!(openssl_verifies(&in_feed, &key));

    let dir = std::env::temp_dir().join(unique("envmon-head"));
    std::fs::create_dir_all(&dir).unwrap();
    let kept = dir.join("HEAD.json");
    std::fs::write(&kept, head.to_string()).unwrap();
    let kept_arg = kept.to_str().unwrap();
    let (ok, text) = audit_verify(&system, &["--against", kept_arg]);
    assert!(ok, "{text}");
    let (ok, text) = audit_verify(&system, &["--against", kept_arg, "--public-key", &key]);
    assert!(ok, "{text}");
    // A head with its numbers changed, or signed by another key, is no anchor.
    let mut altered = head.clone();
    altered["seq"] = 1.into();
    let altered_file = dir.join("ALTERED.json");
    std::fs::write(&altered_file, altered.to_string()).unwrap();
    let (ok, text) = audit_verify(&system, &["--against", altered_file.to_str().unwrap()]);
    assert!(!ok && text.contains("signature"), "{text}");

    // The owner of the table rewrites it: the triggers off, the second
    // entry's actor changed, every hash after it recomputed.
    let client = system.db.client().await;
    client
        .batch_execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        .await
        .unwrap();
    let rows = client
        .query("SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY seq", &[])
        .await
        .unwrap();
    let mut forged: Vec<envmon_core::alert::audit::AuditEntry> = rows
        .iter()
        .map(|row| envmon_core::alert::audit::AuditEntry {
            seq: row.get(0),
            at: row.get(1),
            actor: row.get(2),
            action: row.get(3),
            subject: row.get(4),
            detail: row.get(5),
            prev_hash: row.get(6),
            hash: row.get(7),
        })
        .collect();
    forged[1].actor = "mallory".into();
    for i in 1..forged.len() {
        forged[i].prev_hash = forged[i - 1].hash.clone();
        forged[i].hash = forged[i].expected_hash();
    }
    client.batch_execute("DELETE FROM audit_log").await.unwrap();
    for e in &forged {
        client
            .execute(
                "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &e.seq,
                    &e.at,
                    &e.actor,
                    &e.action,
                    &e.subject,
                    &e.detail,
                    &e.prev_hash,
                    &e.hash,
                ],
            )
            .await
            .unwrap();
    }
    // By itself the rewritten chain verifies: that is why the head matters.
    let (ok, text) = audit_verify(&system, &[]);
    assert!(ok, "{text}");
    let (ok, text) = audit_verify(&system, &["--against", kept_arg]);
    assert!(!ok, "{text}");
    assert!(text.contains("rewritten"), "{text}");

    // Cut below the head instead: the entries were removed.
    client
        .execute("DELETE FROM audit_log WHERE seq >= $1", &[&(entries - 1)])
        .await
        .unwrap();
    let (ok, text) = audit_verify(&system, &["--against", kept_arg]);
    assert!(!ok && text.contains("removed"), "{text}");
    client
        .batch_execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
        .await
        .unwrap();
    std::fs::remove_dir_all(dir).unwrap();
    system.shutdown().await;
}

// ---- the page: headless Chromium ----------------------------------------------------

/// The whole browser check, a bound well above its usual few seconds.
const BROWSER_LIMIT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn the_page_and_the_widget_show_no_unverified_notice_and_no_script_link() {
    let system = TestSystem::start().await;
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run npm ci in tests/browser"
    );
    // Through the broker and the publisher: a genuine notice, and a forged
    // one that the publisher must stop before it reaches any page.
    let mut live = body(
        "trust-live",
        1,
        "published",
        "orange",
        "Genuine via the broker",
    );
    live["area"]["stations"] = json!(["1141A"]);
    forge(
        &system,
        "live/alert/trust-live",
        Forged::Json(&staff::signed(live)),
    )
    .await;
    let mut forged = body(
        "trust-forged-live",
        1,
        "published",
        "red",
        "Forged via the broker",
    );
    forged["area"]["stations"] = json!(["1141A"]);
    forge(
        &system,
        "live/alert/trust-forged-live",
        Forged::Json(&forged),
    )
    .await;

    // Put straight into the page's socket by the script (as a compromised
    // relay could): only the signed ones may show, and no script link.
    let ok = staff::signed(body(
        "trust-ok",
        1,
        "published",
        "orange",
        "Genuine, injected",
    ));
    let ok_late = staff::signed(body(
        "trust-ok-late",
        1,
        "published",
        "red",
        "Genuine, injected last",
    ));
    let mut scripted = body(
        "trust-js",
        1,
        "published",
        "yellow",
        "Genuine with script links",
    );
    scripted["cap_url"] = "javascript:alert(document.domain)".into();
    scripted["evidence_url"] = "javascript:alert(2)".into();
    let scripted = staff::signed(scripted);
    let unsigned = body("trust-unsigned", 1, "published", "red", "Forged, unsigned");
    let mut tampered = staff::signed(body(
        "trust-tampered",
        1,
        "published",
        "blue",
        "Forged, tampered",
    ));
    tampered["severity"] = "red".into();
    let untrusted = signed_by(
        &stranger(),
        body(
            "trust-untrusted",
            1,
            "published",
            "red",
            "Forged, untrusted key",
        ),
    );
    let fixtures = json!({
        "genuine": [ok],
        "genuine_last": ok_late,
        "scripted": scripted,
        "forged": [unsigned, tampered, untrusted],
        "through_broker": {"genuine": "trust-live", "forged": "trust-forged-live"},
    });
    let dir = std::env::temp_dir().join(unique("envmon-trust"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fixtures.json");
    std::fs::write(&file, fixtures.to_string()).unwrap();
    let screenshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();

    let run = tokio::process::Command::new("node")
        .current_dir(&browser_dir)
        .arg("notice_trust.mjs")
        .arg(format!("http://{}", system.publisher_addr))
        .arg(&file)
        .arg(&screenshots)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(BROWSER_LIMIT, run)
        .await
        .expect("the browser check finishes")
        .expect("node is installed");
    std::fs::remove_dir_all(dir).unwrap();
    assert!(
        output.status.success(),
        "browser check failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    system.shutdown().await;
}
