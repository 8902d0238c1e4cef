//! The publisher under test: a scratch database with the built-in
//! registry, and this binary's `publish` started as a child process (so its
//! memory is its own to measure), stopped with SIGTERM at the end.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use envmon_core::broker::BrokerSettings;
use envmon_core::db::{DatabaseSettings, migrate};
use envmon_core::registry::{SHANGHAI_REGISTRY, import_stations, parse_registry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

/// A running publisher and the database it reads.
#[derive(Debug)]
pub(super) struct Server {
    child: Child,
    pub(super) addr: SocketAddr,
    admin: tokio_postgres::Client,
    database: String,
}

/// Settings of the publisher under test, as environment overrides: limits
/// raised so the load tool, one address, is not refused.
fn overrides(
    database_url: &str,
    database: &DatabaseSettings,
    broker: &BrokerSettings,
    addr: SocketAddr,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("ENVMON__DATABASE__URL", database_url.to_owned()),
        ("ENVMON__BROKER__HOST", broker.host.clone()),
        ("ENVMON__BROKER__PORT", broker.port.to_string()),
        ("ENVMON__BROKER__TOPIC_PREFIX", broker.topic_prefix.clone()),
        ("ENVMON__PUBLISHER__LISTEN", addr.to_string()),
        ("ENVMON__PUBLISHER__MAX_LIVE_CLIENTS", "50000".to_owned()),
        (
            "ENVMON__PUBLISHER__MAX_LIVE_CLIENTS_PER_ADDRESS",
            "50000".to_owned(),
        ),
        (
            "ENVMON__PUBLISHER__RATE_LIMIT_PER_SECOND",
            "1000000000".to_owned(),
        ),
        (
            "ENVMON__PUBLISHER__RATE_LIMIT_BURST",
            "1000000000".to_owned(),
        ),
    ];
    if let Some(user) = &broker.username {
        env.push(("ENVMON__BROKER__USERNAME", user.clone()));
    }
    if let Some(password) = &broker.password {
        env.push(("ENVMON__BROKER__PASSWORD", password.clone()));
    }
    let path = |file: &Option<std::path::PathBuf>| file.as_ref().map(|f| f.display().to_string());
    let tls = &database.tls;
    let broker_tls = &broker.tls;
    for (key, value) in [
        (
            "ENVMON__DATABASE__TLS__MODE",
            tls.mode.map(|m| m.to_string()),
        ),
        ("ENVMON__DATABASE__TLS__CA_FILE", path(&tls.ca_file)),
        (
            "ENVMON__DATABASE__TLS__CLIENT_CERT_FILE",
            path(&tls.client_cert_file),
        ),
        (
            "ENVMON__DATABASE__TLS__CLIENT_KEY_FILE",
            path(&tls.client_key_file),
        ),
        (
            "ENVMON__BROKER__TLS__ENABLED",
            Some(broker_tls.enabled.to_string()),
        ),
        ("ENVMON__BROKER__TLS__CA_FILE", path(&broker_tls.ca_file)),
        (
            "ENVMON__BROKER__TLS__CLIENT_CERT_FILE",
            path(&broker_tls.client_cert_file),
        ),
        (
            "ENVMON__BROKER__TLS__CLIENT_KEY_FILE",
            path(&broker_tls.client_key_file),
        ),
        (
            "ENVMON__BROKER__TLS__SERVER_NAME",
            broker_tls.server_name.clone(),
        ),
    ] {
        if let Some(value) = value {
            env.push((key, value));
        }
    }
    env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

impl Server {
    /// Creates the scratch database and starts the publisher on it.
    pub(super) async fn start(
        database: &DatabaseSettings,
        broker: &BrokerSettings,
    ) -> anyhow::Result<Self> {
        let name = format!("envmon_bench_live_{}", std::process::id());
        let (admin, connection) = database
            .connect()
            .await
            .context("connecting to the configured database")?;
        tokio::spawn(connection);
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("creating {name} (the role needs CREATEDB)"))?;
        let url = with_database(&database.url, &name);
        {
            let scratch = DatabaseSettings {
                url: url.clone(),
                ..database.clone()
            };
            let (mut client, connection) = scratch.connect().await?;
            let connection = tokio::spawn(connection);
            migrate(&mut client).await?;
            import_stations(&mut client, &parse_registry(SHANGHAI_REGISTRY)?).await?;
            drop(client);
            let _ = connection.await;
        }
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let child = Command::new(std::env::current_exe()?)
            .args(["--log-level", "warn", "publish"])
            .envs(overrides(&url, database, broker, addr))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the publisher under test")?;
        let server = Self {
            child,
            addr,
            admin,
            database: name,
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(status) = status(self.addr, "/readyz").await
                && status == 200
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the publisher was not ready within 30 s")
    }

    /// The publisher's resident memory, from `/proc/<pid>/status` VmRSS.
    pub(super) fn rss_bytes(&self) -> anyhow::Result<u64> {
        let pid = self.child.id().context("the publisher has exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS in /proc/<pid>/status")?;
        Ok(kib * 1024)
    }

    /// Stops the publisher (SIGTERM, as an operator would) and drops the
    /// scratch database.
    pub(super) async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        if tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        self.admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.database
            ))
            .await?;
        Ok(())
    }
}

/// The status of a plain GET.
async fn status(addr: SocketAddr, path: &str) -> std::io::Result<u16> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    Ok(std::str::from_utf8(&head[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0))
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// `url` naming database `name` instead.
fn with_database(url: &str, name: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return format!("{url} dbname={name}");
    };
    let (before_query, query) = rest
        .split_once('?')
        .map_or((rest, None), |(b, q)| (b, Some(q)));
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(a, _)| a);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}
