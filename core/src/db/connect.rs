//! Opening connections: the URL and `[database.tls]` made into one
//! configuration and one TLS connector, for the pool and for the single
//! sessions ingest keeps of its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{DatabaseSettings, DbError};
use crate::tls::{PgTls, SslMode, split_connection_string};

/// A connection's I/O half, to be spawned: it runs until the client is
/// dropped or the connection fails.
pub type PgConnection =
    tokio_postgres::Connection<Socket, <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream>;

impl DatabaseSettings {
    /// The TLS settings in effect: `[database.tls]` completed by the
    /// URL's `sslmode`, `sslrootcert`, `sslcert` and `sslkey`.
    ///
    /// # Errors
    /// When the two disagree or `sslmode` is unknown.
    pub fn tls_in_effect(&self) -> Result<PgTls, DbError> {
        let (_, from_url) = split_connection_string(&self.url)?;
        Ok(self.tls.merged_with(&from_url)?)
    }

    /// The libpq-style configuration with keep-alives, timeouts and the TLS
    /// negotiation applied.
    ///
    /// # Errors
    /// Fails when the URL is malformed.
    pub fn pg_config(&self) -> Result<tokio_postgres::Config, DbError> {
        let (url, from_url) = split_connection_string(&self.url)?;
        let tls = self.tls.merged_with(&from_url)?;
        let mut config: tokio_postgres::Config = url.parse().map_err(DbError::InvalidUrl)?;
        config
            .ssl_mode(tls.negotiation())
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

    /// The TLS connector of every connection these settings open.
    ///
    /// # Errors
    /// When a certificate or key file cannot be used.
    pub fn connector(&self) -> Result<MakeRustlsConnect, DbError> {
        let tls = self.tls_in_effect()?;
        if tls.effective_mode() == SslMode::Disable {
            warn_once_if_plain_across_a_network(&self.pg_config()?);
        }
        Ok(tls.connector()?)
    }

    /// One connection of its own. Spawn the returned [`PgConnection`].
    ///
    /// # Errors
    /// When the settings are unusable or the server cannot be reached,
    /// refuses TLS that `sslmode` requires, or fails the certificate checks.
    pub async fn connect(&self) -> Result<(Client, PgConnection), DbError> {
        let config = self.pg_config()?;
        let connector = self.connector()?;
        config.connect(connector).await.map_err(DbError::Open)
    }

    /// One long-lived session of a daemon's own, its I/O half already
    /// running on the runtime: what every single-connection worker needs,
    /// in one place. `purpose` names the session in the log line when the
    /// connection fails; the caller sees the failure as a closed client
    /// ([`Client::is_closed`]) or a failing statement, and reconnects.
    ///
    /// # Errors
    /// As [`Self::connect`].
    pub async fn open_session(&self, purpose: &'static str) -> Result<Client, DbError> {
        let (client, connection) = self.connect().await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::warn!(session = purpose, error = %error, "Database session lost.");
            }
        });
        Ok(client)
    }

    /// A connection pool for these settings. Connections open lazily.
    ///
    /// # Errors
    /// Fails when the URL is malformed or the TLS settings are unusable.
    pub fn pool(&self) -> Result<Pool, DbError> {
        let manager = Manager::from_config(
            self.pg_config()?,
            self.connector()?,
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

/// Plain text is the default for a database on the same host; across a
/// network it exposes passwords and data, so say so (once per process).
fn warn_once_if_plain_across_a_network(config: &tokio_postgres::Config) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let remote = config.get_hosts().iter().find_map(|host| match host {
        Host::Tcp(name) if !is_loopback(name) => Some(name.clone()),
        _ => None,
    });
    if let Some(host) = remote
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            %host,
            "Database connection is not encrypted; set [database.tls] mode = \"verify-full\"."
        );
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}
