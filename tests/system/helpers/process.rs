//! The real `envmon` binary as a child process, configured through the
//! environment as an operator would, with its log in a file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{TestBroker, TestDb, http, unique, wait_for};

/// A running `envmon` subcommand.
#[derive(Debug)]
pub struct EnvmonProcess {
    child: Child,
    log: PathBuf,
}

/// A port free now (the process binds it a moment later).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// The environment every daemon gets: the test database and broker.
fn base_env(db: &TestDb, broker: &TestBroker) -> Vec<(String, String)> {
    vec![
        ("ENVMON__DATABASE__URL".into(), db.url.clone()),
        ("ENVMON__DATABASE__MAX_CONNECTIONS".into(), "4".into()),
        ("ENVMON__BROKER__PORT".into(), broker.port.to_string()),
        // Tests send data of any date; retention has tests of its own.
        ("ENVMON__RETENTION__READINGS".into(), "0s".into()),
        ("ENVMON__RETENTION__AGGREGATES".into(), "0s".into()),
        ("ENVMON__RETENTION__DEAD_LETTERS".into(), "0s".into()),
    ]
}

/// The broker login of `settings`, as environment variables.
fn login_env(settings: &envmon_core::broker::BrokerSettings) -> Vec<(String, String)> {
    vec![
        (
            "ENVMON__BROKER__USERNAME".into(),
            settings.username.clone().unwrap_or_default(),
        ),
        (
            "ENVMON__BROKER__PASSWORD".into(),
            settings.password.clone().unwrap_or_default(),
        ),
    ]
}

impl EnvmonProcess {
    /// Starts `envmon ingest` with this MQTT client id, health and metrics
    /// addresses (and any extra settings), and waits until it is ready.
    pub async fn ingest(
        db: &TestDb,
        broker: &TestBroker,
        client_id: &str,
        health: SocketAddr,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut env = base_env(db, broker);
        env.extend(login_env(&broker.ingest_settings()));
        env.push(("ENVMON__INGEST__CLIENT_ID".into(), client_id.into()));
        env.push(("ENVMON__INGEST__HEALTH_LISTEN".into(), health.to_string()));
        env.push(("ENVMON__INGEST__BATCH_MAX_WAIT".into(), "20ms".into()));
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let process = Self::spawn("ingest", &env);
        process.wait_ready(health).await;
        process
    }

    /// Starts `envmon publish` on `listen` and waits until it is ready.
    pub async fn publisher(
        db: &TestDb,
        broker: &TestBroker,
        listen: SocketAddr,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut env = base_env(db, broker);
        env.extend(login_env(&broker.publisher_settings()));
        env.push(("ENVMON__PUBLISHER__LISTEN".into(), listen.to_string()));
        // The test process's key, so tests can sign what it must trust.
        env.push((
            "ENVMON__PUBLISHER__STAFF__SIGNING_KEY_FILE".into(),
            super::staff::signing_key_file().display().to_string(),
        ));
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let process = Self::spawn("publish", &env);
        process.wait_ready(listen).await;
        process
    }

    fn spawn(command: &str, env: &[(String, String)]) -> Self {
        let log =
            std::env::temp_dir().join(format!("{}.log", unique(&format!("envmon-{command}"))));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_envmon"))
            .args(["--log-format", "json", command])
            .env_remove("ENVMON_CONFIG")
            .env_remove("RUST_LOG")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Self { child, log }
    }

    async fn wait_ready(&self, addr: SocketAddr) {
        wait_for(
            &format!("envmon at {addr} to be ready (log: {})", self.log.display()),
            Duration::from_secs(15),
            || async {
                match http::get(addr, "/readyz").await {
                    Ok(response) if response.status == 200 => Ok(()),
                    Ok(response) => Err(format!("{} {}", response.status, response.body)),
                    Err(error) => Err(error.to_string()),
                }
            },
        )
        .await;
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as systemd, Kubernetes and Docker do on stop.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `deadline` for the process to exit.
    pub fn wait_exit(&mut self, deadline: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < deadline,
                "envmon did not exit within {deadline:?}; log: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the process logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for EnvmonProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
