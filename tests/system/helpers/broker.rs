//! A private Mosquitto per test, with envmon's shipped configuration (its
//! ACL, and passwords for envmon's daemons), on a free port. Killed when
//! dropped.
//!
//! `ENVMON_TEST_BROKER=rabbitmq` puts a private RabbitMQ node (see
//! `rabbitmq.rs`, same accounts) in its place, to run any system test on the
//! other broker envmon ships for: slow (a node boots in seconds), so not in
//! the test command.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use envmon_core::broker::BrokerSettings;

use super::rabbitmq_users::{
    INGEST_PASSWORD, INGEST_USER, PUBLISHER_PASSWORD, PUBLISHER_USER, SENSOR_PASSWORD, SENSOR_USER,
};

const CONFIG_TEMPLATE: &str = include_str!("../../../deploy/mosquitto/envmon.conf");
const ACL: &str = include_str!("../../../deploy/mosquitto/acl");
const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// A running broker.
#[derive(Debug)]
pub struct TestBroker {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// The RabbitMQ node standing in for Mosquitto, if asked for.
    rabbit: Option<super::rabbitmq::RabbitNode>,
}

impl TestBroker {
    /// Starts a broker; retries on another port if the one picked was taken.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(super::unique("envmon-broker"));
        if std::env::var("ENVMON_TEST_BROKER").as_deref() == Ok("rabbitmq") {
            let node = super::rabbitmq::RabbitNode::start();
            return Self {
                port: node.mqtt_port,
                dir,
                child: None,
                rabbit: Some(node),
            };
        }
        std::fs::create_dir_all(&dir).unwrap();
        // Mosquitto started as root drops to its own user: let it write here.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        std::fs::write(dir.join("acl"), ACL).unwrap();
        make_password_file(&dir.join("passwd"));
        for _ in 0..5 {
            let port = free_port();
            let mut broker = Self {
                port,
                dir: dir.clone(),
                child: None,
                rabbit: None,
            };
            if broker.launch() {
                return broker;
            }
        }
        panic!("cannot start mosquitto; run deploy/test.sh to install it");
    }

    fn launch(&mut self) -> bool {
        let config = CONFIG_TEMPLATE
            .replace("@PORT@", &self.port.to_string())
            .replace("@DATA_DIR@", &self.dir.display().to_string());
        let config_path = self.dir.join("mosquitto.conf");
        std::fs::write(&config_path, config).unwrap();
        let mut child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                self.child = Some(child);
                return true;
            }
            if child.try_wait().unwrap().is_some() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Settings that point a client at this broker, anonymously (as the
    /// demo's simulated sensors connect).
    pub fn settings(&self) -> BrokerSettings {
        BrokerSettings {
            port: self.port,
            ..BrokerSettings::default()
        }
    }

    /// Settings for ingest, logged in as `envmon-ingest`.
    pub fn ingest_settings(&self) -> BrokerSettings {
        self.settings_as(INGEST_USER, INGEST_PASSWORD)
    }

    /// Settings for a publisher, logged in as `envmon-publisher`.
    pub fn publisher_settings(&self) -> BrokerSettings {
        self.settings_as(PUBLISHER_USER, PUBLISHER_PASSWORD)
    }

    /// Settings logged in as `user`.
    pub fn settings_as(&self, user: &str, password: &str) -> BrokerSettings {
        BrokerSettings {
            username: Some(user.into()),
            password: Some(password.into()),
            ..self.settings()
        }
    }

    /// The accounts file (`user:password` lines) provisioning would write.
    pub fn users_file(&self) -> String {
        format!("{INGEST_USER}:{INGEST_PASSWORD}\n{PUBLISHER_USER}:{PUBLISHER_PASSWORD}\n")
    }

    /// `mosquitto_pub`/`mosquitto_sub` arguments that log in as the daemon
    /// allowed to write `topic` (ingest for station states, the publisher
    /// for notices and for reading live topics); none for sensor topics.
    pub fn login_args_for(topic: &str) -> Vec<&'static str> {
        if topic.starts_with("live/alert/")
            || topic.starts_with("live/forecast/")
            || topic == "live/#"
        {
            vec!["-u", PUBLISHER_USER, "-P", PUBLISHER_PASSWORD]
        } else if topic.starts_with("live/") {
            vec!["-u", INGEST_USER, "-P", INGEST_PASSWORD]
        } else {
            Vec::new()
        }
    }

    /// Stops the broker cleanly (SIGTERM: it saves its state) and starts it
    /// again on the same port with the same persistence.
    pub fn restart(&mut self) {
        if let Some(node) = &mut self.rabbit {
            return node.restart();
        }
        self.stop();
        assert!(
            self.launch(),
            "mosquitto did not come back on port {}",
            self.port
        );
    }

    /// Kills the broker at once (SIGKILL, as a crash would: nothing saved
    /// since the last autosave) and starts it again on the same port with
    /// the same persistence.
    pub fn crash_and_restart(&mut self) {
        if let Some(node) = &mut self.rabbit {
            return node.crash_and_restart();
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        assert!(
            self.launch(),
            "mosquitto did not come back on port {}",
            self.port
        );
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Mosquitto's password file for the daemons' and one sensor's test
/// accounts, made with its own `mosquitto_passwd`.
fn make_password_file(path: &std::path::Path) {
    for (n, (user, password)) in [
        (INGEST_USER, INGEST_PASSWORD),
        (PUBLISHER_USER, PUBLISHER_PASSWORD),
        (SENSOR_USER, SENSOR_PASSWORD),
    ]
    .into_iter()
    .enumerate()
    {
        let mut command = Command::new("mosquitto_passwd");
        if n == 0 {
            command.arg("-c");
        }
        let status = command
            .arg("-b")
            .arg(path)
            .args([user, password])
            .status()
            .expect("mosquitto_passwd is installed");
        assert!(status.success(), "mosquitto_passwd failed");
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
