//! Values that are not numbers: NaN and infinities, written as JSON cannot
//! hold them, or reached by overflow (a huge value in a unit that converts
//! upwards, SenML's base value plus value). None may be stored, and none
//! may take a legitimate reading of the same message with it.

use std::time::Duration;

use chrono::{SecondsFormat, TimeDelta, Utc};

use crate::helpers::{TestSystem, wait_for};

const DEADLINE: Duration = Duration::from_secs(15);

fn record(at: &str, readings: &str) -> String {
    format!(r#"{{"station":"1142A","observed_at":"{at}","readings":{{{readings}}}}}"#)
}

#[tokio::test]
async fn nan_and_infinity_are_refused_and_the_readings_sent_around_them_stored() {
    let system = TestSystem::start().await;
    let at = |minutes_ago: i64| {
        (Utc::now() - TimeDelta::minutes(minutes_ago)).to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let topic = "sensors/air/1142A";
    system
        .mosquitto_pub(topic, &record(&at(10), r#""pm25":30,"no2":41,"co":0.6"#))
        .await;

    let now = at(1);
    let attacks = [
        (record(&now, r#""pm25":NaN"#), "malformed"),
        (record(&now, r#""pm25":Infinity"#), "malformed"),
        (record(&now, r#""pm25":-Infinity"#), "malformed"),
        (record(&now, r#""pm25":1e999"#), "malformed"),
        // 1e308 mg/m3 is 1e311 ug/m3: infinite once converted. The NO2
        // beside it goes with it: a payload is taken whole or not at all.
        (
            record(&now, r#""pm25":{"value":1e308,"unit":"mg/m3"},"no2":41"#),
            "non_finite",
        ),
        (
            format!(
                r#"[{{"bn":"1142A/","bt":{},"n":"pm25","bv":1e308,"v":1e308}}]"#,
                Utc::now().timestamp() - 60
            ),
            "non_finite",
        ),
    ];
    for (payload, _) in &attacks {
        system.mosquitto_pub(topic, payload).await;
    }
    system
        .mosquitto_pub(topic, &record(&at(0), r#""pm25":31,"no2":42,"co":0.7"#))
        .await;

    wait_for("the refusals", DEADLINE, || async {
        let rows = system
            .db
            .client()
            .await
            .query(
                "SELECT reason_code FROM dead_letter WHERE topic = $1",
                &[&topic],
            )
            .await
            .map_err(|e| e.to_string())?;
        let mut codes: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        codes.sort();
        let mut expected: Vec<&str> = attacks.iter().map(|(_, code)| *code).collect();
        expected.sort_unstable();
        if codes == expected {
            Ok(())
        } else {
            Err(format!("{codes:?}"))
        }
    })
    .await;
    wait_for("the six genuine readings", DEADLINE, || async {
        let count = system.db.count("SELECT count(*) FROM reading").await;
        if count == 6 {
            Ok(())
        } else {
            Err(format!("{count}"))
        }
    })
    .await;
    let not_numbers = system
        .db
        .count(
            "SELECT count(*) FROM reading WHERE value IN ('NaN'::float8, 'Infinity', '-Infinity')",
        )
        .await;
    assert_eq!(not_numbers, 0);
    let latest: f64 = system
        .db
        .client()
        .await
        .query_one(
            "SELECT value FROM station_latest WHERE station_code = '1142A' AND parameter_code = 'pm25'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(latest, 31.0);
    system.shutdown().await;
}
