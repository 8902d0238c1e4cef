//! Real TLS listeners of the test's own: a PostgreSQL cluster made with
//! `initdb` in a temporary directory (as the `postgres` user: PostgreSQL
//! will not run as root) and a Mosquitto with three TLS listeners. Both
//! are stopped and removed when dropped; the shared servers are untouched.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use envmon_core::db::{DatabaseSettings, migrate};
use envmon_core::registry::{SHANGHAI_REGISTRY, import_stations, parse_registry};

use super::certs::{CLIENT_NAME, Certs};
use crate::helpers::unique;

/// The password of the `envmon` role of the private cluster.
pub const PASSWORD: &str = "envmon-tls-test";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The newest installed PostgreSQL's programs.
fn pg_bin(program: &str) -> PathBuf {
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed; run deploy/test.sh")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let version = versions.last().expect("a PostgreSQL version");
    PathBuf::from(format!("/usr/lib/postgresql/{version}/bin/{program}"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// Runs a PostgreSQL program as the `postgres` user when we are root.
fn as_postgres(program: &str, args: &[&str]) -> Output {
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(pg_bin(program));
        command
    } else {
        Command::new(pg_bin(program))
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("runs")
}

fn chown_postgres(path: &Path) {
    if is_root() {
        let status = Command::new("chown")
            .arg("-R")
            .arg("postgres:postgres")
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// Whether the private cluster offers TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ssl {
    On,
    Off,
}

/// A private PostgreSQL cluster on a free port of 127.0.0.1.
#[derive(Debug)]
pub struct PrivatePostgres {
    dir: PathBuf,
    pub port: u16,
}

impl PrivatePostgres {
    /// A new cluster with the roles `envmon` (password) and
    /// [`CLIENT_NAME`] (client certificate only, over TLS), and a database
    /// `envmon`.
    pub fn start(certs: &Certs, ssl: Ssl) -> Self {
        let dir = std::env::temp_dir().join(unique("envmon-pg"));
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["server.crt", "server.key", "ca.crt"] {
            std::fs::copy(certs.path(file), dir.join(file)).unwrap();
        }
        // PostgreSQL refuses a key its group or others may read.
        std::fs::set_permissions(
            dir.join("server.key"),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        chown_postgres(&dir);
        let data = dir.join("data");
        let output = as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-N",
                "--no-instructions",
            ],
        );
        assert!(output.status.success(), "initdb: {output:?}");
        let dir_text = dir.display().to_string();
        std::fs::write(
            data.join("pg_hba.conf"),
            format!(
                "local all postgres trust\n\
                 hostssl all {CLIENT_NAME} 127.0.0.1/32 cert\n\
                 host all envmon 127.0.0.1/32 scram-sha-256\n"
            ),
        )
        .unwrap();
        let mut server = Self { dir, port: 0 };
        for _ in 0..5 {
            server.port = free_port();
            let config = format!(
                "listen_addresses = '127.0.0.1'\n\
                 port = {port}\n\
                 unix_socket_directories = '{dir_text}'\n\
                 ssl = {ssl}\n\
                 ssl_cert_file = '{dir_text}/server.crt'\n\
                 ssl_key_file = '{dir_text}/server.key'\n\
                 ssl_ca_file = '{dir_text}/ca.crt'\n\
                 fsync = off\n\
                 max_connections = 40\n\
                 shared_buffers = 16MB\n",
                port = server.port,
                ssl = if ssl == Ssl::On { "on" } else { "off" },
            );
            std::fs::write(data.join("postgresql.auto.conf"), config).unwrap();
            chown_postgres(&server.dir);
            let log = server.dir.join("log");
            let output = as_postgres(
                "pg_ctl",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-l",
                    log.to_str().unwrap(),
                    "-w",
                    "-t",
                    "30",
                    "start",
                ],
            );
            if output.status.success() {
                server.create_roles();
                return server;
            }
        }
        panic!(
            "the private PostgreSQL did not start: {}",
            std::fs::read_to_string(server.dir.join("log")).unwrap_or_default()
        );
    }

    fn create_roles(&self) {
        let output = Command::new(pg_bin("psql"))
            .args(["-h", self.dir.to_str().unwrap()])
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-q"])
            .args([
                "-c",
                &format!("CREATE ROLE envmon LOGIN PASSWORD '{PASSWORD}'"),
                "-c",
                &format!("CREATE ROLE {CLIENT_NAME} LOGIN"),
                "-c",
                "CREATE DATABASE envmon OWNER envmon",
            ])
            .output()
            .expect("psql is installed");
        assert!(output.status.success(), "psql: {output:?}");
    }

    /// `postgres://user[:password]@host:port/envmon?hostaddr=127.0.0.1`:
    /// `host` is the name the server's certificate is checked against.
    pub fn url(&self, user: &str, host: &str) -> String {
        let credentials = if user == "envmon" {
            format!("envmon:{PASSWORD}")
        } else {
            user.to_owned()
        };
        format!(
            "postgres://{credentials}@{host}:{}/envmon?hostaddr=127.0.0.1",
            self.port
        )
    }

    /// Migrates the `envmon` database and imports the Shanghai registry,
    /// over `settings`.
    pub async fn prepare(&self, settings: &DatabaseSettings) {
        let (mut client, connection) = settings.connect().await.unwrap();
        let connection = tokio::spawn(connection);
        migrate(&mut client).await.unwrap();
        let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        import_stations(&mut client, &stations).await.unwrap();
        drop(client);
        let _ = connection.await;
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = as_postgres(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Mosquitto whose every listener speaks TLS with a certificate for
/// 127.0.0.1 and localhost.
#[derive(Debug)]
pub struct TlsBroker {
    dir: PathBuf,
    child: Child,
    /// Our CA's server certificate; any client.
    pub port: u16,
    /// Our CA's server certificate; clients must present a certificate
    /// signed by our CA.
    pub client_cert_port: u16,
    /// A server certificate from the unrelated CA.
    pub other_ca_port: u16,
}

impl TlsBroker {
    pub fn start(certs: &Certs) -> Self {
        let dir = std::env::temp_dir().join(unique("envmon-tls-broker"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str| certs.path(name).display().to_string();
        for _ in 0..5 {
            let ports = [free_port(), free_port(), free_port()];
            let config = format!(
                "per_listener_settings false\n\
                 allow_anonymous true\n\
                 persistence false\n\
                 max_packet_size 131072\n\
                 log_dest stderr\n\
                 listener {} 127.0.0.1\n\
                 certfile {server_crt}\nkeyfile {server_key}\n\
                 listener {} 127.0.0.1\n\
                 cafile {ca}\ncertfile {server_crt}\nkeyfile {server_key}\n\
                 require_certificate true\n\
                 listener {} 127.0.0.1\n\
                 certfile {other_crt}\nkeyfile {other_key}\n",
                ports[0],
                ports[1],
                ports[2],
                server_crt = path("server.crt"),
                server_key = path("server.key"),
                ca = path("ca.crt"),
                other_crt = path("other-server.crt"),
                other_key = path("other-server.key"),
            );
            let conf = dir.join("mosquitto.conf");
            std::fs::write(&conf, config).unwrap();
            let mut child = Command::new("/usr/sbin/mosquitto")
                .arg("-c")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("mosquitto is installed");
            let started = Instant::now();
            loop {
                if ports
                    .iter()
                    .all(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok())
                {
                    return Self {
                        dir,
                        child,
                        port: ports[0],
                        client_cert_port: ports[1],
                        other_ca_port: ports[2],
                    };
                }
                if child.try_wait().unwrap().is_some() || started.elapsed() > Duration::from_secs(5)
                {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("cannot start mosquitto with TLS listeners");
    }
}

impl Drop for TlsBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
