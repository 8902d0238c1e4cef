//! `/api/v1/openapi.json`: the OpenAPI 3.1 description of the public API,
//! generated from the handlers' annotations (`#[utoipa::path]` on each
//! handler, `IntoParams` on the query types, `ToSchema` on the bodies), so
//! the document follows the code. The staff API (`/api/v1/staff/`, behind
//! a login) is not public and not described here.

use std::sync::LazyLock;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use utoipa::OpenApi;

use super::api_schemas::{
    AqiPeriod, ChartLang, ChartRange, ChartTheme, Error, ErrorResponse, JsonCsvOrGeoJson,
    JsonOrCsv, OembedFormat, RateLimited, ReadingAggregate,
};
use crate::state::AppState;

/// The document's frame; every module adds its own routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "envmon open data",
        version = "1",
        description = "Live and historical air and water quality of Shanghai's monitoring stations. Times are ISO 8601 with an offset: Beijing time (+08:00) in open-data lists and every CSV, UTC (Z) in the live wire types. Public GETs allow any origin, carry ETag and Cache-Control, and answer If-None-Match with 304. Errors are JSON `{\"error\": {\"code\", \"message\"}}`; a 400 names the parameter.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    servers((url = "/")),
    paths(openapi),
    components(
        schemas(
            Error, JsonOrCsv, JsonCsvOrGeoJson, ReadingAggregate, AqiPeriod, ChartRange, ChartLang,
            ChartTheme, OembedFormat,
        ),
        responses(ErrorResponse, RateLimited),
    ),
)]
struct Frame;

/// The whole document: the frame and every public module's routes.
pub(super) fn document() -> utoipa::openapi::OpenApi {
    let mut document = Frame::openapi();
    for part in [
        super::stations::Api::openapi(),
        super::basemap::Api::openapi(),
        super::latest::Api::openapi(),
        super::readings::Api::openapi(),
        super::indices::Api::openapi(),
        super::areas::Api::openapi(),
        super::stats::Api::openapi(),
        super::rankings::Api::openapi(),
        crate::live::Api::openapi(),
        super::charts::Api::openapi(),
        super::oembed::Api::openapi(),
        super::alerts::Api::openapi(),
        super::forecasts::Api::openapi(),
        super::drinking::Api::openapi(),
        super::radiation::Api::openapi(),
        super::subscriptions::Api::openapi(),
        super::subscription_links::Api::openapi(),
    ] {
        document.merge(part);
    }
    document
}

/// The document as served, built once.
static OPENAPI: LazyLock<String> = LazyLock::new(|| document().to_json().unwrap_or_default());

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi))
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openApi",
    summary = "This document.",
    tags = ["reference"],
    responses(
        (status = 200, description = "OpenAPI 3.1.", body = Object,
            headers(
                ("ETag" = String, description = "Validator of the body; send it back in If-None-Match."),
                ("Cache-Control" = String, description = "How long the answer may be reused."),
            ),
        ),
        (status = 304, description = "Not modified: the `If-None-Match` ETag is current."),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        OPENAPI.as_str(),
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
        let document: serde_json::Value = serde_json::from_str(&OPENAPI).unwrap();
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
            "paths in the document (left) and in the router (right) differ"
        );
    }
}
