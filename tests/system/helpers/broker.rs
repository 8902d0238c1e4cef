//! A private Mosquitto per test, with envmon's shipped configuration, on a
//! free port. Killed when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use envmon_core::broker::BrokerSettings;

const CONFIG_TEMPLATE: &str = include_str!("../../../deploy/mosquitto/envmon.conf");
const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// A running broker.
#[derive(Debug)]
pub struct TestBroker {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl TestBroker {
    /// Starts a broker; retries on another port if the one picked was taken.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(super::unique("envmon-broker"));
        std::fs::create_dir_all(&dir).unwrap();
        // Mosquitto started as root drops to its own user: let it write here.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut broker = Self {
                port,
                dir: dir.clone(),
                child: None,
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

    /// Settings that point a daemon at this broker.
    pub fn settings(&self) -> BrokerSettings {
        BrokerSettings {
            port: self.port,
            ..BrokerSettings::default()
        }
    }

    /// Stops the broker cleanly (SIGTERM: it saves its state) and starts it
    /// again on the same port with the same persistence.
    pub fn restart(&mut self) {
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
