//! The production broker configuration, run for real: Mosquitto with
//! deploy/mosquitto/production.conf and its ACL, passwords over TLS for
//! envmon's daemons, TLS with client certificates for sensors (made here
//! with openssl). A sensor can publish its own station's readings and cannot
//! speak for another station; strangers are refused.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use envmon_core::broker::BrokerSettings;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestDb, unique, wait_for};

/// The files deploy/compose.yaml mounts into the broker container.
pub const PRODUCTION_CONF: &str = include_str!("../../deploy/mosquitto/production.conf");
pub const ACL: &str = include_str!("../../deploy/mosquitto/acl");

const INGEST_PASSWORD: &str = "ingest-secret";
const PUBLISHER_PASSWORD: &str = "publisher-secret";

/// A broker running the production configuration on two free ports.
struct ProductionBroker {
    dir: PathBuf,
    /// The daemons' listener: TLS and passwords.
    daemon_port: u16,
    tls_port: u16,
    child: Child,
}

impl ProductionBroker {
    fn start() -> Self {
        let dir = std::env::temp_dir().join(unique("envmon-prod-broker"));
        let certs = dir.join("config/certs");
        std::fs::create_dir_all(&certs).unwrap();
        std::fs::create_dir_all(dir.join("data")).unwrap();
        make_certificates(&certs);
        let config = dir.join("config");
        std::fs::write(config.join("acl"), ACL).unwrap();
        for (user, password, create) in [
            ("envmon-ingest", INGEST_PASSWORD, true),
            ("envmon-publisher", PUBLISHER_PASSWORD, false),
        ] {
            let mut command = Command::new("mosquitto_passwd");
            if create {
                command.arg("-c");
            }
            let status = command
                .arg("-b")
                .arg(config.join("passwd"))
                .args([user, password])
                .status()
                .expect("mosquitto_passwd is installed");
            assert!(status.success());
        }
        // Mosquitto started as root drops to its own user: let it read and write.
        let _ = Command::new("chmod")
            .arg("-R")
            .arg("a+rwX")
            .arg(&dir)
            .status();

        let (daemon_port, tls_port) = (free_port(), free_port());
        // Only the ports, the bind address and the directory differ.
        let text = PRODUCTION_CONF
            .replace("/mosquitto/", &format!("{}/", dir.display()))
            .replace(
                "listener 8884\n",
                &format!("listener {daemon_port} 127.0.0.1\n"),
            )
            .replace(
                "listener 8883\n",
                &format!("listener {tls_port} 127.0.0.1\n"),
            );
        assert!(text.contains(&format!("listener {tls_port} 127.0.0.1")));
        assert!(text.contains(&format!("listener {daemon_port} 127.0.0.1")));
        let conf = config.join("mosquitto.conf");
        std::fs::write(&conf, text).unwrap();
        let child = Command::new("/usr/sbin/mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed");
        let broker = Self {
            dir,
            daemon_port,
            tls_port,
            child,
        };
        let started = Instant::now();
        while [daemon_port, tls_port]
            .iter()
            .any(|port| std::net::TcpStream::connect(("127.0.0.1", *port)).is_err())
        {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "mosquitto did not start with production.conf"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        broker
    }

    fn settings(&self, username: &str, password: &str) -> BrokerSettings {
        BrokerSettings {
            port: self.daemon_port,
            username: Some(username.into()),
            password: Some(password.into()),
            tls: envmon_core::tls::BrokerTls {
                enabled: true,
                ca_file: Some(self.certs().join("ca.crt")),
                ..envmon_core::tls::BrokerTls::default()
            },
            ..BrokerSettings::default()
        }
    }

    fn certs(&self) -> PathBuf {
        self.dir.join("config/certs")
    }

    /// mosquitto_pub over TLS as `sensor` (its certificate), QoS 1.
    fn publish_as_sensor(&self, sensor: Option<&str>, topic: &str, payload: &str) -> bool {
        let certs = self.certs();
        let mut command = Command::new("mosquitto_pub");
        command
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.tls_port.to_string(),
                "-q",
                "1",
            ])
            .arg("--cafile")
            .arg(certs.join("ca.crt"));
        if let Some(sensor) = sensor {
            command
                .arg("--cert")
                .arg(certs.join(format!("{sensor}.crt")))
                .arg("--key")
                .arg(certs.join(format!("{sensor}.key")));
        }
        command
            .args(["-i", &unique("sensor"), "-t", topic, "-m", payload])
            .stderr(Stdio::null())
            .status()
            .expect("mosquitto_pub is installed")
            .success()
    }
}

impl Drop for ProductionBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl is installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A test CA, the broker's certificate for 127.0.0.1, and a client
/// certificate per sensor whose CN is its station code.
pub(crate) fn make_certificates(dir: &Path) {
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509", "-days", "2", "-subj", "/CN=envmon test CA"];
    ca.extend(key);
    ca.extend(["-keyout", "ca.key", "-out", "ca.crt"]);
    openssl(dir, &ca);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for (name, subject) in [
        ("server", "/CN=localhost"),
        ("1141A", "/CN=1141A"),
        ("1142A", "/CN=1142A"),
        ("envmon-ingest", "/CN=envmon-ingest"),
        ("envmon-publisher", "/CN=envmon-publisher"),
    ] {
        let (key_file, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        let mut request = vec!["req", "-subj", subject];
        request.extend(key);
        request.extend(["-keyout", &key_file, "-out", &csr]);
        openssl(dir, &request);
        let mut sign = vec![
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
        ];
        // Extensions make version 3 certificates, which rustls requires.
        if name == "server" {
            sign.extend(["-extfile", "server.ext"]);
        } else {
            sign.extend(["-extfile", "client.ext"]);
        }
        openssl(dir, &sign);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn record(station: &str, pm25: f64) -> String {
    format!(
        r#"{{"station":"{station}","observed_at":"2026-11-25T18:00:00+08:00","readings":{{"pm25":{pm25}}}}}"#
    )
}

#[tokio::test]
async fn a_sensor_publishes_only_to_its_own_station_topic() {
    crate::helpers::init_logs();
    let broker = ProductionBroker::start();
    let db = TestDb::new().await;
    let stop = CancellationToken::new();

    // Ingest and publisher with their own users, ingest in a shared group.
    let ingest = envmon_ingest::Ingest::build(envmon_ingest::Settings {
        database: db.settings(),
        broker: broker.settings("envmon-ingest", INGEST_PASSWORD),
        client_id: unique("ingest"),
        shared_group: "ingest".into(),
        batch_max_wait: Duration::from_millis(20),
        health_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..envmon_ingest::Settings::default()
    })
    .await
    .unwrap();
    let ingest_health = ingest.health_addr();
    let ingest = tokio::spawn(ingest.run_until_stopped(stop.clone().cancelled_owned()));
    let publisher = envmon_publisher::Publisher::build(envmon_publisher::Settings {
        database: db.settings(),
        broker: broker.settings("envmon-publisher", PUBLISHER_PASSWORD),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..envmon_publisher::Settings::default()
    })
    .await
    .unwrap();
    let publisher_addr = publisher.addr();
    let publisher = tokio::spawn(publisher.run_until_stopped(stop.clone().cancelled_owned()));
    for addr in [ingest_health, publisher_addr] {
        wait_for(
            "readiness with passwords",
            Duration::from_secs(10),
            || async {
                match crate::helpers::http::get(addr, "/readyz").await {
                    Ok(response) if response.status == 200 => Ok(()),
                    Ok(response) => Err(response.body),
                    Err(error) => Err(error.to_string()),
                }
            },
        )
        .await;
    }
    let (mut live, _) =
        tokio_tungstenite::connect_async(format!("ws://{publisher_addr}/api/v1/live"))
            .await
            .unwrap();

    // Sensor 1141A speaks for 1142A first (the ACL drops it), then for itself.
    assert!(broker.publish_as_sensor(Some("1141A"), "sensors/air/1142A", &record("1142A", 99.0)));
    assert!(broker.publish_as_sensor(Some("1141A"), "sensors/air/1141A", &record("1141A", 35.0)));
    // Strangers: no client certificate, or no password on the daemons'
    // port (over TLS, so the password is what is missing).
    assert!(!broker.publish_as_sensor(None, "sensors/air/1141A", &record("1141A", 1.0)));
    let anonymous = Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &broker.daemon_port.to_string(),
            "-q",
            "1",
        ])
        .arg("--cafile")
        .arg(broker.certs().join("ca.crt"))
        .args(["-t", "sensors/air/1141A", "-m", &record("1141A", 2.0)])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!anonymous.success(), "an anonymous client is refused");

    // The own reading arrives through ingest and the live topic (ingest may
    // write the station states, the publisher read them).
    let state = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let Some(Ok(Message::Text(text))) = live.next().await else {
                panic!("the live socket closed");
            };
            let message: serde_json::Value = serde_json::from_str(&text).unwrap();
            if message["type"] == "update" && message["state"]["station"] == "1141A" {
                return message["state"].clone();
            }
        }
    })
    .await
    .expect("the sensor's own reading reaches the live feed");
    assert_eq!(state["readings"]["pm25"]["value"], 35.0);

    // Everything from the sensor is in; the spoof never reached ingest.
    assert_eq!(
        db.count("SELECT count(*) FROM reading WHERE station_code = '1141A'")
            .await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM reading WHERE station_code = '1142A'")
            .await,
        0
    );
    assert_eq!(db.count("SELECT count(*) FROM dead_letter").await, 0);

    stop.cancel();
    ingest.await.unwrap().unwrap();
    publisher.await.unwrap().unwrap();
}
