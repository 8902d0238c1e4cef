//! Subscriptions and their delivery: the `[publisher.delivery]` section.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the SMTP relay is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS: only for a relay on the same machine (and the tests).
    None,
}

/// The SMTP relay e-mail goes through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// The relay's host name (checked against its certificate).
    pub host: String,
    /// Its port: 587 for STARTTLS, 465 for TLS.
    pub port: u16,
    /// How the connection is secured.
    pub security: SmtpSecurity,
    /// The account to authenticate as; absent: no authentication.
    #[serde(default)]
    pub username: Option<String>,
    /// Its password.
    #[serde(default)]
    pub password: Option<String>,
    /// The sender, e.g. `空气质量 <alerts@air.example.gov.cn>`.
    pub from: String,
    /// PEM file of CA certificates to trust for the relay, besides the
    /// system's (a relay with the bureau's own CA).
    #[serde(default)]
    pub ca_file: Option<String>,
}

/// Subscriptions, and the worker that delivers their messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// Run the delivery worker in this publisher. Any number of publishers
    /// may: they share the work through the database.
    pub worker: bool,
    /// How often the worker looks for new events and due messages.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Messages claimed at once by one worker.
    pub batch: i64,
    /// A claimed message is the worker's for this long; after it (a crash,
    /// a kill) another worker sends it again, with the same idempotency key.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// The first retry waits this long; each further one twice as long,
    /// up to `retry_max`.
    #[serde(with = "humantime_serde")]
    pub retry_initial: Duration,
    /// The longest wait between retries.
    #[serde(with = "humantime_serde")]
    pub retry_max: Duration,
    /// A message not delivered within this long of its event is given up;
    /// a webhook that failed that long is disabled and its owner told.
    #[serde(with = "humantime_serde")]
    pub give_up_after: Duration,
    /// Longest wait for a webhook, push service or the SMTP relay to answer.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Let webhook and push URLs reach loopback and private addresses. Off
    /// in production: a subscriber's URL must not reach the bureau's own
    /// network. The tests turn it on for their local receivers.
    pub allow_private_addresses: bool,
    /// The SMTP relay; absent: e-mail subscriptions are refused.
    pub smtp: Option<SmtpSettings>,
    /// The VAPID private key file (RFC 8292), created on first start.
    pub vapid_key_file: String,
    /// Who push services may contact about this sender (`mailto:` or `https:`).
    pub vapid_subject: String,
    /// Sign-ups one client address may make per hour.
    pub signups_per_hour: u32,
    /// Subscriptions one e-mail address, URL or push endpoint may hold.
    pub max_per_address: i64,
    /// Yesterday's summary is sent after this hour, Beijing time.
    pub daily_summary_hour: u32,
    /// Events are kept this long after fan-out, then deleted with their
    /// deliveries; pending subscriptions never confirmed are deleted after it too.
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            worker: true,
            poll_interval: Duration::from_secs(1),
            batch: 50,
            lease: Duration::from_secs(120),
            retry_initial: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            request_timeout: Duration::from_secs(10),
            allow_private_addresses: false,
            smtp: None,
            vapid_key_file: ".envmon/vapid.key".into(),
            vapid_subject: "mailto:envmon@localhost".into(),
            signups_per_hour: 10,
            max_per_address: 20,
            daily_summary_hour: 8,
            retention: Duration::from_secs(7 * 86_400),
        }
    }
}
