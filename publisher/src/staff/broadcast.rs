//! Public notices onto MQTT: `{prefix}live/alert/{id}`, retained, QoS 1, so
//! every publisher instance relays them and a late subscriber still gets
//! the current version of each notice; forecasts likewise on
//! `{prefix}live/forecast/{id}`.
//!
//! The publisher's own MQTT connection for this, separate from the live
//! feed's subscriber. After every (re)connection the latest version of each
//! notice that has not yet expired (and of each forecast not yet over) is
//! announced again, so a notice issued while the broker was away still
//! reaches it: the database is the truth.
//! Every `expiry_check`, a published or updated notice whose `expires` has
//! passed is announced once more as `expired` (signed in that form), so
//! the retained message and late subscribers see it ended.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool_postgres::Pool;
use envmon_core::alert::{NoticeSigner, NoticeStatus, PublicNotice};
use envmon_core::backoff::Backoff;
use envmon_core::forecast::PublicForecast;
use envmon_core::topic::Topics;
use rumqttc::{AsyncClient, Event, EventLoop, Packet, QoS};
use tokio_util::sync::CancellationToken;

/// Publishes waiting for the event loop; notices are rare, a burst of a
/// re-announcement after reconnect is the most there is.
const REQUEST_QUEUE: usize = 64;

/// How long an announcement may wait for room in the queue before it is
/// left to the next re-announcement.
const ENQUEUE_TIMEOUT: Duration = Duration::from_secs(2);

const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(10);

/// How far back expired notices are still announced as such: older ones
/// expired while no publisher ran, and clients see their `expires` passed.
const EXPIRY_LOOKBACK: chrono::Duration = chrono::Duration::days(7);

/// Sends notices to the broker.
#[derive(Debug, Clone)]
pub(crate) struct Broadcaster {
    client: AsyncClient,
    topics: Topics,
}

/// The connection loop behind a [`Broadcaster`].
pub(crate) struct BroadcastLoop {
    eventloop: EventLoop,
    /// The brokers to reconnect to, in turn.
    failover: envmon_core::failover::Failover,
    broadcaster: Broadcaster,
    pool: Pool,
    signer: Arc<NoticeSigner>,
    expiry_check: Duration,
    /// Version ids already announced as expired by this process.
    expired: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for BroadcastLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastLoop").finish_non_exhaustive()
    }
}

impl Broadcaster {
    pub(crate) fn new(
        options: rumqttc::MqttOptions,
        failover: envmon_core::failover::Failover,
        topics: Topics,
        pool: Pool,
        signer: Arc<NoticeSigner>,
        expiry_check: Duration,
    ) -> (Self, BroadcastLoop) {
        let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let broadcaster = Self { client, topics };
        let task = BroadcastLoop {
            eventloop,
            failover,
            broadcaster: broadcaster.clone(),
            pool,
            signer,
            expiry_check,
            expired: Arc::default(),
        };
        (broadcaster, task)
    }

    /// Queues `notice` for the broker; a failure is logged and left to the
    /// re-announcement after the next reconnection.
    pub(crate) async fn announce(&self, notice: &PublicNotice) {
        let payload = match serde_json::to_vec(notice) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(error = %error, "Cannot serialise a notice.");
                return;
            }
        };
        match self
            .publish_retained(self.topics.alert(&notice.id), payload)
            .await
        {
            Ok(()) => {
                tracing::info!(notice = %notice.version_id, status = notice.status.as_str(), "Notice announced.");
            }
            Err(Unqueued::Refused(error)) => {
                tracing::warn!(notice = %notice.version_id, error = %error, "Cannot queue a notice; it is announced again on reconnect.");
            }
            Err(Unqueued::Full) => {
                tracing::warn!(notice = %notice.version_id, "The broker queue is full; the notice is announced again on reconnect.");
            }
        }
    }

    /// Queues `forecast` for the broker on `{prefix}live/forecast/{id}`,
    /// retained, as notices are; a failure is logged and left to the
    /// re-announcement after the next reconnection.
    pub(crate) async fn announce_forecast(&self, forecast: &PublicForecast) {
        let payload = match serde_json::to_vec(forecast) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(error = %error, "Cannot serialise a forecast.");
                return;
            }
        };
        match self
            .publish_retained(self.topics.forecast(&forecast.id), payload)
            .await
        {
            Ok(()) => {
                tracing::info!(forecast = %forecast.version_id, status = forecast.status.as_str(), "Forecast announced.");
            }
            Err(Unqueued::Refused(error)) => {
                tracing::warn!(forecast = %forecast.version_id, error = %error, "Cannot queue a forecast; it is announced again on reconnect.");
            }
            Err(Unqueued::Full) => {
                tracing::warn!(forecast = %forecast.version_id, "The broker queue is full; the forecast is announced again on reconnect.");
            }
        }
    }

    /// Queues a retained QoS 1 message, waiting at most [`ENQUEUE_TIMEOUT`].
    async fn publish_retained(&self, topic: String, payload: Vec<u8>) -> Result<(), Unqueued> {
        let publish = self.client.publish(topic, QoS::AtLeastOnce, true, payload);
        match tokio::time::timeout(ENQUEUE_TIMEOUT, publish).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(Unqueued::Refused(error)),
            Err(_) => Err(Unqueued::Full),
        }
    }
}

/// Why a message was not queued for the broker.
enum Unqueued {
    /// The client refused it (its event loop is gone).
    Refused(rumqttc::ClientError),
    /// The queue stayed full for [`ENQUEUE_TIMEOUT`].
    Full,
}

impl BroadcastLoop {
    /// Keeps the connection until `shutdown`.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        let mut backoff = Backoff::new(Duration::from_millis(100), MAX_RECONNECT_DELAY);
        let mut expiry = tokio::time::interval(self.expiry_check.max(Duration::from_millis(50)));
        expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let event = tokio::select! {
                event = self.eventloop.poll() => event,
                _ = expiry.tick() => {
                    let sweep = ExpirySweep {
                        broadcaster: self.broadcaster.clone(),
                        pool: self.pool.clone(),
                        signer: Arc::clone(&self.signer),
                        expired: Arc::clone(&self.expired),
                    };
                    // Announcing waits on the queue this loop drains: do it aside.
                    tokio::spawn(sweep.run());
                    continue;
                }
                () = shutdown.cancelled() => break,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff.reset();
                    let broadcaster = self.broadcaster.clone();
                    let pool = self.pool.clone();
                    let signer = Arc::clone(&self.signer);
                    // Announcing waits on the queue this loop drains: do it aside.
                    tokio::spawn(async move {
                        reannounce(&broadcaster, &pool, &signer).await;
                        super::forecasts::reannounce(&broadcaster, &pool, &signer).await;
                    });
                }
                Ok(_) => {}
                Err(error) => {
                    self.failover
                        .after_failure(&mut self.eventloop.mqtt_options);
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %error, retry_in = ?delay, "Notice broadcaster lost the broker; reconnecting.");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        let _ = self.broadcaster.client.try_disconnect();
    }
}

async fn reannounce(broadcaster: &Broadcaster, pool: &Pool, signer: &NoticeSigner) {
    match crate::public_notices::current_documents(pool).await {
        Ok(notices) => {
            let now = chrono::Utc::now();
            for notice in notices {
                let notice = crate::public_notices::present(signer, notice, now);
                broadcaster.announce(&notice).await;
            }
        }
        Err(error) => tracing::warn!(error = %error, "Cannot load notices to announce."),
    }
}

/// One pass announcing newly expired notices.
struct ExpirySweep {
    broadcaster: Broadcaster,
    pool: Pool,
    signer: Arc<NoticeSigner>,
    expired: Arc<Mutex<HashSet<String>>>,
}

impl ExpirySweep {
    async fn run(self) {
        let now = chrono::Utc::now();
        let notices = match self.pool.get().await {
            Ok(client) => crate::public_notices::latest_documents(&client, 10_000).await,
            Err(error) => Err(error.into()),
        };
        let notices = match notices {
            Ok(notices) => notices,
            Err(error) => {
                tracing::debug!(error = %error, "Cannot look for expired notices.");
                return;
            }
        };
        for notice in notices {
            let ended = matches!(
                notice.status,
                NoticeStatus::Published | NoticeStatus::Updated
            ) && notice.content.expires <= now
                && notice.content.expires > now - EXPIRY_LOOKBACK;
            if !ended {
                continue;
            }
            let first = self
                .expired
                .lock()
                .map(|mut seen| seen.insert(notice.version_id.clone()))
                .unwrap_or(false);
            if first {
                let notice = crate::public_notices::present(&self.signer, notice, now);
                debug_assert_eq!(notice.status, NoticeStatus::Expired);
                self.broadcaster.announce(&notice).await;
            }
        }
    }
}
