//! TLS for the daemons' own connections, against real TLS listeners: a
//! private PostgreSQL with ssl on (and one with ssl off) and a private
//! Mosquitto with TLS listeners, certificates made with openssl. A reading
//! travels sensor -> broker -> ingest -> PostgreSQL -> publisher -> browser
//! with every link encrypted; a wrong CA, a wrong host name and a server
//! without TLS are refused with errors that say so, and libpq (psql) agrees
//! with envmon on every PostgreSQL case.

pub(crate) mod certs;
mod servers;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use envmon_core::Parameter;
use envmon_core::broker::BrokerSettings;
use envmon_core::db::DatabaseSettings;
use envmon_core::tls::{BrokerTls, PgTls, SslMode};
use envmon_core::wire::LiveMessage;
use envmon_ingest::Ingest;
use envmon_publisher::Publisher;
use rumqttc::{AsyncClient, Event, Packet};
use tokio_util::sync::CancellationToken;

use self::certs::{CLIENT_NAME, Certs};
use self::servers::{PrivatePostgres, Ssl, TlsBroker};
use crate::helpers::system::{LiveClient, next_message};
use crate::helpers::{http, init_logs, unique, wait_for};

const DEADLINE: Duration = Duration::from_secs(10);

async fn wait_ready(addr: SocketAddr, what: &str) {
    wait_for(&format!("{what} /readyz"), DEADLINE, || async {
        match http::get(addr, "/readyz").await {
            Ok(response) if response.status == 200 => Ok(()),
            Ok(response) => Err(format!("{} {}", response.status, response.body)),
            Err(error) => Err(error.to_string()),
        }
    })
    .await;
}

/// Broker settings over TLS to `port`, trusting `ca`.
fn broker_tls(port: u16, ca: PathBuf) -> BrokerSettings {
    BrokerSettings {
        port,
        tls: BrokerTls {
            enabled: true,
            ca_file: Some(ca),
            ..BrokerTls::default()
        },
        ..BrokerSettings::default()
    }
}

/// Connects with the daemons' own options; the CONNACK, or the error.
async fn mqtt_connect(settings: &BrokerSettings) -> Result<(), String> {
    let options = settings
        .mqtt_options(&unique("tls-probe"))
        .map_err(|e| e.to_string())?;
    let (client, mut eventloop) = AsyncClient::new(options, 4);
    let outcome = tokio::time::timeout(DEADLINE, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(error) => return Err(error.to_string()),
            }
        }
    })
    .await
    .expect("the broker answers within the deadline");
    drop(client);
    outcome
}

/// Opens a connection with `settings` and says whether it is encrypted,
/// as the server sees it.
async fn pg_encrypted(settings: &DatabaseSettings) -> Result<bool, String> {
    let (client, connection) = settings.connect().await.map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

/// The same connection with libpq (psql): whether it is encrypted.
fn psql_encrypted(
    pg: &PrivatePostgres,
    user: &str,
    host: &str,
    tls: &PgTls,
) -> Result<bool, String> {
    let mut conninfo = format!(
        "host={host} hostaddr=127.0.0.1 port={} dbname=envmon user={user} sslmode={}",
        pg.port,
        tls.effective_mode()
    );
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    for (key, value) in [
        ("sslrootcert", path(&tls.ca_file)),
        ("sslcert", path(&tls.client_cert_file)),
        ("sslkey", path(&tls.client_key_file)),
    ] {
        if let Some(value) = value {
            conninfo.push_str(&format!(" {key}={value}"));
        }
    }
    // No ~/.postgresql files of the machine's user may take part.
    let home = std::env::temp_dir().join(unique("envmon-psql-home"));
    let output = std::process::Command::new("psql")
        .arg(&conninfo)
        .args([
            "-XAtc",
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ])
        .env("HOME", &home)
        .env("PGPASSWORD", servers::PASSWORD)
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .expect("psql is installed");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim() == "t")
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn record(station: &str, pm25: f64) -> String {
    let observed_at = (Utc::now() - chrono::Duration::minutes(2)).trunc_subsecs(0);
    format!(
        r#"{{"station":"{station}","observed_at":"{}","readings":{{"pm25":{pm25},"no2":41,"co":{{"value":0.7,"unit":"mg/m3"}}}}}}"#,
        observed_at.to_rfc3339()
    )
}

/// mosquitto_pub over TLS to `port`, trusting `ca` (QoS 1).
async fn mosquitto_pub_tls(port: u16, ca: &Path, topic: &str, payload: &str) {
    let status = tokio::process::Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1"])
        .arg("--cafile")
        .arg(ca)
        .args(["-i", &unique("sensor"), "-t", topic, "-m", payload])
        .status()
        .await
        .expect("mosquitto_pub is installed");
    assert!(status.success(), "mosquitto_pub over TLS failed");
}

#[tokio::test]
async fn a_reading_sent_over_tls_is_stored_and_relayed_with_every_link_encrypted() {
    // Arrange: our CA, a TLS-only broker, a PostgreSQL with ssl on.
    init_logs();
    let certs = Certs::make();
    let pg = PrivatePostgres::start(&certs, Ssl::On);
    let broker = TlsBroker::start(&certs);
    // Ingest: verify-full in the URL, libpq style; the broker listener that
    // requires a client certificate.
    let ingest_database = DatabaseSettings {
        url: format!(
            "{}&sslmode=verify-full&sslrootcert={}",
            pg.url("envmon", "127.0.0.1"),
            certs.path("ca.crt").display()
        ),
        max_connections: 4,
        ..DatabaseSettings::default()
    };
    pg.prepare(&ingest_database).await;
    let mut ingest_broker = broker_tls(broker.client_cert_port, certs.path("ca.crt"));
    ingest_broker.tls.client_cert_file = Some(certs.path("client.crt"));
    ingest_broker.tls.client_key_file = Some(certs.path("client.key"));
    let ingest = Ingest::build(envmon_ingest::Settings {
        database: ingest_database,
        broker: ingest_broker,
        client_id: unique("ingest"),
        batch_max_wait: Duration::from_millis(20),
        health_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        retention: envmon_core::db::RetentionSettings {
            readings: Duration::ZERO,
            aggregates: Duration::ZERO,
            dead_letters: Duration::ZERO,
            ..envmon_core::db::RetentionSettings::default()
        },
        ..envmon_ingest::Settings::default()
    })
    .await
    .unwrap();
    let ingest_health = ingest.health_addr();
    let stop = CancellationToken::new();
    let ingest_task = tokio::spawn(ingest.run_until_stopped(stop.clone().cancelled_owned()));
    wait_ready(ingest_health, "ingest").await;
    // Publisher: the same through [database.tls], and the server name
    // given instead of the host dialled.
    let mut publisher_broker = broker_tls(broker.port, certs.path("ca.crt"));
    publisher_broker.tls.server_name = Some("localhost".into());
    let publisher = Publisher::build(envmon_publisher::Settings {
        database: DatabaseSettings {
            url: pg.url("envmon", "localhost"),
            max_connections: 4,
            tls: PgTls {
                mode: Some(SslMode::VerifyFull),
                ca_file: Some(certs.path("ca.crt")),
                ..PgTls::default()
            },
            ..DatabaseSettings::default()
        },
        broker: publisher_broker,
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        staff: crate::helpers::staff::staff_settings(),
        ..envmon_publisher::Settings::default()
    })
    .await
    .unwrap();
    let publisher_addr = publisher.addr();
    let publisher_task = tokio::spawn(publisher.run_until_stopped(stop.clone().cancelled_owned()));
    wait_ready(publisher_addr, "publisher").await;
    let (mut live, _): (LiveClient, _) =
        tokio_tungstenite::connect_async(format!("ws://{publisher_addr}/api/v1/live"))
            .await
            .unwrap();
    let snapshot = next_message(&mut live).await;
    assert!(matches!(snapshot, LiveMessage::Snapshot { .. }));

    // Act: a sensor publishes over TLS with Mosquitto's own client.
    mosquitto_pub_tls(
        broker.port,
        &certs.path("ca.crt"),
        "sensors/air/1141A",
        &record("1141A", 35.5),
    )
    .await;

    // Assert: stored, relayed, and every envmon session encrypted.
    let admin = DatabaseSettings {
        url: pg.url("envmon", "127.0.0.1"),
        tls: PgTls {
            mode: Some(SslMode::VerifyFull),
            ca_file: Some(certs.path("ca.crt")),
            ..PgTls::default()
        },
        ..DatabaseSettings::default()
    };
    let (client, connection) = admin.connect().await.unwrap();
    tokio::spawn(connection);
    wait_for("the three readings", DEADLINE, || async {
        let count: i64 = client
            .query_one("SELECT count(*) FROM reading", &[])
            .await
            .map_err(|e| e.to_string())?
            .get(0);
        if count == 3 {
            Ok(())
        } else {
            Err(format!("{count} readings"))
        }
    })
    .await;
    let LiveMessage::Update { state } = next_message(&mut live).await else {
        panic!("expected an update after the snapshot");
    };
    assert_eq!(state.station.as_str(), "1141A");
    assert_eq!(state.readings[&Parameter::Pm25].value, 35.5);
    let sessions = client
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE s.ssl)
             FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
             WHERE a.application_name = 'envmon' AND a.pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    let (all, encrypted): (i64, i64) = (sessions.get(0), sessions.get(1));
    assert!(all >= 2, "ingest and publisher hold sessions: {all}");
    assert_eq!(encrypted, all, "every envmon session is encrypted");

    stop.cancel();
    ingest_task.await.unwrap().unwrap();
    publisher_task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_broker_with_a_certificate_from_another_ca_or_for_another_name_is_refused() {
    let certs = Certs::make();
    let broker = TlsBroker::start(&certs);
    let ca = certs.path("ca.crt");

    // The unrelated CA's broker: refused, saying why and what was trusted.
    let error = mqtt_connect(&broker_tls(broker.other_ca_port, ca.clone()))
        .await
        .unwrap_err();
    assert!(
        error.contains("not signed by a trusted CA") && error.contains(&ca.display().to_string()),
        "{error}"
    );
    // openssl agrees that the chain does not lead to our CA...
    let s_client = std::process::Command::new("openssl")
        .args(["s_client", "-verify_return_error", "-brief"])
        .arg("-CAfile")
        .arg(&ca)
        .args(["-connect", &format!("127.0.0.1:{}", broker.other_ca_port)])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!s_client.status.success(), "openssl accepted the other CA");
    // ...and a client that trusts that CA connects: the listener is sound.
    mqtt_connect(&broker_tls(
        broker.other_ca_port,
        certs.path("other-ca.crt"),
    ))
    .await
    .unwrap();

    // Our broker, checked against a name its certificate does not carry.
    let mut wrong_name = broker_tls(broker.port, ca.clone());
    wrong_name.tls.server_name = Some("mqtt.example.org".into());
    let error = mqtt_connect(&wrong_name).await.unwrap_err();
    assert!(
        error.contains("for mqtt.example.org") && error.contains("names 127.0.0.1, localhost"),
        "{error}"
    );
    let mut right_name = wrong_name.clone();
    right_name.tls.server_name = Some("localhost".into());
    mqtt_connect(&right_name).await.unwrap();
    mqtt_connect(&broker_tls(broker.port, ca.clone()))
        .await
        .unwrap();

    // The listener that requires a client certificate: none is refused,
    // ours is accepted.
    let anonymous = broker_tls(broker.client_cert_port, ca.clone());
    assert!(mqtt_connect(&anonymous).await.is_err());
    let mut with_certificate = anonymous.clone();
    with_certificate.tls.client_cert_file = Some(certs.path("client.crt"));
    with_certificate.tls.client_key_file = Some(certs.path("client.key"));
    mqtt_connect(&with_certificate).await.unwrap();

    // Plain MQTT to a TLS listener does not connect either.
    let plain = BrokerSettings {
        port: broker.port,
        ..BrokerSettings::default()
    };
    assert!(mqtt_connect(&plain).await.is_err());

    // Unusable settings stop a daemon at start, naming the file.
    let missing = broker_tls(broker.port, certs.path("missing-ca.crt"));
    let error = missing.mqtt_options("x").unwrap_err().to_string();
    assert!(error.contains("missing-ca.crt"), "{error}");
    let mut half = broker_tls(broker.port, ca.clone());
    half.tls.client_cert_file = Some(certs.path("client.crt"));
    assert!(half.mqtt_options("x").is_err());
    let mut exposed = with_certificate.clone();
    let loose_key = certs.path("loose.key");
    std::fs::copy(certs.path("client.key"), &loose_key).unwrap();
    std::fs::set_permissions(
        &loose_key,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    exposed.tls.client_key_file = Some(loose_key);
    let error = exposed.mqtt_options("x").unwrap_err().to_string();
    assert!(error.contains("readable by others"), "{error}");
}

/// One PostgreSQL case: who connects to which name with what settings, and
/// what must happen.
struct Case {
    what: &'static str,
    user: &'static str,
    host: &'static str,
    tls: PgTls,
    /// `Ok(encrypted)`, or a fragment of envmon's refusal.
    expect: Result<bool, &'static str>,
}

fn tls(mode: SslMode, ca: Option<PathBuf>) -> PgTls {
    PgTls {
        mode: Some(mode),
        ca_file: ca,
        ..PgTls::default()
    }
}

/// Runs each case with envmon's connector and with libpq.
async fn check_cases(pg: &PrivatePostgres, cases: Vec<Case>) {
    for case in cases {
        let settings = DatabaseSettings {
            url: pg.url(case.user, case.host),
            tls: case.tls.clone(),
            ..DatabaseSettings::default()
        };
        let ours = pg_encrypted(&settings).await;
        let libpq = psql_encrypted(pg, case.user, case.host, &case.tls);
        match case.expect {
            Ok(encrypted) => {
                assert_eq!(ours, Ok(encrypted), "{}: envmon", case.what);
                assert_eq!(libpq, Ok(encrypted), "{}: libpq", case.what);
            }
            Err(fragment) => {
                let error = ours.expect_err(case.what);
                assert!(error.contains(fragment), "{}: {error}", case.what);
                assert!(libpq.is_err(), "{}: libpq connected", case.what);
            }
        }
    }
}

#[tokio::test]
async fn postgres_sslmodes_hold_against_a_real_tls_server_as_libpq_does() {
    let certs = Certs::make();
    let pg = PrivatePostgres::start(&certs, Ssl::On);
    let ca = || Some(certs.path("ca.crt"));
    let other_ca = || Some(certs.path("other-ca.crt"));
    let with_client = PgTls {
        client_cert_file: Some(certs.path("client.crt")),
        client_key_file: Some(certs.path("client.key")),
        ..tls(SslMode::VerifyFull, ca())
    };
    let cases = vec![
        Case {
            what: "verify-full with our CA",
            user: "envmon",
            host: "127.0.0.1",
            tls: tls(SslMode::VerifyFull, ca()),
            expect: Ok(true),
        },
        Case {
            what: "verify-full by DNS name",
            user: "envmon",
            host: "localhost",
            tls: tls(SslMode::VerifyFull, ca()),
            expect: Ok(true),
        },
        Case {
            what: "verify-full trusting another CA",
            user: "envmon",
            host: "127.0.0.1",
            tls: tls(SslMode::VerifyFull, other_ca()),
            expect: Err("not signed by a trusted CA"),
        },
        Case {
            what: "verify-full with a wrong host name",
            user: "envmon",
            host: "db.example.org",
            tls: tls(SslMode::VerifyFull, ca()),
            expect: Err("for db.example.org is refused: it names 127.0.0.1, localhost"),
        },
        Case {
            what: "verify-ca ignores the host name",
            user: "envmon",
            host: "db.example.org",
            tls: tls(SslMode::VerifyCa, ca()),
            expect: Ok(true),
        },
        Case {
            what: "verify-ca trusting another CA",
            user: "envmon",
            host: "db.example.org",
            tls: tls(SslMode::VerifyCa, other_ca()),
            expect: Err("not signed by a trusted CA"),
        },
        Case {
            what: "require without a CA: encrypted, not verified",
            user: "envmon",
            host: "db.example.org",
            tls: tls(SslMode::Require, None),
            expect: Ok(true),
        },
        Case {
            what: "require with a CA verifies it",
            user: "envmon",
            host: "127.0.0.1",
            tls: tls(SslMode::Require, other_ca()),
            expect: Err("not signed by a trusted CA"),
        },
        Case {
            what: "prefer takes TLS when offered",
            user: "envmon",
            host: "127.0.0.1",
            tls: tls(SslMode::Prefer, None),
            expect: Ok(true),
        },
        Case {
            what: "disable stays plain",
            user: "envmon",
            host: "127.0.0.1",
            tls: tls(SslMode::Disable, None),
            expect: Ok(false),
        },
        Case {
            what: "a client certificate authenticates its role",
            user: CLIENT_NAME,
            host: "127.0.0.1",
            tls: with_client,
            expect: Ok(true),
        },
        Case {
            what: "that role without its certificate",
            user: CLIENT_NAME,
            host: "127.0.0.1",
            tls: tls(SslMode::VerifyFull, ca()),
            expect: Err("certificate"),
        },
    ];
    check_cases(&pg, cases).await;

    // A daemon refuses to start against the wrong CA, and says why.
    let error = Ingest::build(envmon_ingest::Settings {
        database: DatabaseSettings {
            url: pg.url("envmon", "127.0.0.1"),
            tls: tls(SslMode::VerifyFull, other_ca()),
            ..DatabaseSettings::default()
        },
        health_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..envmon_ingest::Settings::default()
    })
    .await
    .unwrap_err();
    let chain = format!("{:#}", anyhow::Error::from(error));
    assert!(
        chain.contains("cannot connect to PostgreSQL")
            && chain.contains("not signed by a trusted CA"),
        "{chain}"
    );
}

#[tokio::test]
async fn sslmode_require_against_a_server_without_tls_fails() {
    let certs = Certs::make();
    let pg = PrivatePostgres::start(&certs, Ssl::Off);
    let ca = || Some(certs.path("ca.crt"));
    let cases = vec![
        Case {
            what: "require",
            user: "envmon",
            host: "127.0.0.1",
            tls: tls(SslMode::Require, None),
            expect: Err("server does not support TLS"),
        },
        Case {
            what: "verify-full",
            user: "envmon",
            host: "127.0.0.1",
            tls: tls(SslMode::VerifyFull, ca()),
            expect: Err("server does not support TLS"),
        },
        Case {
            what: "prefer falls back to plain text",
            user: "envmon",
            host: "127.0.0.1",
            tls: tls(SslMode::Prefer, ca()),
            expect: Ok(false),
        },
        Case {
            what: "disable",
            user: "envmon",
            host: "127.0.0.1",
            tls: PgTls::default(),
            expect: Ok(false),
        },
    ];
    check_cases(&pg, cases).await;
}
