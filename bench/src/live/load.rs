//! The steady publishing load: every air station's state on its live topic
//! once per interval, as ingest publishes after a commit, with the real
//! HJ 633 report so messages have their real size. `updated_at` carries the moment of
//! publishing, which the clients subtract from the moment of receipt.

use std::time::Duration;

use chrono::{DurationRound, Timelike, Utc};
use envmon_core::aqi::{Edition, HourlyConcentrations, real_time_aqi};
use envmon_core::broker::BrokerSettings;
use envmon_core::{Station, StationKind};
use rumqttc::{AsyncClient, QoS};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::Pattern;

/// Publishes every air station's state once per `interval` in `pattern`
/// until `stop`; returns how many it published.
pub(super) async fn run(
    broker: &BrokerSettings,
    stations: &[Station],
    interval: Duration,
    pattern: Pattern,
    stop: CancellationToken,
) -> anyhow::Result<u64> {
    let topics = broker.topics()?;
    let air: Vec<&Station> = stations
        .iter()
        .filter(|s| s.kind == StationKind::Air)
        .collect();
    anyhow::ensure!(!air.is_empty(), "the registry has no air stations");
    let options = broker.mqtt_options(&format!("envmon-bench-live-{}", std::process::id()))?;
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let driver = tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    let (step, per_tick) = match pattern {
        Pattern::Rounds => (interval, air.len()),
        Pattern::Spread => (interval / u32::try_from(air.len()).unwrap_or(1), 1),
    };
    let mut ticker = tokio::time::interval(step);
    let mut published = 0u64;
    for (i, station) in air.iter().cycle().enumerate() {
        if i % per_tick == 0 {
            tokio::select! {
                _ = ticker.tick() => {}
                () = stop.cancelled() => break,
            }
        }
        let pm25 = 20.0 + (i % 60) as f64;
        let payload = state(station, pm25)?;
        client
            .publish(
                topics.live(StationKind::Air, &station.code),
                QoS::AtLeastOnce,
                false,
                payload,
            )
            .await?;
        published += 1;
    }
    let _ = client.disconnect().await;
    driver.abort();
    Ok(published)
}

/// A station state as ingest publishes it, stamped now: the readings of
/// the moment and the AQI of the last full hour, which (as in ingest)
/// stays the same until the next hour is rolled up.
fn state(station: &Station, pm25: f64) -> anyhow::Result<String> {
    let now = Utc::now();
    let hour_end = now.duration_trunc(chrono::TimeDelta::hours(1))?;
    let hour_pm25 = 40.0 + f64::from(hour_end.hour());
    let hour = HourlyConcentrations {
        so2_ug_m3: Some(8.0),
        no2_ug_m3: Some(42.0),
        co_mg_m3: Some(0.7),
        o3_ug_m3: Some(96.0),
        pm10_ug_m3: Some(hour_pm25 * 1.4),
        pm25_ug_m3: Some(hour_pm25),
        ..HourlyConcentrations::default()
    };
    let report = real_time_aqi(Edition::Hj633_2026, &hour)?;
    let reading = |value: f64, unit: &str| json!({"value": value, "unit": unit, "observed_at": now, "quality": "valid"});
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    Ok(json!({
        "station": station.code, "kind": "air", "updated_at": at,
        "readings": {
            "pm25": reading(pm25, "ug/m3"), "pm10": reading(pm25 * 1.4, "ug/m3"),
            "so2": reading(8.0, "ug/m3"), "no2": reading(42.0, "ug/m3"),
            "co": reading(0.7, "mg/m3"), "o3": reading(96.0, "ug/m3"),
        },
        "aqi": {
            "hour_end": hour_end, "edition": "HJ 633-2026", "aqi": report.aqi,
            "level": report.level.as_ref().map(|l| l.level), "primary": report.primary,
            "report": report,
        },
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};

    #[test]
    fn a_state_carries_the_real_report_and_parses_as_ingest_publishes_it() {
        let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        let payload = state(&stations[0], 62.0).unwrap();
        let parsed: envmon_core::wire::StationState = serde_json::from_str(&payload).unwrap();
        assert_eq!(parsed.readings[&envmon_core::Parameter::Pm25].value, 62.0);
        let aqi = parsed.aqi.unwrap();
        assert!(
            aqi.aqi.unwrap() > 50,
            "PM2.5 of 40-63 µg/m³ is above level 1"
        );
        assert_eq!(aqi.hour_end.minute(), 0);
        assert!(payload.contains("sub_indices"));
    }
}
