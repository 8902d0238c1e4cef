//! Revalidation from memory: a year's series and an area's chart answer `If-None-Match` without
//! the database while the publisher listens to the aggregates' change notifications, and a
//! change announced by the transaction that made it is seen at once.

use std::time::Duration;

use envmon_core::db::data_changes::{CHANNEL, Changed, announce};
use futures_util::StreamExt;

use crate::helpers::{TestSystem, http, wait_for};

const DEADLINE: Duration = Duration::from_secs(20);
const SERIES: &str = "/api/v1/stations/1141A/readings?parameter=pm25&aggregate=hourly\
    &from=2026-11-25T16:00:00%2B08:00&to=2026-11-25T18:00:00%2B08:00";

#[tokio::test]
async fn a_series_revalidates_from_memory_and_follows_an_announced_change() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let mut db = system.db.client().await;
    db.batch_execute(
        "INSERT INTO hourly_mean VALUES ('1141A', 'pm25', '2026-11-25T08:00:00Z', 31.5, 60, true)",
    )
    .await
    .unwrap();

    // Once the publisher listens, its validators are the announced versions'.
    let etag = wait_for("an announced ETag", DEADLINE, || async {
        let response = http::get(addr, SERIES).await.map_err(|e| e.to_string())?;
        let etag = response.header("etag").unwrap_or_default().to_owned();
        if etag.starts_with("\"m") {
            Ok(etag)
        } else {
            Err(etag)
        }
    })
    .await;
    let again = http::get_bytes(addr, SERIES, &[("If-None-Match", &etag)])
        .await
        .unwrap();
    assert_eq!(again.status, 304);

    // A write that is not announced is not seen: the validator is the announcement's.
    db.execute(
        "UPDATE hourly_mean SET value = 40 WHERE station_code = '1141A'",
        &[],
    )
    .await
    .unwrap();
    let unannounced = http::get_bytes(addr, SERIES, &[("If-None-Match", &etag)])
        .await
        .unwrap();
    assert_eq!(unannounced.status, 304);

    // The same change announced in its transaction, as the rollup does: the next request gets
    // the new value.
    let tx = db.transaction().await.unwrap();
    tx.execute(
        "UPDATE hourly_mean SET value = 41 WHERE station_code = '1141A'",
        &[],
    )
    .await
    .unwrap();
    let changed = Changed::These {
        stations: vec!["1141A".into()],
        areas: Vec::new(),
    };
    announce(&tx, &changed).await.unwrap();
    tx.commit().await.unwrap();
    let fresh = wait_for("the announced change", DEADLINE, || async {
        let response = http::get_bytes(addr, SERIES, &[("If-None-Match", &etag)])
            .await
            .map_err(|e| e.to_string())?;
        if response.status == 200 {
            Ok(String::from_utf8(response.body).unwrap())
        } else {
            Err(response.status.to_string())
        }
    })
    .await;
    assert!(fresh.contains("\"value\":41.0"), "{fresh}");

    // Another station's announcement leaves this series' validator as it was.
    let current = http::get(addr, SERIES).await.unwrap();
    let etag = current.header("etag").unwrap().to_owned();
    let other = Changed::These {
        stations: vec!["1142A".into()],
        areas: vec!["pudong".into()],
    };
    announce(&db, &other).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let still = http::get_bytes(addr, SERIES, &[("If-None-Match", &etag)])
        .await
        .unwrap();
    assert_eq!(still.status, 304);
    system.shutdown().await;
}

#[tokio::test]
async fn the_rollup_announces_the_stations_and_areas_it_changed() {
    let system = TestSystem::start().await;
    let (client, mut connection) = tokio_postgres::connect(&system.db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let (sender, mut notifications) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message {
                let _ = sender.send(n.payload().to_owned());
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .unwrap();
    // Pudong's four stations: enough for the district's hour (75 %), not for the city's.
    for station in ["1148A", "1149A", "1150A", "3274A"] {
        system
            .mosquitto_pub(
                &format!("sensors/air/{station}"),
                &format!(
                    r#"{{"station":"{station}","observed_at":"2026-11-25T16:00:00+08:00",
                        "period":"PT1H","readings":{{"pm25":50,"pm10":60}}}}"#
                ),
            )
            .await;
    }
    let heard = tokio::time::timeout(DEADLINE, async {
        loop {
            let payload = notifications.recv().await.unwrap();
            if let Changed::These { stations, areas } = Changed::parse(&payload)
                && areas.contains(&"pudong".to_owned())
            {
                return (stations, areas);
            }
        }
    })
    .await
    .expect("the rollup's announcement of Pudong");
    // The district's hour is written with its stations' in one transaction, and announced so.
    let (stations, areas) = heard;
    let pudong = ["1148A", "1149A", "1150A", "3274A"];
    assert!(
        !stations.is_empty() && stations.iter().all(|s| pudong.contains(&s.as_str())),
        "{stations:?}"
    );
    assert!(!areas.contains(&"shanghai".to_owned()), "{areas:?}");
    drop(client);
    system.shutdown().await;
}
