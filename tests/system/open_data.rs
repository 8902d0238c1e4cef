//! The open-data API over real HTTP: filters, GeoJSON, CSV, reading
//! history with pages, the OpenAPI document against the routes, CORS,
//! conditional requests and the rate limit.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::http::{self, Response};
use crate::helpers::{TestSystem, wait_for};

/// A request with a method and extra headers; the body is read to the end.
async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let extra: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    let text =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n");
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: body.to_owned(),
    }
}

async fn get(addr: SocketAddr, path: &str) -> Response {
    http::get(addr, path).await.unwrap()
}

fn error_message(response: &Response) -> String {
    response.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Parses a CSV body strictly (RFC 4180 quoting), asserting CRLF line ends.
fn csv_rows(response: &Response) -> Vec<Vec<String>> {
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/csv"),
        "{:?}",
        response.headers
    );
    assert!(response.body.ends_with("\r\n"));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(response.body.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn stations_filter_by_kind_and_district_and_come_as_geojson_and_csv() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let rivers = get(addr, "/api/v1/stations?kind=river").await.json();
    let rivers = rivers["stations"].as_array().unwrap();
    assert_eq!(rivers.len(), 18);
    assert!(rivers.iter().all(|s| s["kind"] == "river"));
    let putuo = get(addr, "/api/v1/stations?district=putuo&kind=air")
        .await
        .json();
    let putuo = putuo["stations"].as_array().unwrap();
    assert!(
        !putuo.is_empty()
            && putuo
                .iter()
                .all(|s| s["district_zh"] == "普陀区" && s["kind"] == "air")
    );
    let by_chinese = get(
        addr,
        "/api/v1/stations?district=%E6%99%AE%E9%99%80%E5%8C%BA&kind=air",
    )
    .await
    .json();
    assert_eq!(
        by_chinese["stations"].as_array().unwrap().len(),
        putuo.len()
    );

    let bad = get(addr, "/api/v1/stations?kind=lake").await;
    assert_eq!(bad.status, 400);
    assert!(error_message(&bad).contains("`kind`"), "{}", bad.body);
    let unknown = get(addr, "/api/v1/stations?kinds=air").await;
    assert_eq!(unknown.status, 400);
    assert!(
        error_message(&unknown).contains("kinds"),
        "{}",
        unknown.body
    );

    let geojson = get(addr, "/api/v1/stations.geojson").await;
    assert_eq!(geojson.header("content-type"), Some("application/geo+json"));
    let collection = geojson.json();
    assert_eq!(collection["type"], "FeatureCollection");
    let features = collection["features"].as_array().unwrap();
    assert_eq!(features.len(), 68);
    let feature = features.iter().find(|f| f["id"] == "1141A").unwrap();
    assert_eq!(feature["geometry"]["type"], "Point");
    assert_eq!(feature["geometry"]["coordinates"][0], 121.401);
    assert_eq!(feature["properties"]["name_zh"], "普陀");
    assert_eq!(
        get(addr, "/api/v1/stations?format=geojson").await.body,
        geojson.body
    );

    let csv = get(addr, "/api/v1/stations?format=csv").await;
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 69, "a header and 68 stations");
    assert_eq!(&rows[0][..3], ["code", "kind", "name_zh"]);
    let row = rows.iter().find(|r| r[0] == "1141A").unwrap();
    assert_eq!((row[2].as_str(), row[4].as_str()), ("普陀", "普陀区"));
    let bad = get(addr, "/api/v1/stations?format=xml").await;
    assert!(error_message(&bad).contains("`format`"));
    system.shutdown().await;
}

#[tokio::test]
async fn reading_history_comes_raw_hourly_and_daily_with_validity_and_pages() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let db = system.db.client().await;
    db.batch_execute(
        "INSERT INTO reading (station_code, parameter_code, observed_at, value, quality, received_at)
            SELECT '1141A', 'pm25', t, 30 + extract(minute FROM t), 'valid', now()
            FROM generate_series(timestamptz '2026-11-25T08:00:00Z', '2026-11-25T08:04:00Z', '1 minute') t;
         INSERT INTO hourly_mean VALUES
            ('1141A', 'pm25', '2026-11-25T08:00:00Z', 31.5, 60, true),
            ('1141A', 'pm25', '2026-11-25T09:00:00Z', 33.0, 30, false);
         INSERT INTO daily_stat VALUES
            ('1141A', 'o3', '2026-11-25', 'max_1h', 120, 24, true),
            ('1141A', 'o3', '2026-11-25', 'max_8h', 101, 17, true),
            ('1141A', 'o3', '2026-11-25', 'mean', 80, 18, false);",
    )
    .await
    .unwrap();
    let from = "/api/v1/stations/1141A/readings?parameter=pm25&from=2026-11-25T16:00:00%2B08:00";
    let base = format!("{from}&to=2026-11-25T17:00:00%2B08:00");

    // Raw, two per page, following `next` to the end.
    let mut path = format!("{base}&limit=2");
    let mut values = Vec::new();
    let mut pages = 0;
    loop {
        let page = get(addr, &path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let body = page.json();
        assert_eq!(
            (body["unit"].as_str(), body["aggregate"].as_str()),
            (Some("ug/m3"), Some("raw"))
        );
        for item in body["items"].as_array().unwrap() {
            values.push((
                item["observed_at"].as_str().unwrap().to_owned(),
                item["value"].as_f64().unwrap(),
            ));
        }
        pages += 1;
        match body["next"].as_str() {
            Some(next) => {
                assert_eq!(
                    page.header("link"),
                    Some(format!("<{next}>; rel=\"next\"").as_str())
                );
                path = next.to_owned();
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(values.len(), 5);
    assert_eq!(values[0], ("2026-11-25T16:00:00+08:00".to_owned(), 30.0));
    assert_eq!(values[4], ("2026-11-25T16:04:00+08:00".to_owned(), 34.0));

    let hourly = get(
        addr,
        &format!("{from}&aggregate=hourly&to=2026-11-25T18:00:00%2B08:00"),
    )
    .await
    .json();
    assert_eq!(
        hourly["items"],
        json!([
            {"hour_end": "2026-11-25T16:00:00+08:00", "value": 31.5, "minutes": 60, "valid": true},
            {"hour_end": "2026-11-25T17:00:00+08:00", "value": 33.0, "minutes": 30, "valid": false},
        ])
    );
    let daily = get(
        addr,
        "/api/v1/stations/1141A/readings?parameter=o3&aggregate=daily&from=2026-11-25T00:00:00%2B08:00&to=2026-11-26T00:00:00%2B08:00&limit=2",
    )
    .await
    .json();
    let statistics: Vec<&str> = daily["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["statistic"].as_str().unwrap())
        .collect();
    assert_eq!(statistics, ["max_1h", "max_8h"]);
    assert_eq!(daily["items"][1]["count"], 17);
    let rest = get(addr, daily["next"].as_str().unwrap()).await.json();
    assert_eq!(rest["items"][0]["statistic"], "mean");
    assert_eq!(rest["items"][0]["valid"], false);

    let csv = get(
        addr,
        &format!("{from}&aggregate=hourly&format=csv&to=2026-11-25T18:00:00%2B08:00"),
    )
    .await;
    assert_eq!(
        csv_rows(&csv),
        [
            ["hour_end", "value", "minutes", "valid"],
            ["2026-11-25T16:00:00+08:00", "31.5", "60", "true"],
            ["2026-11-25T17:00:00+08:00", "33", "30", "false"],
        ]
    );

    for (query, names) in [
        ("", "`parameter`"),
        ("?parameter=pm2.5", "`parameter`"),
        ("?parameter=ph", "`parameter`"),
        ("?parameter=pm25&aggregate=weekly", "`aggregate`"),
        ("?parameter=pm25&limit=0", "`limit`"),
        ("?parameter=pm25&from=yesterday", "`from`"),
        ("?parameter=pm25&cursor=abc", "`cursor`"),
        (
            "?parameter=pm25&from=2026-01-01T00:00:00Z&to=2026-11-01T00:00:00Z",
            "`from`",
        ),
    ] {
        let response = get(addr, &format!("/api/v1/stations/1141A/readings{query}")).await;
        assert_eq!(response.status, 400, "{query}");
        assert!(
            error_message(&response).contains(names),
            "{query}: {}",
            response.body
        );
    }
    let missing = get(addr, "/api/v1/stations/NOPE/readings?parameter=pm25").await;
    assert_eq!(missing.status, 404);
    system.shutdown().await;
}

#[tokio::test]
async fn the_latest_list_follows_the_live_state_as_json_and_csv() {
    let system = TestSystem::start().await;
    let addr = system.publisher_addr;
    system
        .mosquitto_pub(
            "live/air/1141A",
            r#"{"station":"1141A","kind":"air","updated_at":"2026-11-25T08:00:00Z","readings":{"pm25":{"value":35.0,"unit":"ug/m3","observed_at":"2026-11-25T08:00:00Z","quality":"valid"}}}"#,
        )
        .await;
    system
        .mosquitto_pub(
            "live/river/wusongkou",
            r#"{"station":"wusongkou","kind":"river","updated_at":"2026-11-25T08:00:00Z","readings":{"ph":{"value":7.6,"unit":"","observed_at":"2026-11-25T08:00:00Z","quality":"valid"}}}"#,
        )
        .await;
    let all = wait_for("both states", Duration::from_secs(10), || async {
        let body = get(addr, "/api/v1/latest").await.json();
        if body["items"].as_array().unwrap().len() == 2 {
            Ok(body)
        } else {
            Err(body.to_string())
        }
    })
    .await;
    assert_eq!(all["items"][0]["updated_at"], "2026-11-25T16:00:00+08:00");
    let putuo = get(addr, "/api/v1/latest?district=Putuo").await.json();
    assert_eq!(putuo["items"].as_array().unwrap().len(), 1);
    assert_eq!(putuo["items"][0]["readings"]["pm25"]["value"], 35.0);
    let rows = csv_rows(&get(addr, "/api/v1/latest?kind=air&format=csv").await);
    assert_eq!(
        rows,
        [
            vec![
                "station",
                "kind",
                "parameter",
                "value",
                "unit",
                "observed_at",
                "quality"
            ],
            vec![
                "1141A",
                "air",
                "pm25",
                "35",
                "ug/m3",
                "2026-11-25T16:00:00+08:00",
                "valid"
            ],
        ]
    );
    system.shutdown().await;
}

#[tokio::test]
async fn public_gets_allow_cross_origin_and_answer_conditional_requests() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let first = request(
        addr,
        "GET",
        "/api/v1/stations",
        &[("Origin", "https://news.example")],
    )
    .await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("access-control-allow-origin"), Some("*"));
    assert!(
        first
            .header("access-control-expose-headers")
            .unwrap()
            .to_ascii_lowercase()
            .contains("etag")
    );
    assert_eq!(first.header("cache-control"), Some("public, max-age=300"));
    let etag = first.header("etag").unwrap().to_owned();

    let again = request(addr, "GET", "/api/v1/stations", &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, "");
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let changed = request(
        addr,
        "GET",
        "/api/v1/stations?kind=air",
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(changed.status, 200, "another list, another ETag");

    let preflight = request(
        addr,
        "OPTIONS",
        "/api/v1/stations",
        &[
            ("Origin", "https://news.example"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "if-none-match"),
        ],
    )
    .await;
    // Fetch asks a preflight for an ok status (2xx), no body needed.
    assert!(
        (200..300).contains(&preflight.status),
        "{}",
        preflight.status
    );
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
            .to_ascii_lowercase()
            .contains("if-none-match")
    );
    system.shutdown().await;
}

#[tokio::test]
async fn too_many_requests_from_one_address_get_429_with_retry_after() {
    let mut system = TestSystem::start_publisher_only().await;
    let mut settings = system.publisher_settings();
    settings.rate_limit_per_second = 0.5;
    settings.rate_limit_burst = 3;
    let addr = system.spawn_publisher(settings).await;
    for _ in 0..3 {
        assert_eq!(get(addr, "/api/v1/parameters").await.status, 200);
    }
    let limited = get(addr, "/api/v1/parameters").await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("2"));
    assert_eq!(limited.json()["error"]["code"], "rate_limited");
    // Health checks are not rate-limited.
    assert_eq!(get(addr, "/healthz").await.status, 200);
    system.shutdown().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let mut system = TestSystem::start_publisher_only().await;
    let forwarded = |client: &'static str| {
        move |addr| async move {
            let header = [("X-Forwarded-For", client)];
            http::send(addr, "GET", "/api/v1/parameters", &header, None)
                .await
                .status
        }
    };
    let (visitor, other) = (forwarded("203.0.113.7"), forwarded("198.51.100.4"));

    // The test's own address is the proxy.
    let mut settings = system.publisher_settings();
    settings.rate_limit_per_second = 0.5;
    settings.rate_limit_burst = 2;
    settings.trusted_proxies = vec!["127.0.0.0/8".to_owned().try_into().unwrap()];
    let addr = system.spawn_publisher(settings.clone()).await;
    assert_eq!(visitor(addr).await, 200);
    assert_eq!(visitor(addr).await, 200);
    assert_eq!(
        visitor(addr).await,
        429,
        "the visitor's own budget is spent"
    );
    assert_eq!(
        other(addr).await,
        200,
        "another visitor has a budget of its own"
    );

    // Not trusted: X-Forwarded-For is anyone's to write, and ignored.
    settings.trusted_proxies = Vec::new();
    let addr = system.spawn_publisher(settings).await;
    assert_eq!(visitor(addr).await, 200);
    assert_eq!(visitor(addr).await, 200);
    assert_eq!(other(addr).await, 429, "one budget for the one peer");
    system.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_lists_routes_that_answer() {
    let system = TestSystem::start_publisher_only().await;
    let addr = system.publisher_addr;
    let document: Value = get(addr, "/api/v1/openapi.json").await.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 12);
    for (path, operations) in paths {
        assert!(operations["get"]["responses"].is_object(), "{path}");
        let file = if path.starts_with("/api/v1/alerts/") || path.starts_with("/api/v1/forecasts/")
        {
            "nope"
        } else if path.starts_with("/api/v1/charts/area/") {
            "calendar.svg"
        } else {
            "pm25.svg"
        };
        let concrete = path
            .replace("{code}", "1141A")
            .replace("{id}", "shanghai")
            .replace("{file}", file);
        let query = if concrete.ends_with("/readings") {
            "?parameter=pm25"
        } else if concrete.contains("/compare/") {
            "?stations=1141A,1142A"
        } else if concrete.starts_with("/api/v1/drinking/") && !concrete.ends_with("/sites") {
            "?period=2026-Q3"
        } else if concrete.starts_with("/api/v1/subscriptions/") {
            // The links of subscription messages; an unknown token answers 404.
            "?token=unknown"
        } else if concrete.ends_with("/oembed") {
            // Only this site's own URLs (its public URL) are embeddable.
            &*format!("?url=http://{addr}/station/1141A&format=json")
        } else {
            ""
        };
        // The event stream would never end: a bad Last-Event-ID gets a
        // quick 400 from the real route instead.
        let response = request(
            addr,
            "GET",
            &format!("{concrete}{query}"),
            &[("Last-Event-ID", "x")],
        )
        .await;
        let no_route = response.status == 404 && response.body.contains("no such route");
        assert!(!no_route, "{path} is documented but not routed");
        if !concrete.starts_with("/api/v1/live")
            && !concrete.ends_with("/nope")
            && !concrete.starts_with("/api/v1/subscriptions/")
        {
            assert_eq!(response.status, 200, "{path}: {}", response.body);
        }
    }
    let undocumented = get(addr, "/api/v1/nothing").await;
    assert!(undocumented.body.contains("no such route"));
    system.shutdown().await;
}
