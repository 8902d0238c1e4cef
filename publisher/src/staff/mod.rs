//! Staff: sign-in, roles, the notice workflow, alarms and the audit log.
//!
//! Everything under `/api/v1/staff/` needs a session cookie or an API
//! token ([`users::StaffUser`] is the extractor that checks it, and the
//! Origin of state-changing requests); every action is appended to the
//! hash-chained audit log in the same transaction as the action.
//!
//! # Layout
//!
//! - `session`, `tokens`, `password`: who is asking.
//! - `login`, with `throttle` and `gate`: sign-in that holds under attack.
//! - `auth` and `api_tokens`: sign-out, accounts, API tokens, the audit list.
//! - `notices` and `notice_store`: drafts, approval, updates, cancellation.
//! - `forecasts` and `forecast_store`: the same workflow for air-quality forecasts.
//! - `alarms` and `live`: alarms from ingest, and their live channel.
//! - `broadcast`: issued notices onto MQTT.
//! - `console`: the staff page at `/staff/`.
//! - `keys`: the signing key file.
//! - [`audit`]: appending to and verifying the chain.
//! - `anchor`: the chain's head, signed and published.

mod alarms;
mod anchor;
mod api_tokens;
pub mod audit;
mod auth;
mod body;
mod broadcast;
mod console;
mod delivery;
mod forecast_store;
pub(crate) mod forecasts;
mod gate;
pub mod keys;
mod lab;
mod live;
mod login;
mod notice_store;
mod notices;
pub mod password;
mod session;
mod throttle;
mod tokens;
pub mod users;

use std::sync::Arc;

use axum::Router;
use deadpool_postgres::Pool;
use envmon_core::alert::cap::CapSender;
use envmon_core::alert::{NoticeSigner, TrustedKeys};
use tokio_util::sync::CancellationToken;

pub use crate::settings::StaffSettings;
pub(crate) use anchor::AuditAnchor;
pub use audit::{AuditError, verify_audit, verify_audit_against};
pub use users::{Role, UserError, add_user, disable_user, enable_user};

pub(crate) use login::SignIn;

pub(crate) use broadcast::{BroadcastLoop, Broadcaster};

/// What the staff handlers reach: a part of the application state, so the
/// staff routes depend on nothing of the public ones.
#[derive(Debug, Clone)]
pub(crate) struct StaffState {
    pub(crate) settings: Arc<crate::Settings>,
    pub(crate) pool: Pool,
    /// Cancelled on shutdown, so the alarm channel ends with the server.
    pub(crate) shutdown: CancellationToken,
    /// Sign-in limits: per address, per name or browser, argon2 in flight.
    pub(crate) sign_in: Arc<SignIn>,
    /// The public origin (and the console's), from the settings.
    pub(crate) site: Arc<crate::site::Site>,
    pub(crate) staff: Arc<Staff>,
}

/// What the staff routes share: the signer, the keys trusted for notices
/// and the MQTT broadcaster.
#[derive(Debug)]
pub(crate) struct Staff {
    pub(crate) signer: std::sync::Arc<NoticeSigner>,
    /// The signer's own key (always) and `trusted_keys` (each in its period).
    pub(crate) trusted: std::sync::Arc<TrustedKeys>,
    /// The audit chain's latest signed head.
    pub(crate) anchor: std::sync::Arc<AuditAnchor>,
    pub(crate) broadcaster: Broadcaster,
    pub(crate) sender: CapSender,
    /// `public_url` without a trailing slash.
    pub(crate) base_url: String,
}

impl Staff {
    /// The CAP document URL of a version.
    pub(crate) fn cap_url(&self, version_id: &str) -> String {
        format!("{}/api/v1/alerts/{version_id}.cap", self.base_url)
    }
}

/// Everything under `/api/v1/staff/` and the console page.
pub(crate) fn router() -> Router<StaffState> {
    Router::new()
        .merge(auth::router())
        .merge(notices::router())
        .merge(forecasts::router())
        .merge(alarms::router())
        .merge(lab::router())
        .merge(live::router())
        .merge(delivery::router())
        // Staff data must not linger in browser or proxy caches.
        .layer(axum::middleware::map_response(no_store))
        .merge(console::router())
}

async fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
