//! PostgreSQL: connection settings, the pool, and the schema migrations.
//!
//! The database is the truth. Every connection has TCP keep-alives and a
//! statement timeout, so a half-open connection or a stuck query surfaces as
//! an error within seconds instead of hanging a daemon for minutes. Every
//! connection, pooled or single, goes through [`DatabaseSettings::connect`]
//! or [`DatabaseSettings::pool`] and so through the one TLS connector.

mod connect;
pub mod data_changes;
pub mod lab;
pub mod lab_read;
pub mod latest;
mod migrate;
pub mod partitions;
pub mod period;
pub mod retention;
pub mod water_period;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::tls::{PgTls, TlsError};

pub use connect::PgConnection;
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
    /// TLS to PostgreSQL.
    pub tls: PgTls,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "postgres://envmon:envmon@127.0.0.1:5432/envmon".into(),
            max_connections: 8,
            statement_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            tls: PgTls::default(),
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
    /// The TLS settings cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// No connection could be opened (unreachable, refused, TLS failed).
    /// The reason is part of the message, not only of the source chain, as
    /// the daemons log it on one line when they retry.
    #[error("cannot connect to PostgreSQL: {}", with_causes(.0))]
    Open(tokio_postgres::Error),
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

impl DbError {
    /// Whether retrying cannot help: the server refused the statement for
    /// what it is, not for the state it was in. That is SQLSTATE class 42
    /// (syntax error or access rule violation): a privilege revoked
    /// (42501), a table or column that does not exist (42P01, 42703), a
    /// schema older than the code. Everything else, a lost connection, a
    /// server shutting down or starting (57P01, 57P03), a statement
    /// timeout, a lock or serialization conflict, may pass, and so does
    /// bad data (class 22): a daemon must not stop for what one message
    /// holds. Settings that fail (a certificate file being replaced) count
    /// as passing too: they worked when the daemon started.
    pub fn is_permanent(&self) -> bool {
        let source = match self {
            Self::Statement(error) | Self::Open(error) => error,
            Self::InvalidUrl(_) | Self::Tls(_) | Self::Pool(_) | Self::Connect(_) => return false,
        };
        source
            .code()
            .is_some_and(|code| code.code().starts_with("42"))
    }
}

/// An error and its causes on one line: tokio-postgres keeps the reason a
/// connection failed (the server's message, the certificate refused) in
/// the source chain, not in its own message.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}
