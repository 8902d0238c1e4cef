//! Who the listener lets in: every packet's MN must name a registered
//! station, the logger must connect from that station's networks (when it
//! has any), and the PW must be its secret (see `decode::hj212::auth`).
//!
//! The gate keeps a station directory of its own, shared by every
//! connection: reloaded when a packet would be refused (at most every
//! [`RELOAD_INTERVAL`]) and at least every
//! [`REFRESH_INTERVAL`](crate::stations::REFRESH_INTERVAL), so a new
//! station, secret or network takes effect without a restart.

use std::net::IpAddr;
use std::sync::RwLock;
use std::time::Instant;

use envmon_core::StationCode;
use envmon_core::db::{DatabaseSettings, DbError};

use crate::decode::StationLookup;
use crate::decode::hj212::{Hj212Error, Packet, authenticate};
use crate::stations::{RELOAD_INTERVAL, Registry, StationDirectory};

/// The listener's directory and how it is reloaded.
#[derive(Debug)]
pub(crate) struct LoggerGate {
    directory: RwLock<StationDirectory>,
    reload: tokio::sync::Mutex<Reload>,
    database: DatabaseSettings,
}

/// The reloading session, opened when needed.
#[derive(Debug, Default)]
struct Reload {
    session: Option<tokio_postgres::Client>,
    tried: Option<Instant>,
}

impl LoggerGate {
    /// A gate over `directory`, reloading from `database`.
    pub(crate) fn new(database: DatabaseSettings, directory: StationDirectory) -> Self {
        Self {
            directory: RwLock::new(directory),
            reload: tokio::sync::Mutex::new(Reload::default()),
            database,
        }
    }

    /// The station whose logger sent `packet` from `peer`, if it is let in.
    ///
    /// # Errors
    /// `hj212_unknown_mn`, or [`Hj212Error::Refused`] with the reason.
    pub(crate) async fn admit(
        &self,
        packet: &Packet,
        peer: IpAddr,
    ) -> Result<StationCode, Hj212Error> {
        let due = self
            .directory
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_due_refresh(Instant::now());
        if due {
            // Never held up by a reload in progress: the directory in hand
            // serves meanwhile.
            if let Ok(reload) = self.reload.try_lock() {
                self.reload(reload).await;
            }
        }
        match self.check(packet, peer) {
            // A station, secret or network may have been registered since
            // the last load; refusals reload at most every RELOAD_INTERVAL.
            Err(_) => {
                self.reload(self.reload.lock().await).await;
                self.check(packet, peer)
            }
            admitted => admitted,
        }
    }

    fn check(&self, packet: &Packet, peer: IpAddr) -> Result<StationCode, Hj212Error> {
        let directory = self.directory.read().unwrap_or_else(|e| e.into_inner());
        let station = directory
            .station_for_mn(&packet.mn)
            .ok_or_else(|| Hj212Error::UnknownMn(packet.mn.clone()))?;
        authenticate(
            directory.hj212_credential(&station),
            packet.pw.as_deref(),
            Some(peer),
            directory.hj212_require_secret(),
        )
        .map_err(|refusal| Hj212Error::Refused {
            mn: packet.mn.clone(),
            refusal,
        })?;
        Ok(station)
    }

    /// Reloads the directory under `reload`, unless it was tried within
    /// [`RELOAD_INTERVAL`]. A failure keeps the directory in hand.
    async fn reload(&self, mut reload: tokio::sync::MutexGuard<'_, Reload>) {
        let now = Instant::now();
        if reload
            .tried
            .is_some_and(|at| now.duration_since(at) < RELOAD_INTERVAL)
        {
            return;
        }
        reload.tried = Some(now);
        match self.load(&mut reload).await {
            Ok(registry) => self
                .directory
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .replace(registry, Instant::now()),
            Err(error) => {
                reload.session = None;
                tracing::warn!(error = %error, "Cannot reload the HJ 212 logger directory; keeping the one in hand.");
            }
        }
    }

    async fn load(&self, reload: &mut Reload) -> Result<Registry, DbError> {
        if reload
            .session
            .as_ref()
            .is_none_or(tokio_postgres::Client::is_closed)
        {
            reload.session = Some(self.database.open_session("logger directory").await?);
        }
        let client = reload.session.as_ref().expect("opened just above");
        Registry::load(client).await
    }
}
