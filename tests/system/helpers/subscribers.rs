//! Parts the subscription tests talk to: a real SMTP server (Debian's
//! aiosmtpd) writing a Maildir, a local HTTP receiver (webhooks, and a push
//! service speaking RFC 8030), a browser's push keys and decryption done by
//! Python's `cryptography`, and the publisher settings they need.

use std::collections::{BTreeMap, VecDeque};
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

use super::http::{Response, send};
use super::staff::{self, Staff, content};
use super::{TestSystem, unique};

/// Debian's Python, which has aiosmtpd and cryptography (python3-aiosmtpd,
/// python3-cryptography), whatever `python3` is first on the PATH.
pub const PYTHON: &str = "/usr/bin/python3";

pub fn delivery_settings(dir: &Path, smtp_port: Option<u16>) -> DeliverySettings {
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
            ca_file: None,
        }),
        ..DeliverySettings::default()
    }
}

pub fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(unique("envmon_subscriptions"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Drafts a notice (operator) and has it approved (approver); returns its id
/// and the approver, signed in (who may also cancel it).
pub async fn issue_notice_by(system: &TestSystem, headline: &str) -> (String, Staff) {
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
    (id, checker)
}

/// Drafts a notice and has it approved; returns its id.
pub async fn issue_notice(system: &TestSystem, headline: &str) -> String {
    issue_notice_by(system, headline).await.0
}

pub async fn subscribe(system: &TestSystem, body: serde_json::Value) -> Response {
    send(
        system.publisher_addr,
        "POST",
        "/api/v1/subscriptions",
        &[],
        Some(&body.to_string()),
    )
    .await
}

/// aiosmtpd writing every message it accepts into a Maildir.
pub struct SmtpServer {
    child: Child,
    dir: PathBuf,
}

impl SmtpServer {
    pub fn start(port: u16, dir: &Path) -> Self {
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
    pub fn messages(&self) -> Vec<String> {
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
pub fn header(raw: &str, name: &str) -> Option<String> {
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
pub fn body(raw: &str) -> String {
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
pub fn link_path(text: &str, prefix: &str) -> String {
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

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// Answers challenges by echoing them, and other requests with the next
/// scripted status (200 when none is left), after `delay`.
#[derive(Debug, Clone, Default)]
pub struct Receiver {
    pub received: Arc<Mutex<Vec<Received>>>,
    pub statuses: Arc<Mutex<VecDeque<u16>>>,
    pub delay_ms: Arc<Mutex<u64>>,
}

impl Receiver {
    pub async fn start(&self) -> SocketAddr {
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

    pub fn events(&self) -> Vec<Received> {
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
pub fn signature_is_valid(received: &Received, secret: &str) -> bool {
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

/// A browser's push keys made by Python: (private, p256dh, auth), base64url.
pub fn browser_keys() -> (String, String, String) {
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
pub fn decrypt_as_browser(body: &[u8], private: &str, public: &str, auth: &str) -> String {
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
