//! Staff clients for the alert tests: users added through the library,
//! sign-in over HTTP, requests with the session cookie and the page's
//! Origin, as a browser on the console would send them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use super::TestDb;
use super::http::Response;
pub use super::http::send;
use envmon_core::alert::NoticeSigner;
use envmon_publisher::staff::{Role, StaffSettings, add_user, keys};

/// One signing key for every test in this process, in a private
/// directory; made here on first use, so no reader sees it half written.
pub fn signing_key_file() -> PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = std::env::temp_dir().join(super::unique("envmon-keys"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("signing.key");
        keys::load_or_create(file.to_str().unwrap()).unwrap();
        file
    })
    .clone()
}

/// The key every publisher of this test process signs notices with.
pub fn signer() -> NoticeSigner {
    keys::load_or_create(signing_key_file().to_str().unwrap()).unwrap()
}

/// `notice` signed as this test process's publishers sign notices.
pub fn signed(mut notice: serde_json::Value) -> serde_json::Value {
    signer().sign_document(&mut notice);
    notice
}

pub fn staff_settings() -> StaffSettings {
    StaffSettings {
        signing_key_file: signing_key_file().display().to_string(),
        cap_sender: "envmon@envmon.test".into(),
        live_poll: std::time::Duration::from_millis(100),
        expiry_check: std::time::Duration::from_millis(200),
        audit_head_interval: std::time::Duration::from_millis(200),
        ..StaffSettings::default()
    }
}

/// A password long enough for the rules.
pub const PASSWORD: &str = "correct horse battery staple";

/// Adds `username` with `role` straight through the library.
pub async fn add(db: &TestDb, username: &str, role: Role) {
    let settings = db.settings();
    let pool = settings.pool().unwrap();
    let mut client = pool.get().await.unwrap();
    add_user(&mut client, "test", username, role, PASSWORD)
        .await
        .unwrap();
}

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub addr: SocketAddr,
    pub cookie: String,
    pub origin: String,
}

impl Staff {
    /// Signs `username` in with [`PASSWORD`].
    pub async fn login(addr: SocketAddr, username: &str) -> Self {
        let origin = format!("http://{addr}");
        let body = format!(r#"{{"username":"{username}","password":"{PASSWORD}"}}"#);
        let response = send(
            addr,
            "POST",
            "/api/v1/staff/login",
            &[("Origin", &origin)],
            Some(&body),
        )
        .await;
        assert_eq!(response.status, 200, "login {username}: {}", response.body);
        let set_cookie = response.header("set-cookie").unwrap().to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        Self {
            addr,
            cookie,
            origin,
        }
    }

    /// A request with the session cookie and this site's Origin.
    pub async fn call(&self, method: &str, path: &str, body: Option<&str>) -> Response {
        send(
            self.addr,
            method,
            path,
            &[("Cookie", &self.cookie), ("Origin", &self.origin)],
            body,
        )
        .await
    }
}

impl Staff {
    /// The body an approver sends for the open draft of `id` as the
    /// console shows it now: its version and content hash.
    pub async fn reviewed(&self, id: &str) -> String {
        let view = self
            .call("GET", &format!("/api/v1/staff/notices/{id}"), None)
            .await
            .json();
        let draft = view["versions"]
            .as_array()
            .and_then(|versions| versions.iter().find(|v| v["state"] == "draft"))
            .unwrap_or_else(|| panic!("{id} has no open draft: {view}"))
            .clone();
        serde_json::json!({ "version": draft["version"], "content_hash": draft["content_hash"] })
            .to_string()
    }

    /// Approves the open draft of `id`, as reviewed now.
    pub async fn approve(&self, id: &str) -> Response {
        let body = self.reviewed(id).await;
        self.call(
            "POST",
            &format!("/api/v1/staff/notices/{id}/approve"),
            Some(&body),
        )
        .await
    }
}

/// A valid notice content as JSON, with `headline` in English.
pub fn content(headline: &str) -> serde_json::Value {
    let now = chrono::Utc::now();
    serde_json::json!({
        "severity": "orange",
        "urgency": "Expected",
        "certainty": "Likely",
        "headline": {"zh": "重污染天气橙色预警", "en": headline},
        "description": {"zh": "预计未来三天 PM2.5 浓度 > 150 µg/m³", "en": "PM2.5 above 150 µg/m³ & rising <expected>"},
        "instruction": {"zh": "减少户外活动", "en": "Reduce outdoor activity"},
        "area": {"districts": ["浦东新区"], "stations": ["1141A"]},
        "effective": now.to_rfc3339(),
        "expires": (now + chrono::Duration::hours(48)).to_rfc3339(),
        "evidence_url": "/api/v1/stations/1141A/latest"
    })
}
