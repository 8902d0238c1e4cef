//! The public dashboard: static files embedded in the binary, so one binary
//! serves the page with no build step and no files to deploy beside it.
//! `[publisher] dashboard_dir` serves them from disk instead, for working on
//! the page without rebuilding.

use std::path::Path;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;

const JS: &str = "text/javascript; charset=utf-8";

/// The page's files: name, content type, embedded content. The first is the
/// page itself, served at `/`; the others at `/{name}`.
const ASSETS: [(&str, &str, &str); 12] = [
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
];

/// Browsers revalidate after a minute: a new release shows up quickly.
const CACHE_CONTROL: &str = "public, max-age=60";

pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new().route("/", get(|state| asset(state, 0)));
    for (index, (name, _, _)) in ASSETS.iter().enumerate().skip(1) {
        router = router.route(&format!("/{name}"), get(move |state| asset(state, index)));
    }
    router
}

async fn asset(State(app): State<AppState>, index: usize) -> Response {
    let (name, content_type, embedded) = ASSETS[index];
    let body = match &app.settings.dashboard_dir {
        None => embedded.to_owned(),
        Some(dir) => match tokio::fs::read_to_string(Path::new(dir).join(name)).await {
            Ok(body) => body,
            Err(error) => {
                tracing::warn!(file = name, error = %error, "Cannot read dashboard file.");
                return StatusCode::NOT_FOUND.into_response();
            }
        },
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, CACHE_CONTROL),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    /// Names a text refers to as `from './name'` or `href="name"` / `src="name"`.
    fn referenced(text: &str) -> Vec<&str> {
        let mut names = Vec::new();
        for marker in ["from './", "href=\"", "src=\""] {
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
        // And nothing embedded is left unused.
        let used: Vec<&str> = ASSETS
            .iter()
            .flat_map(|(_, _, text)| referenced(text))
            .collect();
        for name in served.iter().skip(1) {
            assert!(
                used.contains(name),
                "{name} is embedded but nothing loads it"
            );
        }
    }
}
