//! The API document against the routes it describes: every query parameter
//! it documents is accepted with its example value, and a parameter it does
//! not document is refused, so the document and the handlers cannot drift.

use axum::body::{Body, to_bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use super::{TestApp, app_with};

/// Paths whose handlers ignore parameters they do not know, and why.
const IGNORE_UNKNOWN: &[&str] = &[
    // oEmbed consumers may add parameters of their own (oembed.com §2.2).
    "/api/v1/oembed",
];

/// Percent-encodes a query value (`+` would otherwise read as a space).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A parameter's example as it goes in a URL.
fn example(parameter: &Value, path: &str) -> String {
    let example = &parameter["example"];
    let text = example
        .as_str()
        .map(str::to_owned)
        .or_else(|| example.as_i64().map(|n| n.to_string()))
        .unwrap_or_else(|| panic!("{path}: parameter {parameter} has no example"));
    encode(&text)
}

/// The status and, for a 400, the error message; other bodies (an event
/// stream never ends) are not read.
async fn status_and_refusal(app: &TestApp, uri: &str) -> (StatusCode, String) {
    let mut request = Request::get(uri).body(Body::empty()).unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 8], 1))));
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    if status != StatusCode::BAD_REQUEST {
        return (status, String::new());
    }
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let message = body["error"]["message"].as_str().unwrap_or_default();
    (status, message.to_owned())
}

/// Whether a request was refused for its query string.
fn refused_for_query(status: StatusCode, message: &str) -> bool {
    status == StatusCode::BAD_REQUEST && message.contains("query")
}

#[tokio::test]
async fn every_documented_query_parameter_is_accepted_and_no_other() {
    let app = app_with(|s| s.rate_limit_burst = 10_000);
    let document = app.get("/api/v1/openapi.json").await.json();
    let paths = document["paths"].as_object().unwrap();
    let mut checked = 0;
    for (path, operations) in paths {
        let parameters = operations["get"]["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut concrete = path.clone();
        let mut query = Vec::new();
        for parameter in &parameters {
            let name = parameter["name"].as_str().unwrap();
            match parameter["in"].as_str().unwrap() {
                "path" => {
                    concrete = concrete.replace(&format!("{{{name}}}"), &example(parameter, path))
                }
                "query" => query.push((
                    name,
                    example(parameter, path),
                    parameter["required"] == true,
                )),
                _ => {}
            }
        }
        if query.is_empty() {
            continue;
        }
        let all: Vec<String> = query.iter().map(|(n, v, _)| format!("{n}={v}")).collect();
        let required: Vec<String> = query
            .iter()
            .filter(|(_, _, required)| *required)
            .map(|(n, v, _)| format!("{n}={v}"))
            .collect();

        // Every documented parameter at once, with its example.
        let uri = format!("{concrete}?{}", all.join("&"));
        let (status, message) = status_and_refusal(&app, &uri).await;
        assert!(
            !refused_for_query(status, &message),
            "{uri}: {status} {message}"
        );

        // Each alone (with the required ones): never an unknown parameter.
        for (name, value, _) in &query {
            let mut one = required.clone();
            one.push(format!("{name}={value}"));
            let uri = format!("{concrete}?{}", one.join("&"));
            let (status, message) = status_and_refusal(&app, &uri).await;
            assert!(
                !(status == StatusCode::BAD_REQUEST && message.contains("unknown")),
                "{uri}: {status} {message}"
            );
        }

        // A parameter the document does not name is refused, by name.
        if !IGNORE_UNKNOWN.contains(&path.as_str()) {
            let uri = format!("{concrete}?{}&undocumented=1", all.join("&"));
            let (status, message) = status_and_refusal(&app, &uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} was accepted");
            assert!(message.contains("undocumented"), "{uri}: {message}");
        }
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} paths take query parameters");
}

#[tokio::test]
async fn the_document_is_generated_with_descriptions_examples_and_schemas() {
    let app = super::app();
    let document = app.get("/api/v1/openapi.json").await.json();
    assert_eq!(document["openapi"], "3.1.0");
    for (path, operations) in document["paths"].as_object().unwrap() {
        let get = &operations["get"];
        assert!(get["summary"].is_string(), "{path} has no summary");
        assert!(get["operationId"].is_string(), "{path} has no operationId");
        for parameter in get["parameters"].as_array().into_iter().flatten() {
            assert!(parameter["description"].is_string(), "{path}: {parameter}");
        }
    }
    let schemas = &document["components"]["schemas"];
    for name in [
        "Error",
        "Station",
        "StationList",
        "FeatureCollection",
        "StationState",
        "LatestList",
        "ReadingPage",
    ] {
        assert!(schemas[name].is_object(), "no schema {name}");
    }
    let text = document.to_string();
    for (at, _) in text.match_indices("\"$ref\":\"#/components/") {
        let target = &text[at + "\"$ref\":\"#/".len()..];
        let target = &target[..target.find('"').unwrap()];
        let mut node = &document;
        for step in target.split('/') {
            node = &node[step];
        }
        assert!(node.is_object(), "$ref to {target} leads nowhere");
    }
    let responses = &document["components"]["responses"];
    assert!(responses["RateLimited"]["headers"]["Retry-After"].is_object());
}
