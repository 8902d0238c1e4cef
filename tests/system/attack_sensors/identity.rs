//! HJ 212 loggers that cannot prove who they are: a wrong, missing or
//! guessed PW, an MN no station has, a station without a secret, a logger
//! outside its station's networks, and one address opening more connections
//! than its cap. Real TCP connections to the listener, real MQTT messages.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use super::wire::{
    MN, connect_from, data_answer, ingest_metric, is_closed, pw_wrong_answer, read_answer,
    realtime, register_logger, send, set_secret,
};
use crate::helpers::{TestDb, TestSystem, wait_for};

const DEADLINE: Duration = Duration::from_secs(15);

/// Waits until `sql` (one bigint) counts `expected`.
async fn count_when(db: &TestDb, what: &str, sql: &str, expected: i64) {
    wait_for(what, DEADLINE, || async {
        let count = db.count(sql).await;
        if count == expected {
            Ok(())
        } else {
            Err(format!("{count}"))
        }
    })
    .await;
}

fn auth_failures(transport: &str, reason: &str) -> f64 {
    ingest_metric(&format!(
        "envmon_ingest_hj212_auth_failures_total{{transport=\"{transport}\",reason=\"{reason}\"}}"
    ))
}

/// Sets a station's secret with the real `envmon stations secret`, the
/// secret on stdin as an operator would pipe it.
async fn set_secret_with_the_cli(db: &TestDb, station: &str, secret: &str) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(["stations", "secret", station])
        .env("ENVMON__DATABASE__URL", &db.url)
        .env_remove("ENVMON_STATION_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{secret}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!stdout.contains(secret), "{stdout}");
}

/// HMAC-SHA256(salt, secret) by Python's hmac module, as hex.
fn python_hmac(salt_hex: &str, secret: &str) -> String {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import hmac, sys; print(hmac.new(bytes.fromhex(sys.argv[1]), sys.argv[2].encode(), 'sha256').hexdigest())",
            salt_hex,
            secret,
        ])
        .output()
        .expect("python3 is installed");
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_wrong_pw_is_answered_pw_wrong_counted_and_kept_only_as_a_masked_dead_letter() {
    const SECRET: &str = "Putuo-Logger-7";
    let mut system = TestSystem::start().await;
    register_logger(&system.db, "1141A", MN, &[]).await;
    set_secret_with_the_cli(&system.db, "1141A", SECRET).await;
    // Ingest takes a new secret within a minute; a restart takes it now.
    system.stop_ingest().await.unwrap();
    system.start_ingest().await;

    // Stored hashed: the salted HMAC-SHA256 of the secret, as Python
    // computes it, and the secret nowhere in the row.
    let row = system
        .db
        .client()
        .await
        .query_one(
            "SELECT encode(salt, 'hex'), encode(mac, 'hex'), algorithm FROM hj212_secret
             WHERE station_code = '1141A'",
            &[],
        )
        .await
        .unwrap();
    let (salt, mac, algorithm): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(algorithm, "hmac-sha256");
    assert_eq!(mac, python_hmac(&salt, SECRET));
    let clear = system
        .db
        .count(
            "SELECT count(*) FROM hj212_secret
             WHERE position(convert_to('Putuo-Logger-7', 'UTF8') IN salt || mac) > 0",
        )
        .await;
    assert_eq!(clear, 0);

    let addr = system.hj212_addr;
    let password_failures = auth_failures("tcp", "hj212_password");
    let unknown_failures = auth_failures("tcp", "hj212_unknown_mn");

    // Before: the logger with its secret is stored and answered 9014.
    let mut logger = connect_from("127.0.0.1", addr).await;
    let first = realtime(
        "20261201103000001",
        Some(SECRET),
        MN,
        "20261201103000",
        "35.2",
    );
    assert_eq!(
        send(&mut logger, &first).await.as_deref(),
        Some(&*data_answer("20261201103000001", SECRET, MN))
    );

    // A guessed PW: 9011 QnRtn=3 (PW wrong), after a pause, then closed.
    let mut guesser = connect_from("127.0.0.1", addr).await;
    let guess = realtime(
        "20261201103100001",
        Some("Putuo-Logger-8"),
        MN,
        "20261201103100",
        "999",
    );
    let started = Instant::now();
    let answer = send(&mut guesser, &guess).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        answer.as_deref(),
        Some(&*pw_wrong_answer(
            "20261201103100001",
            Some("Putuo-Logger-8"),
            MN
        ))
    );
    assert!(
        is_closed(&mut guesser).await,
        "a refused logger is disconnected"
    );

    // No PW at all, and an MN no station has: the same answer, so neither
    // tells an attacker more than the other.
    let mut bare = connect_from("127.0.0.1", addr).await;
    let no_pw = realtime("20261201103200001", None, MN, "20261201103200", "998");
    assert_eq!(
        send(&mut bare, &no_pw).await.as_deref(),
        Some(&*pw_wrong_answer("20261201103200001", None, MN))
    );
    assert!(is_closed(&mut bare).await);
    let stranger_mn = "3700000A0000000000000999";
    let mut stranger = connect_from("127.0.0.1", addr).await;
    let unknown = realtime(
        "20261201103300001",
        Some(SECRET),
        stranger_mn,
        "20261201103300",
        "997",
    );
    assert_eq!(
        send(&mut stranger, &unknown).await.as_deref(),
        Some(&*pw_wrong_answer(
            "20261201103300001",
            Some(SECRET),
            stranger_mn
        ))
    );
    assert!(is_closed(&mut stranger).await);

    // With the right PW, a value of 400 digits is no number: refused, kept.
    let huge = format!("1{}", "0".repeat(400));
    let overflow = realtime(
        "20261201103400001",
        Some(SECRET),
        MN,
        "20261201103400",
        &huge,
    );
    assert_eq!(
        send(&mut logger, &overflow).await.as_deref(),
        Some(&*data_answer("20261201103400001", SECRET, MN))
    );

    // After: the logger goes on, on its open connection and a new one.
    let later = realtime(
        "20261201103500001",
        Some(SECRET),
        MN,
        "20261201103500",
        "36.1",
    );
    assert_eq!(
        send(&mut logger, &later).await.as_deref(),
        Some(&*data_answer("20261201103500001", SECRET, MN))
    );

    // Over MQTT the same rule: a wrong PW is refused, the right one taken.
    let mqtt_guess = realtime(
        "20261201103600001",
        Some("123456"),
        MN,
        "20261201103600",
        "996",
    );
    system.mosquitto_pub("sensors/air/1141A", &mqtt_guess).await;
    let mqtt_right = realtime(
        "20261201103700001",
        Some(SECRET),
        MN,
        "20261201103700",
        "37.0",
    );
    system.mosquitto_pub("sensors/air/1141A", &mqtt_right).await;

    count_when(
        &system.db,
        "the genuine readings (PM2.5 and NO2 of three packets)",
        "SELECT count(*) FROM reading",
        6,
    )
    .await;
    count_when(
        &system.db,
        "the refusals",
        "SELECT count(*) FROM dead_letter",
        5,
    )
    .await;
    let rows = system
        .db
        .client()
        .await
        .query(
            "SELECT reason_code, topic, encode(payload, 'escape') FROM dead_letter ORDER BY reason_code, topic",
            &[],
        )
        .await
        .unwrap();
    let letters: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let codes: Vec<(&str, bool)> = letters
        .iter()
        .map(|(code, topic, _)| (code.as_str(), topic.starts_with("hj212/tcp/")))
        .collect();
    assert_eq!(
        codes,
        [
            ("hj212_password", true),
            ("hj212_password", true),
            ("hj212_password", false),
            ("hj212_unknown_mn", true),
            ("non_finite", true),
        ]
    );
    for (code, _, payload) in &letters {
        assert!(!payload.contains("Putuo-Logger"), "{code}: {payload}");
        assert!(!payload.contains("PW=123456"), "{code}: {payload}");
    }
    assert!(letters[0].2.contains("PW=***") || letters[1].2.contains("PW=***"));
    let values: Vec<f64> = system
        .db
        .client()
        .await
        .query(
            "SELECT value FROM reading WHERE parameter_code = 'pm25' ORDER BY observed_at",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(values, [35.2, 36.1, 37.0]);

    assert!(auth_failures("tcp", "hj212_password") >= password_failures + 2.0);
    assert!(auth_failures("tcp", "hj212_unknown_mn") >= unknown_failures + 1.0);
    assert!(auth_failures("mqtt", "hj212_password") >= 1.0);
    system.shutdown().await;
}

#[tokio::test]
async fn a_station_without_a_secret_is_refused_unless_secrets_are_made_optional() {
    const MN2: &str = "3700000A0000000000000002";
    let mut system = TestSystem::start().await;
    register_logger(&system.db, "1142A", MN2, &[]).await;
    register_logger(&system.db, "1141A", MN, &[]).await;
    set_secret(&system.db, "1141A", "Putuo-Logger-7").await;

    let packet = |qn: &str, pw: &str, mn: &str, time: &str| realtime(qn, Some(pw), mn, time, "30");
    let mut logger = connect_from("127.0.0.1", system.hj212_addr).await;
    assert_eq!(
        send(&mut logger, &packet("1", "123456", MN2, "20261201110000"))
            .await
            .as_deref(),
        Some(&*pw_wrong_answer("1", Some("123456"), MN2))
    );
    count_when(
        &system.db,
        "the no-secret refusal",
        "SELECT count(*) FROM dead_letter WHERE reason_code = 'hj212_no_secret'",
        1,
    )
    .await;

    // An operator who must keep old loggers running opts out: stations
    // without a secret are taken on their MN, stations with one still
    // need it.
    system.stop_ingest().await.unwrap();
    let settings = envmon_ingest::Settings {
        hj212_require_secret: false,
        ..system.ingest_settings()
    };
    system.start_ingest_with(settings).await;
    let mut logger = connect_from("127.0.0.1", system.hj212_addr).await;
    assert_eq!(
        send(&mut logger, &packet("2", "123456", MN2, "20261201110100"))
            .await
            .as_deref(),
        Some(&*data_answer("2", "123456", MN2))
    );
    let mut guesser = connect_from("127.0.0.1", system.hj212_addr).await;
    assert_eq!(
        send(&mut guesser, &packet("3", "123456", MN, "20261201110200"))
            .await
            .as_deref(),
        Some(&*pw_wrong_answer("3", Some("123456"), MN))
    );
    assert_eq!(
        send(
            &mut logger,
            &packet("4", "Putuo-Logger-7", MN, "20261201110300")
        )
        .await
        .as_deref(),
        Some(&*data_answer("4", "Putuo-Logger-7", MN))
    );
    count_when(
        &system.db,
        "the two taken packets",
        "SELECT count(*) FROM reading",
        4,
    )
    .await;
    count_when(
        &system.db,
        "the wrong PW's refusal",
        "SELECT count(*) FROM dead_letter WHERE reason_code = 'hj212_password'",
        1,
    )
    .await;
    system.shutdown().await;
}

#[tokio::test]
async fn a_logger_outside_its_stations_networks_is_refused_and_inside_them_taken() {
    const SECRET: &str = "Putuo-Logger-7";
    let system = TestSystem::start().await;
    register_logger(&system.db, "1141A", MN, &["127.0.0.2/32"]).await;
    set_secret(&system.db, "1141A", SECRET).await;
    let failures = auth_failures("tcp", "hj212_network");

    let mut inside = connect_from("127.0.0.2", system.hj212_addr).await;
    let before = realtime("1", Some(SECRET), MN, "20261201120000", "30");
    assert_eq!(
        send(&mut inside, &before).await.as_deref(),
        Some(&*data_answer("1", SECRET, MN))
    );
    // The right PW from the wrong network is refused all the same.
    let mut outside = connect_from("127.0.0.1", system.hj212_addr).await;
    let stolen = realtime("2", Some(SECRET), MN, "20261201120100", "999");
    assert_eq!(
        send(&mut outside, &stolen).await.as_deref(),
        Some(&*pw_wrong_answer("2", Some(SECRET), MN))
    );
    assert!(is_closed(&mut outside).await);
    let after = realtime("3", Some(SECRET), MN, "20261201120200", "31");
    assert_eq!(
        send(&mut inside, &after).await.as_deref(),
        Some(&*data_answer("3", SECRET, MN))
    );

    count_when(
        &system.db,
        "the genuine readings",
        "SELECT count(*) FROM reading",
        4,
    )
    .await;
    count_when(
        &system.db,
        "the network refusal",
        "SELECT count(*) FROM dead_letter WHERE reason_code = 'hj212_network'
         AND topic LIKE 'hj212/tcp/127.0.0.1:%'",
        1,
    )
    .await;
    assert_eq!(
        system
            .db
            .count("SELECT count(*) FROM reading WHERE value = 999")
            .await,
        0
    );
    assert!(auth_failures("tcp", "hj212_network") >= failures + 1.0);
    system.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_of_one_address_are_closed_while_another_address_is_served() {
    const SECRET: &str = "Putuo-Logger-7";
    let mut system = TestSystem::start().await;
    register_logger(&system.db, "1141A", MN, &[]).await;
    set_secret(&system.db, "1141A", SECRET).await;
    system.stop_ingest().await.unwrap();
    let settings = envmon_ingest::Settings {
        hj212_max_connections_per_address: 3,
        ..system.ingest_settings()
    };
    system.start_ingest_with(settings).await;
    let addr = system.hj212_addr;
    let mut n = 0;
    let mut next_packet = || {
        n += 1;
        let qn = format!("{n}");
        let packet = realtime(&qn, Some(SECRET), MN, &format!("202612011300{n:02}"), "30");
        (packet, data_answer(&qn, SECRET, MN))
    };

    // Three connections from one address, each served.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut logger = connect_from("127.0.0.1", addr).await;
        let (packet, answer) = next_packet();
        assert_eq!(send(&mut logger, &packet).await, Some(answer));
        held.push(logger);
    }
    let refused_before =
        ingest_metric("envmon_ingest_hj212_connections_refused_total{reason=\"address_cap\"}");

    // A fourth and a fifth are closed at once, unanswered.
    let mut fourth = connect_from("127.0.0.1", addr).await;
    assert!(is_closed(&mut fourth).await, "the fourth is closed");
    let mut fifth = connect_from("127.0.0.1", addr).await;
    let (packet, _) = next_packet();
    let _ = fifth.write_all(packet.as_bytes()).await;
    assert_eq!(read_answer(&mut fifth).await, None);
    assert!(
        ingest_metric("envmon_ingest_hj212_connections_refused_total{reason=\"address_cap\"}")
            >= refused_before + 2.0
    );

    // Another address still connects; the held connections still work.
    let mut neighbour = connect_from("127.0.0.2", addr).await;
    let (packet, answer) = next_packet();
    assert_eq!(send(&mut neighbour, &packet).await, Some(answer));
    let (packet, answer) = next_packet();
    assert_eq!(send(&mut held[0], &packet).await, Some(answer));

    // A closed connection frees its slot.
    drop(held.pop());
    let (packet, answer) = next_packet();
    let mut again = wait_for("a freed slot", DEADLINE, || async {
        let mut logger = connect_from("127.0.0.1", addr).await;
        let _ = logger.write_all(packet.as_bytes()).await;
        match read_answer(&mut logger).await {
            Some(got) if got == answer => Ok(logger),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let (packet, answer) = next_packet();
    assert_eq!(send(&mut again, &packet).await, Some(answer));

    // Every packet sent on a served connection is stored: 3 + 1 + 1 + 1 + 1,
    // two readings each; the one sent to the refused fifth is not.
    count_when(
        &system.db,
        "the genuine readings",
        "SELECT count(*) FROM reading",
        14,
    )
    .await;
    system.shutdown().await;
}
