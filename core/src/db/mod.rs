//! PostgreSQL: connection settings, the pool, and the schema migrations.
//!
//! The database is the truth. Every connection has TCP keep-alives and a
//! statement timeout, so a half-open connection or a stuck query surfaces as
//! an error within seconds instead of hanging a daemon for minutes.

pub mod latest;
mod migrate;
pub mod partitions;
pub mod retention;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use serde::{Deserialize, Serialize};
use tokio_postgres::NoTls;

pub use migrate::{MIGRATIONS, Migration, migrate};
pub use partitions::{PartitionedTable, ensure_partitions, ensure_reading_partitions};
pub use retention::{MaintenanceReport, RetentionSettings, run_maintenance};

/// How to reach PostgreSQL. Its `Debug` hides the URL's password.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// Connection URL, `postgres://user:password@host:port/database`.
    pub url: String,
    /// Most connections this process opens.
    pub max_connections: usize,
    /// Longest time a single statement may run before it is cancelled.
    #[serde(with = "humantime_serde")]
    pub statement_timeout: Duration,
    /// Longest time to wait for a new connection.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "postgres://envmon:envmon@127.0.0.1:5432/envmon".into(),
            max_connections: 8,
            statement_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &crate::redact::redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

/// A database failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL could not be parsed.
    #[error("invalid database url")]
    InvalidUrl(#[source] tokio_postgres::Error),
    /// The pool could not be built.
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    /// No connection could be had from the pool.
    #[error("cannot get a database connection")]
    Connect(#[from] deadpool_postgres::PoolError),
    /// A statement failed.
    #[error("database statement failed")]
    Statement(#[from] tokio_postgres::Error),
}

impl DatabaseSettings {
    /// The libpq-style configuration with keep-alives and timeouts applied.
    ///
    /// # Errors
    /// Fails when the URL is malformed.
    pub fn pg_config(&self) -> Result<tokio_postgres::Config, DbError> {
        let mut config: tokio_postgres::Config = self.url.parse().map_err(DbError::InvalidUrl)?;
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30))
            .connect_timeout(self.connect_timeout)
            .application_name("envmon")
            .options(format!(
                "-c statement_timeout={}ms -c TimeZone=UTC",
                self.statement_timeout.as_millis()
            ));
        Ok(config)
    }

    /// A connection pool for these settings. Connections open lazily.
    ///
    /// # Errors
    /// Fails when the URL is malformed.
    pub fn pool(&self) -> Result<Pool, DbError> {
        let manager = Manager::from_config(
            self.pg_config()?,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        Pool::builder(manager)
            .max_size(self.max_connections.max(1))
            .wait_timeout(Some(self.connect_timeout))
            .create_timeout(Some(self.connect_timeout))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| DbError::Pool(e.to_string()))
    }
}
