//! Delivery: subscribers' messages by e-mail, webhook and Web Push, from the
//! outbox that ingest and the staff workflow write with their causes.
//!
//! # Layout
//!
//! - `fanout`: each outbox event, once, into deliveries keyed (subscription,
//!   event), with the message rendered by `message`.
//! - `claim`: due deliveries leased with `FOR UPDATE SKIP LOCKED`, and what
//!   became of each.
//! - `worker`: the supervised task running both, with retries and backoff.
//! - Channels: `email` (SMTP relay), `webhook` (signed JSON), `push`
//!   (RFC 8030, with `ece` for RFC 8291 encryption and `vapid` for RFC 8292),
//!   the last two over `outbound`, which refuses private addresses.
//! - `health`: counts for staff.

mod claim;
mod ece;
mod email;
mod fanout;
pub(crate) mod health;
mod message;
pub(crate) mod outbound;
mod push;
pub(crate) mod vapid;
pub(crate) mod webhook;
mod worker;

use std::sync::Arc;

pub use vapid::VapidError;
pub(crate) use worker::{Channels, DeliveryWorker};

use crate::settings::DeliverySettings;

/// Why delivery cannot start.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The SMTP settings cannot be used.
    #[error("invalid [publisher.delivery.smtp] setting: {0}")]
    Smtp(String),
}

/// What the subscription API and the worker share.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) settings: DeliverySettings,
    pub(crate) channels: Channels,
    /// Sign-ups per client address.
    pub(crate) signups: Arc<crate::rate_limit::RateLimiter>,
}

impl Delivery {
    /// The channels of `settings`; `trusted_proxies` name who may forward
    /// a client's address for the sign-up limit.
    pub(crate) fn build(
        settings: &DeliverySettings,
        trusted_proxies: Vec<crate::settings::Network>,
    ) -> Result<Self, DeliveryError> {
        let mailer = match &settings.smtp {
            Some(smtp) => Some(Arc::new(
                email::Mailer::new(smtp, settings.request_timeout)
                    .map_err(|e| DeliveryError::Smtp(e.to_string()))?,
            )),
            None => None,
        };
        let channels = Channels {
            mailer,
            outbound: outbound::Outbound::new(
                settings.allow_private_addresses,
                settings.request_timeout,
            ),
            vapid: load_vapid(&settings.vapid_key_file),
            vapid_subject: settings.vapid_subject.clone(),
        };
        let per_hour = f64::from(settings.signups_per_hour.max(1));
        Ok(Self {
            settings: settings.clone(),
            channels,
            signups: Arc::new(crate::rate_limit::RateLimiter::new(
                per_hour / 3600.0,
                settings.signups_per_hour.max(1),
                trusted_proxies,
            )),
        })
    }
}

/// The VAPID key, or none: a publisher that cannot read or create it (a
/// read-only file system without the key provided) still serves, and offers
/// no push subscriptions.
fn load_vapid(path: &str) -> Option<Arc<vapid::VapidKey>> {
    match vapid::VapidKey::load_or_create(path) {
        Ok(key) => Some(Arc::new(key)),
        Err(error) => {
            tracing::warn!(
                error = %error,
                source = ?std::error::Error::source(&error),
                "No VAPID key: Web Push subscriptions are not offered."
            );
            None
        }
    }
}
