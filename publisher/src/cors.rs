//! Cross-origin use of the public API and the live streams: any origin may
//! read them (they are open data and carry no credentials), and a
//! preflight `OPTIONS` is answered here. The application applies this to
//! the public routes only: the staff console and its API are left to their
//! own origin checks.

use std::time::Duration;

use axum::http::{HeaderName, Method, header};
use tower_http::cors::{Any, CorsLayer};

/// Headers a cross-origin script may read.
const EXPOSE: [HeaderName; 5] = [
    header::ETAG,
    header::LINK,
    header::RETRY_AFTER,
    header::CONTENT_DISPOSITION,
    HeaderName::from_static("envmon-stale"),
];

/// Headers a cross-origin request may send.
const ALLOW_HEADERS: [HeaderName; 3] = [
    header::IF_NONE_MATCH,
    HeaderName::from_static("last-event-id"),
    header::ACCEPT,
];

/// How long a browser may reuse a preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(86_400);

/// The layer for the public routes.
pub(crate) fn layer() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(ALLOW_HEADERS)
        .expose_headers(EXPOSE)
        .max_age(PREFLIGHT_MAX_AGE)
}
