//! Private RabbitMQ nodes (the MQTT plugin with quorum queues) with
//! envmon's shipped configuration, for the tests that restart, crash or
//! cluster the broker. A node has its own name, ports, data directory and
//! Erlang cookie, so it disturbs no other broker on the machine. Killed when
//! dropped.
//!
//! A node takes seconds to boot, so only the tests that must break a broker
//! start one; the others use a private Mosquitto (see `broker.rs`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use envmon_core::broker::BrokerSettings;

use super::rabbitmq_users::{self, Management};

const CONFIG_TEMPLATE: &str = include_str!("../../../deploy/rabbitmq/envmon.conf");
const RABBITMQ_SERVER: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
/// How long a node may take to boot on a busy two-core machine.
const BOOT_DEADLINE: Duration = Duration::from_secs(90);

/// The administrator every test node is made with (management API only).
pub const ADMIN_USER: &str = "envmon-admin";
const ADMIN_PASSWORD: &str = "test-admin-password";

/// A running RabbitMQ node.
#[derive(Debug)]
pub struct RabbitNode {
    pub name: String,
    pub mqtt_port: u16,
    /// MQTT over TLS, where a configuration has such a listener.
    pub mqtt_tls_port: u16,
    pub management_port: u16,
    amqp_port: u16,
    dist_port: u16,
    dir: PathBuf,
    /// Every node of the cluster this node was started in (itself included).
    cluster: Vec<String>,
    child: Option<Child>,
}

/// One anonymous MQTT 3.1.1 CONNECT (clean session) on `port`: `Ok` when
/// the CONNACK accepts it within two seconds.
fn mqtt_handshake(port: u16) -> Result<(), String> {
    use std::io::{Read, Write};
    let client_id = b"envmon-test-probe";
    let mut packet = vec![0x10, 0];
    packet.extend_from_slice(&[0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 10]);
    packet.extend_from_slice(&u16::try_from(client_id.len()).unwrap().to_be_bytes());
    packet.extend_from_slice(client_id);
    packet[1] = u8::try_from(packet.len() - 2).unwrap();
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    stream.write_all(&packet).map_err(|e| e.to_string())?;
    let mut connack = [0u8; 4];
    stream
        .read_exact(&mut connack)
        .map_err(|e| format!("no CONNACK: {e}"))?;
    let _ = stream.write_all(&[0xE0, 0]);
    match connack {
        [0x20, 2, _, 0] => Ok(()),
        other => Err(format!("CONNACK {other:?}")),
    }
}

/// Ports and names of one node, chosen before any node of a cluster starts.
#[derive(Debug, Clone)]
struct Plan {
    name: String,
    mqtt_port: u16,
    mqtt_tls_port: u16,
    management_port: u16,
    amqp_port: u16,
    dist_port: u16,
}

impl RabbitNode {
    /// Starts one node and makes envmon's users on it.
    pub fn start() -> Self {
        let mut nodes = Self::start_cluster(1);
        nodes.pop().expect("one node")
    }

    /// Starts `size` nodes that form one cluster (classic peer discovery:
    /// each knows the others' names), waits until every node takes MQTT
    /// connections, and makes envmon's users.
    pub fn start_cluster(size: usize) -> Vec<Self> {
        let nodes = Self::start_cluster_with(size, Self::local_config);
        rabbitmq_users::make_test_users(&nodes[0].management());
        if size > 1 {
            for node in &nodes {
                node.wait_for_mqtt_sessions();
            }
        }
        nodes
    }

    /// Waits until the node answers an MQTT CONNECT with a CONNACK that
    /// accepts it. A node that has joined a cluster listens at once but
    /// holds CONNECTs until the plugin's client-id registry (a Raft group
    /// across the cluster) has a leader; a sensor that connects then waits
    /// out its keep-alive again and again and publishes nothing.
    fn wait_for_mqtt_sessions(&self) {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < BOOT_DEADLINE {
            match mqtt_handshake(self.mqtt_port) {
                Ok(()) => return,
                Err(error) => last = error,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "RabbitMQ node {} accepted no MQTT session within {BOOT_DEADLINE:?}: {last}",
            self.name
        );
    }

    /// Starts one node whose configuration `config` writes (given the node,
    /// with its ports and directory), without making any user.
    pub fn start_with(config: impl Fn(&Self) -> String) -> Self {
        let mut nodes = Self::start_cluster_with(1, config);
        nodes.pop().expect("one node")
    }

    fn start_cluster_with(size: usize, config: impl Fn(&Self) -> String) -> Vec<Self> {
        super::init_logs();
        let id = super::unique("envmon");
        let plans: Vec<Plan> = (0..size)
            .map(|n| Plan {
                name: format!("{id}-{n}@localhost"),
                mqtt_port: free_port(),
                mqtt_tls_port: free_port(),
                management_port: free_port(),
                amqp_port: free_port(),
                dist_port: free_port(),
            })
            .collect();
        let cluster: Vec<String> = plans.iter().map(|p| p.name.clone()).collect();
        let root = std::env::temp_dir().join(&id);
        let mut nodes: Vec<Self> = plans
            .into_iter()
            .enumerate()
            .map(|(n, plan)| {
                let node = Self {
                    name: plan.name,
                    mqtt_port: plan.mqtt_port,
                    mqtt_tls_port: plan.mqtt_tls_port,
                    management_port: plan.management_port,
                    amqp_port: plan.amqp_port,
                    dist_port: plan.dist_port,
                    dir: root.join(n.to_string()),
                    cluster: cluster.clone(),
                    child: None,
                };
                node.write_files(&config(&node));
                node
            })
            .collect();
        // The first node boots alone; the others then join it. Booted all at
        // once, nodes that do not see each other in time form clusters of
        // their own.
        for node in &mut nodes {
            node.launch();
            node.wait_up();
        }
        if size > 1 {
            nodes[0].wait_for_cluster(size);
        }
        nodes
    }

    /// Waits until the management API lists `size` running nodes.
    fn wait_for_cluster(&self, size: usize) {
        let api = self.management();
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < BOOT_DEADLINE {
            let (status, body) = api.get("/api/nodes");
            if status == 200 {
                let nodes: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let running = nodes
                    .as_array()
                    .map_or(0, |n| n.iter().filter(|n| n["running"] == true).count());
                if running == size {
                    return;
                }
            }
            last = format!("HTTP {status}: {body}");
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("the cluster did not reach {size} running nodes: {last}");
    }

    /// deploy/rabbitmq/envmon.conf for this node, and its cluster.
    fn local_config(&self) -> String {
        let mut config = CONFIG_TEMPLATE
            .replace("@AMQP_PORT@", &self.amqp_port.to_string())
            .replace("@MQTT_PORT@", &self.mqtt_port.to_string())
            .replace("@MANAGEMENT_PORT@", &self.management_port.to_string())
            .replace("@VHOST@", "/")
            .replace("@ANONYMOUS_USER@", rabbitmq_users::ANONYMOUS_USER)
            .replace("@ANONYMOUS_PASSWORD@", rabbitmq_users::ANONYMOUS_PASSWORD)
            .replace("@ADMIN_USER@", ADMIN_USER)
            .replace("@ADMIN_PASSWORD@", ADMIN_PASSWORD);
        if self.cluster.len() > 1 {
            config.push_str("\ncluster_formation.peer_discovery_backend = classic_config\n");
            for (n, name) in self.cluster.iter().enumerate() {
                config.push_str(&format!(
                    "cluster_formation.classic_config.nodes.{} = {name}\n",
                    n + 1
                ));
            }
        }
        config
    }

    fn write_files(&self, config: &str) {
        std::fs::create_dir_all(&self.dir).unwrap();
        std::fs::write(self.dir.join("rabbitmq.conf"), config).unwrap();
        std::fs::write(
            self.dir.join("enabled_plugins"),
            "[rabbitmq_mqtt,rabbitmq_management].\n",
        )
        .unwrap();
        // One cookie for the cluster, readable by its owner only (Erlang
        // refuses it otherwise).
        let cookie = self.dir.join(".erlang.cookie");
        let cluster_id = self.cluster[0].replace(['@', '-', '.'], "");
        std::fs::write(&cookie, cluster_id).unwrap();
        std::fs::set_permissions(&cookie, std::os::unix::fs::PermissionsExt::from_mode(0o400))
            .unwrap();
    }

    fn launch(&mut self) {
        let log = std::fs::File::create(self.dir.join("console.log")).unwrap();
        let child = Command::new(RABBITMQ_SERVER)
            .env("HOME", &self.dir)
            .env("RABBITMQ_NODENAME", &self.name)
            .env("RABBITMQ_CONFIG_FILE", self.dir.join("rabbitmq.conf"))
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.dir.join("enabled_plugins"),
            )
            .env("RABBITMQ_MNESIA_BASE", self.dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", self.dir.join("log"))
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            // The script then execs the VM itself, so the child is the
            // broker: SIGTERM stops it cleanly, SIGKILL crashes it.
            .env("RUNNING_UNDER_SYSTEMD", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("RabbitMQ is installed (deploy/provision.sh)");
        self.child = Some(child);
    }

    fn wait_up(&mut self) {
        let started = Instant::now();
        while started.elapsed() < BOOT_DEADLINE {
            // A node takes MQTT on its plain port, its TLS port (the
            // production configuration has no plain one), or both.
            let listening = [self.mqtt_port, self.mqtt_tls_port]
                .into_iter()
                .any(|port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
            // The management plugin (which makes the users) starts after the MQTT listener.
            let managed = std::net::TcpStream::connect(("127.0.0.1", self.management_port)).is_ok();
            if listening && managed {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "RabbitMQ node {} exited ({status}): {}",
                    self.name,
                    self.console_log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "RabbitMQ node {} took MQTT connections not within {BOOT_DEADLINE:?}: {}",
            self.name,
            self.console_log()
        );
    }

    fn console_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("console.log")).unwrap_or_default()
    }

    /// The node's management API, as its administrator.
    pub fn management(&self) -> Management {
        Management::new(self.management_port, ADMIN_USER, ADMIN_PASSWORD)
    }

    /// Settings that point a daemon at this node, without credentials.
    pub fn settings(&self) -> BrokerSettings {
        BrokerSettings {
            port: self.mqtt_port,
            ..BrokerSettings::default()
        }
    }

    /// Stops the node cleanly (SIGTERM: the VM shuts RabbitMQ down in
    /// order) and starts it again with the same data.
    pub fn restart(&mut self) {
        self.stop_gracefully();
        self.launch();
        self.wait_up();
    }

    /// Kills the node at once (SIGKILL, as a crash or power cut would) and
    /// starts it again with the same data.
    pub fn crash_and_restart(&mut self) {
        self.kill();
        self.launch();
        self.wait_up();
    }

    /// Kills the node at once and leaves it down.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the node cleanly and leaves it down.
    pub fn stop_gracefully(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    /// Where the node keeps its data and logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The node's `rabbitmqctl`, as one command line (for `RABBITMQCTL`).
    pub fn rabbitmqctl(&self) -> String {
        format!(
            "env HOME={} /usr/lib/rabbitmq/bin/rabbitmqctl -n {}",
            self.dir.display(),
            self.name
        )
    }
}

impl Drop for RabbitNode {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
        // The cluster's directory, once its last node is gone.
        if let Some(cluster_dir) = self.dir.parent() {
            let _ = std::fs::remove_dir(cluster_dir);
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
