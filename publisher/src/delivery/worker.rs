//! The delivery worker: a task of the publisher with its own small pool, so
//! it never takes a connection the public site needs. Each round it writes
//! yesterday's summary event when due, fans new events out, then sends the
//! due messages of one claim at once and records each outcome.
//!
//! Any number of publishers may run it: fan-out and claims skip what another
//! holds. Delivery is at least once; the idempotency key (subscription,
//! event) travels with every attempt (Message-ID, `Webhook-Id`), so a
//! receiver sees each message once by key.

use std::sync::Arc;

use chrono::{Timelike, Utc};
use deadpool_postgres::Pool;
use envmon_core::outbox::{OutboxCause, enqueue};
use tokio_util::sync::CancellationToken;

use super::claim::{self, Claimed};
use super::email::Mailer;
use super::fanout::{FanOut, fan_out_one};
use super::outbound::Outbound;
use super::push::{self, PushTarget};
use super::vapid::VapidKey;
use super::webhook;
use crate::metrics::DELIVERIES;
use crate::settings::DeliverySettings;

/// Events fanned out per round, so sending is not starved by a burst.
const EVENTS_PER_ROUND: usize = 200;

const DISABLE_WEBHOOK: &str = "UPDATE subscription
    SET state = 'disabled', disabled_at = now(), disabled_reason = $2
    WHERE id = $1 AND state = 'active'";

/// A disabled webhook's other messages are given up with it.
const FAIL_PENDING: &str = "UPDATE delivery
    SET state = 'failed', lease_until = NULL, last_error = 'the webhook was disabled'
    WHERE subscription_id = $1 AND channel = 'webhook' AND state = 'pending'";

const DELETE_SUBSCRIPTION: &str = "DELETE FROM subscription WHERE id = $1";

/// Fanned-out events past retention go with their deliveries, and events
/// that owed nobody anything (most hours of AQI) after an hour; so do
/// subscriptions never confirmed and webhooks long disabled.
const PURGE: &str = "WITH events AS (
        DELETE FROM outbox_event e
        WHERE e.fanned_out_at < now() - $1 * interval '1 second'
           OR (e.fanned_out_at < now() - interval '1 hour'
               AND NOT EXISTS (SELECT 1 FROM delivery d WHERE d.event_id = e.id)))
    DELETE FROM subscription
    WHERE (state = 'pending' AND created_at < now() - $1 * interval '1 second')
       OR (state = 'disabled' AND disabled_at < now() - $1 * interval '1 second')";

/// What the channels need.
#[derive(Debug, Clone)]
pub(crate) struct Channels {
    pub(crate) mailer: Option<Arc<Mailer>>,
    pub(crate) outbound: Outbound,
    /// Absent when the key could not be read or made: no push then.
    pub(crate) vapid: Option<Arc<VapidKey>>,
    pub(crate) vapid_subject: String,
}

/// Why one attempt failed, and what follows.
enum Failure {
    /// Try again later (or give up, past the deadline).
    Retry(String),
    /// The subscription is gone (a push service said so): delete it.
    Gone(String),
}

/// Runs the delivery rounds.
#[derive(Debug)]
pub(crate) struct DeliveryWorker {
    pub(crate) pool: Pool,
    pub(crate) settings: DeliverySettings,
    pub(crate) base_url: String,
    pub(crate) channels: Channels,
}

impl DeliveryWorker {
    /// Delivers until `stop`; database trouble is logged and retried next round.
    pub(crate) async fn run(self, stop: CancellationToken) {
        let fan_out = FanOut {
            base_url: self.base_url.clone(),
            give_up_seconds: self.settings.give_up_after.as_secs_f64(),
        };
        let mut rounds: u64 = 0;
        let mut summarised: Option<chrono::NaiveDate> = None;
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.settings.poll_interval) => {}
                () = stop.cancelled() => break,
            }
            rounds += 1;
            // About every ten minutes at the default interval.
            let purge = rounds % 600 == 1;
            if let Err(error) = self.round(&fan_out, purge, &mut summarised).await {
                tracing::warn!(error = %error, "Delivery round failed; retrying.");
            }
        }
    }

    async fn round(
        &self,
        fan_out: &FanOut,
        purge: bool,
        summarised: &mut Option<chrono::NaiveDate>,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut client = self.pool.get().await?;
        self.enqueue_daily_summary(&mut client, summarised).await?;
        for _ in 0..EVENTS_PER_ROUND {
            if !fan_out_one(&mut client, fan_out).await? {
                break;
            }
        }
        let claimed = claim::claim(&client, self.settings.batch, self.settings.lease).await?;
        let outcomes = futures_util::future::join_all(claimed.iter().map(|c| self.send(c))).await;
        for (claimed, outcome) in claimed.iter().zip(outcomes) {
            self.record(&mut client, claimed, outcome).await?;
        }
        if purge {
            let gone = client
                .execute(PURGE, &[&self.settings.retention.as_secs_f64()])
                .await?;
            tracing::debug!(subscriptions = gone, "Purged old delivery data.");
        }
        Ok(())
    }

    /// Yesterday's summary, once the configured Beijing hour has passed;
    /// written once however many workers find it due, and looked for once
    /// a day by each (`summarised` remembers the last day written).
    async fn enqueue_daily_summary(
        &self,
        client: &mut deadpool_postgres::Client,
        summarised: &mut Option<chrono::NaiveDate>,
    ) -> Result<(), tokio_postgres::Error> {
        let now = Utc::now().with_timezone(&envmon_core::beijing::offset());
        let Some(yesterday) = now.date_naive().pred_opt() else {
            return Ok(());
        };
        if now.hour() < self.settings.daily_summary_hour || *summarised == Some(yesterday) {
            return Ok(());
        }
        let tx = client.transaction().await?;
        enqueue(&tx, &OutboxCause::DailySummary { day: yesterday }).await?;
        tx.commit().await?;
        *summarised = Some(yesterday);
        Ok(())
    }

    async fn send(&self, claimed: &Claimed) -> Result<(), Failure> {
        let Some(message) = &claimed.message else {
            return Err(Failure::Retry("the stored message does not parse".into()));
        };
        if claimed.subscription_state == "disabled"
            && claimed.subscription_channel == claimed.channel
        {
            return Err(Failure::Retry("the subscription is disabled".into()));
        }
        let key = claimed.key();
        let channels = &self.channels;
        match claimed.channel.as_str() {
            "email" => match &channels.mailer {
                Some(mailer) => mailer
                    .send(&claimed.address, &key, message)
                    .await
                    .map_err(|e| Failure::Retry(e.to_string())),
                None => Err(Failure::Retry("no SMTP relay is configured".into())),
            },
            "webhook" => {
                let secret = claimed.webhook_secret.as_deref().unwrap_or_default();
                webhook::send(&channels.outbound, &claimed.address, secret, &key, message)
                    .await
                    .map_err(|e| Failure::Retry(e.to_string()))
            }
            "push" => {
                let Some(vapid) = &channels.vapid else {
                    return Err(Failure::Retry("no VAPID key".into()));
                };
                let target = PushTarget {
                    endpoint: &claimed.address,
                    p256dh: claimed.push_p256dh.as_deref().unwrap_or_default(),
                    auth: claimed.push_auth.as_deref().unwrap_or_default(),
                };
                push::send(
                    &channels.outbound,
                    vapid,
                    &channels.vapid_subject,
                    &target,
                    message,
                )
                .await
                .map_err(|e| match e {
                    push::PushError::Gone(_) => Failure::Gone(e.to_string()),
                    other => Failure::Retry(other.to_string()),
                })
            }
            other => Err(Failure::Retry(format!("unknown channel {other}"))),
        }
    }

    async fn record(
        &self,
        client: &mut deadpool_postgres::Client,
        claimed: &Claimed,
        outcome: Result<(), Failure>,
    ) -> Result<(), tokio_postgres::Error> {
        let channel = claimed.channel.as_str();
        let error = match outcome {
            Ok(()) => {
                DELIVERIES.inc(&[channel, "delivered"]);
                tracing::debug!(delivery = claimed.id, channel = %claimed.channel, "Delivered a message.");
                return claim::delivered(client, claimed.id).await;
            }
            Err(Failure::Gone(error)) => {
                DELIVERIES.inc(&[channel, "gone"]);
                tracing::info!(
                    subscription = claimed.subscription_id,
                    "Deleting a push subscription its service no longer knows."
                );
                client
                    .execute(DELETE_SUBSCRIPTION, &[&claimed.subscription_id])
                    .await?;
                return claim::failed(client, claimed.id, &error).await;
            }
            Err(Failure::Retry(error)) => error,
        };
        if Utc::now() < claimed.give_up_at {
            DELIVERIES.inc(&[channel, "retry"]);
            let delay = claim::backoff(
                claimed.attempts,
                self.settings.retry_initial,
                self.settings.retry_max,
            );
            tracing::debug!(delivery = claimed.id, error = %error, retry_in = ?delay, "Message not delivered; retrying.");
            return claim::retry(client, claimed.id, delay, &error).await;
        }
        DELIVERIES.inc(&[channel, "failed"]);
        tracing::warn!(delivery = claimed.id, channel = %claimed.channel, error = %error, "Giving up a message.");
        claim::failed(client, claimed.id, &error).await?;
        if claimed.channel == "webhook" {
            self.disable_webhook(client, claimed.subscription_id, &error)
                .await?;
        }
        Ok(())
    }

    /// A webhook that failed for the whole retry period is disabled, and
    /// its owner told (by e-mail if they gave one; else the reason stays
    /// recorded on the subscription, for staff).
    async fn disable_webhook(
        &self,
        client: &mut deadpool_postgres::Client,
        subscription_id: i64,
        error: &str,
    ) -> Result<(), tokio_postgres::Error> {
        let tx = client.transaction().await?;
        if tx
            .execute(DISABLE_WEBHOOK, &[&subscription_id, &error])
            .await?
            == 1
        {
            tx.execute(FAIL_PENDING, &[&subscription_id]).await?;
            enqueue(&tx, &OutboxCause::WebhookDisabled { subscription_id }).await?;
            tracing::warn!(
                subscription = subscription_id,
                "Disabled a webhook that kept failing."
            );
        }
        tx.commit().await
    }
}
