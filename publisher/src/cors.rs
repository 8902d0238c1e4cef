//! Cross-origin use of the public API and the live streams: any origin may
//! read them (they are open data and carry no credentials), and a
//! preflight `OPTIONS` is answered here. The staff console and its API are
//! left to their own origin checks.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Headers a cross-origin script may read.
const EXPOSE: &str = "ETag, Link, Retry-After, Content-Disposition, Envmon-Stale";
/// Headers a cross-origin request may send.
const ALLOW_HEADERS: &str = "If-None-Match, Last-Event-ID, Accept";
/// How long a browser may reuse a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "86400";

/// The middleware.
pub(crate) async fn cors(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/api/v1/staff/") || path.starts_with("/staff") {
        return next.run(request).await;
    }
    let mut response = if request.method() == Method::OPTIONS {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        let headers = preflight.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, HEAD, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE),
        );
        preflight
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE),
    );
    response
}
