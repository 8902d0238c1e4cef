//! The live watcher: a subscriber to ingest's live topics, which tells the
//! [`Ledger`] what each update confirms as committed.
//!
//! Ingest publishes a station's state on `live/{kind}/{station}` after each
//! commit that touched it (and again when the rollup changes its indices);
//! `updated_at` is the newest observation committed for that station. The
//! instant an update arrives here ends the latency of every message of that
//! station it confirms for the first time.
//!
//! Like the generator, it runs on a thread of its own, so a busy ingest
//! runtime does not delay the moment an update is seen.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use envmon_core::broker::BrokerSettings;
use rumqttc::{AsyncClient, Event, Packet, QoS};
use serde::Deserialize;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::ledger::{Ledger, lock};
use super::load::spawn_on_own_thread;

/// The name of the watcher's thread in `/proc/self/task/*/comm`.
pub(super) const WATCH_THREAD: &str = "bench-watch";

/// How long to wait for the broker to confirm the subscription.
const SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The two fields of a live update the bench needs.
#[derive(Debug, Deserialize)]
struct LiveHead {
    station: String,
    updated_at: DateTime<Utc>,
}

/// The running watcher; stops when dropped.
#[derive(Debug)]
pub(super) struct LiveWatcher {
    stop: CancellationToken,
    _thread: JoinHandle<()>,
}

impl LiveWatcher {
    /// Subscribes to `filter` and returns once the broker confirmed it.
    pub(super) async fn start(
        broker: &BrokerSettings,
        client_id: &str,
        filter: String,
        ledger: Arc<Mutex<Ledger>>,
    ) -> anyhow::Result<Self> {
        let mut options = broker.mqtt_options(client_id)?;
        options.set_clean_session(true);
        let (ready, subscribed) = oneshot::channel();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let thread = spawn_on_own_thread(WATCH_THREAD, move || {
            watch(options, filter, ledger, ready, stopped)
        })?;
        tokio::time::timeout(SUBSCRIBE_TIMEOUT, subscribed)
            .await
            .context("the broker did not confirm the live subscription in time")?
            .context("the live watcher stopped before subscribing")?;
        Ok(Self {
            stop,
            _thread: thread,
        })
    }
}

impl Drop for LiveWatcher {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn watch(
    options: rumqttc::MqttOptions,
    filter: String,
    ledger: Arc<Mutex<Ledger>>,
    ready: oneshot::Sender<()>,
    stop: CancellationToken,
) {
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let mut ready = Some(ready);
    loop {
        let event = tokio::select! {
            event = eventloop.poll() => event,
            () = stop.cancelled() => break,
        };
        match event {
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                let at = Instant::now();
                match serde_json::from_slice::<LiveHead>(&publish.payload) {
                    Ok(head) => lock(&ledger).confirm(&head.station, head.updated_at, at),
                    Err(error) => {
                        tracing::warn!(topic = %publish.topic, error = %error, "Bench cannot read a live update.");
                    }
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                if let Err(error) = client.try_subscribe(filter.as_str(), QoS::AtLeastOnce) {
                    tracing::error!(error = %error, "Bench cannot subscribe to the live topics.");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(());
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = %error, "Bench live watcher lost the broker; reconnecting.");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let _ = client.try_disconnect();
}
