//! The simulator speaks the format ingest reads: a bounded run reaches the
//! database for every registry station, with nothing dead-lettered.

use std::time::Duration;

use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};
use envmon_simulator::Simulator;

use crate::helpers::{TestSystem, unique, wait_for};

#[tokio::test]
async fn simulated_shanghai_stations_are_all_stored() {
    let system = TestSystem::start().await;
    let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
    let settings = envmon_simulator::Settings {
        broker: system.broker.settings(),
        client_id: unique("simulator"),
        // A day of data in under a second: 41 stations, hourly.
        air_interval: Duration::from_secs(3600),
        water_interval: Duration::from_secs(3600),
        speedup: 200_000.0,
        start: Some("2026-11-01T00:00:00Z".parse().unwrap()),
        max_records: 68 * 24,
        backfill: Duration::ZERO,
        ..envmon_simulator::Settings::default()
    };
    let report = Simulator::build(settings, stations)
        .unwrap()
        .run_until_stopped(std::future::pending())
        .await
        .unwrap();
    assert_eq!(report.records, 68 * 24);

    // 19 air stations x 6 pollutants + 18 river sections x 9 items + 4
    // sources x 14 (Table 2's five more) + 25 supply sites (5 plants, 20
    // network points) x 5 + 2 radiation stations x 2 (dose rate, rain), 24 hours.
    let expected = (19 * 6 + 18 * 9 + 4 * 14 + 25 * 5 + 2 * 2) * 24;
    wait_for(
        "every simulated reading",
        Duration::from_secs(20),
        || async {
            let count = system.db.count("SELECT count(*) FROM reading").await;
            if count == expected {
                Ok(())
            } else {
                let dead = system.db.count("SELECT count(*) FROM dead_letter").await;
                Err(format!("{count} of {expected}, {dead} dead letters"))
            }
        },
    )
    .await;
    assert_eq!(system.db.count("SELECT count(*) FROM dead_letter").await, 0);
    assert_eq!(
        system
            .db
            .count("SELECT count(DISTINCT station_code) FROM station_latest")
            .await,
        68
    );
    system.shutdown().await;
}
