//! Staff and alert-notice settings: the `[publisher.staff]` section.

use std::time::Duration;

use envmon_core::alert::TrustedKey;
use serde::{Deserialize, Serialize};

/// How staff sign in and how notices are issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffSettings {
    /// Mark the session cookie `Secure`: set this when staff reach the
    /// publisher over TLS (a terminating proxy in front of it); the console
    /// then also expects `https://` origins.
    pub secure_cookies: bool,
    /// Origins allowed to make state-changing requests besides the
    /// publisher's own (`Host` header), e.g. `https://envmon.example.org`.
    pub allowed_origins: Vec<String>,
    /// A session ends this long after sign-in.
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// Wrong passwords in a row before an account is locked.
    pub max_failed_logins: u32,
    /// How long a locked account stays locked.
    #[serde(with = "humantime_serde")]
    pub lockout: Duration,
    /// The Ed25519 private key that signs notices (64 hex digits). Created,
    /// readable by the owner only, on first start when absent; keep it and
    /// back it up: the published public key is derived from it.
    pub signing_key_file: String,
    /// The CAP `sender`: no spaces or commas, e.g. an address of the bureau.
    pub cap_sender: String,
    /// The issuer's name in Chinese (CAP `senderName`).
    pub sender_name_zh: String,
    /// The issuer's name in English (CAP `senderName`).
    pub sender_name_en: String,
    /// How often the staff live channel looks for new alarm changes.
    #[serde(with = "humantime_serde")]
    pub live_poll: Duration,
    /// How often notices past their expiry are looked for, to announce
    /// them as `expired`.
    #[serde(with = "humantime_serde")]
    pub expiry_check: Duration,
    /// Public keys whose notices are relayed, besides this publisher's own
    /// (always trusted): each `{ public_key = "64 hex digits", not_before,
    /// not_after }`, the times optional (RFC 3339). A key verifies nothing
    /// outside its period. When rotating the signing key, list the old one
    /// here with a `not_after` a little beyond the longest notice still
    /// held by browsers. Published at `/api/v1/alerts/public-key`.
    pub trusted_keys: Vec<TrustedKey>,
    /// How often the audit chain's head is read and signed for
    /// `/api/v1/audit/head` and the Atom feed.
    #[serde(with = "humantime_serde")]
    pub audit_head_interval: Duration,
}

impl Default for StaffSettings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            allowed_origins: Vec::new(),
            session_ttl: Duration::from_secs(8 * 3600),
            max_failed_logins: 5,
            lockout: Duration::from_secs(15 * 60),
            signing_key_file: ".envmon/signing.key".into(),
            cap_sender: "envmon@localhost".into(),
            sender_name_zh: "上海市生态环境局".into(),
            sender_name_en: "Shanghai Municipal Bureau of Ecology and Environment".into(),
            live_poll: Duration::from_secs(1),
            expiry_check: Duration::from_secs(10),
            trusted_keys: Vec::new(),
            audit_head_interval: Duration::from_secs(60),
        }
    }
}
