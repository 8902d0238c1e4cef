//! The live feed: subscribes to `live/+/+` and folds each committed station
//! state into [`LiveState`].
//!
//! Every (re)subscription is followed by a reload from the database, so
//! whatever was published while this publisher was not subscribed is still
//! seen: the live topics carry news, the database holds the truth.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::Pool;
use envmon_core::backoff::Backoff;
use envmon_core::wire::StationState;
use rumqttc::{AsyncClient, Event, EventLoop, Packet, QoS};
use tokio_util::sync::CancellationToken;

use super::LiveState;
use crate::snapshot::load_states;

/// The longest pause between reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(10);

/// The subscriber that keeps [`LiveState`] current.
pub(crate) struct LiveFeed {
    pub(crate) client: AsyncClient,
    pub(crate) eventloop: EventLoop,
    pub(crate) subscription: String,
    pub(crate) state: Arc<LiveState>,
    pub(crate) pool: Pool,
    /// Subscribed to the live topics and reloaded (for `/readyz`).
    pub(crate) connected: Arc<AtomicBool>,
}

impl std::fmt::Debug for LiveFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveFeed")
            .field("subscription", &self.subscription)
            .finish_non_exhaustive()
    }
}

impl LiveFeed {
    /// Follows the live topics until `shutdown`.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        let mut backoff = Backoff::new(Duration::from_millis(100), MAX_RECONNECT_DELAY);
        loop {
            let event = tokio::select! {
                event = self.eventloop.poll() => event,
                () = shutdown.cancelled() => break,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    backoff.reset();
                    tracing::info!("Live feed connected to the broker.");
                    if let Err(error) = self
                        .client
                        .try_subscribe(&self.subscription, QoS::AtMostOnce)
                    {
                        tracing::error!(error = %error, "Cannot queue the live subscription.");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    reload(&self.pool, &self.state).await;
                    self.connected.store(true, Ordering::Release);
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => {
                    match serde_json::from_slice::<StationState>(&publish.payload) {
                        Ok(state) => self.state.apply(state),
                        Err(error) => {
                            tracing::debug!(topic = %publish.topic, error = %error, "Ignoring malformed live message.");
                        }
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    self.connected.store(false, Ordering::Release);
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %error, retry_in = ?delay, "Live feed lost the broker; reconnecting.");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        let _ = self.client.try_disconnect();
    }
}

/// Folds the database's latest state into the live state. A failure is
/// logged and left: the live topics still flow, and the next reconnect
/// reloads again.
async fn reload(pool: &Pool, state: &LiveState) {
    match load_states(pool).await {
        Ok(states) => state.apply_snapshot(states),
        Err(error) => tracing::warn!(error = %error, "Cannot reload live state from the database."),
    }
}
