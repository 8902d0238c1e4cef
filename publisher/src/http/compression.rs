//! gzip and Brotli for the open data's JSON and CSV, as the client's
//! `Accept-Encoding` allows. Reading pages and CSV exports are large and
//! compress tenfold; images are compressed already, and the dashboard's
//! files are stored gzipped (`embed`), so neither passes through here.

use axum::extract::Request;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// Bodies smaller than this go as they are: the frame costs more than the
/// bytes saved.
const MIN_BYTES: u16 = 256;

/// gzip level 4 and Brotli quality 4: most of the gain for a fraction of
/// the CPU of the defaults (Brotli's is 11, far too slow per request).
const LEVEL: CompressionLevel = CompressionLevel::Precise(4);

/// The layer: JSON (also GeoJSON) and CSV above [`MIN_BYTES`].
pub(crate) fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(LEVEL)
        .compress_when(SizeAbove::new(MIN_BYTES).and(is_json_or_csv))
}

fn is_json_or_csv(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "application/json" | "application/geo+json" | "text/csv"
    )
}

/// A compressed body is another representation than the one the `ETag`
/// was computed on: the tag is made weak (as nginx does), so it still
/// answers `If-None-Match` (compared weakly) but never claims byte
/// equality across encodings.
pub(crate) async fn weaken_etag_when_encoded(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if !response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let weak = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|tag| !tag.starts_with("W/"))
        .and_then(|tag| HeaderValue::from_str(&format!("W/{tag}")).ok());
    if let Some(weak) = weak {
        response.headers_mut().insert(header::ETAG, weak);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[test]
    fn only_json_and_csv_are_compressed() {
        let yes = |t: &str| {
            is_json_or_csv(
                StatusCode::OK,
                Version::HTTP_11,
                &with_type(t),
                &Extensions::new(),
            )
        };
        assert!(yes("application/json"));
        assert!(yes("application/geo+json"));
        assert!(yes("text/csv; charset=utf-8; header=present"));
        assert!(!yes("image/png"));
        assert!(!yes("image/svg+xml"));
        assert!(!yes("text/event-stream"));
        assert!(!is_json_or_csv(
            StatusCode::OK,
            Version::HTTP_11,
            &HeaderMap::new(),
            &Extensions::new()
        ));
    }
}
