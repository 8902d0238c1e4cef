//! The public dashboard: static files embedded in the binary, so one binary
//! serves the page with no build step and no files to deploy beside it.
//! `[publisher] dashboard_dir` serves them from disk instead, for working on
//! the page without rebuilding.
//!
//! Embedded files are gzipped once and carry an `ETag` (a hash of the file,
//! another tag for the gzipped form) that `If-None-Match` answers with 304.
//! `include_str!` and a `OnceLock` per file do what `rust-embed` would, for
//! the files named here one by one (a test checks the page loads no
//! other), without a derive macro or a second copy of the list.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::state::AppState;

const JS: &str = "text/javascript; charset=utf-8";

/// The page's files: name, content type, embedded content. The first is the
/// page itself, served at `/`; the others at `/{name}`.
const ASSETS: [(&str, &str, &str); 26] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../../dashboard/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../dashboard/style.css"),
    ),
    ("app.js", JS, include_str!("../../../dashboard/app.js")),
    ("store.js", JS, include_str!("../../../dashboard/store.js")),
    ("i18n.js", JS, include_str!("../../../dashboard/i18n.js")),
    (
        "format.js",
        JS,
        include_str!("../../../dashboard/format.js"),
    ),
    (
        "verdict.js",
        JS,
        include_str!("../../../dashboard/verdict.js"),
    ),
    (
        "station.js",
        JS,
        include_str!("../../../dashboard/station.js"),
    ),
    ("map.js", JS, include_str!("../../../dashboard/map.js")),
    (
        "map-markers.js",
        JS,
        include_str!("../../../dashboard/map-markers.js"),
    ),
    (
        "map-table.js",
        JS,
        include_str!("../../../dashboard/map-table.js"),
    ),
    (
        "map-geo.js",
        JS,
        include_str!("../../../dashboard/map-geo.js"),
    ),
    (
        "map-pan.js",
        JS,
        include_str!("../../../dashboard/map-pan.js"),
    ),
    (
        "map-basemap.js",
        JS,
        include_str!("../../../dashboard/map-basemap.js"),
    ),
    (
        "map-near.js",
        JS,
        include_str!("../../../dashboard/map-near.js"),
    ),
    (
        "geo/shanghai.topo.json",
        "application/json",
        include_str!("../../../dashboard/geo/shanghai.topo.json"),
    ),
    (
        "overview.js",
        JS,
        include_str!("../../../dashboard/overview.js"),
    ),
    (
        "notices.js",
        JS,
        include_str!("../../../dashboard/notices.js"),
    ),
    ("live.js", JS, include_str!("../../../dashboard/live.js")),
    (
        "supply.js",
        JS,
        include_str!("../../../dashboard/supply.js"),
    ),
    (
        "radiation.js",
        JS,
        include_str!("../../../dashboard/radiation.js"),
    ),
    (
        "drinking.js",
        JS,
        include_str!("../../../dashboard/drinking.js"),
    ),
    (
        "forecast.js",
        JS,
        include_str!("../../../dashboard/forecast.js"),
    ),
    ("trust.js", JS, include_str!("../../../dashboard/trust.js")),
    (
        "subscribe.js",
        JS,
        include_str!("../../../dashboard/subscribe.js"),
    ),
    (
        "push-worker.js",
        JS,
        include_str!("../../../dashboard/push-worker.js"),
    ),
];

/// Browsers revalidate after a minute: a new release shows up quickly.
const CACHE_CONTROL: &str = "public, max-age=60";

pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new().route("/", get(|state, headers| asset(state, headers, 0)));
    for (index, (name, _, _)) in ASSETS.iter().enumerate().skip(1) {
        router = router.route(
            &format!("/{name}"),
            get(move |state, headers| asset(state, headers, index)),
        );
    }
    router
}

async fn asset(State(app): State<AppState>, headers: HeaderMap, index: usize) -> Response {
    let (name, content_type, embedded) = ASSETS[index];
    let Some(dir) = &app.settings.dashboard_dir else {
        // Embedded: gzipped once, sent gzipped to every browser that takes
        // it (all do); the page is about a third of its size on the wire.
        let gzip = accepts_gzip(&headers);
        let tag = etag(index, gzip);
        if is_current(&headers, index) {
            return (
                StatusCode::NOT_MODIFIED,
                [
                    (header::ETAG, tag),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static(CACHE_CONTROL),
                    ),
                    (header::VARY, HeaderValue::from_static("accept-encoding")),
                ],
            )
                .into_response();
        }
        if gzip {
            return (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static(CACHE_CONTROL),
                    ),
                    (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
                    (header::VARY, HeaderValue::from_static("accept-encoding")),
                    (header::ETAG, tag),
                ],
                gzipped(index),
            )
                .into_response();
        }
        return (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(CACHE_CONTROL),
                ),
                (header::VARY, HeaderValue::from_static("accept-encoding")),
                (header::ETAG, tag),
            ],
            embedded,
        )
            .into_response();
    };
    match tokio::fs::read_to_string(Path::new(dir).join(name)).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, CACHE_CONTROL),
            ],
            body,
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(file = name, error = %error, "Cannot read dashboard file.");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

/// The embedded file `index`, gzipped on first use.
fn gzipped(index: usize) -> &'static [u8] {
    static GZIPPED: [OnceLock<Vec<u8>>; ASSETS.len()] = [const { OnceLock::new() }; ASSETS.len()];
    GZIPPED[index].get_or_init(|| {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(ASSETS[index].2.as_bytes());
        encoder.finish().unwrap_or_default()
    })
}

/// The embedded file `index`'s entity tag, gzipped or not: a hash of the
/// file, so every instance of a release agrees, and a distinct tag per
/// encoding, as the two bodies differ byte for byte.
fn etag(index: usize, gzip: bool) -> HeaderValue {
    let text = if gzip {
        format!("\"{:016x}-gzip\"", content_hash(index))
    } else {
        format!("\"{:016x}\"", content_hash(index))
    };
    HeaderValue::from_str(&text).expect("hex digits make a valid header value")
}

fn content_hash(index: usize) -> u64 {
    static HASHES: [OnceLock<u64>; ASSETS.len()] = [const { OnceLock::new() }; ASSETS.len()];
    *HASHES[index].get_or_init(|| {
        let mut hasher = DefaultHasher::new();
        ASSETS[index].2.hash(&mut hasher);
        hasher.finish()
    })
}

/// Whether `If-None-Match` names this file as embedded (either encoding:
/// the content is the same; compared weakly, RFC 9110 §13.1.2) or `*`.
fn is_current(headers: &HeaderMap, index: usize) -> bool {
    let tags = [etag(index, false), etag(index, true)];
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim().trim_start_matches("W/"))
        .any(|candidate| candidate == "*" || tags.iter().any(|tag| tag == candidate))
}

/// Whether `Accept-Encoding` lists gzip (or `*`) without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use axum::http::{HeaderMap, HeaderValue, header};
    use flate2::read::GzDecoder;

    use super::{ASSETS, accepts_gzip, gzipped};

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn gzip_only_when_the_browser_takes_it() {
        assert!(accepts_gzip(&with("gzip, deflate, br, zstd")));
        assert!(accepts_gzip(&with("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0, br")));
        assert!(!accepts_gzip(&with("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_gzipped_files_unpack_to_the_files() {
        for (index, (name, _, text)) in ASSETS.iter().enumerate() {
            let mut unpacked = String::new();
            GzDecoder::new(gzipped(index))
                .read_to_string(&mut unpacked)
                .unwrap();
            assert_eq!(unpacked, *text, "{name}");
        }
    }

    /// Names a text refers to as `from './name'`, `import('./name')`,
    /// `href="name"` / `src="name"`, or a service worker's `register('name')`.
    fn referenced(text: &str) -> Vec<&str> {
        let mut names = Vec::new();
        for marker in ["from './", "import('./", "href=\"", "src=\"", "register('"] {
            for piece in text.split(marker).skip(1) {
                let end = piece.find(['\'', '"']).unwrap_or(piece.len());
                let name = &piece[..end];
                if name.ends_with(".js") || name.ends_with(".css") {
                    names.push(name);
                }
            }
        }
        names
    }

    #[test]
    fn every_file_the_page_loads_is_embedded() {
        let served: Vec<&str> = ASSETS.iter().map(|(name, _, _)| *name).collect();
        for (name, _, text) in ASSETS {
            for wanted in referenced(text) {
                assert!(
                    served.contains(&wanted),
                    "{name} loads {wanted}, which the binary does not serve"
                );
            }
        }
        // And no embedded script or style sheet is left unused (the map's
        // data is fetched by a script, not named in markup).
        let used: Vec<&str> = ASSETS
            .iter()
            .flat_map(|(_, _, text)| referenced(text))
            .collect();
        for name in served
            .iter()
            .skip(1)
            .filter(|n| n.ends_with(".js") || n.ends_with(".css"))
        {
            assert!(
                used.contains(name),
                "{name} is embedded but nothing loads it"
            );
        }
    }
}
