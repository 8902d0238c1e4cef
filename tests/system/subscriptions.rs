//! Subscriptions end to end, against real parts: a real SMTP server
//! (Debian's aiosmtpd, started here on a free port) receiving the opt-in and
//! the notice; a local HTTP receiver checking webhook signatures; a local
//! endpoint speaking RFC 8030 whose bodies are decrypted by Python's
//! `cryptography` with the browser's private key, so our RFC 8291 code is not
//! the only judge of itself. Faults: the SMTP server down then up, a webhook
//! answering 500 then 200, the publisher killed mid-batch.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use envmon_publisher::settings::{DeliverySettings, SmtpSecurity, SmtpSettings};
use envmon_publisher::staff::Role;
use hmac::{KeyInit, Mac};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::http::send;
use crate::helpers::process::free_addr;
use crate::helpers::staff::{self, Staff, content};
use crate::helpers::{TestSystem, unique, wait_for};

/// Debian's Python, which has aiosmtpd and cryptography (python3-aiosmtpd,
/// python3-cryptography), whatever `python3` is first on the PATH.
const PYTHON: &str = "/usr/bin/python3";

fn delivery_settings(dir: &Path, smtp_port: Option<u16>) -> DeliverySettings {
    DeliverySettings {
        poll_interval: Duration::from_millis(100),
        retry_initial: Duration::from_millis(300),
        retry_max: Duration::from_secs(1),
        lease: Duration::from_secs(2),
        request_timeout: Duration::from_secs(10),
        allow_private_addresses: true,
        vapid_key_file: dir.join("vapid.key").display().to_string(),
        smtp: smtp_port.map(|port| SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "envmon <alerts@envmon.test>".into(),
        }),
        ..DeliverySettings::default()
    }
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("envmon_subscriptions"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Drafts a notice (operator) and has it approved (approver); returns its id.
async fn issue_notice(system: &TestSystem, headline: &str) -> String {
    let (writer, checker) = (unique("w").replace('_', "-"), unique("c").replace('_', "-"));
    let (writer, checker) = (
        &writer[..30.min(writer.len())],
        &checker[..30.min(checker.len())],
    );
    staff::add(&system.db, writer, Role::Operator).await;
    staff::add(&system.db, checker, Role::Approver).await;
    let writer = Staff::login(system.publisher_addr, writer).await;
    let checker = Staff::login(system.publisher_addr, checker).await;
    let drafted = writer
        .call(
            "POST",
            "/api/v1/staff/notices",
            Some(&serde_json::json!({ "content": content(headline) }).to_string()),
        )
        .await;
    assert!(drafted.status < 300, "{}", drafted.body);
    let id = drafted.json()["id"].as_str().unwrap().to_owned();
    let approved = checker.approve(&id).await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    id
}

async fn subscribe(system: &TestSystem, body: serde_json::Value) -> crate::helpers::http::Response {
    send(
        system.publisher_addr,
        "POST",
        "/api/v1/subscriptions",
        &[],
        Some(&body.to_string()),
    )
    .await
}

// ---------------------------------------------------------------------------
// A real SMTP server

/// aiosmtpd writing every message it accepts into a Maildir.
struct SmtpServer {
    child: Child,
    dir: PathBuf,
}

impl SmtpServer {
    fn start(port: u16, dir: &Path) -> Self {
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd is installed (deploy/provision.sh)");
        // Owned at once, so a panic below still kills and reaps it.
        let server = Self {
            child,
            dir: dir.to_owned(),
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("aiosmtpd did not listen on {port}");
    }

    /// Every message received, raw.
    fn messages(&self) -> Vec<String> {
        let mut messages = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) else {
                continue;
            };
            for entry in entries {
                messages.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
            }
        }
        messages
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The header `name` of a raw message, unfolded.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\n\n").next().unwrap_or_default();
    let unfolded = head
        .replace("\r\n", "\n")
        .replace("\n ", " ")
        .replace("\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// The body of a raw message, quoted-printable decoded when it is.
fn body(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    let body = raw.split_once("\n\n").map(|(_, b)| b).unwrap_or_default();
    if !header(&raw, "Content-Transfer-Encoding").is_some_and(|e| e.contains("quoted-printable")) {
        return body.to_owned();
    }
    let joined = body.replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path and query of the first link in `text` starting with `prefix`.
fn link_path(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    let url: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>')
        .collect();
    let after_scheme = url.split_once("://").unwrap().1;
    after_scheme[after_scheme.find('/').unwrap()..].to_owned()
}

#[tokio::test]
async fn an_email_subscriber_confirms_then_gets_the_notice_with_one_click_unsubscribe() {
    // Arrange: the SMTP server is down when the subscriber signs up.
    let dir = scratch_dir();
    let smtp_port = free_addr().port();
    let settings = delivery_settings(&dir, Some(smtp_port));
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    let answer = subscribe(
        &system,
        serde_json::json!({ "channel": "email", "address": "Ann@Example.org", "topic": "notices",
            "area": "pudong", "language": "en" }),
    )
    .await;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert!(
        answer.json().get("unsubscribe_url").is_none(),
        "no link before the mailbox is proven"
    );
    wait_for("a failed attempt at the opt-in", Duration::from_secs(10), || async {
        let failed = system
            .db
            .count("SELECT count(*) FROM delivery WHERE attempts >= 1 AND last_error IS NOT NULL AND state = 'pending'")
            .await;
        if failed == 1 { Ok(()) } else { Err(format!("{failed} rows")) }
    })
    .await;

    // Act: the server comes up; the retry delivers the opt-in.
    let mail = SmtpServer::start(smtp_port, &dir.join("maildir"));
    let opt_in = wait_for("the opt-in message", Duration::from_secs(15), || async {
        mail.messages()
            .pop()
            .ok_or_else(|| "nothing yet".to_owned())
    })
    .await;
    assert!(
        header(&opt_in, "Subject").unwrap().contains("confirm"),
        "{opt_in}"
    );
    assert!(
        header(&opt_in, "List-Unsubscribe").is_none(),
        "nothing to stop before opting in"
    );
    let confirm = link_path(&body(&opt_in), "http");
    assert!(
        confirm.starts_with("/api/v1/subscriptions/confirm?token="),
        "{confirm}"
    );
    let confirmed = send(system.publisher_addr, "GET", &confirm, &[], None).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(
        system
            .db
            .count("SELECT count(*) FROM subscription WHERE state = 'active'")
            .await,
        1
    );

    // A notice naming Pudong reaches the subscriber, with the reason and the one-click link.
    issue_notice(&system, "Orange alert for Pudong").await;
    let notice = wait_for("the notice message", Duration::from_secs(15), || async {
        mail.messages()
            .into_iter()
            .find(|m| header(m, "Subject").is_some_and(|s| s.contains("Orange alert for Pudong")))
            .ok_or_else(|| format!("{} messages", mail.messages().len()))
    })
    .await;
    assert_eq!(header(&notice, "To").as_deref(), Some("ann@example.org"));
    assert_eq!(
        header(&notice, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = header(&notice, "List-Unsubscribe").unwrap();
    let unsubscribe = link_path(&unsubscribe, "http");
    let text = body(&notice);
    assert!(
        text.contains(
            "You receive this because you subscribed to air quality notices for Pudong New Area."
        ),
        "{text}"
    );
    assert_eq!(mail.messages().len(), 2, "one opt-in, one notice");

    // A GET of the link changes nothing (link scanners); the one-click POST deletes it all.
    let page = send(system.publisher_addr, "GET", &unsubscribe, &[], None).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        system.db.count("SELECT count(*) FROM subscription").await,
        1
    );
    let gone = send(
        system.publisher_addr,
        "POST",
        &unsubscribe,
        &[],
        Some("List-Unsubscribe=One-Click"),
    )
    .await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(
        system.db.count("SELECT count(*) FROM subscription").await,
        0
    );
    assert_eq!(
        system.db.count("SELECT count(*) FROM delivery").await,
        0,
        "deleted with it"
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------
// A local HTTP receiver (webhooks, and a push service speaking RFC 8030)

/// One request as received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// Answers challenges by echoing them, and other requests with the next
/// scripted status (200 when none is left), after `delay`.
#[derive(Debug, Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
    delay_ms: Arc<Mutex<u64>>,
}

impl Receiver {
    async fn start(&self) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let this = self.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let this = this.clone();
                tokio::spawn(async move { this.serve(stream).await });
            }
        });
        addr
    }

    async fn serve(&self, mut stream: tokio::net::TcpStream) {
        let mut raw = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                return;
            }
            raw.extend_from_slice(&chunk[..n]);
            if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                break at;
            }
        };
        let head = String::from_utf8_lossy(&raw[..head_end]).into_owned();
        let mut lines = head.lines();
        let path = lines
            .next()
            .unwrap_or_default()
            .split(' ')
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let headers: BTreeMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = raw[head_end + 4..].to_vec();
        while body.len() < length {
            let Ok(n) = stream.read(&mut chunk).await else {
                return;
            };
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let (status, answer) = if json["type"] == "challenge" {
            (
                200,
                json["challenge"].as_str().unwrap_or_default().to_owned(),
            )
        } else {
            let delay = *self.delay_ms.lock().unwrap();
            self.received.lock().unwrap().push(Received {
                path: path.clone(),
                headers: headers.clone(),
                body: body.clone(),
            });
            tokio::time::sleep(Duration::from_millis(delay)).await;
            (
                self.statuses.lock().unwrap().pop_front().unwrap_or(200),
                String::new(),
            )
        };
        if json["type"] == "challenge" {
            self.received.lock().unwrap().push(Received {
                path,
                headers,
                body,
            });
        }
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
            answer.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
    }

    fn events(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| {
                !r.body.starts_with(br#"{"challenge""#)
                    && !String::from_utf8_lossy(&r.body).contains(r#""type":"challenge""#)
            })
            .cloned()
            .collect()
    }
}

/// Checks a `Signature` header as a receiver must: HMAC-SHA256 over
/// "<t>.<body>" with the secret, and `t` recent.
fn signature_is_valid(received: &Received, secret: &str) -> bool {
    let Some(header) = received.headers.get("signature") else {
        return false;
    };
    let Some((t, v1)) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
    else {
        return false;
    };
    let Ok(t) = t.parse::<i64>() else {
        return false;
    };
    if (chrono::Utc::now().timestamp() - t).abs() > 300 {
        return false;
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&received.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}

#[tokio::test]
async fn a_webhook_passes_its_challenge_and_gets_a_signed_event_retried_after_a_500() {
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let dir = scratch_dir();
    let settings = delivery_settings(&dir, None);
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;

    // A URL that does not answer its challenge is refused.
    let refused = subscribe(
        &system,
        serde_json::json!({ "channel": "webhook", "address": format!("http://127.0.0.1:{}/none", free_addr().port()),
            "topic": "notices", "area": "shanghai", "language": "zh" }),
    )
    .await;
    assert_eq!(refused.status, 400, "{}", refused.body);

    let answer = subscribe(
        &system,
        serde_json::json!({ "channel": "webhook", "address": format!("http://{addr}/hook"),
            "topic": "notices", "area": "shanghai", "language": "zh" }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let secret = answer.json()["secret"].as_str().unwrap().to_owned();
    let challenge = receiver.received.lock().unwrap()[0].clone();
    assert!(
        signature_is_valid(&challenge, &secret),
        "the challenge is signed too"
    );

    // The first event is answered 500, the retry 200.
    receiver.statuses.lock().unwrap().push_back(500);
    issue_notice(&system, "Citywide alert").await;
    let events = wait_for(
        "the event and its retry",
        Duration::from_secs(15),
        || async {
            let events = receiver.events();
            if events.len() >= 2 {
                Ok(events)
            } else {
                Err(format!("{} events", events.len()))
            }
        },
    )
    .await;
    wait_for("the delivery recorded", Duration::from_secs(5), || async {
        let delivered = system
            .db
            .count("SELECT count(*) FROM delivery WHERE state = 'delivered' AND attempts = 2")
            .await;
        if delivered == 1 {
            Ok(())
        } else {
            Err(format!("{delivered}"))
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let events = if receiver.events().len() > events.len() {
        receiver.events()
    } else {
        events
    };
    assert_eq!(events.len(), 2, "delivered once after the 500: {events:?}");
    assert_eq!(
        events[0].headers["webhook-id"], events[1].headers["webhook-id"],
        "one idempotency key"
    );
    for event in &events {
        assert!(signature_is_valid(event, &secret), "{event:?}");
        let body: serde_json::Value = serde_json::from_slice(&event.body).unwrap();
        assert_eq!(body["type"], "notice");
        assert_eq!(body["data"]["headline"], "重污染天气橙色预警");
        assert!(
            body["reason"].as_str().unwrap().contains("预警公告"),
            "{body}"
        );
    }
    // A forged signature would not verify.
    let mut forged = events[0].clone();
    forged.body.push(b' ');
    assert!(!signature_is_valid(&forged, &secret));
    system.shutdown().await;
}

#[tokio::test]
async fn webhook_urls_on_private_addresses_are_refused_unless_allowed() {
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let mut settings = delivery_settings(&scratch_dir(), None);
    settings.allow_private_addresses = false;
    let system = TestSystem::start_publisher_only_with(|s| s.delivery = settings).await;
    for url in [
        format!("https://{addr}/hook"),
        format!("https://localhost:{}/hook", addr.port()),
    ] {
        let refused = subscribe(
            &system,
            serde_json::json!({ "channel": "webhook", "address": url, "topic": "notices",
                "area": "shanghai", "language": "en" }),
        )
        .await;
        assert_eq!(refused.status, 400, "{url}: {}", refused.body);
        assert!(refused.body.contains("private"), "{}", refused.body);
    }
    assert!(
        receiver.received.lock().unwrap().is_empty(),
        "nothing reached the address"
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------
// Web Push

/// A browser's push keys made by Python: (private, p256dh, auth), base64url.
fn browser_keys() -> (String, String, String) {
    let script = "import os, base64\n\
from cryptography.hazmat.primitives.asymmetric import ec\n\
from cryptography.hazmat.primitives import serialization\n\
k = ec.generate_private_key(ec.SECP256R1())\n\
pub = k.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)\n\
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b'=').decode()\n\
print(b(k.private_numbers().private_value.to_bytes(32, 'big')), b(pub), b(os.urandom(16)))\n";
    let out = Command::new(PYTHON).args(["-c", script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut parts = text.split_whitespace().map(str::to_owned);
    (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    )
}

/// Decrypts an RFC 8291 body as the browser would, with Python's
/// `cryptography` (not our code).
fn decrypt_as_browser(body: &[u8], private: &str, public: &str, auth: &str) -> String {
    let script = "import sys, base64\n\
from cryptography.hazmat.primitives.asymmetric import ec\n\
from cryptography.hazmat.primitives.kdf.hkdf import HKDF\n\
from cryptography.hazmat.primitives import hashes\n\
from cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\
d = lambda s: base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))\n\
priv, pub, auth = d(sys.argv[1]), d(sys.argv[2]), d(sys.argv[3])\n\
body = sys.stdin.buffer.read()\n\
salt, idlen = body[:16], body[20]\n\
as_pub, ct = body[21:21 + idlen], body[21 + idlen:]\n\
k = ec.derive_private_key(int.from_bytes(priv, 'big'), ec.SECP256R1())\n\
shared = k.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_pub))\n\
h = lambda salt, ikm, info, n: HKDF(hashes.SHA256(), n, salt, info).derive(ikm)\n\
ikm = h(auth, shared, b'WebPush: info\\0' + pub + as_pub, 32)\n\
cek = h(salt, ikm, b'Content-Encoding: aes128gcm\\0', 16)\n\
nonce = h(salt, ikm, b'Content-Encoding: nonce\\0', 12)\n\
pt = AESGCM(cek).decrypt(nonce, ct, None).rstrip(b'\\0')\n\
assert pt[-1] == 2, 'last record delimiter'\n\
sys.stdout.buffer.write(pt[:-1])\n";
    let mut child = Command::new(PYTHON)
        .args(["-c", script, private, public, auth])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_push_subscription_gets_a_payload_only_its_browser_can_decrypt() {
    let push_service = Receiver::default();
    let addr = push_service.start().await;
    let system = TestSystem::start_publisher_only_with(|s| {
        s.delivery = delivery_settings(&scratch_dir(), None)
    })
    .await;
    let options = send(
        system.publisher_addr,
        "GET",
        "/api/v1/subscriptions",
        &[],
        None,
    )
    .await
    .json();
    let vapid = options["vapid_public_key"].as_str().unwrap().to_owned();
    let (private, public, auth) = browser_keys();
    let answer = subscribe(
        &system,
        serde_json::json!({ "channel": "push", "topic": "notices", "area": "shanghai", "language": "en",
            "push": { "endpoint": format!("http://{addr}/push/send/abc"), "keys": { "p256dh": public, "auth": auth } } }),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);

    issue_notice(&system, "Push alert").await;
    let push = wait_for("the push request", Duration::from_secs(15), || async {
        push_service
            .events()
            .pop()
            .ok_or_else(|| "nothing yet".to_owned())
    })
    .await;
    assert_eq!(push.path, "/push/send/abc");
    assert_eq!(push.headers["content-encoding"], "aes128gcm");
    assert_eq!(push.headers["urgency"], "high");
    assert!(push.headers["ttl"].parse::<u32>().unwrap() > 0);
    let authorization = &push.headers["authorization"];
    assert!(authorization.starts_with("vapid t="), "{authorization}");
    assert!(
        authorization.ends_with(&format!(", k={vapid}")),
        "{authorization}"
    );
    let payload: serde_json::Value =
        serde_json::from_str(&decrypt_as_browser(&push.body, &private, &public, &auth)).unwrap();
    assert_eq!(payload["title"], "Push alert");
    assert!(
        payload["url"].as_str().unwrap().contains("/api/v1/alerts/"),
        "{payload}"
    );
    system.shutdown().await;
}

// ---------------------------------------------------------------------------
// The worker killed mid-batch

#[tokio::test]
async fn a_worker_killed_mid_batch_leaves_every_message_delivered_once_by_key() {
    let receiver = Receiver::default();
    let addr = receiver.start().await;
    let dir = scratch_dir();
    let settings = delivery_settings(&dir, None);
    let mut system = TestSystem::start_publisher_only_with(|s| s.delivery = settings.clone()).await;
    const HOOKS: usize = 5;
    for n in 0..HOOKS {
        let answer = subscribe(
            &system,
            serde_json::json!({ "channel": "webhook", "address": format!("http://{addr}/hook/{n}"),
                "topic": "notices", "area": "shanghai", "language": "en" }),
        )
        .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    // Every answer waits, so the whole batch is in flight when the worker dies.
    *receiver.delay_ms.lock().unwrap() = 3_000;
    issue_notice(&system, "Killed mid-batch").await;
    wait_for("the batch in flight", Duration::from_secs(10), || async {
        let n = receiver.events().len();
        if n >= HOOKS {
            Ok(())
        } else {
            Err(format!("{n} in flight"))
        }
    })
    .await;
    system.kill_publisher().await;
    assert_eq!(
        system
            .db
            .count("SELECT count(*) FROM delivery WHERE state = 'delivered'")
            .await,
        0
    );

    // A new worker claims them again once the lease is over.
    *receiver.delay_ms.lock().unwrap() = 0;
    let settings = envmon_publisher::Settings {
        delivery: settings,
        ..system.publisher_settings()
    };
    system.start_publisher_again_with(settings).await;
    wait_for(
        "every message delivered",
        Duration::from_secs(20),
        || async {
            let delivered = system
                .db
                .count("SELECT count(*) FROM delivery WHERE state = 'delivered'")
                .await;
            if delivered == HOOKS as i64 {
                Ok(())
            } else {
                Err(format!("{delivered} delivered"))
            }
        },
    )
    .await;
    let events = receiver.events();
    let keys: BTreeSet<&str> = events
        .iter()
        .map(|e| e.headers["webhook-id"].as_str())
        .collect();
    let paths: BTreeSet<&str> = events.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(keys.len(), HOOKS, "one key per subscription: {keys:?}");
    assert_eq!(paths.len(), HOOKS, "every hook reached");
    assert!(
        events.len() <= 2 * HOOKS,
        "at most the one resend per message"
    );
    for path in paths {
        let keys_of_path: BTreeSet<&str> = events
            .iter()
            .filter(|e| e.path == path)
            .map(|e| e.headers["webhook-id"].as_str())
            .collect();
        assert_eq!(keys_of_path.len(), 1, "{path} got one message (by key)");
    }
    system.shutdown().await;
}
