//! The application state every route reaches, and the parts of it the live
//! and staff routes take (`FromRef`), so those modules never name the whole.

use crate::aggregate_versions::AggregateVersions;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::extract::FromRef;
use deadpool_postgres::Pool;
use tokio_util::sync::CancellationToken;

use crate::Settings;
use crate::charts::{Attribution, Charts};
use crate::database_health::DatabaseHealth;
use crate::health::HealthState;
use crate::latest_cache::LatestCache;
use crate::live::{Admission, Hub, LiveState};
use crate::rate_limit::RateLimiter;
use crate::site::Site;
use crate::staff::{SignIn, Staff, StaffState};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) settings: Arc<Settings>,
    pub(crate) pool: Pool,
    pub(crate) live: Arc<Hub>,
    pub(crate) admission: Arc<Admission>,
    pub(crate) rate_limiter: Arc<RateLimiter>,
    pub(crate) latest_cache: Arc<LatestCache>,
    pub(crate) broker_connected: Arc<AtomicBool>,
    /// Whether PostgreSQL answered last time; answers from memory are
    /// marked stale while it does not.
    pub(crate) database: Arc<DatabaseHealth>,
    /// Cancelled on shutdown, so live clients are closed with a reason.
    pub(crate) shutdown: CancellationToken,
    /// Chart font, render cache and attribution.
    pub(crate) charts: Arc<Charts>,
    /// Staff sign-in, notice signing and broadcasting.
    pub(crate) staff: Arc<Staff>,
    /// The public origin (and the console's), from the settings.
    pub(crate) site: Arc<Site>,
    /// Sign-in limits: per address, per name or browser, argon2 in flight.
    pub(crate) sign_in: Arc<SignIn>,
    /// The stored aggregates' versions, as announced by the transactions that change them.
    pub(crate) aggregate_versions: Arc<AggregateVersions>,
    /// Subscriptions' channels and limits; absent where not set up (route
    /// tests), and the subscription routes then answer 503.
    pub(crate) delivery: Option<Arc<crate::delivery::Delivery>>,
}

impl AppState {
    /// The state of a publisher with these parts; the rest (chart cache,
    /// limiters, admission) made from the settings.
    pub(crate) fn new(
        settings: Settings,
        pool: Pool,
        live: Arc<Hub>,
        staff: Staff,
        site: Arc<Site>,
        broker_connected: Arc<AtomicBool>,
    ) -> Self {
        let charts = Arc::new(Charts::new(
            settings.chart_font.as_deref().map(std::path::Path::new),
            settings.chart_cache_entries,
            Attribution {
                zh: settings.attribution_zh.clone(),
                en: settings.attribution_en.clone(),
            },
        ));
        Self {
            charts,
            rate_limiter: RateLimiter::from_settings(&settings),
            latest_cache: Arc::default(),
            admission: Arc::new(Admission::new(
                settings.max_live_clients,
                settings.max_live_clients_per_address,
            )),
            sign_in: Arc::new(SignIn::new(&settings)),
            aggregate_versions: Arc::default(),
            settings: Arc::new(settings),
            pool,
            live,
            broker_connected,
            database: Arc::default(),
            shutdown: CancellationToken::new(),
            staff: Arc::new(staff),
            site,
            delivery: None,
        }
    }
}

impl FromRef<AppState> for LiveState {
    fn from_ref(app: &AppState) -> Self {
        Self {
            settings: Arc::clone(&app.settings),
            live: Arc::clone(&app.live),
            admission: Arc::clone(&app.admission),
            shutdown: app.shutdown.clone(),
        }
    }
}

impl FromRef<AppState> for HealthState {
    fn from_ref(app: &AppState) -> Self {
        Self {
            broker_connected: Arc::clone(&app.broker_connected),
            database: Arc::clone(&app.database),
            pool: app.pool.clone(),
        }
    }
}

impl FromRef<AppState> for StaffState {
    fn from_ref(app: &AppState) -> Self {
        Self {
            settings: Arc::clone(&app.settings),
            pool: app.pool.clone(),
            shutdown: app.shutdown.clone(),
            sign_in: Arc::clone(&app.sign_in),
            site: Arc::clone(&app.site),
            staff: Arc::clone(&app.staff),
        }
    }
}
