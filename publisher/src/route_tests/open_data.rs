//! The open-data routes: validation errors, caching headers, the latest
//! state held in memory, CORS, compression and the rate limit.

use std::io::Read;

use axum::http::StatusCode;

use super::{app, app_with};

#[tokio::test]
async fn reference_data_carries_validators_and_answers_304_to_its_etag() {
    let app = app();
    let first = app.get("/api/v1/parameters").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("cache-control"), Some("public, max-age=3600"));
    let etag = first.header("etag").unwrap().to_owned();
    assert!(first.json()["parameters"].as_array().unwrap().len() > 10);

    let again = app
        .get_with("/api/v1/parameters", &[("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    let openapi = app.get("/api/v1/openapi.json").await;
    assert_eq!(openapi.status, StatusCode::OK);
    assert_eq!(
        openapi.json()["openapi"].as_str().map(|v| &v[..2]),
        Some("3.")
    );
}

#[tokio::test]
async fn bad_query_parameters_get_400_naming_the_parameter() {
    let app = app();
    let cases = [
        ("/api/v1/parameters?format=xml", "`format`"),
        ("/api/v1/parameters?colour=red", "query string"),
        ("/api/v1/latest?kind=ocean", "`kind`"),
        ("/api/v1/latest?format=geojson", "`format`"),
        ("/api/v1/stations?kind=ocean", "`kind`"),
        ("/api/v1/stations/no%20such/latest", "`code`"),
        ("/api/v1/stations/1141A/readings", "`parameter`"),
        (
            "/api/v1/stations/1141A/readings?parameter=gold",
            "`parameter`",
        ),
        (
            "/api/v1/stations/1141A/readings?parameter=pm25&aggregate=weekly",
            "`aggregate`",
        ),
        (
            "/api/v1/stations/1141A/readings?parameter=pm25&from=yesterday",
            "`from`",
        ),
        ("/api/v1/aqi?limit=0", "`limit`"),
        (
            "/api/v1/aqi?from=2026-11-25T10:00:00Z&to=2026-11-25T09:00:00Z",
            "`from`",
        ),
        ("/api/v1/water?station=no%20such", "`station`"),
        ("/api/v1/charts/station/1141A/gold.svg", "`parameter`"),
        ("/api/v1/charts/station/1141A/pm25.gif", "`format`"),
        ("/api/v1/oembed", "`url`"),
        ("/api/v1/alerts/AN-2026-00001.vX", "version"),
    ];
    for (uri, mentions) in cases {
        let answer = app.get(uri).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.text()
        );
        answer.assert_client_error(StatusCode::BAD_REQUEST, "bad_request", mentions);
    }
}

#[tokio::test]
async fn unknown_routes_get_a_json_404() {
    let answer = app().get("/api/v1/nothing-here").await;
    answer.assert_client_error(StatusCode::NOT_FOUND, "not_found", "no such route");
}

#[tokio::test]
async fn the_latest_list_is_served_from_memory_in_json_and_csv() {
    let app = app();
    let json = app.get("/api/v1/latest").await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(json.header("cache-control"), Some("public, max-age=5"));
    assert_eq!(json.json(), serde_json::json!({ "items": [] }));
    assert!(json.header("envmon-stale").is_none());

    let csv = app.get("/api/v1/latest?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.text()
            .starts_with("station,kind,parameter,value,unit,observed_at,quality")
    );
}

#[tokio::test]
async fn without_the_database_a_station_s_latest_state_is_the_held_one_marked_stale() {
    let app = app();
    let held = app.get("/api/v1/stations/1141A/latest").await;
    assert_eq!(held.status, StatusCode::OK, "{}", held.text());
    assert_eq!(held.header("envmon-stale"), Some("database-unreachable"));
    let body = held.json();
    assert_eq!(
        (body["station"].as_str(), body["stale"].as_bool()),
        (Some("1141A"), Some(true))
    );
    assert!(body["updated_at"].is_null());
    assert!(
        !app.state.database.is_reachable(),
        "the failure was recorded"
    );

    let listed = app.get("/api/v1/latest").await;
    assert_eq!(listed.json()["stale"], true);
    assert_eq!(listed.header("envmon-stale"), Some("database-unreachable"));

    let unknown = app.get("/api/v1/stations/nosuch/latest").await;
    unknown.assert_client_error(StatusCode::NOT_FOUND, "not_found", "nosuch");
}

#[tokio::test]
async fn what_only_the_database_has_fails_with_a_generic_500() {
    let app = app();
    for uri in [
        "/api/v1/stations",
        "/api/v1/stations/1141A/readings?parameter=pm25",
        "/api/v1/aqi",
        "/api/v1/alerts",
    ] {
        let answer = app.get(uri).await;
        answer.assert_client_error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "logged");
    }
}

#[tokio::test]
async fn public_routes_allow_any_origin_and_staff_routes_do_not() {
    let app = app();
    let preflight = app
        .send(
            axum::http::Request::options("/api/v1/stations")
                .header("origin", "https://news.example")
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "if-none-match")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("GET")
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("if-none-match")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("86400"));

    let plain = app
        .get_with("/api/v1/parameters", &[("origin", "https://news.example")])
        .await;
    assert_eq!(plain.header("access-control-allow-origin"), Some("*"));
    let exposed = plain
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in ["etag", "retry-after", "envmon-stale"] {
        assert!(exposed.contains(name), "{exposed}");
    }

    let staff = app
        .get_with(
            "/api/v1/staff/notices",
            &[("origin", "https://news.example")],
        )
        .await;
    assert_eq!(staff.header("access-control-allow-origin"), None);
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn json_and_csv_are_compressed_as_the_client_accepts() {
    let app = app();
    let plain = app.get("/api/v1/openapi.json").await;
    assert!(plain.header("content-encoding").is_none());
    let strong = plain.header("etag").unwrap().to_owned();

    let gzipped = app
        .get_with("/api/v1/openapi.json", &[("accept-encoding", "gzip")])
        .await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert!(
        gzipped
            .header("vary")
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    assert_eq!(gunzip(&gzipped.body), plain.body.to_vec());
    assert!(
        gzipped.body.len() * 4 < plain.body.len(),
        "JSON compresses well"
    );
    assert_eq!(gzipped.header("etag"), Some(format!("W/{strong}").as_str()));
    let revalidated = app
        .get_with(
            "/api/v1/openapi.json",
            &[
                ("accept-encoding", "gzip"),
                ("if-none-match", gzipped.header("etag").unwrap()),
            ],
        )
        .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);

    let brotli = app
        .get_with("/api/v1/openapi.json", &[("accept-encoding", "br")])
        .await;
    assert_eq!(brotli.header("content-encoding"), Some("br"));

    let csv = app
        .get_with(
            "/api/v1/parameters?format=csv",
            &[("accept-encoding", "gzip")],
        )
        .await;
    assert_eq!(csv.header("content-encoding"), Some("gzip"));
    assert!(
        String::from_utf8(gunzip(&csv.body))
            .unwrap()
            .starts_with("code,")
    );

    let tiny = app
        .get_with("/healthz", &[("accept-encoding", "gzip")])
        .await;
    assert!(
        tiny.header("content-encoding").is_none(),
        "too small and not JSON"
    );
}

#[tokio::test]
async fn past_the_burst_an_address_gets_429_with_retry_after() {
    let app = app_with(|settings| {
        settings.rate_limit_per_second = 0.5;
        settings.rate_limit_burst = 2;
    });
    for _ in 0..2 {
        assert_eq!(app.get("/api/v1/parameters").await.status, StatusCode::OK);
    }
    let limited = app.get("/api/v1/parameters").await;
    limited.assert_client_error(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "retry in 2 s",
    );
    assert_eq!(limited.header("retry-after"), Some("2"));
    assert_eq!(
        app.get("/healthz").await.status,
        StatusCode::OK,
        "health is not rate-limited"
    );
}

#[tokio::test]
async fn the_remaining_public_routes_answer_without_a_broker() {
    let app = app();
    let key = app.get("/api/v1/alerts/public-key").await;
    assert_eq!(key.status, StatusCode::OK, "{}", key.text());
    let head = app.get("/api/v1/audit/head").await;
    assert!(
        matches!(
            head.status,
            StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE
        ),
        "{}",
        head.status
    );
    for (uri, status) in [
        (
            "/api/v1/stations/no%20such/completeness",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/charts/compare/pm25.bmp", StatusCode::BAD_REQUEST),
        (
            "/api/v1/stations.geojson",
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        ("/api/v1/alerts.atom", StatusCode::INTERNAL_SERVER_ERROR),
    ] {
        assert_eq!(app.get(uri).await.status, status, "{uri}");
    }
}
