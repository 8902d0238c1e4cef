//! The settings file: built-in defaults, then the `--config` TOML file, then
//! `ENVMON__SECTION__KEY` environment variables.
//!
//! `[database]` and `[broker]` are shared; each daemon's section holds what
//! is its own, and [`Settings::ingest`] and friends assemble the whole.

use std::path::Path;

use envmon_core::broker::BrokerSettings;

use crate::broker_users::{BrokerUsers, BrokerUsersSettings, INGEST_USER, PUBLISHER_USER};
use envmon_core::db::{DatabaseSettings, RetentionSettings};
use envmon_core::metrics::MetricsSettings;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The documented defaults, printed by `envmon config print-default`. A
/// test checks they parse to exactly [`Settings::default`].
pub const DEFAULT_TOML: &str = include_str!("../deploy/config/envmon.toml");

/// All of envmon's settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub broker: BrokerSettings,
    pub broker_users: BrokerUsersSettings,
    /// The accounts of `broker_users.file`, read at load.
    #[serde(skip)]
    pub users: Option<BrokerUsers>,
    pub ingest: envmon_ingest::Settings,
    pub publisher: envmon_publisher::Settings,
    pub simulator: envmon_simulator::Settings,
    pub retention: RetentionSettings,
    pub metrics: MetricsSettings,
}

impl Settings {
    /// Loads defaults, then `file`, then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            anyhow::ensure!(
                file.is_file(),
                "settings file {} does not exist",
                file.display()
            );
            crate::secrets::refuse_readable_secrets(file)?;
            figment = figment.merge(Toml::file(file));
        }
        let mut settings: Settings = figment
            .merge(Env::prefixed("ENVMON__").split("__"))
            .extract()
            .map_err(crate::secrets::settings_error)?;
        if let Some(file) = &settings.broker_users.file {
            let users = BrokerUsers::load(file)?;
            users.log_in(&settings.broker, INGEST_USER)?;
            users.log_in(&settings.broker, PUBLISHER_USER)?;
            settings.users = Some(users);
        }
        Ok(settings)
    }

    /// The broker settings of a daemon that logs in as `user` when the
    /// accounts file is in use (checked at load to hold it).
    fn broker_as(&self, user: &str) -> BrokerSettings {
        self.users
            .as_ref()
            .and_then(|users| users.log_in(&self.broker, user).ok())
            .unwrap_or_else(|| self.broker.clone())
    }

    /// The ingest daemon's settings, with the shared sections.
    pub fn ingest(&self) -> envmon_ingest::Settings {
        envmon_ingest::Settings {
            database: self.database.clone(),
            broker: self.broker_as(INGEST_USER),
            retention: self.retention.clone(),
            ..self.ingest.clone()
        }
    }

    /// The publisher's settings, with the shared sections.
    pub fn publisher(&self) -> envmon_publisher::Settings {
        envmon_publisher::Settings {
            database: self.database.clone(),
            broker: self.broker_as(PUBLISHER_USER),
            ..self.publisher.clone()
        }
    }

    /// The simulator's settings, with the shared broker section.
    pub fn simulator(&self) -> envmon_simulator::Settings {
        // With the accounts file, the simulator stands for sensors without
        // accounts: anonymous, allowed to write sensor topics only.
        let broker = if self.users.is_some() {
            BrokerSettings {
                username: None,
                password: None,
                ..self.broker.clone()
            }
        } else {
            self.broker.clone()
        };
        envmon_simulator::Settings {
            broker,
            ..self.simulator.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_are_the_built_in_defaults() {
        let parsed: Settings = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    fn production_sample_parses_and_keeps_shared_sections_shared() {
        let sample: Settings =
            toml::from_str(include_str!("../deploy/config/production.toml")).unwrap();
        assert_eq!(sample.broker.host, "mqtt-1.internal");
        assert_eq!(sample.ingest().broker.host, "mqtt-1.internal");
        assert_eq!(sample.ingest().broker.failover.len(), 2);
        assert_eq!(sample.publisher().database.url, sample.database.url);
    }

    #[test]
    fn operations_guide_shows_exactly_the_printed_defaults() {
        let guide = include_str!("../docs/operations.md");
        let block = guide
            .split_once("<!-- BEGIN envmon config print-default -->\n```toml\n")
            .and_then(|(_, rest)| rest.split_once("```\n<!-- END envmon config print-default -->"))
            .map(|(block, _)| block)
            .expect("docs/operations.md has the print-default block");
        assert!(
            block == DEFAULT_TOML,
            "docs/operations.md differs from `envmon config print-default`: paste its output between the markers"
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_their_path() {
        let error = toml::from_str::<Settings>("[ingest]\nbatch_max_rowz = 3\n").unwrap_err();
        assert!(error.to_string().contains("batch_max_rowz"), "{error}");
    }
}
