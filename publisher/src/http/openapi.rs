//! `/api/v1/openapi.json`: the OpenAPI 3.1 description of the public API,
//! kept beside the routes; a test checks that the document and the routes
//! name the same paths. The staff API (`/api/v1/staff/`, behind a login)
//! is not public and not described here.

use axum::Router;
use axum::http::header;
use axum::routing::get;

use crate::state::AppState;

/// The document, checked to be JSON by the tests.
const OPENAPI: &str = include_str!("openapi.json");

pub(crate) fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/openapi.json",
        get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::OPENAPI;

    /// The staff API's prefix: internal, not part of the public document.
    const STAFF: &str = "/api/v1/staff/";

    /// Every public `/api/v1` path given to `.route(` in the publisher's
    /// sources.
    fn routed_paths() -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap();
                    for (at, _) in source.match_indices(".route(") {
                        let rest = source[at + ".route(".len()..].trim_start();
                        if let Some(literal) = rest.strip_prefix('"')
                            && let Some(end) = literal.find('"')
                            && literal[..end].starts_with("/api/")
                            && !literal[..end].starts_with(STAFF)
                        {
                            paths.insert(literal[..end].to_owned());
                        }
                    }
                }
            }
        }
        paths
    }

    #[test]
    fn the_document_names_exactly_the_routed_api_paths() {
        let document: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let documented: BTreeSet<String> = document["paths"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let routed = routed_paths();
        assert!(routed.len() >= 10, "found too few routes: {routed:?}");
        assert_eq!(
            documented, routed,
            "paths in openapi.json (left) and in the router (right) differ"
        );
    }
}
