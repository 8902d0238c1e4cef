//! HJ 212-2017 data loggers over TCP, as they connect to a platform: data
//! stored under the station registered for the logger's MN, answered after
//! the commit, and bad frames kept as dead letters.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestSystem, wait_for};

const EXAMPLES: &str = include_str!("../../ingest/src/decode/hj212/reference/examples.txt");

fn example(id: &str) -> String {
    EXAMPLES
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{id}\t")))
        .unwrap_or_else(|| panic!("example {id}"))
        .to_owned()
}

#[tokio::test]
async fn a_logger_over_tcp_is_stored_and_answered_after_the_commit() {
    let mut system = TestSystem::start().await;
    // Register the logger of the reference examples at Putuo with the PW
    // they carry as its secret, and restart ingest so its directory knows.
    system
        .db
        .client()
        .await
        .execute(
            "UPDATE station SET hj212_mn = '3700000A0000000000000001' WHERE code = '1141A'",
            &[],
        )
        .await
        .unwrap();
    let secret = envmon_core::logger_secret::SecretHash::new("123456").unwrap();
    let station = envmon_core::StationCode::parse("1141A").unwrap();
    let client = system.db.client().await;
    assert!(
        envmon_core::registry::set_hj212_secret(&client, &station, &secret)
            .await
            .unwrap()
    );
    system.stop_ingest().await.unwrap();
    system.start_ingest().await;

    let mut logger = TcpStream::connect(system.hj212_addr).await.unwrap();
    // Garbage first, then E1 (real-time data, Flag=5: answer requested),
    // split across two writes as a slow link would deliver it.
    let e1 = format!("{}\r\n", example("E1"));
    let (head, tail) = e1.split_at(100);
    logger
        .write_all(format!("noise##9999{head}").as_bytes())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    logger.write_all(tail.as_bytes()).await.unwrap();

    // The 9014 data response, byte for byte the reference's E7.
    let expected = format!("{}\r\n", example("E7"));
    let mut reply = vec![0u8; expected.len()];
    tokio::time::timeout(Duration::from_secs(10), logger.read_exact(&mut reply))
        .await
        .expect("an answer within 10 s")
        .unwrap();
    assert_eq!(String::from_utf8(reply).unwrap(), expected);

    // Answered only after the commit: the rows are already there.
    let row = system
        .db
        .client()
        .await
        .query_one(
            "SELECT value, observed_at = '2024-03-15T10:30:00+08:00' FROM reading
             WHERE station_code = '1141A' AND parameter_code = 'pm25'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, f64>(0), 35.2);
    assert!(row.get::<_, bool>(1));

    // The noise before the frame is kept as a dead letter.
    wait_for(
        "the garbage's dead letter",
        Duration::from_secs(10),
        || async {
            let rows = system
                .db
                .client()
                .await
                .query("SELECT topic, reason_code FROM dead_letter", &[])
                .await
                .map_err(|e| e.to_string())?;
            let seen: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            if seen
                .iter()
                .any(|(topic, code)| topic.starts_with("hj212/tcp/") && code.starts_with("hj212_"))
            {
                Ok(())
            } else {
                Err(format!("{seen:?}"))
            }
        },
    )
    .await;
    system.shutdown().await;
}

#[tokio::test]
async fn a_logger_with_an_unregistered_mn_is_refused_with_its_reason() {
    let system = TestSystem::start().await;
    let mut logger = TcpStream::connect(system.hj212_addr).await.unwrap();
    logger
        .write_all(format!("{}\r\n", example("E1")).as_bytes())
        .await
        .unwrap();
    wait_for("the dead letter", Duration::from_secs(10), || async {
        let count = system
            .db
            .count("SELECT count(*) FROM dead_letter WHERE reason_code = 'hj212_unknown_mn'")
            .await;
        if count == 1 {
            Ok(())
        } else {
            Err(format!("{count}"))
        }
    })
    .await;
    assert_eq!(system.db.count("SELECT count(*) FROM reading").await, 0);
    system.shutdown().await;
}
