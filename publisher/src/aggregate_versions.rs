//! Which version of a station's or an area's stored aggregates this publisher last heard of, kept
//! in memory so that a revalidation (`If-None-Match`) of a year's series or an area's chart is
//! answered without the database.
//!
//! Every transaction that rewrites aggregates announces it with a PostgreSQL notification
//! ([`envmon_core::db::data_changes`]): delivered at its commit to every listening session,
//! never lost while the session stands. The listener here bumps the versions it names; when its
//! session is lost, [`AggregateVersions::token`] answers `None` (callers ask the database as
//! before) until it listens again, and then every version moves on, since changes in between
//! went unheard.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use envmon_core::backoff::Backoff;
use envmon_core::db::DatabaseSettings;
use envmon_core::db::data_changes::{CHANNEL, Changed};
use futures_util::StreamExt;
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

/// The versions, and whether they can be trusted now.
#[derive(Debug)]
pub(crate) struct AggregateVersions {
    /// Different in every process, so a token never matches one issued before a restart.
    boot: u64,
    /// Moves on when anything may have changed.
    everything: AtomicU64,
    /// Each announced key's sequence number at its last change: `s:CODE`, `a:ID`.
    keys: Mutex<HashMap<String, u64>>,
    next: AtomicU64,
    listening: AtomicBool,
}

impl Default for AggregateVersions {
    fn default() -> Self {
        Self {
            boot: boot_nonce(),
            everything: AtomicU64::new(0),
            keys: Mutex::default(),
            next: AtomicU64::new(1),
            listening: AtomicBool::new(false),
        }
    }
}

/// A random number for this process (the clock, should the system's randomness fail).
fn boot_nonce() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        return u64::try_from(now.as_nanos() & u128::from(u64::MAX)).unwrap_or_default();
    }
    u64::from_le_bytes(bytes)
}

/// Why listening stopped.
#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error(transparent)]
    Database(#[from] envmon_core::db::DbError),
    #[error(transparent)]
    Statement(#[from] tokio_postgres::Error),
    #[error("the session ended")]
    Ended,
}

impl AggregateVersions {
    /// The version of a station's aggregates, or `None` when this publisher cannot vouch for it.
    pub(crate) fn station(&self, code: &str) -> Option<String> {
        self.token(&format!("s:{code}"))
    }

    /// The version of an area's aggregates, or `None` when this publisher cannot vouch for it.
    pub(crate) fn area(&self, id: &str) -> Option<String> {
        self.token(&format!("a:{id}"))
    }

    fn token(&self, key: &str) -> Option<String> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let own = self
            .keys
            .lock()
            .map_or(0, |keys| keys.get(key).copied().unwrap_or(0));
        let everything = self.everything.load(Ordering::Acquire);
        Some(format!("{:x}.{everything}.{own}", self.boot))
    }

    fn apply(&self, changed: Changed) {
        match changed {
            Changed::Everything => self.move_everything(),
            Changed::These { stations, areas } => {
                let Ok(mut keys) = self.keys.lock() else {
                    return self.move_everything();
                };
                let seq = self.next.fetch_add(1, Ordering::AcqRel);
                for key in stations
                    .iter()
                    .map(|s| format!("s:{s}"))
                    .chain(areas.iter().map(|a| format!("a:{a}")))
                {
                    keys.insert(key, seq);
                }
            }
        }
    }

    fn move_everything(&self) {
        self.everything.fetch_add(1, Ordering::AcqRel);
    }

    /// Listens for announcements until `shutdown`, reconnecting with backoff.
    pub(crate) async fn listen(&self, database: &DatabaseSettings, shutdown: CancellationToken) {
        let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        loop {
            tokio::select! {
                result = self.listen_once(database) => {
                    self.listening.store(false, Ordering::Release);
                    if let Err(error) = result {
                        tracing::warn!(error = %error, "Lost the aggregates' change notifications; revalidating against the database until they are back.");
                    }
                }
                () = shutdown.cancelled() => return,
            }
            tokio::select! {
                () = tokio::time::sleep(backoff.next_delay()) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    async fn listen_once(&self, database: &DatabaseSettings) -> Result<(), ListenError> {
        let (client, mut connection) = database.connect().await?;
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        let statement = format!("LISTEN {CHANNEL}");
        // The connection must be driven for LISTEN to complete.
        {
            let listen = client.batch_execute(&statement);
            tokio::pin!(listen);
            loop {
                tokio::select! {
                    result = &mut listen => { result?; break; }
                    message = messages.next() => match message {
                        Some(Ok(AsyncMessage::Notification(n))) => self.apply(Changed::parse(n.payload())),
                        Some(Ok(_)) => {}
                        Some(Err(error)) => return Err(error.into()),
                        None => return Err(ListenError::Ended),
                    },
                }
            }
        }
        // Whatever changed before LISTEN took effect went unheard.
        self.move_everything();
        self.listening.store(true, Ordering::Release);
        while let Some(message) = messages.next().await {
            match message? {
                AsyncMessage::Notification(n) => self.apply(Changed::parse(n.payload())),
                _ => continue,
            }
        }
        drop(client);
        Err(ListenError::Ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_move_with_what_changed_and_only_while_listening() {
        let versions = AggregateVersions::default();
        assert_eq!(versions.area("pudong"), None);
        versions.listening.store(true, Ordering::Release);
        let (pudong, city, station) = (
            versions.area("pudong"),
            versions.area("shanghai"),
            versions.station("1141A"),
        );
        versions.apply(Changed::parse("s:1141A,a:pudong"));
        assert_ne!(versions.area("pudong"), pudong);
        assert_ne!(versions.station("1141A"), station);
        assert_eq!(versions.area("shanghai"), city);
        let before = versions.area("shanghai");
        versions.apply(Changed::Everything);
        assert_ne!(versions.area("shanghai"), before);
    }
}
