//! Webhooks: signed JSON POSTs to a URL that proved it wanted them.
//!
//! The signature scheme (docs/subscriptions.md): the `Signature` header is
//! `t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>`, where `key`
//! is the secret shown once at subscription. A receiver recomputes it over
//! the raw body and refuses a `t` more than five minutes old, so a captured
//! request cannot be replayed later. `Webhook-Id` carries the idempotency key
//! (the same on every retry of one message).
//!
//! On subscribe, the URL receives a signed `{"type":"challenge","challenge":…}`
//! and must answer 2xx with the challenge as its body.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use serde_json::json;

use super::message::Message;
use super::outbound::{Outbound, OutboundError};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Why a webhook was not delivered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebhookError {
    /// The request did not get through.
    #[error(transparent)]
    Outbound(#[from] OutboundError),
    /// The receiver answered, but not 2xx.
    #[error("the receiver answered {0}")]
    Status(u16),
    /// The receiver did not echo the challenge.
    #[error("the receiver did not answer the challenge")]
    Challenge,
}

/// A new webhook key: 32 random bytes, base64url.
pub(crate) fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The `Signature` header of `body` at `at`.
pub(crate) fn signature(secret: &str, at: DateTime<Utc>, body: &[u8]) -> String {
    let t = at.timestamp();
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

async fn post(
    outbound: &Outbound,
    url: &str,
    secret: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<bytes::Bytes, WebhookError> {
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("user-agent", "envmon-webhook/1".to_owned()),
        ("webhook-id", key.to_owned()),
        ("signature", signature(secret, Utc::now(), &body)),
    ];
    let response = outbound.post(url, &headers, body).await?;
    if (200..300).contains(&response.status) {
        Ok(response.body)
    } else {
        Err(WebhookError::Status(response.status))
    }
}

/// Proves the URL wants our events: it must echo a random challenge.
pub(crate) async fn challenge(
    outbound: &Outbound,
    url: &str,
    secret: &str,
) -> Result<(), WebhookError> {
    let challenge = new_secret().map_err(|_| WebhookError::Challenge)?;
    let body = json!({ "type": "challenge", "challenge": challenge }).to_string();
    let answer = post(
        outbound,
        url,
        secret,
        &format!("challenge-{challenge}"),
        body.into_bytes(),
    )
    .await?;
    if answer.trim_ascii() == challenge.as_bytes() {
        Ok(())
    } else {
        Err(WebhookError::Challenge)
    }
}

/// Sends one message.
pub(crate) async fn send(
    outbound: &Outbound,
    url: &str,
    secret: &str,
    key: &str,
    message: &Message,
) -> Result<(), WebhookError> {
    let body = json!({
        "id": key,
        "type": message.kind,
        "subject": message.subject,
        "text": message.text,
        "reason": message.reason,
        "link": message.link,
        "unsubscribe_url": message.unsubscribe_url,
        "data": message.data,
    });
    post(outbound, url, secret, key, body.to_string().into_bytes())
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // Worked with: printf '1700000000.{}' | openssl dgst -sha256 -hmac key
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(
            signature("key", at, b"{}"),
            "t=1700000000,v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }
}
