//! Caching validators on the public API: every successful GET gets an
//! `ETag` (a hash of the body, so instances serving the same data agree)
//! and a `Cache-Control`; a request whose `If-None-Match` names the current
//! ETag gets 304 with no body.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest body hashed; the API's pages stay far below it.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// How long a client or a shared cache may reuse an answer, by route:
/// the registry and reference data change rarely, live state often.
fn cache_control(path: &str) -> &'static str {
    if path == "/api/v1/parameters" || path == "/api/v1/openapi.json" {
        "public, max-age=3600"
    } else if path.starts_with("/api/v1/stations")
        && !path.contains("/latest")
        && !path.contains("/readings")
        && !path.contains("/completeness")
    {
        "public, max-age=300"
    } else if path.ends_with("/latest") || path == "/api/v1/latest" {
        "public, max-age=5"
    } else {
        "public, max-age=60"
    }
}

/// The middleware.
pub(crate) async fn conditional(request: Request, next: Next) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_owned();
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let etag = parts.headers.get(header::ETAG).cloned().unwrap_or_else(|| {
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        HeaderValue::from_str(&format!("\"{:016x}-{:x}\"", hasher.finish(), bytes.len()))
            .expect("hex digits make a valid header value")
    });
    parts.headers.insert(header::ETAG, etag.clone());
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(cache_control(&path)));
    if let Some(candidates) = if_none_match
        && matches(&candidates, etag.to_str().unwrap_or_default())
    {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        for name in [header::ETAG, header::CACHE_CONTROL] {
            if let Some(value) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, value.clone());
            }
        }
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// RFC 9110 §13.1.2: a list of entity tags or `*`, compared weakly.
fn matches(candidates: &str, etag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let etag = strip(etag);
    candidates
        .split(',')
        .any(|c| c.trim() == "*" || strip(c) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        assert!(matches("\"a\"", "\"a\""));
        assert!(matches("W/\"a\"", "\"a\""));
        assert!(matches("\"b\", \"a\"", "\"a\""));
        assert!(matches("*", "\"a\""));
        assert!(!matches("\"b\"", "\"a\""));
    }

    #[test]
    fn reference_data_is_cached_longer_than_live_state() {
        assert_eq!(cache_control("/api/v1/stations"), "public, max-age=300");
        assert_eq!(
            cache_control("/api/v1/stations/1141A/latest"),
            "public, max-age=5"
        );
        assert_eq!(
            cache_control("/api/v1/stations/1141A/readings"),
            "public, max-age=60"
        );
    }
}
