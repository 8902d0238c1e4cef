//! The station directory ingest checks payloads against and assesses
//! readings with: which stations are registered, their kind, for water
//! sites their water body type and target class, and what each station's
//! HJ 212 data logger must prove (its hashed secret, its networks).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use envmon_core::db::DbError;
use envmon_core::logger_secret::SecretHash;
use envmon_core::registry::{load_hj212_secrets, load_stations};
use envmon_core::{Station, StationCode, StationKind};
use tokio_postgres::GenericClient;

use crate::decode::StationLookup;
use crate::decode::hj212::LoggerCredential;

/// A station missing from the directory triggers a reload, at most this
/// often, so newly imported stations are picked up without a restart while
/// a flood of unknown codes cannot hammer the database.
pub(crate) const RELOAD_INTERVAL: Duration = Duration::from_secs(5);

/// The directory is reloaded at least this often, so a logger secret set,
/// changed or removed with `envmon stations secret` takes effect within it.
pub(crate) const REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// The registry and the logger secrets, as read in one go.
#[derive(Debug, Clone, Default)]
pub(crate) struct Registry {
    pub(crate) stations: Vec<Station>,
    pub(crate) secrets: Vec<(StationCode, SecretHash)>,
}

impl Registry {
    /// Reads the stations and their logger secrets.
    pub(crate) async fn load(client: &impl GenericClient) -> Result<Self, DbError> {
        Ok(Self {
            stations: load_stations(client).await?,
            secrets: load_hj212_secrets(client).await?,
        })
    }

    /// The codes of stations with an HJ 212 MN but no secret: their loggers
    /// are refused while secrets are required.
    pub(crate) fn loggers_without_secret(&self) -> Vec<&StationCode> {
        self.stations
            .iter()
            .filter(|s| s.hj212_mn.is_some())
            .filter(|s| !self.secrets.iter().any(|(code, _)| *code == s.code))
            .map(|s| &s.code)
            .collect()
    }
}

/// The registered stations.
#[derive(Debug)]
pub(crate) struct StationDirectory {
    stations: HashMap<StationCode, Station>,
    by_mn: HashMap<String, StationCode>,
    /// Stations with a logger secret or networks.
    credentials: HashMap<StationCode, LoggerCredential>,
    require_secret: bool,
    loaded_at: Option<Instant>,
}

impl StationDirectory {
    /// An empty directory; `require_secret` is `[ingest] hj212_require_secret`.
    pub(crate) fn new(require_secret: bool) -> Self {
        Self {
            stations: HashMap::new(),
            by_mn: HashMap::new(),
            credentials: HashMap::new(),
            require_secret,
            loaded_at: None,
        }
    }

    /// Replaces the directory's contents. Credentials are built anew, so a
    /// changed secret never meets a PW remembered under the old one.
    pub(crate) fn replace(&mut self, registry: Registry, now: Instant) {
        let mut secrets: HashMap<StationCode, SecretHash> = registry.secrets.into_iter().collect();
        self.credentials = registry
            .stations
            .iter()
            .filter_map(|s| {
                let secret = secrets.remove(&s.code);
                (secret.is_some() || !s.hj212_networks.is_empty()).then(|| {
                    (
                        s.code.clone(),
                        LoggerCredential::new(secret, s.hj212_networks.clone()),
                    )
                })
            })
            .collect();
        self.by_mn = registry
            .stations
            .iter()
            .filter_map(|s| Some((s.hj212_mn.clone()?, s.code.clone())))
            .collect();
        self.stations = registry
            .stations
            .into_iter()
            .map(|s| (s.code.clone(), s))
            .collect();
        self.loaded_at = Some(now);
    }

    /// Whether a miss should reload the directory.
    pub(crate) fn is_stale(&self, now: Instant) -> bool {
        self.older_than(now, RELOAD_INTERVAL)
    }

    /// Whether the directory is due for its periodic reload.
    pub(crate) fn is_due_refresh(&self, now: Instant) -> bool {
        self.older_than(now, REFRESH_INTERVAL)
    }

    fn older_than(&self, now: Instant, age: Duration) -> bool {
        self.loaded_at
            .is_none_or(|at| now.duration_since(at) >= age)
    }

    /// Whether nothing has been loaded.
    pub(crate) fn is_empty(&self) -> bool {
        self.stations.is_empty()
    }

    /// A registered station.
    pub(crate) fn get(&self, code: &StationCode) -> Option<&Station> {
        self.stations.get(code)
    }
}

impl StationLookup for StationDirectory {
    fn kind_of(&self, station: &StationCode) -> Option<StationKind> {
        self.stations.get(station).map(|s| s.kind)
    }

    fn hj212_mn(&self, station: &StationCode) -> Option<&str> {
        self.stations
            .get(station)
            .and_then(|s| s.hj212_mn.as_deref())
    }

    fn station_for_mn(&self, mn: &str) -> Option<StationCode> {
        self.by_mn.get(mn).cloned()
    }

    fn hj212_credential(&self, station: &StationCode) -> Option<&LoggerCredential> {
        self.credentials.get(station)
    }

    fn hj212_require_secret(&self) -> bool {
        self.require_secret
    }
}

#[cfg(test)]
mod tests {
    use envmon_core::network::Network;
    use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};

    use super::*;
    use crate::decode::hj212::{Refusal, authenticate};

    #[test]
    fn credentials_come_from_secrets_and_networks_and_mns_find_stations() {
        let mut stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        stations[0].hj212_mn = Some("MN-0".into());
        stations[1].hj212_mn = Some("MN-1".into());
        stations[1].hj212_networks = vec![Network::parse("10.0.0.0/8").unwrap()];
        let (first, second) = (stations[0].code.clone(), stations[1].code.clone());
        let registry = Registry {
            secrets: vec![(first.clone(), SecretHash::new("s3cret-0").unwrap())],
            stations,
        };
        assert_eq!(registry.loggers_without_secret(), vec![&second]);
        let mut directory = StationDirectory::new(true);
        directory.replace(registry, Instant::now());
        assert_eq!(directory.station_for_mn("MN-1"), Some(second.clone()));
        assert_eq!(directory.station_for_mn("MN-2"), None);
        let check = |code: &StationCode, pw| {
            authenticate(
                directory.hj212_credential(code),
                Some(pw),
                Some("10.1.2.3".parse().unwrap()),
                directory.hj212_require_secret(),
            )
        };
        assert_eq!(check(&first, "s3cret-0"), Ok(()));
        assert_eq!(check(&first, "s3cret-1"), Err(Refusal::Password));
        assert_eq!(check(&second, "s3cret-0"), Err(Refusal::NoSecret));
    }
}
