//! The drinking-water items judged live: GB 3838-2002 Table 2 items sent by
//! a sensor (MQTT, through `mosquitto_pub`) or a data logger (HJ 212 over
//! TCP, framed here independently of ingest) change a source's compliance,
//! and a plant's and a network point's online items get a GB 5749-2022
//! verdict.

use std::time::Duration;

use serde_json::Value;

use crate::attack_sensors::wire::{frame, register_logger, send, set_secret};
use crate::helpers::{TestSystem, http, wait_for};

const DEADLINE: Duration = Duration::from_secs(20);

/// The water records of `station` on 2026-12-01 (Beijing), oldest first.
async fn records(system: &TestSystem, station: &str, expected: usize) -> Vec<Value> {
    let path = format!(
        "/api/v1/water?station={station}&from=2026-11-30T16:00:00Z&to=2026-12-01T16:00:00Z"
    );
    wait_for("the records' verdicts", DEADLINE, || async {
        let body = http::get(system.publisher_addr, &path)
            .await
            .map_err(|e| e.to_string())?
            .json();
        match body["items"].as_array() {
            Some(items) if items.len() == expected => Ok(items.clone()),
            _ => Err(body.to_string()),
        }
    })
    .await
}

#[tokio::test]
async fn table_2_items_by_mqtt_and_hj212_change_a_sources_compliance() {
    let mut system = TestSystem::start().await;
    // By MQTT: chloride 180 mg/L complies (Table 2 row 2: 250), 312 does not.
    for (hour, chloride) in [("08", 180.0), ("09", 312.0)] {
        system
            .mosquitto_pub(
                "sensors/source/qingcaosha-shuiku",
                &format!(
                    r#"{{"station":"qingcaosha-shuiku","observed_at":"2026-12-01T{hour}:00:00+08:00",
                        "readings":{{"ph":7.8,"do":8.9,"nh3n":0.12,"chloride":{chloride},
                                     "sulfate":61,"nitrate":1.6,"fe":0.08,"mn":0.03}}}}"#
                ),
            )
            .await;
    }
    let items = records(&system, "qingcaosha-shuiku", 2).await;
    let compliance = |item: &Value| item["report"]["source_compliance"].clone();
    assert_eq!(compliance(&items[0])["compliant"], true, "{}", items[0]);
    let assessed = compliance(&items[0])["assessed"].to_string();
    for item in ["chloride", "sulfate", "nitrate", "fe", "mn"] {
        assert!(assessed.contains(item), "{item} not judged: {assessed}");
    }
    let salty = compliance(&items[1]);
    assert_eq!(salty["compliant"], false, "{salty}");
    assert_eq!(salty["failures"][0]["item"], "chloride");
    assert_eq!(salty["failures"][0]["value"], 312.0);

    // By HJ 212 (ST=21 hourly data): the Chenhang logger reports manganese
    // 0.14 mg/L (Table 2 row 5: 0.1) under its HJ 212-2017 code w20124.
    const MN: &str = "3100000A0000000000000099";
    const SECRET: &str = "Chenhang-Logger-1";
    register_logger(&system.db, "chenhang-shuiku", MN, &[]).await;
    set_secret(&system.db, "chenhang-shuiku", SECRET).await;
    system.stop_ingest().await.unwrap();
    system.start_ingest().await;
    let mut logger = tokio::net::TcpStream::connect(system.hj212_addr)
        .await
        .unwrap();
    let packet = frame(&format!(
        "QN=20261201110000001;ST=21;CN=2061;PW={SECRET};MN={MN};Flag=5;CP=&&\
         DataTime=20261201100000;w01001-Avg=7.7,w01001-Flag=N;w21003-Avg=0.15,w21003-Flag=N;\
         w21022-Avg=35.2,w21022-Flag=N;w21038-Avg=48,w21038-Flag=N;w21007-Avg=1.2,w21007-Flag=N;\
         w20125-Avg=0.11,w20125-Flag=N;w20124-Avg=0.14,w20124-Flag=N&&"
    ));
    let answer = send(&mut logger, &packet).await;
    assert!(
        answer.as_deref().is_some_and(|a| a.contains("CN=9014")),
        "{answer:?}"
    );
    let items = records(&system, "chenhang-shuiku", 1).await;
    let compliance = compliance(&items[0]);
    assert_eq!(compliance["compliant"], false, "{compliance}");
    let failures = compliance["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{compliance}");
    assert_eq!(failures[0]["item"], "mn");
    assert_eq!(failures[0]["value"], 0.14);
    system.shutdown().await;
}

#[tokio::test]
async fn a_plants_outlet_and_its_network_are_judged_by_gb_5749_live() {
    let system = TestSystem::start().await;
    // Free chlorine 0.2 mg/L: below the outlet's 0.3 (Table 2), above the
    // network's 0.05.
    for (site, kind) in [("plant-yangshupu", "plant"), ("tap-yangshupu-1", "tap")] {
        system
            .mosquitto_pub(
                &format!("sensors/{kind}/{site}"),
                &format!(
                    r#"{{"station":"{site}","observed_at":"2026-12-01T08:00:00+08:00",
                        "readings":{{"free_chlorine":0.2,"turbidity":0.15,"ph":7.3,"temp":14.1}}}}"#
                ),
            )
            .await;
    }
    let outlet = &records(&system, "plant-yangshupu", 1).await[0];
    assert_eq!(outlet["class"], Value::Null, "no GB 3838 class: {outlet}");
    assert_eq!(outlet["meets_target"], false, "{outlet}");
    let verdict = &outlet["report"]["supply"];
    assert_eq!(outlet["report"]["standard"], "GB 5749-2022");
    let failing: Vec<&Value> = verdict["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"].get("fail").is_some())
        .collect();
    assert_eq!(failing.len(), 1, "{verdict}");
    assert_eq!(failing[0]["item"], "free_chlorine");
    let network = &records(&system, "tap-yangshupu-1", 1).await[0];
    assert_eq!(network["meets_target"], true, "{network}");
    system.shutdown().await;
}
