//! The scratch database a bench run works in: created on the configured
//! server, migrated, given the built-in registry and the reading partitions
//! the run's observation times need, and dropped at the end.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use envmon_core::db::{DatabaseSettings, ensure_reading_partitions, migrate};
use envmon_core::registry::{SHANGHAI_REGISTRY, import_stations, parse_registry};
use tokio_postgres::Client;

/// The bench's own sessions carry this name in `pg_stat_activity`, so they
/// are not mistaken for ingest's (which say `envmon`).
const APPLICATION_NAME: &str = "envmon-bench";

/// A database of the run's own.
#[derive(Debug)]
pub(super) struct ScratchDatabase {
    admin: Client,
    name: String,
    /// Settings that point at the scratch database.
    pub(super) settings: DatabaseSettings,
}

impl ScratchDatabase {
    /// Creates `name` (a fixed prefix and digits: never input) next to the
    /// configured database, replacing a leftover of the same name.
    pub(super) async fn create(configured: &DatabaseSettings, name: &str) -> anyhow::Result<Self> {
        let admin = connect(configured)
            .await
            .context("connecting to the configured database to create the scratch one")?;
        // Two statements, two messages: neither may run in a transaction
        // block, which one multi-statement message would be.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .with_context(|| format!("dropping a leftover database {name}"))?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("creating database {name} (the role needs CREATEDB)"))?;
        let settings = DatabaseSettings {
            url: url_with_database(&configured.url, name),
            ..configured.clone()
        };
        Ok(Self {
            admin,
            name: name.to_owned(),
            settings,
        })
    }

    /// Migrates, imports the built-in registry, and creates the monthly
    /// reading partitions from `earliest` to a month from now.
    pub(super) async fn prepare(&self, earliest: DateTime<Utc>) -> anyhow::Result<()> {
        let mut client = self.connect().await?;
        migrate(&mut client)
            .await
            .context("migrating the scratch database")?;
        let stations =
            parse_registry(SHANGHAI_REGISTRY).context("parsing the built-in registry")?;
        import_stations(&mut client, &stations)
            .await
            .context("importing the built-in registry")?;
        let now = Utc::now();
        let months_back = months_between(earliest, now) + 1;
        ensure_reading_partitions(&client, now, months_back, 1)
            .await
            .context("creating reading partitions")?;
        Ok(())
    }

    /// A new session on the scratch database.
    pub(super) async fn connect(&self) -> anyhow::Result<Client> {
        connect(&self.settings)
            .await
            .with_context(|| format!("connecting to the scratch database {}", self.name))
    }

    /// The scratch database's name.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database, closing whatever sessions are left on it.
    pub(super) async fn drop_database(self) -> anyhow::Result<()> {
        self.admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await
            .with_context(|| format!("dropping the scratch database {}", self.name))
    }
}

async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Client> {
    let mut config = settings.pg_config()?;
    config.application_name(APPLICATION_NAME);
    let (client, connection) = config.connect(settings.connector()?).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(error = %error, "Bench database session closed.");
        }
    });
    Ok(client)
}

/// Whole months from `from` to `to`, counting calendar months.
fn months_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    use chrono::Datelike as _;
    let months = (to.year() - from.year()) * 12 + i32::try_from(to.month()).unwrap_or(0)
        - i32::try_from(from.month()).unwrap_or(0);
    u32::try_from(months).unwrap_or(0)
}

/// `url` with its database replaced by `name`: the path of a
/// `postgres://` URL, or a `dbname=` appended to a key-value string (the
/// last value of a key wins).
fn url_with_database(url: &str, name: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return format!("{url} dbname={name}");
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(a, _)| a);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            url_with_database("postgres://envmon:envmon@127.0.0.1:5432/envmon", "b_1"),
            "postgres://envmon:envmon@127.0.0.1:5432/b_1"
        );
        assert_eq!(
            url_with_database("postgresql://h/db?sslmode=disable", "b_1"),
            "postgresql://h/b_1?sslmode=disable"
        );
        assert_eq!(
            url_with_database("postgres://h:5432", "b_1"),
            "postgres://h:5432/b_1"
        );
        assert_eq!(
            url_with_database("host=h user=u dbname=x", "b_1"),
            "host=h user=u dbname=x dbname=b_1"
        );
    }

    #[test]
    fn months_are_counted_across_years() {
        let from = Utc.with_ymd_and_hms(2026, 5, 30, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
        assert_eq!(months_between(from, to), 6);
        let from = Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap();
        assert_eq!(months_between(from, to), 11);
    }
}
