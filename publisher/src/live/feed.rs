//! The live feed: subscribes to the live topics and folds what arrives into
//! the [`Hub`]: station states from `live/{kind}/{station}` and public alert
//! notices from `live/alert/{id}` (retained, so every (re)subscription
//! brings the current ones again). A notice is relayed only when its
//! signature verifies against a key trusted now ([`Notice::verified`]);
//! whatever else arrives there is counted and dropped.
//!
//! Every (re)subscription is followed by a reload from the database, of
//! station states and of the notices this publisher issued, so whatever
//! was published while this publisher was not subscribed is still seen: the
//! live topics carry news, the database holds the truth.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::Utc;
use deadpool_postgres::Pool;
use envmon_core::StationKind;
use envmon_core::alert::{NoticeSigner, TrustedKeys};
use envmon_core::backoff::Backoff;
use envmon_core::registry::load_stations;
use envmon_core::topic::{LiveTopic, Topics};
use envmon_core::wire::{AreaState, StationState};
use rumqttc::{AsyncClient, Event, EventLoop, Packet, Publish, QoS, SubscribeFilter};
use tokio_util::sync::CancellationToken;

use super::Hub;
use super::forecast::Forecast;
use super::notice::Notice;
use crate::snapshot::load_states;

/// The longest pause between reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(10);

/// How long news may wait for the rest of its burst before it goes out.
/// Ingest publishes the states of a committed batch one after another, and
/// they reach this feed over a few reads; handed to clients together they
/// cost each client one wake-up and one write instead of one per read.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// The subscriber that keeps the [`Hub`] current.
pub(crate) struct LiveFeed {
    pub(crate) client: AsyncClient,
    pub(crate) eventloop: EventLoop,
    /// The brokers to reconnect to, in turn.
    pub(crate) failover: envmon_core::failover::Failover,
    pub(crate) topics: Topics,
    pub(crate) hub: Arc<Hub>,
    pub(crate) pool: Pool,
    /// Subscribed to the live topics and reloaded (for `/readyz`).
    pub(crate) connected: Arc<AtomicBool>,
    /// Notices: the keys they must be signed with, and the signer of the
    /// ones read from the database.
    pub(crate) trust: NoticeTrust,
}

/// What the feed checks notices with.
#[derive(Debug, Clone)]
pub(crate) struct NoticeTrust {
    /// Keys trusted for notices from the broker.
    pub(crate) keys: Arc<TrustedKeys>,
    /// This publisher's key, which signs what the database holds as shown.
    pub(crate) signer: Arc<NoticeSigner>,
}

impl std::fmt::Debug for LiveFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveFeed")
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

impl LiveFeed {
    /// The filters: station states at QoS 0 (each carries the whole state,
    /// so a lost one is made good by the next; areas likewise), notices at QoS 1 as they are
    /// published. One filter per kind rather than `live/+/+`, so no message
    /// matches two filters (Mosquitto would deliver it twice).
    fn subscriptions(&self) -> Vec<SubscribeFilter> {
        StationKind::ALL
            .into_iter()
            .map(|kind| {
                SubscribeFilter::new(self.topics.live_kind_subscription(kind), QoS::AtMostOnce)
            })
            .chain([
                SubscribeFilter::new(self.topics.area_subscription(), QoS::AtMostOnce),
                SubscribeFilter::new(self.topics.alert_subscription(), QoS::AtLeastOnce),
                SubscribeFilter::new(self.topics.forecast_subscription(), QoS::AtLeastOnce),
            ])
            .collect()
    }

    /// Follows the live topics until `shutdown`.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) {
        let mut backoff = Backoff::new(Duration::from_millis(100), MAX_RECONNECT_DELAY);
        // When the news waiting in the hub goes out, if any waits.
        let mut flush_at: Option<tokio::time::Instant> = None;
        loop {
            let event = tokio::select! {
                event = self.eventloop.poll() => event,
                () = sleep_until(flush_at) => {
                    self.hub.flush();
                    flush_at = None;
                    continue;
                }
                () = shutdown.cancelled() => break,
            };
            match event {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    // The backoff is reset only once subscribed: a broker that accepts the
                    // connection but closes it at the subscription (no permission) would
                    // otherwise be retried ten times a second.
                    tracing::info!("Live feed connected to the broker.");
                    if let Err(error) = self.client.try_subscribe_many(self.subscriptions()) {
                        tracing::error!(error = %error, "Cannot queue the live subscription.");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    backoff.reset();
                    reload(&self.pool, &self.hub).await;
                    reload_notices(&self.pool, &self.hub, &self.trust).await;
                    reload_forecasts(&self.pool, &self.hub, &self.trust).await;
                    self.connected.store(true, Ordering::Release);
                    crate::metrics::BROKER_CONNECTED.set(1);
                }
                Ok(Event::Incoming(Packet::Publish(publish))) => self.take(&publish),
                Ok(_) => {}
                Err(error) => {
                    self.hub.flush();
                    flush_at = None;
                    self.connected.store(false, Ordering::Release);
                    crate::metrics::BROKER_CONNECTED.set(0);
                    self.failover
                        .after_failure(&mut self.eventloop.mqtt_options);
                    let delay = backoff.next_delay();
                    tracing::warn!(error = %error, retry_in = ?delay, "Live feed lost the broker; reconnecting.");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => break,
                    }
                }
            }
            if flush_at.is_none() && self.hub.has_unsent() {
                flush_at = Some(tokio::time::Instant::now() + BATCH_WINDOW);
            }
        }
        self.hub.flush();
        let _ = self.client.try_disconnect();
    }

    /// Folds one live message into the hub; a malformed or unverified one
    /// is counted, logged and dropped, never fatal.
    fn take(&self, publish: &Publish) {
        let topic = publish.topic.as_str();
        match self.topics.parse_live(topic) {
            Ok(LiveTopic::Alert(id)) => {
                match Notice::verified(id, &publish.payload, &self.trust.keys, Utc::now()) {
                    Ok(notice) => {
                        if self.hub.apply_notice(notice) {
                            crate::metrics::ALERT_NOTICES.inc();
                        } else {
                            crate::metrics::ALERT_NOTICES_REFUSED.inc(&["not_newer"]);
                        }
                    }
                    Err(error) => {
                        crate::metrics::ALERT_NOTICES_REFUSED.inc(&[error.reason()]);
                        if refusal_log_due() {
                            tracing::warn!(topic, error = %error, "Refusing a message on an alert topic (further refusals within 10 s are logged at debug; all are counted).");
                        } else {
                            tracing::debug!(topic, error = %error, "Refusing a message on an alert topic.");
                        }
                    }
                }
            }
            Ok(LiveTopic::Forecast(id)) => self.take_forecast(id, &publish.payload),
            Ok(LiveTopic::State { .. }) => {
                match serde_json::from_slice::<StationState>(&publish.payload) {
                    Ok(mut state) => {
                        // Clients are not told when ingest committed.
                        if let Some(committed_at) = state.committed_at.take() {
                            crate::metrics::state_relayed(committed_at);
                        }
                        crate::metrics::state_seen(state.kind, state.updated_at);
                        self.hub.apply_update(state);
                    }
                    Err(error) => {
                        tracing::debug!(topic, error = %error, "Ignoring malformed live message.");
                    }
                }
            }
            Ok(LiveTopic::Area(id)) => {
                match serde_json::from_slice::<AreaState>(&publish.payload) {
                    Ok(state) if state.area == id => self.hub.apply_area(state),
                    Ok(state) => {
                        tracing::debug!(topic, area = %state.area, "Ignoring an area state on another area's topic.");
                    }
                    Err(error) => {
                        tracing::debug!(topic, error = %error, "Ignoring malformed area state.");
                    }
                }
            }
            Err(error) => {
                tracing::debug!(topic, error = %error, "Ignoring a message on a malformed live topic.");
            }
        }
    }
}

impl LiveFeed {
    /// Folds one forecast message into the hub when it verifies; counted,
    /// logged and dropped otherwise, never fatal.
    fn take_forecast(&self, id: &str, payload: &[u8]) {
        match Forecast::verified(id, payload, &self.trust.keys, Utc::now()) {
            Ok(forecast) => {
                if !self.hub.apply_forecast(forecast) {
                    crate::metrics::FORECASTS_REFUSED.inc(&["not_newer"]);
                }
            }
            Err(error) => {
                crate::metrics::FORECASTS_REFUSED.inc(&[error.reason()]);
                if refusal_log_due() {
                    tracing::warn!(forecast = id, error = %error, "Refusing a message on a forecast topic (further refusals within 10 s are logged at debug; all are counted).");
                } else {
                    tracing::debug!(forecast = id, error = %error, "Refusing a message on a forecast topic.");
                }
            }
        }
    }
}

/// Folds the forecasts this publisher issued into the hub, from the
/// database. A failure is logged and left: the next reconnect reloads again.
pub(crate) async fn reload_forecasts(pool: &Pool, hub: &Hub, trust: &NoticeTrust) {
    match crate::public_forecasts::latest(pool, &trust.signer).await {
        Ok(forecasts) => {
            hub.reload_forecasts(forecasts.into_iter().filter_map(Forecast::issued).collect())
        }
        Err(error) => tracing::warn!(error = %error, "Cannot reload forecasts from the database."),
    }
}

/// Whether a refused notice may be logged as a warning now: at most one
/// each 10 seconds, so a stranger flooding the alert topics cannot flood
/// the logs (the refusal counter has every one).
fn refusal_log_due() -> bool {
    use std::sync::atomic::AtomicI64;
    static LAST_WARNED: AtomicI64 = AtomicI64::new(i64::MIN);
    let now = Utc::now().timestamp();
    let last = LAST_WARNED.load(Ordering::Relaxed);
    now.saturating_sub(last) >= 10
        && LAST_WARNED
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

/// Waits until `at`, or forever without one.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Folds the registry and the database's latest state into the hub. A
/// failure is logged and left: the live topics still flow, and the next
/// reconnect reloads again.
async fn reload(pool: &Pool, hub: &Hub) {
    match pool.get().await {
        Ok(client) => match load_stations(&**client).await {
            Ok(stations) => hub.set_registry(&stations),
            Err(error) => tracing::warn!(error = %error, "Cannot reload the station registry."),
        },
        Err(error) => tracing::warn!(error = %error, "Cannot reach the database to reload."),
    }
    match load_states(pool).await {
        Ok(states) => {
            for state in &states {
                crate::metrics::state_seen(state.kind, state.updated_at);
            }
            hub.apply_reload(states);
        }
        Err(error) => tracing::warn!(error = %error, "Cannot reload live state from the database."),
    }
    match crate::snapshot::load_area_states(pool).await {
        Ok(states) => states.into_iter().for_each(|state| hub.apply_area(state)),
        Err(error) => {
            tracing::warn!(error = %error, "Cannot reload the areas' AQI from the database.")
        }
    }
}

/// Folds the notices this publisher issued into the hub, from the
/// database, as the public sees them now. A failure is logged and left:
/// the next reconnect reloads again.
pub(crate) async fn reload_notices(pool: &Pool, hub: &Hub, trust: &NoticeTrust) {
    match crate::public_notices::every_notice(pool, &trust.signer, Utc::now()).await {
        Ok(notices) => hub.reload_notices(notices.iter().filter_map(Notice::issued).collect()),
        Err(error) => tracing::warn!(error = %error, "Cannot reload notices from the database."),
    }
}
