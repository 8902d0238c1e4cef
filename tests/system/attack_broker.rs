//! The broker as a trust boundary, tried for real with Mosquitto's own
//! clients against both shipped arrangements: the local Mosquitto
//! (deploy/mosquitto/envmon.conf with its ACL) and RabbitMQ (the MQTT plugin
//! with envmon's users and topic permissions).
//!
//! Each attack is judged where it matters, at the broker: a sniffer logged
//! in as the publisher (who may read every live topic) must never see the
//! forged message, and the database must never hold it. Each test also
//! checks that legitimate traffic still flows: a sensor's own reading is
//! stored and its state, published by ingest, reaches the sniffer.

use std::net::SocketAddr;
use std::time::Duration;

use envmon_core::broker::BrokerSettings;
use envmon_ingest::Ingest;
use rumqttc::{AsyncClient, Event, Packet, QoS};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::helpers::rabbitmq::RabbitNode;
use crate::helpers::rabbitmq_users::{
    INGEST_PASSWORD, INGEST_USER, PUBLISHER_PASSWORD, PUBLISHER_USER, SENSOR_PASSWORD, SENSOR_USER,
};
use crate::helpers::{TestBroker, TestDb, unique, wait_for};

/// A forged station state: AQI 499 for 1141A.
pub(crate) const FORGED_STATE: &str = r#"{"station":"1141A","kind":"air","updated_at":"2026-11-25T08:00:00Z","readings":{"pm25":{"value":987.6,"unit":"ug/m3","observed_at":"2026-11-25T08:00:00Z","quality":"valid"}},"aqi":{"value":499,"level":6}}"#;

/// A forged alert notice.
pub(crate) fn forged_notice() -> String {
    serde_json::json!({
        "id": "forged-x", "version": 99, "status": "cancelled", "severity": "red",
        "headline": {"zh": "伪造", "en": "Forged: all clear"},
        "description": {"zh": "", "en": ""}, "instruction": {"zh": "", "en": ""},
        "area": {"districts": [], "stations": []},
        "effective": "2026-11-25T08:00:00Z", "expires": "2099-01-01T00:00:00Z",
        "published_at": "2026-11-25T08:00:00Z", "references": null,
        "cap_url": "javascript:alert(1)"
    })
    .to_string()
}

/// A sensor record of `station` (one PM2.5 reading, value `pm25`).
pub(crate) fn record(station: &str, minute: u32, pm25: f64) -> String {
    format!(
        r#"{{"station":"{station}","observed_at":"2026-11-25T08:{minute:02}:00Z","readings":{{"pm25":{pm25}}}}}"#
    )
}

/// One broker arrangement with ingest running on it and a sniffer.
pub(crate) struct Target {
    db: TestDb,
    port: u16,
    ingest_stop: CancellationToken,
    ingest: tokio::task::JoinHandle<Result<(), envmon_ingest::IngestError>>,
    /// Every message the publisher's account receives on `live/#`.
    sniffed: mpsc::UnboundedReceiver<(String, String)>,
    seen: Vec<(String, String)>,
    sniffer: tokio::task::JoinHandle<()>,
}

impl Target {
    pub(crate) async fn start(port: u16, ingest: BrokerSettings, sniffer: BrokerSettings) -> Self {
        let db = TestDb::new().await;
        let settings = envmon_ingest::Settings {
            database: db.settings(),
            broker: ingest,
            client_id: unique("ingest"),
            batch_max_wait: Duration::from_millis(20),
            health_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..envmon_ingest::Settings::default()
        };
        let ingest = Ingest::build(settings).await.unwrap();
        let health = ingest.health_addr();
        let ingest_stop = CancellationToken::new();
        let ingest = tokio::spawn(ingest.run_until_stopped(ingest_stop.clone().cancelled_owned()));
        wait_for("ingest /readyz", Duration::from_secs(20), || async {
            match crate::helpers::http::get(health, "/readyz").await {
                Ok(r) if r.status == 200 => Ok(()),
                Ok(r) => Err(format!("{} {}", r.status, r.body)),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        let (sniffed, sniffer) = sniff(sniffer).await;
        Self {
            db,
            port,
            ingest_stop,
            ingest,
            sniffed,
            seen: Vec::new(),
            sniffer,
        }
    }

    /// Publishes with `mosquitto_pub` (QoS 1) as `login` (user, password),
    /// or anonymously; says whether the client reported success.
    pub(crate) async fn publish(
        &self,
        login: Option<(&str, &str)>,
        topic: &str,
        payload: &str,
    ) -> bool {
        let mut command = tokio::process::Command::new("mosquitto_pub");
        command
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q", "1"])
            .args(["-i", &unique("attacker"), "-t", topic, "-m", payload])
            .stderr(std::process::Stdio::null());
        if let Some((user, password)) = login {
            command.args(["-u", user, "-P", password]);
        }
        tokio::time::timeout(Duration::from_secs(10), command.status())
            .await
            .expect("mosquitto_pub returns")
            .expect("mosquitto_pub is installed")
            .success()
    }

    /// Sends a sensor's legitimate reading and waits until ingest stored it
    /// and its state came out on `live/`: the proof that the boundary
    /// still lets the right traffic through, and that anything forged
    /// before it had its chance to arrive.
    async fn legitimate_reading_flows(&mut self, login: Option<(&str, &str)>, minute: u32) {
        let pm25 = 30.0 + f64::from(minute);
        assert!(
            self.publish(login, "sensors/air/1141A", &record("1141A", minute, pm25))
                .await,
            "a legitimate sensor publishes"
        );
        self.expect_stored_and_live(minute).await;
    }

    /// Waits until the reading of 1141A sent as `record("1141A", minute,
    /// 30 + minute)` is stored and its state came out on `live/`.
    pub(crate) async fn expect_stored_and_live(&mut self, minute: u32) {
        let pm25 = 30.0 + f64::from(minute);
        let expected = format!("\"value\":{pm25:.1}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if self
                .seen
                .iter()
                .any(|(t, p)| t == "live/air/1141A" && p.contains(&expected))
            {
                break;
            }
            let next = tokio::time::timeout_at(deadline, self.sniffed.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "ingest's state with {expected} never came out on live/; saw {:?}",
                        self.seen
                    )
                })
                .expect("the sniffer runs");
            self.seen.push(next);
        }
        let stored = self
            .db
            .count(&format!(
                "SELECT count(*) FROM reading WHERE station_code = '1141A' AND value = {pm25}"
            ))
            .await;
        assert_eq!(stored, 1, "the legitimate reading is stored");
    }

    /// Nothing forged reached a subscriber or the database.
    pub(crate) async fn assert_nothing_forged_got_through(&mut self) {
        while let Ok(next) = self.sniffed.try_recv() {
            self.seen.push(next);
        }
        for (topic, payload) in &self.seen {
            assert!(
                !payload.contains("987.6") && !payload.contains("forged"),
                "a forged message reached live/: {topic} {payload}"
            );
            assert!(topic != "live/alert/forged-x", "a forged notice was routed");
        }
        assert_eq!(
            self.db
                .count("SELECT count(*) FROM reading WHERE station_code = '1142A'")
                .await,
            0,
            "nothing was stored for the station a sensor impersonated"
        );
    }

    pub(crate) async fn stop(self) {
        self.ingest_stop.cancel();
        self.ingest.await.unwrap().unwrap();
        self.sniffer.abort();
    }
}

/// A city AQI of 499 that ingest never computed.
const FORGED_AREA: &str = r#"{"area":"shanghai","kind":"city","name_zh":"上海市","name_en":"Shanghai","parent":null,"stations":19,"aqi":{"hour_end":"2026-11-25T08:00:00Z","edition":"HJ 633-2026","aqi":499,"level":6,"primary":["pm25"],"report":{"note":"forged"}}}"#;

/// Subscribes to `live/#` with `settings` and forwards every message.
async fn sniff(
    settings: BrokerSettings,
) -> (
    mpsc::UnboundedReceiver<(String, String)>,
    tokio::task::JoinHandle<()>,
) {
    let (client, mut eventloop) =
        AsyncClient::new(settings.mqtt_options(&unique("sniffer")).unwrap(), 64);
    let (tx, rx) = mpsc::unbounded_channel();
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
    let mut subscribed_tx = Some(subscribed_tx);
    let task = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    client.subscribe("live/#", QoS::AtLeastOnce).await.unwrap();
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(done) = subscribed_tx.take() {
                        let _ = done.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let payload = String::from_utf8_lossy(&p.payload).into_owned();
                    let _ = tx.send((p.topic, payload));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), subscribed)
        .await
        .expect("the sniffer subscribes")
        .unwrap();
    (rx, task)
}

/// Every attack of the trust model in turn, then the legitimate flow.
async fn attacks_fail_and_legitimate_traffic_flows(target: &mut Target) {
    // A legitimate reading flows before anything is tried.
    target.legitimate_reading_flows(None, 0).await;

    // An anonymous client forges a station state, a city AQI and a notice.
    target.publish(None, "live/air/1141A", FORGED_STATE).await;
    target
        .publish(None, "live/area/shanghai", FORGED_AREA)
        .await;
    target
        .publish(None, "live/alert/forged-x", &forged_notice())
        .await;
    // A sensor with an account speaks for another station.
    target
        .publish(
            Some((SENSOR_USER, SENSOR_PASSWORD)),
            "sensors/air/1142A",
            &record("1142A", 1, 987.6),
        )
        .await;
    // The publisher's credentials try to write a station state.
    target
        .publish(
            Some((PUBLISHER_USER, PUBLISHER_PASSWORD)),
            "live/air/1141A",
            FORGED_STATE,
        )
        .await;
    // Ingest's credentials try to write a notice.
    target
        .publish(
            Some((INGEST_USER, INGEST_PASSWORD)),
            "live/alert/forged-x",
            &forged_notice(),
        )
        .await;
    // A wrong password is refused outright.
    assert!(
        !target
            .publish(
                Some((INGEST_USER, "not-the-password")),
                "live/air/1141A",
                FORGED_STATE
            )
            .await,
        "a wrong password is refused"
    );

    // Legitimate traffic still flows, anonymous and from the sensor's own
    // account; everything forged above was sent before it.
    target.legitimate_reading_flows(None, 2).await;
    target
        .legitimate_reading_flows(Some((SENSOR_USER, SENSOR_PASSWORD)), 3)
        .await;
    target.assert_nothing_forged_got_through().await;
}

#[tokio::test]
async fn forged_states_notices_and_identities_fail_on_the_local_mosquitto() {
    let broker = TestBroker::start();
    let mut target = Target::start(
        broker.port,
        broker.ingest_settings(),
        broker.publisher_settings(),
    )
    .await;
    attacks_fail_and_legitimate_traffic_flows(&mut target).await;
    target.stop().await;
}

#[tokio::test]
async fn forged_states_notices_and_identities_fail_on_rabbitmq() {
    let node = RabbitNode::start();
    let login = |user: &str, password: &str| BrokerSettings {
        username: Some(user.into()),
        password: Some(password.into()),
        ..node.settings()
    };
    let mut target = Target::start(
        node.mqtt_port,
        login(INGEST_USER, INGEST_PASSWORD),
        login(PUBLISHER_USER, PUBLISHER_PASSWORD),
    )
    .await;
    attacks_fail_and_legitimate_traffic_flows(&mut target).await;
    target.stop().await;
}
