//! Staff and alert-notice settings: the `[publisher.staff]` section.

use std::time::Duration;

use envmon_core::alert::TrustedKey;
use serde::{Deserialize, Serialize};

use crate::public_url::PublicUrl;

/// How staff sign in and how notices are issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffSettings {
    /// The staff console's own origin, e.g. `https://staff.air.example.gov.cn`
    /// (a host name of its own): `/staff/` and `/api/v1/staff/` are then
    /// served only to requests for that host, and the public site answers
    /// 404 for them. Absent: the console is served on the public origin.
    /// Cookies are `Secure` with the `__Host-` prefix whenever the origin
    /// staff use (this one, else `public_url`) is https.
    pub console_origin: Option<PublicUrl>,
    /// Origins allowed to make state-changing requests besides the
    /// console's own, e.g. `https://envmon.example.org`.
    pub allowed_origins: Vec<String>,
    /// A session ends this long after sign-in.
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// Wrong passwords in a row for one name (or one known browser) before
    /// each further attempt must wait.
    pub login_free_attempts: u32,
    /// The first wait; it doubles with each further wrong password.
    #[serde(with = "humantime_serde")]
    pub login_delay: Duration,
    /// The longest wait: the right password always gets in after at most
    /// this long, however many wrong ones were tried.
    #[serde(with = "humantime_serde")]
    pub login_max_delay: Duration,
    /// Sign-in attempts per minute allowed from one address (IPv6: one
    /// /64), on average; past them the answer is 429 with Retry-After.
    pub login_attempts_per_minute: u32,
    /// Attempts one address may make in a burst above that rate.
    pub login_burst: u32,
    /// Password checks (argon2, about 19 MiB and tens of milliseconds of
    /// CPU each) running at once; 0: half the CPUs, at least one. The rest
    /// of the CPU stays with the public site.
    pub login_concurrency: usize,
    /// Sign-ins that may wait for a password check; more are answered 429.
    pub login_queue: usize,
    /// A browser that signed in to an account is known to it for this long:
    /// its own wrong passwords delay it, other people's do not.
    #[serde(with = "humantime_serde")]
    pub known_browser_ttl: Duration,
    /// API tokens expire this long after creation; a token may ask for less.
    #[serde(with = "humantime_serde")]
    pub token_ttl: Duration,
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
            console_origin: None,
            allowed_origins: Vec::new(),
            session_ttl: Duration::from_secs(8 * 3600),
            login_free_attempts: 5,
            login_delay: Duration::from_secs(1),
            login_max_delay: Duration::from_secs(5 * 60),
            login_attempts_per_minute: 10,
            login_burst: 20,
            login_concurrency: 0,
            login_queue: 32,
            known_browser_ttl: Duration::from_secs(90 * 86_400),
            token_ttl: Duration::from_secs(90 * 86_400),
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
