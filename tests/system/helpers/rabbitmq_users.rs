//! envmon's users on a test RabbitMQ node, made through the management
//! HTTP API (milliseconds, where `rabbitmqctl` takes a second a call), with
//! the same permissions `deploy/rabbitmq/users.sh` gives the provisioned and
//! production brokers.

use std::io::{Read, Write};

/// What anonymous MQTT clients log in as (`mqtt.default_user`).
pub const ANONYMOUS_USER: &str = "envmon-anonymous";
pub const ANONYMOUS_PASSWORD: &str = "test-anonymous-password";
/// The daemons' test credentials.
pub const INGEST_USER: &str = "envmon-ingest";
pub const INGEST_PASSWORD: &str = "test-ingest-password";
pub const PUBLISHER_USER: &str = "envmon-publisher";
pub const PUBLISHER_PASSWORD: &str = "test-publisher-password";
/// A sensor with an account of its own: the user name is its station code.
pub const SENSOR_USER: &str = "1141A";
pub const SENSOR_PASSWORD: &str = "test-sensor-password";

/// Topic permissions on `amq.topic` (RabbitMQ writes MQTT's `/` as `.`):
/// (user, password, may publish to, may subscribe to). Kept equal to
/// `deploy/rabbitmq/users.sh`, which a test compares against.
pub const TEST_USERS: [(&str, &str, &str, &str); 4] = [
    (
        ANONYMOUS_USER,
        ANONYMOUS_PASSWORD,
        r"^sensors\.[^.]+\.[^.]+$",
        "^$",
    ),
    (
        INGEST_USER,
        INGEST_PASSWORD,
        r"^live\.(air|river|source|plant|tap|radiation|area)\.[^.]+$",
        r"^sensors\..*",
    ),
    (
        PUBLISHER_USER,
        PUBLISHER_PASSWORD,
        r"^live\.(alert|forecast)\.[^.]+$",
        r"^live\..*",
    ),
    (
        SENSOR_USER,
        SENSOR_PASSWORD,
        r"^sensors\.[^.]+\.{username}$",
        "^$",
    ),
];

/// A node's management API, as one user.
#[derive(Debug, Clone)]
pub struct Management {
    port: u16,
    authorization: String,
}

impl Management {
    pub fn new(port: u16, user: &str, password: &str) -> Self {
        Self {
            port,
            authorization: format!("Basic {}", base64(format!("{user}:{password}").as_bytes())),
        }
    }

    /// GETs `path` and returns the status code and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let request = format!(
            // HTTP/1.0: a body without chunked encoding.
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\n\r\n",
            self.authorization
        );
        let response = self.exchange(&request);
        let status = status_of(&response);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// PUTs a JSON body and returns the status code.
    pub fn put(&self, path: &str, body: &serde_json::Value) -> u16 {
        let body = body.to_string();
        let request = format!(
            "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.authorization,
            body.len()
        );
        status_of(&self.exchange(&request))
    }

    /// Sends `request` on a new connection and reads the whole response.
    fn exchange(&self, request: &str) -> String {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }
}

fn status_of(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {response:?}"))
}

/// Makes envmon's test users on the default vhost.
pub fn make_test_users(api: &Management) {
    for (user, password, write, read) in TEST_USERS {
        let status = api.put(
            &format!("/api/users/{user}"),
            &serde_json::json!({ "password": password, "tags": "" }),
        );
        assert!(status == 201 || status == 204, "user {user}: HTTP {status}");
        // MQTT needs its own session queue (configure, read, write) and
        // amq.topic; what may be published or subscribed is decided by the
        // topic permissions below.
        let status = api.put(
            &format!("/api/permissions/%2F/{user}"),
            &serde_json::json!({ "configure": "^mqtt-subscription-.*", "write": "^(amq\\.topic|mqtt-subscription-.*)$", "read": "^(amq\\.topic|mqtt-subscription-.*)$" }),
        );
        assert!(
            status == 201 || status == 204,
            "permissions {user}: HTTP {status}"
        );
        let status = api.put(
            &format!("/api/topic-permissions/%2F/{user}"),
            &serde_json::json!({ "exchange": "amq.topic", "write": write, "read": read }),
        );
        assert!(
            status == 201 || status == 204,
            "topic permissions {user}: HTTP {status}"
        );
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
