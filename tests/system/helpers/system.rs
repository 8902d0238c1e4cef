//! The whole system in-process: ingest and publisher against one test
//! database and one test broker, on port 0.

use std::net::SocketAddr;
use std::time::Duration;

use envmon_core::wire::LiveMessage;
use envmon_ingest::{Ingest, IngestError};
use envmon_publisher::{Publisher, PublisherError};
use futures_util::StreamExt;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use super::{TestBroker, TestDb, http, wait_for};

/// A running daemon and the token that stops it.
#[derive(Debug)]
struct Running<E> {
    stop: CancellationToken,
    task: JoinHandle<Result<(), E>>,
}

/// Ingest and publisher against a private database and broker.
#[derive(Debug)]
pub struct TestSystem {
    pub db: TestDb,
    pub broker: TestBroker,
    pub publisher_addr: SocketAddr,
    pub ingest_health_addr: SocketAddr,
    /// Where HJ 212 data loggers connect.
    pub hj212_addr: SocketAddr,
    /// Stable across restarts, so a restarted ingest resumes its session.
    ingest_client_id: String,
    ingest: Option<Running<IngestError>>,
    publisher: Option<Running<PublisherError>>,
    /// Publishers started beside the first, stopped with it.
    more_publishers: Vec<Running<PublisherError>>,
}

/// A live WebSocket client.
pub type LiveClient =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl TestSystem {
    /// Starts everything and waits until both daemons are subscribed.
    pub async fn start() -> Self {
        let mut system = Self::new().await;
        system.start_ingest().await;
        system.start_publisher().await;
        system
    }

    /// Starts the publisher alone (no ingest) and waits until it is ready:
    /// for tests of what it serves from the registry, rows they write
    /// themselves, or its own routes.
    pub async fn start_publisher_only() -> Self {
        let mut system = Self::new().await;
        system.start_publisher().await;
        system
    }

    /// [`Self::start_publisher_only`] with its settings changed first.
    pub async fn start_publisher_only_with(
        change: impl FnOnce(&mut envmon_publisher::Settings),
    ) -> Self {
        let mut system = Self::new().await;
        let mut settings = system.publisher_settings();
        change(&mut settings);
        system.start_publisher_with(settings).await;
        system
    }

    /// Stops the publisher as a crash would: at once, nothing drained.
    pub async fn kill_publisher(&mut self) {
        if let Some(running) = self.publisher.take() {
            running.task.abort();
            let _ = running.task.await;
        }
    }

    /// Starts the publisher with `settings` (after [`Self::kill_publisher`]).
    pub async fn start_publisher_again_with(&mut self, settings: envmon_publisher::Settings) {
        self.start_publisher_with(settings).await;
    }

    /// A fresh database and broker, nothing running yet.
    async fn new() -> Self {
        super::init_logs();
        let db = TestDb::new().await;
        let broker = TestBroker::start();
        Self {
            db,
            broker,
            publisher_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ingest_health_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            hj212_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            ingest_client_id: super::unique("ingest"),
            ingest: None,
            publisher: None,
            more_publishers: Vec::new(),
        }
    }

    pub fn ingest_settings(&self) -> envmon_ingest::Settings {
        envmon_ingest::Settings {
            database: self.db.settings(),
            broker: self.broker.ingest_settings(),
            client_id: self.ingest_client_id.clone(),
            batch_max_wait: Duration::from_millis(20),
            health_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            hj212_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            // Tests send data of any date; retention has tests of its own.
            retention: envmon_core::db::RetentionSettings {
                readings: Duration::ZERO,
                aggregates: Duration::ZERO,
                dead_letters: Duration::ZERO,
                ..envmon_core::db::RetentionSettings::default()
            },
            ..envmon_ingest::Settings::default()
        }
    }

    /// Starts ingest and waits until it is subscribed.
    pub async fn start_ingest(&mut self) {
        self.start_ingest_with(self.ingest_settings()).await;
    }

    /// Starts ingest with `settings` (from [`Self::ingest_settings`], changed).
    pub async fn start_ingest_with(&mut self, settings: envmon_ingest::Settings) {
        let ingest = Ingest::build(settings).await.unwrap();
        self.ingest_health_addr = ingest.health_addr();
        self.hj212_addr = ingest
            .hj212_addr()
            .expect("tests enable the HJ 212 listener");
        let stop = CancellationToken::new();
        let task = tokio::spawn(ingest.run_until_stopped(stop.clone().cancelled_owned()));
        self.ingest = Some(Running { stop, task });
        wait_ready(self.ingest_health_addr, "ingest").await;
    }

    /// Stops ingest as a crash would: at once, nothing drained.
    pub async fn kill_ingest(&mut self) {
        if let Some(running) = self.ingest.take() {
            running.task.abort();
            let _ = running.task.await;
        }
    }

    /// Stops ingest gracefully and returns how it ended.
    #[allow(dead_code)]
    pub async fn stop_ingest(&mut self) -> Result<(), IngestError> {
        let running = self.ingest.take().expect("ingest is running");
        running.stop.cancel();
        running.task.await.unwrap()
    }

    /// Settings for a publisher on this system's database and broker.
    pub fn publisher_settings(&self) -> envmon_publisher::Settings {
        envmon_publisher::Settings {
            database: self.db.settings(),
            broker: self.broker.publisher_settings(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            staff: super::staff::staff_settings(),
            ..envmon_publisher::Settings::default()
        }
    }

    /// Starts one more publisher with `settings` (from
    /// [`Self::publisher_settings`], changed) and waits until it is ready.
    pub async fn spawn_publisher(&mut self, settings: envmon_publisher::Settings) -> SocketAddr {
        let publisher = Publisher::build(settings).await.unwrap();
        let addr = publisher.addr();
        let stop = CancellationToken::new();
        let task = tokio::spawn(publisher.run_until_stopped(stop.clone().cancelled_owned()));
        self.more_publishers.push(Running { stop, task });
        wait_ready(addr, "publisher").await;
        addr
    }

    async fn start_publisher(&mut self) {
        self.start_publisher_with(self.publisher_settings()).await;
    }

    /// Stops the publisher gracefully (live clients are closed with 1001).
    pub async fn stop_publisher(&mut self) {
        let running = self.publisher.take().expect("the publisher is running");
        running.stop.cancel();
        running.task.await.unwrap().unwrap();
    }

    /// Starts the publisher again on the address it had, as a restarted
    /// server comes back, and waits until it is ready.
    pub async fn restart_publisher(&mut self) {
        let settings = envmon_publisher::Settings {
            listen: self.publisher_addr,
            ..self.publisher_settings()
        };
        self.start_publisher_with(settings).await;
    }

    async fn start_publisher_with(&mut self, settings: envmon_publisher::Settings) {
        let publisher = Publisher::build(settings).await.unwrap();
        self.publisher_addr = publisher.addr();
        let stop = CancellationToken::new();
        let task = tokio::spawn(publisher.run_until_stopped(stop.clone().cancelled_owned()));
        self.publisher = Some(Running { stop, task });
        wait_ready(self.publisher_addr, "publisher").await;
    }

    /// Publishes `payload` on `topic` with Mosquitto's own client (QoS 1),
    /// so our code is not the only judge of the wire format; logged in as
    /// the daemon that may write `topic` (anonymous for sensor topics).
    pub async fn mosquitto_pub(&self, topic: &str, payload: &str) {
        let status = tokio::process::Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.broker.port.to_string(),
                "-q",
                "1",
            ])
            .args(TestBroker::login_args_for(topic))
            .args(["-i", &super::unique("pub"), "-t", topic, "-m", payload])
            .status()
            .await
            .expect("mosquitto_pub is installed");
        assert!(status.success(), "mosquitto_pub failed");
    }

    /// Publishes one message per payload on `topic` (QoS 1) with one
    /// `mosquitto_pub -l`: many messages without a process each.
    pub async fn mosquitto_pub_lines(&self, topic: &str, payloads: &[String]) {
        use tokio::io::AsyncWriteExt;
        let mut child = tokio::process::Command::new("mosquitto_pub")
            .args(["-h", "127.0.0.1", "-p", &self.broker.port.to_string()])
            .args(TestBroker::login_args_for(topic))
            .args(["-q", "1", "-t", topic, "-l"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("mosquitto_pub is installed");
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all((payloads.join("\n") + "\n").as_bytes())
            .await
            .unwrap();
        drop(stdin);
        assert!(
            child.wait().await.unwrap().success(),
            "mosquitto_pub failed"
        );
    }

    /// Opens a live WebSocket and returns it with its first (snapshot) message.
    pub async fn live_client(&self) -> (LiveClient, LiveMessage) {
        let url = format!("ws://{}/api/v1/live", self.publisher_addr);
        let (mut client, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let first = next_message(&mut client).await;
        (client, first)
    }

    /// Stops both daemons gracefully.
    pub async fn shutdown(mut self) {
        if let Some(running) = self.ingest.take() {
            running.stop.cancel();
            running.task.await.unwrap().unwrap();
        }
        if let Some(running) = self.publisher.take() {
            running.stop.cancel();
            running.task.await.unwrap().unwrap();
        }
        for running in std::mem::take(&mut self.more_publishers) {
            running.stop.cancel();
            running.task.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestSystem {
    fn drop(&mut self) {
        if let Some(running) = &self.ingest {
            running.task.abort();
        }
        if let Some(running) = &self.publisher {
            running.task.abort();
        }
        for running in &self.more_publishers {
            running.task.abort();
        }
    }
}

/// The next live message, within 10 seconds.
pub async fn next_message(client: &mut LiveClient) -> LiveMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), client.next())
            .await
            .expect("a live message within 10 s")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

async fn wait_ready(addr: SocketAddr, what: &str) {
    wait_for(
        &format!("{what} /readyz"),
        Duration::from_secs(10),
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
