//! RabbitMQ's production configuration, run for real: a node with
//! deploy/rabbitmq/production.conf (only ports, bind addresses, the
//! directory and the node name changed), its users and permissions made by
//! deploy/rabbitmq/users.sh, sensors and envmon's daemons over TLS with
//! client certificates (made here with openssl). A sensor publishes its own
//! station's readings and cannot speak for another; the daemons write only
//! their own topics; strangers and forgers are refused.

use std::path::Path;
use std::process::Command;

use envmon_core::broker::BrokerSettings;

use crate::attack_broker::{FORGED_STATE, Target, forged_notice, record};
use crate::helpers::rabbitmq::RabbitNode;
use crate::helpers::unique;

/// The file deploy/compose.yaml mounts into each RabbitMQ container.
pub const PRODUCTION_CONF: &str = include_str!("../../deploy/rabbitmq/production.conf");

const INGEST_PASSWORD: &str = "ingest-secret";
const PUBLISHER_PASSWORD: &str = "publisher-secret";

/// production.conf for `node`: its ports on 127.0.0.1, its directory, its
/// name as the whole cluster.
fn config_for(node: &RabbitNode) -> String {
    let dir = node.dir().display().to_string();
    let text = PRODUCTION_CONF
        .replace("/etc/rabbitmq/", &format!("{dir}/"))
        .replace(
            "mqtt.listeners.ssl.default = 8883\n",
            &format!(
                "mqtt.listeners.ssl.default = 127.0.0.1:{}\n",
                node.mqtt_tls_port
            ),
        )
        .replace(
            "management.tcp.port = 15672\n",
            &format!(
                "management.tcp.port = {}\nmanagement.tcp.ip = 127.0.0.1\n",
                node.management_port
            ),
        )
        .replace("rabbit@rabbit-1", &node.name)
        .replace(
            "cluster_formation.classic_config.nodes.2 = rabbit@rabbit-2\n",
            "",
        )
        .replace(
            "cluster_formation.classic_config.nodes.3 = rabbit@rabbit-3\n",
            "",
        );
    assert!(text.contains(&format!("127.0.0.1:{}", node.mqtt_tls_port)));
    // The certificates, before the node reads them.
    let certs = node.dir().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    crate::deploy_broker::make_certificates(&certs);
    text
}

/// Publishes over TLS with the client certificate of `cert` (or none);
/// says whether the client reported success.
async fn publish_tls(node: &RabbitNode, cert: Option<&str>, topic: &str, payload: &str) -> bool {
    let certs = node.dir().join("certs");
    let mut command = tokio::process::Command::new("mosquitto_pub");
    command
        .args(["-h", "localhost", "-p", &node.mqtt_tls_port.to_string()])
        .arg("--cafile")
        .arg(certs.join("ca.crt"))
        .args([
            "-q",
            "1",
            "-i",
            &unique("sensor"),
            "-t",
            topic,
            "-m",
            payload,
        ])
        .stderr(std::process::Stdio::null());
    if let Some(name) = cert {
        command
            .arg("--cert")
            .arg(certs.join(format!("{name}.crt")))
            .arg("--key")
            .arg(certs.join(format!("{name}.key")));
    }
    tokio::time::timeout(std::time::Duration::from_secs(10), command.status())
        .await
        .expect("mosquitto_pub returns")
        .unwrap()
        .success()
}

/// deploy/rabbitmq/users.sh with a users file of envmon's daemons and two
/// sensors, as an operator runs it.
fn make_users(node: &RabbitNode) {
    let users = node.dir().join("users");
    std::fs::write(
        &users,
        format!(
            "envmon-ingest:{INGEST_PASSWORD}\nenvmon-publisher:{PUBLISHER_PASSWORD}\n\
             1141A:unused-with-certificates\n1142A:unused-with-certificates\n"
        ),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/rabbitmq/users.sh");
    let status = Command::new(script)
        .args(["/", &users.display().to_string()])
        .env("RABBITMQCTL", node.rabbitmqctl())
        .status()
        .unwrap();
    assert!(status.success(), "deploy/rabbitmq/users.sh failed");
}

/// Settings for a daemon on the node's TLS listener, logging in with the
/// client certificate `name` (its CN is the account).
fn daemon_over_tls(node: &RabbitNode, name: &str) -> BrokerSettings {
    let certs = node.dir().join("certs");
    let key = certs.join(format!("{name}.key"));
    // A client key others can read is refused: as an operator would keep it.
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let mut settings = BrokerSettings {
        host: "localhost".into(),
        port: node.mqtt_tls_port,
        ..BrokerSettings::default()
    };
    settings.tls.enabled = true;
    settings.tls.ca_file = Some(certs.join("ca.crt"));
    settings.tls.client_cert_file = Some(certs.join(format!("{name}.crt")));
    settings.tls.client_key_file = Some(key);
    settings
}

#[tokio::test]
async fn rabbitmq_production_config_lets_sensors_publish_only_their_own_station() {
    let node = RabbitNode::start_with(config_for);
    make_users(&node);
    // Nothing listens in plain text.
    assert!(std::net::TcpStream::connect(("127.0.0.1", node.mqtt_port)).is_err());
    let mut target = Target::start(
        node.mqtt_tls_port,
        daemon_over_tls(&node, "envmon-ingest"),
        daemon_over_tls(&node, "envmon-publisher"),
    )
    .await;

    // A sensor with its certificate publishes its own station's reading.
    assert!(
        publish_tls(
            &node,
            Some("1141A"),
            "sensors/air/1141A",
            &record("1141A", 0, 30.0)
        )
        .await
    );
    target.expect_stored_and_live(0).await;

    // It cannot speak for another station; a client without a certificate
    // is refused; neither daemon's certificate can write the other's
    // topics.
    publish_tls(
        &node,
        Some("1141A"),
        "sensors/air/1142A",
        &record("1142A", 1, 987.6),
    )
    .await;
    assert!(
        !publish_tls(&node, None, "sensors/air/1141A", &record("1141A", 1, 987.6)).await,
        "a TLS client without a certificate is refused"
    );
    publish_tls(
        &node,
        Some("envmon-publisher"),
        "live/air/1141A",
        FORGED_STATE,
    )
    .await;
    publish_tls(
        &node,
        Some("envmon-ingest"),
        "live/alert/forged-x",
        &forged_notice(),
    )
    .await;
    publish_tls(&node, Some("1142A"), "live/air/1141A", FORGED_STATE).await;

    // The sensor's next reading still flows; nothing forged got through.
    assert!(
        publish_tls(
            &node,
            Some("1141A"),
            "sensors/air/1141A",
            &record("1141A", 2, 32.0)
        )
        .await
    );
    target.expect_stored_and_live(2).await;
    target.assert_nothing_forged_got_through().await;
    target.stop().await;
}
