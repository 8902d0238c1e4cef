//! `/api/v1/stations?near=` and `?bbox=` on the real registry: the nearest
//! stations to People's Square in the order and at the distances worked by
//! hand below, the box's stations (nearest first with `near`), and a clear
//! 400 for each malformed value.

use crate::helpers::{TestSystem, http};

/// People's Square, WGS-84.
const PEOPLES_SQUARE: &str = "121.4737,31.2304";

/// The environmental monitoring sites, without the public supply's network
/// points that sit between them (the distances below were worked out for
/// these).
const MONITORING: &str = "air,river,source";

/// The five registry sites nearest to People's Square, with the distance
/// worked by hand on the sphere of the mean Earth radius R = 6 371 008.8 m,
/// where a degree of latitude is 2 pi R / 360 = 111 195.08 m and a degree of
/// longitude that times the cosine of the two points' mean latitude
/// (equirectangular; over 7 km it agrees with the haversine to 0.1 m):
///
/// | site | registry lon, lat | north | east | distance |
/// |---|---|---|---|---|
/// | zhejiangluqiao | 121.4765, 31.2433 | +0.0129 deg = 1434.4 m | +0.0028 x 0.85503 = 266.2 m | 1458.9 m |
/// | 1142A | 121.4774, 31.2043 | -0.0261 deg = -2902.2 m | +0.0037 x 0.85521 = 351.9 m | 2923.4 m |
/// | 1147A | 121.4253, 31.2260 | -0.0044 deg = -489.3 m | -0.0484 x 0.85511 = -4602.1 m | 4628.0 m |
/// | 1149A | 121.5339, 31.2290 | -0.0014 deg = -155.7 m | +0.0602 x 0.85510 = 5724.0 m | 5726.1 m |
/// | 1141A | 121.4010, 31.2382 | +0.0078 deg = 867.3 m | -0.0727 x 0.85505 = -6912.2 m | 6966.4 m |
const NEAREST: [(&str, f64); 5] = [
    ("zhejiangluqiao", 1458.9),
    ("1142A", 2923.4),
    ("1147A", 4628.0),
    ("1149A", 5726.1),
    ("1141A", 6966.4),
];

fn codes(body: &serde_json::Value) -> Vec<String> {
    body["stations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn near_lists_the_nearest_stations_by_great_circle_distance() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;

    // The default limit is five, nearest first, each with its distance.
    let response = http::get(
        addr,
        &format!("/api/v1/stations?near={PEOPLES_SQUARE}&kind={MONITORING}"),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let body = response.json();
    let stations = body["stations"].as_array().unwrap();
    assert_eq!(stations.len(), NEAREST.len());
    for (station, (code, metres)) in stations.iter().zip(NEAREST) {
        assert_eq!(station["code"], code, "{}", response.body);
        let got = station["distance_m"].as_f64().unwrap();
        assert!(
            (got - metres).abs() <= 1.0,
            "{code}: {got} m, by hand {metres} m"
        );
    }

    // `limit` and the other filters narrow first: the two nearest air stations.
    let response = http::get(
        addr,
        &format!("/api/v1/stations?near={PEOPLES_SQUARE}&limit=2&kind=air"),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(codes(&response.json()), ["1142A", "1147A"]);

    // CSV carries the distance as its last column; GeoJSON as a property.
    let response = http::get(
        addr,
        &format!("/api/v1/stations?near={PEOPLES_SQUARE}&limit=1&format=csv&kind={MONITORING}"),
    )
    .await
    .unwrap();
    let mut lines = response.body.lines();
    assert!(lines.next().unwrap().ends_with(",distance_m"));
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("zhejiangluqiao,") && row.ends_with(",1459"),
        "{row}"
    );
    let response = http::get(
        addr,
        &format!("/api/v1/stations?near={PEOPLES_SQUARE}&limit=1&format=geojson&kind={MONITORING}"),
    )
    .await
    .unwrap();
    let body = response.json();
    assert_eq!(body["features"][0]["id"], "zhejiangluqiao");
    assert_eq!(body["features"][0]["properties"]["distance_m"], 1459);

    // Without `near`, no distance.
    let response = http::get(addr, "/api/v1/stations?kind=air").await.unwrap();
    assert!(!response.body.contains("distance_m"));

    system.shutdown().await;
}

#[tokio::test]
async fn bbox_keeps_the_stations_inside_and_bad_places_are_refused() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;

    // A box around the Bund and People's Square: Shiwuchang (1142A,
    // 121.4774 31.2043) and the Zhejiang Road Bridge section (121.4765
    // 31.2433) are inside; Jing'an (1147A, 121.4253) is west of it.
    let response = http::get(
        addr,
        &format!("/api/v1/stations?bbox=121.45,31.20,121.50,31.25&kind={MONITORING}"),
    )
    .await
    .unwrap();
    assert_eq!(response.status, 200, "{}", response.body);
    let mut inside = codes(&response.json());
    inside.sort();
    assert_eq!(inside, ["1142A", "zhejiangluqiao"]);
    assert!(!response.body.contains("distance_m"));

    // With `near` too: the box's stations, nearest first; `limit` alone
    // keeps the first of the registry.
    let response = http::get(
        addr,
        &format!(
            "/api/v1/stations?bbox=121.45,31.20,121.50,31.25&near={PEOPLES_SQUARE}&kind={MONITORING}"
        ),
    )
    .await
    .unwrap();
    assert_eq!(codes(&response.json()), ["zhejiangluqiao", "1142A"]);
    let all = codes(&http::get(addr, "/api/v1/stations").await.unwrap().json());
    let first = codes(
        &http::get(addr, "/api/v1/stations?limit=3")
            .await
            .unwrap()
            .json(),
    );
    assert_eq!(first, all[..3]);

    for (query, says) in [
        ("near=121.47", "`near`: expected 2 comma-separated numbers"),
        ("near=121.47,31.23,5", "`near`: expected 2"),
        ("near=east,31.23", "`near`: \\\"east\\\" is not a number"),
        ("near=200,31.23", "longitude 200 is outside -180..180"),
        ("near=121.47,95", "latitude 95 is outside -90..90"),
        ("near=121.47,31.23&limit=0", "`limit`"),
        ("near=121.47,31.23&limit=1000", "`limit`"),
        ("bbox=121,31,122", "`bbox`: expected 4"),
        (
            "bbox=122,31,121,32",
            "the minimum must not exceed the maximum",
        ),
    ] {
        let response = http::get(addr, &format!("/api/v1/stations?{query}"))
            .await
            .unwrap();
        assert_eq!(response.status, 400, "{query}: {}", response.body);
        assert!(response.body.contains(says), "{query}: {}", response.body);
    }
    system.shutdown().await;
}
