//! envmon publisher: pushes every station's committed state to browsers over
//! WebSocket, serves the open-data API and the public dashboard.
//!
//! # Layout
//!
//! - `live`: the state of every station, the active alert notices and the
//!   current forecasts, fed from the live topics (with a database reload
//!   after every subscription), numbered into one stream for WebSocket and
//!   SSE clients;
//!   its routes `/api/v1/live` and `/api/v1/live/sse`.
//! - `http`: the public routes: stations, latest state, parameters, alerts,
//!   forecasts, health, dashboard, charts and embeds.
//! - [`staff`]: staff sign-in, alarms, the alert notice and forecast
//!   workflows (signed, announced on MQTT) and the audit log; the routes under
//!   `/api/v1/staff/` and the console.
//! - `app`: merges the three route sets under the shared layers; `state`
//!   holds what handlers reach (and the parts `live` and `staff` take).
//! - Below them, shared by the route modules and importing none of them:
//!   `error` (the API error), `client_address`, `public_url`, `site`,
//!   `security_headers`, `cors`, `rate_limit`, `latest_cache`,
//!   `public_notices` (issued notices as the public sees them),
//!   `public_forecasts` (issued forecasts and their scores), `charts`,
//!   `snapshot` (the committed latest state, read from PostgreSQL).
//! - [`metrics`]: the Prometheus metrics.
//! - [`settings`].

mod aggregate_versions;
mod app;
mod charts;
mod client_address;
mod client_ids;
mod cors;
mod database_health;
mod delivery;
mod error;
mod health;
mod http;
mod latest_cache;
mod live;
pub mod metrics;
mod public_forecasts;
mod public_notices;
mod public_url;
mod rate_limit;
#[cfg(test)]
mod route_tests;
mod security_headers;
pub mod settings;
mod site;
mod snapshot;
pub mod staff;
mod state;
mod supervisor;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::extract::FromRef;
use axum::serve::ListenerExt;
use envmon_core::db::DbError;
use envmon_core::topic::InvalidPrefix;
use rumqttc::AsyncClient;
use tokio::net::TcpListener;

pub use delivery::{DeliveryError, VapidError};
pub use settings::Settings;
pub use supervisor::TaskError;

/// Chart drawing over made-up data, without a database: for
/// `envmon-bench charts`, not for serving.
#[doc(hidden)]
pub mod chart_bench {
    pub use crate::charts::sample::{SampleChart, SampleRenderer};
}

use crate::health::HealthState;
use crate::live::{Hub, LiveFeed, NoticeTrust};
use crate::site::Site;
use crate::state::AppState;
use crate::supervisor::Supervisor;

/// MQTT requests (subscribe, disconnect) waiting for the live feed loop;
/// the feed only ever queues a handful.
const MQTT_REQUEST_QUEUE: usize = 16;

/// Why the publisher could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum PublisherError {
    /// The database could not be prepared.
    #[error("cannot prepare the database")]
    Database(#[from] DbError),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The topic prefix is malformed.
    #[error(transparent)]
    Topic(#[from] InvalidPrefix),
    /// The broker's TLS settings cannot be used.
    #[error("cannot set up TLS to the broker")]
    BrokerTls(#[from] envmon_core::tls::TlsError),
    /// The notice signing key cannot be used.
    #[error(transparent)]
    SigningKey(#[from] staff::keys::KeyError),
    /// A staff setting is invalid.
    #[error("invalid [publisher.staff] setting: {0}")]
    StaffSettings(String),
    /// The settings would build links from requests or mix the public site
    /// with the staff console.
    #[error("{0}")]
    Site(String),
    /// The demo's forecasts could not be issued.
    #[error("cannot issue the demo forecasts: {0}")]
    DemoForecasts(String),
    /// Subscriptions' delivery cannot be set up.
    #[error(transparent)]
    Delivery(#[from] delivery::DeliveryError),
    /// A task failed, panicked or ended while the publisher ran.
    #[error(transparent)]
    Task(#[from] TaskError),
}

impl From<deadpool_postgres::PoolError> for PublisherError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(DbError::from(error))
    }
}

/// A built publisher, ready to run.
#[derive(Debug)]
pub struct Publisher {
    listener: TcpListener,
    addr: SocketAddr,
    /// The internal `/healthz` and `/readyz` listener, when configured.
    health: Option<(TcpListener, SocketAddr)>,
    state: AppState,
    feed: LiveFeed,
    broadcast: staff::BroadcastLoop,
}

impl Publisher {
    /// Migrates the database, loads the current state, binds the listener
    /// and prepares the live feed (which connects on `run`).
    ///
    /// # Errors
    /// Fails when the database cannot be reached or migrated, the listener
    /// cannot be bound, or the topic prefix is malformed.
    pub async fn build(settings: Settings) -> Result<Self, PublisherError> {
        Site::check(&settings).map_err(PublisherError::Site)?;
        let topics = settings.broker.topics()?;
        let pool = settings.database.pool()?;
        metrics::watch_pool(&pool);
        {
            let mut client = pool.get().await?;
            envmon_core::db::migrate(&mut client).await?;
        }
        let live = Arc::new(Hub::new(settings.live_replay_events));
        {
            let client = pool.get().await?;
            live.set_registry(&envmon_core::registry::load_stations(&**client).await?);
        }
        live.apply_reload(snapshot::load_states(&pool).await?);

        let (listener, addr) = bind(settings.listen).await?;
        let health = match settings.health_listen {
            Some(at) => Some(bind(at).await?),
            None => None,
        };

        // Publishers hold no session state worth keeping: a clean session
        // with a unique id, and the database fills any gap on reconnect.
        let (client_id, notices_client_id) =
            client_ids::client_ids(settings.broker_client_id.as_deref());
        let mut options = settings.broker.mqtt_options(&client_id)?;
        options.set_clean_session(true);
        let (client, eventloop) = AsyncClient::new(options, MQTT_REQUEST_QUEUE);
        let broker_connected = Arc::new(AtomicBool::new(false));
        let site = Arc::new(Site::resolve(&settings, addr));
        let (staff, broadcast) =
            build_staff(&settings, &topics, pool.clone(), &notices_client_id, &site)?;
        let trust = NoticeTrust {
            keys: Arc::clone(&staff.trusted),
            signer: Arc::clone(&staff.signer),
        };
        live::reload_notices(&pool, &live, &trust).await;
        live::reload_forecasts(&pool, &live, &trust).await;
        staff.anchor.refresh(&pool, &staff.signer).await;
        live.flush();
        let feed = LiveFeed {
            client,
            eventloop,
            failover: envmon_core::failover::Failover::new(&settings.broker),
            topics,
            hub: Arc::clone(&live),
            pool: pool.clone(),
            connected: Arc::clone(&broker_connected),
            trust,
        };
        let delivery = Arc::new(delivery::Delivery::build(
            &settings.delivery,
            settings.trusted_proxies.clone(),
        )?);
        let mut state = AppState::new(settings, pool, live, staff, site, broker_connected);
        state.delivery = Some(delivery);
        Ok(Self {
            listener,
            addr,
            health,
            state,
            feed,
            broadcast,
        })
    }

    /// For `envmon demo`: a published three-day forecast of the city and two
    /// weeks of past forecasts to score, issued by two demo accounts that
    /// cannot sign in; what is there already is left as it is.
    ///
    /// # Errors
    /// Fails when the database refuses them.
    pub async fn issue_demo_forecasts(&self) -> Result<(), PublisherError> {
        staff::forecasts::demo::seed(&self.state.pool, &self.state.staff.signer)
            .await
            .map_err(|e| PublisherError::DemoForecasts(e.to_string()))
    }

    /// The bound public address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bound internal health address, when `health_listen` is set.
    pub fn health_addr(&self) -> Option<SocketAddr> {
        self.health.as_ref().map(|(_, addr)| *addr)
    }

    /// Serves until `shutdown` completes; then closes live clients with a
    /// going-away reason and lets in-flight requests finish.
    ///
    /// Every task (live feed, notice broadcaster, audit anchor, HTTP server)
    /// runs under one supervisor: if one fails or ends on its own, the
    /// others are stopped and the error names it.
    ///
    /// # Errors
    /// Fails when a task fails, panics or ends before `shutdown`.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), PublisherError> {
        let stop = self.state.shutdown.clone();
        let mut tasks = Supervisor::new(stop.clone());
        tasks.spawn("shutdown signal", {
            let stop = stop.clone();
            async move {
                tokio::select! {
                    () = shutdown => {
                        tracing::info!("Publisher draining.");
                        stop.cancel();
                    }
                    () = stop.cancelled() => {}
                }
                Ok(())
            }
        });
        tasks.spawn("live feed", {
            let (feed, stop) = (self.feed, stop.clone());
            async move {
                feed.run(stop).await;
                Ok(())
            }
        });
        tasks.spawn("notice broadcaster", {
            let (broadcast, stop) = (self.broadcast, stop.clone());
            async move {
                broadcast.run(stop).await;
                Ok(())
            }
        });
        tasks.spawn("audit anchor", {
            let anchor = Arc::clone(&self.state.staff.anchor).run(
                self.state.pool.clone(),
                Arc::clone(&self.state.staff.signer),
                self.state.settings.staff.audit_head_interval,
                stop.clone(),
            );
            async move {
                anchor.await;
                Ok(())
            }
        });
        tasks.spawn("aggregate change listener", {
            let versions = Arc::clone(&self.state.aggregate_versions);
            let database = self.state.settings.database.clone();
            let stop = stop.clone();
            async move {
                versions.listen(&database, stop).await;
                Ok(())
            }
        });
        tasks.spawn("database probe", {
            let probe = Arc::clone(&self.state.database).run(self.state.pool.clone(), stop.clone());
            async move {
                probe.await;
                Ok(())
            }
        });
        if let Some(delivery) = &self.state.delivery
            && delivery.settings.worker
        {
            let worker = delivery::DeliveryWorker {
                // Its own two connections: a burst of deliveries never takes
                // one the public site needs.
                pool: envmon_core::db::DatabaseSettings {
                    max_connections: 2,
                    ..self.state.settings.database.clone()
                }
                .pool()?,
                settings: delivery.settings.clone(),
                base_url: self.state.site.base(),
                channels: delivery.channels.clone(),
            };
            let stop = stop.clone();
            tasks.spawn("delivery worker", async move {
                worker.run(stop).await;
                Ok(())
            });
        }
        if let Some((listener, _)) = self.health {
            let health = health::router().with_state(HealthState::from_ref(&self.state));
            let stop = stop.clone();
            tasks.spawn("health server", async move {
                axum::serve(listener, health)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await
                    .map_err(Into::into)
            });
        }
        let send_buffer = self.state.settings.socket_send_buffer_bytes;
        let app = app::app(self.state).into_make_service_with_connect_info::<SocketAddr>();
        let listener = self
            .listener
            .tap_io(move |tcp| tune_socket(tcp, send_buffer));
        tasks.spawn("HTTP server", async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await
                .map_err(Into::into)
        });
        tasks.wait().await?;
        tracing::info!("Publisher stopped.");
        Ok(())
    }
}

/// Binds `addr` and reads back the address got (port 0 picks one).
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), PublisherError> {
    let failed = |source| PublisherError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

/// Small writes (live frames) leave at once, and the send buffer is sized
/// as configured (0 keeps the system's).
fn tune_socket(tcp: &mut tokio::net::TcpStream, send_buffer: usize) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(error = %error, "Cannot set TCP_NODELAY.");
    }
    if send_buffer > 0
        && let Err(error) = socket2::SockRef::from(&*tcp).set_send_buffer_size(send_buffer)
    {
        tracing::debug!(error = %error, "Cannot size the socket send buffer.");
    }
}

/// The staff context: signing key, CAP sender, and the MQTT connection
/// that announces notices (its own client id beside the live feed's).
fn build_staff(
    settings: &Settings,
    topics: &envmon_core::topic::Topics,
    pool: deadpool_postgres::Pool,
    client_id: &str,
    site: &Site,
) -> Result<(staff::Staff, staff::BroadcastLoop), PublisherError> {
    let staff_settings = &settings.staff;
    if !envmon_core::alert::cap::is_cap_token(&staff_settings.cap_sender) {
        return Err(PublisherError::StaffSettings(
            "cap_sender must not contain spaces, commas, '<' or '&'".into(),
        ));
    }
    let signer = Arc::new(staff::keys::load_or_create(
        &staff_settings.signing_key_file,
    )?);
    let mut options = settings.broker.mqtt_options(client_id)?;
    options.set_clean_session(true);
    let (broadcaster, task) = staff::Broadcaster::new(
        options,
        envmon_core::failover::Failover::new(&settings.broker),
        topics.clone(),
        pool,
        Arc::clone(&signer),
        staff_settings.expiry_check,
    );
    // The own key always; others as listed, each within its period.
    let trusted = Arc::new(envmon_core::alert::TrustedKeys::new(
        std::iter::once(envmon_core::alert::TrustedKey::always(signer.public_key()))
            .chain(staff_settings.trusted_keys.iter().cloned()),
    ));
    let staff = staff::Staff {
        signer,
        trusted,
        anchor: Arc::default(),
        broadcaster,
        sender: envmon_core::alert::cap::CapSender {
            sender: staff_settings.cap_sender.clone(),
            name_zh: staff_settings.sender_name_zh.clone(),
            name_en: staff_settings.sender_name_en.clone(),
        },
        base_url: site.base(),
    };
    // Every notice links its CAP document under this URL: refuse to start
    // rather than issue a notice whose link a page must not follow.
    if !envmon_core::alert::link::is_safe_link(&staff.cap_url("AN-0000-00000.v1")) {
        return Err(PublisherError::StaffSettings(
            "public_url must be an http(s) URL: notices link their CAP documents under it".into(),
        ));
    }
    Ok((staff, task))
}

/// Aborts a task when its owner is dropped mid-way: a live client's reader
/// when its session ends.
pub(crate) struct AbortOnDrop(pub(crate) tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
