//! Claiming due messages and recording what became of them.
//!
//! A claim sets a lease on up to `batch` due rows with `FOR UPDATE SKIP
//! LOCKED`, in one short statement, so workers never wait on each other and
//! no row is held locked while it is sent. A worker that dies leaves its
//! rows leased; when the lease ends another worker claims them again and
//! sends them with the same idempotency key.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::message::Message;

const CLAIM: &str = "UPDATE delivery d
    SET lease_until = now() + $2 * interval '1 second', attempts = d.attempts + 1
    FROM (SELECT id FROM delivery
          WHERE state = 'pending' AND due_at <= now()
            AND (lease_until IS NULL OR lease_until < now())
          ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) c,
         subscription s
    WHERE d.id = c.id AND s.id = d.subscription_id
    RETURNING d.id, d.subscription_id, d.event_id, d.channel, d.address, d.message, d.attempts,
        d.give_up_at, s.webhook_secret, s.push_p256dh, s.push_auth, s.channel, s.state";

const DELIVERED: &str = "UPDATE delivery
    SET state = 'delivered', delivered_at = now(), lease_until = NULL, last_error = NULL
    WHERE id = $1";

const RETRY: &str = "UPDATE delivery
    SET due_at = now() + $2 * interval '1 second', lease_until = NULL, last_error = $3
    WHERE id = $1";

const FAILED: &str =
    "UPDATE delivery SET state = 'failed', lease_until = NULL, last_error = $2 WHERE id = $1";

/// One claimed message with what sending it needs.
#[derive(Debug)]
pub(super) struct Claimed {
    pub(super) id: i64,
    pub(super) subscription_id: i64,
    pub(super) event_id: i64,
    pub(super) channel: String,
    pub(super) address: String,
    pub(super) message: Option<Message>,
    pub(super) attempts: i32,
    pub(super) give_up_at: DateTime<Utc>,
    pub(super) webhook_secret: Option<String>,
    pub(super) push_p256dh: Option<String>,
    pub(super) push_auth: Option<String>,
    /// The subscription's own channel (an owner's e-mail about a webhook
    /// goes out on another).
    pub(super) subscription_channel: String,
    pub(super) subscription_state: String,
}

impl Claimed {
    /// The idempotency key: the same on every attempt of this message.
    pub(super) fn key(&self) -> String {
        format!("envmon-{}-{}", self.subscription_id, self.event_id)
    }
}

/// Claims up to `batch` due messages for `lease`.
pub(super) async fn claim(
    client: &Client,
    batch: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, tokio_postgres::Error> {
    let rows = client.query(CLAIM, &[&batch, &lease.as_secs_f64()]).await?;
    Ok(rows
        .iter()
        .map(|row| Claimed {
            id: row.get(0),
            subscription_id: row.get(1),
            event_id: row.get(2),
            channel: row.get(3),
            address: row.get(4),
            message: serde_json::from_value(row.get(5)).ok(),
            attempts: row.get(6),
            give_up_at: row.get(7),
            webhook_secret: row.get(8),
            push_p256dh: row.get(9),
            push_auth: row.get(10),
            subscription_channel: row.get(11),
            subscription_state: row.get(12),
        })
        .collect())
}

/// Records a delivery.
pub(super) async fn delivered(client: &Client, id: i64) -> Result<(), tokio_postgres::Error> {
    client.execute(DELIVERED, &[&id]).await.map(|_| ())
}

/// Records a failed attempt to retry after `delay`.
pub(super) async fn retry(
    client: &Client,
    id: i64,
    delay: Duration,
    error: &str,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(RETRY, &[&id, &delay.as_secs_f64(), &error])
        .await
        .map(|_| ())
}

/// Records a message given up.
pub(super) async fn failed(
    client: &Client,
    id: i64,
    error: &str,
) -> Result<(), tokio_postgres::Error> {
    client.execute(FAILED, &[&id, &error]).await.map(|_| ())
}

/// The wait before attempt `attempts + 1`: doubling from `initial`, capped.
pub(super) fn backoff(attempts: i32, initial: Duration, max: Duration) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    initial.saturating_mul(1 << doublings).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_cap() {
        let (initial, max) = (Duration::from_secs(30), Duration::from_secs(3600));
        assert_eq!(backoff(1, initial, max), Duration::from_secs(30));
        assert_eq!(backoff(3, initial, max), Duration::from_secs(120));
        assert_eq!(backoff(30, initial, max), max);
    }
}
