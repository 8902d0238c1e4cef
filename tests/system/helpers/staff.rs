//! Staff clients for the alert tests: users added through the library,
//! sign-in over HTTP, requests with the session cookie and the page's
//! Origin, as a browser on the console would send them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use super::TestDb;
use super::http::Response;
pub use super::http::send;
use envmon_publisher::staff::{Role, StaffSettings, add_user};

/// One signing key for every test in this process, in a private directory.
pub fn signing_key_file() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(super::unique("envmon-keys"));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
    .join("signing.key")
}

pub fn staff_settings() -> StaffSettings {
    StaffSettings {
        signing_key_file: signing_key_file().display().to_string(),
        cap_sender: "envmon@envmon.test".into(),
        live_poll: std::time::Duration::from_millis(100),
        expiry_check: std::time::Duration::from_millis(200),
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
