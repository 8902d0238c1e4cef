//! Web Push: an RFC 8030 POST to the browser's push service, the payload
//! encrypted for that browser (RFC 8291) and the request signed with our
//! VAPID key (RFC 8292).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::json;

use super::ece::{self, EceError, Ephemeral};
use super::message::Message;
use super::outbound::{Outbound, OutboundError};
use super::vapid::VapidKey;

/// A notice is worth a day in the push service's queue; the rest an hour.
const TTL_NOTICE_SECONDS: u32 = 86_400;
const TTL_OTHER_SECONDS: u32 = 3_600;

/// Why a push was not delivered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PushError {
    /// The subscription's keys cannot be used.
    #[error(transparent)]
    Keys(#[from] EceError),
    /// A key in the subscription is not base64url.
    #[error("a push subscription key is not base64url")]
    Encoding,
    /// The request did not get through.
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    /// The push service no longer knows the subscription (404, 410): the
    /// browser unsubscribed, so the subscription goes.
    #[error("the push service answered {0}: the subscription is gone")]
    Gone(u16),
    /// Any other refusal.
    #[error("the push service answered {0}")]
    Status(u16),
    /// No random numbers for the one-time key.
    #[error("no randomness for the message key")]
    Random,
}

/// The browser's side of a subscription.
#[derive(Debug)]
pub(crate) struct PushTarget<'a> {
    pub(crate) endpoint: &'a str,
    pub(crate) p256dh: &'a str,
    pub(crate) auth: &'a str,
}

/// The `aud` of the VAPID token: the push service's origin.
fn origin(endpoint: &str) -> Result<String, OutboundError> {
    let uri = Outbound::check_url(endpoint)?;
    let scheme = uri.scheme_str().unwrap_or("https");
    let authority = uri.authority().map(ToString::to_string).unwrap_or_default();
    Ok(format!("{scheme}://{authority}"))
}

/// The JSON the page's service worker shows: a title, a body cut to fit
/// one record, and where a click leads.
fn payload(message: &Message) -> Vec<u8> {
    let mut body = message.text.clone();
    loop {
        let bytes = json!({ "title": message.subject, "body": body, "url": message.link, "tag": message.kind })
            .to_string()
            .into_bytes();
        if bytes.len() <= ece::MAX_PLAINTEXT || body.is_empty() {
            return bytes;
        }
        let keep = body.chars().count() * 3 / 4;
        body = body.chars().take(keep).collect();
    }
}

/// Sends one message.
pub(crate) async fn send(
    outbound: &Outbound,
    vapid: &VapidKey,
    subject: &str,
    target: &PushTarget<'_>,
    message: &Message,
) -> Result<(), PushError> {
    let ua_public = URL_SAFE_NO_PAD
        .decode(target.p256dh.trim_end_matches('='))
        .map_err(|_| PushError::Encoding)?;
    let auth = URL_SAFE_NO_PAD
        .decode(target.auth.trim_end_matches('='))
        .map_err(|_| PushError::Encoding)?;
    let ephemeral = Ephemeral::random().map_err(|_| PushError::Random)?;
    let body = ece::encrypt(&payload(message), &ua_public, &auth, &ephemeral)?;
    let ttl = if message.kind == "notice" {
        TTL_NOTICE_SECONDS
    } else {
        TTL_OTHER_SECONDS
    };
    let headers = [
        ("content-type", "application/octet-stream".to_owned()),
        ("content-encoding", "aes128gcm".to_owned()),
        ("ttl", ttl.to_string()),
        ("urgency", message.urgency.clone()),
        (
            "authorization",
            vapid.authorization(&origin(target.endpoint)?, subject, Utc::now()),
        ),
    ];
    let response = outbound.post(target.endpoint, &headers, body).await?;
    match response.status {
        200..300 => Ok(()),
        404 | 410 => Err(PushError::Gone(response.status)),
        status => Err(PushError::Status(status)),
    }
}
