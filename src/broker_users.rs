//! The broker accounts file that provisioning makes: one `user:password`
//! line per account, random passwords, readable by its owner only.
//!
//! With `[broker_users] file` set, each daemon logs in to the broker as its
//! own user (ingest as `envmon-ingest`, the publisher as `envmon-publisher`)
//! with the password the file holds, and the simulator, which stands for
//! sensors without accounts, connects anonymously. That lets `envmon demo`
//! run all three in one process, each with only the rights its role has on
//! the broker. Without the file, `[broker] username` and `password` apply to
//! every daemon (one process per daemon, as the deploy files run them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The account ingest logs in as.
pub const INGEST_USER: &str = "envmon-ingest";
/// The account the publisher logs in as.
pub const PUBLISHER_USER: &str = "envmon-publisher";

/// Where the daemons' broker accounts come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerUsersSettings {
    /// The accounts file made by `deploy/provision.sh` (`user:password`
    /// lines; it must not be readable by group or others). When set, ingest
    /// logs in as `envmon-ingest` and the publisher as `envmon-publisher`
    /// with the passwords it holds, and the simulator anonymously; `[broker]
    /// username` and `password` are then ignored.
    pub file: Option<PathBuf>,
}

/// The accounts of the file, by user name.
#[derive(Clone, PartialEq, Default)]
pub struct BrokerUsers(BTreeMap<String, String>);

impl std::fmt::Debug for BrokerUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl BrokerUsers {
    /// Reads the accounts file, refusing one that others may read.
    pub fn load(file: &Path) -> anyhow::Result<Self> {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .with_context(|| format!("reading the broker accounts file {}", file.display()))?
            .permissions()
            .mode();
        anyhow::ensure!(
            mode & 0o077 == 0,
            "the broker accounts file {} is readable by others (mode {:o}); chmod 600 it",
            file.display(),
            mode & 0o777
        );
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading the broker accounts file {}", file.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", file.display()))
    }

    fn parse(text: &str) -> anyhow::Result<Self> {
        let mut users = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, password) = line
                .split_once(':')
                .filter(|(user, password)| !user.is_empty() && !password.is_empty())
                .with_context(|| format!("line {} is not user:password", n + 1))?;
            users.insert(user.to_owned(), password.to_owned());
        }
        Ok(Self(users))
    }

    /// `broker` logged in as `user`, whose password the file must hold.
    pub fn log_in(
        &self,
        broker: &envmon_core::broker::BrokerSettings,
        user: &str,
    ) -> anyhow::Result<envmon_core::broker::BrokerSettings> {
        let password = self
            .0
            .get(user)
            .with_context(|| format!("the broker accounts file has no {user}"))?;
        Ok(envmon_core::broker::BrokerSettings {
            username: Some(user.to_owned()),
            password: Some(password.clone()),
            ..broker.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_parse_and_log_a_daemon_in_as_itself() {
        let users = BrokerUsers::parse(
            "# made by provisioning\nenvmon-ingest:abc:def\nenvmon-publisher:xyz\n",
        )
        .unwrap();
        let broker = envmon_core::broker::BrokerSettings::default();
        let ingest = users.log_in(&broker, INGEST_USER).unwrap();
        assert_eq!(ingest.username.as_deref(), Some("envmon-ingest"));
        assert_eq!(ingest.password.as_deref(), Some("abc:def"));
        assert!(users.log_in(&broker, "envmon-nobody").is_err());
        assert!(
            !format!("{users:?}").contains("xyz"),
            "passwords stay out of logs"
        );
    }

    #[test]
    fn malformed_lines_and_loose_permissions_are_refused() {
        assert!(BrokerUsers::parse("envmon-ingest\n").is_err());
        assert!(BrokerUsers::parse("envmon-ingest:\n").is_err());
        let path = std::env::temp_dir().join(format!("envmon-users-{}", std::process::id()));
        std::fs::write(&path, "envmon-ingest:abc\n").unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let error = BrokerUsers::load(&path).unwrap_err().to_string();
        assert!(error.contains("readable by others"), "{error}");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        assert!(BrokerUsers::load(&path).is_ok());
        std::fs::remove_file(&path).unwrap();
    }
}
