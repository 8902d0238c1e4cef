//! The optional basemap: `/api/v1/map` says whether there is one, and the
//! page's policy allows images from exactly its origin only when there is.

use axum::http::StatusCode;

use super::{app, app_with};
use crate::settings::{BasemapSettings, TileUrl};

#[tokio::test]
async fn without_a_basemap_the_page_allows_images_from_itself_only() {
    let app = app();
    let answer = app.get("/api/v1/map").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json(), serde_json::json!({ "basemap": null }));
    let page = app.get("/").await;
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("img-src 'self' data:;"), "{policy}");
}

#[tokio::test]
async fn a_basemap_is_announced_and_its_origin_alone_is_allowed() {
    let app = app_with(|settings| {
        settings.basemap = Some(BasemapSettings {
            tiles: TileUrl::parse("https://t1.tiles.example.gov.cn/vec_w/{z}/{x}/{y}.png").unwrap(),
            attribution: "底图：示例".into(),
            max_zoom: 17,
        });
    });
    let answer = app.get("/api/v1/map").await;
    assert_eq!(
        answer.json()["basemap"],
        serde_json::json!({
            "tiles": "https://t1.tiles.example.gov.cn/vec_w/{z}/{x}/{y}.png",
            "attribution": "底图：示例",
            "max_zoom": 17,
        })
    );
    let page = app.get("/").await;
    let policy = page.header("content-security-policy").unwrap();
    assert!(
        policy.contains("img-src 'self' data: https://t1.tiles.example.gov.cn;"),
        "{policy}"
    );
    assert_eq!(policy.matches("tiles.example").count(), 1, "{policy}");
}

#[test]
fn the_setting_reads_from_the_configuration() {
    let settings: crate::Settings = serde_json::from_value(serde_json::json!({
        "basemap": { "tiles": "https://tiles.example.gov.cn/{z}/{x}/{y}.png", "attribution": "x" }
    }))
    .unwrap();
    assert_eq!(settings.basemap.unwrap().max_zoom, 18);
    let refused = serde_json::from_value::<crate::Settings>(serde_json::json!({
        "basemap": { "tiles": "https://tiles.example.gov.cn/{z}/{x}.png", "attribution": "x" }
    }));
    assert!(refused.unwrap_err().to_string().contains("{y}"));
}
