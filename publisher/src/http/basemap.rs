//! `/api/v1/map`: what the dashboard's map draws besides our own layers,
//! today the optional tile basemap of `[publisher.basemap]`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::api_schemas::RateLimited;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/map", get(map))
}

#[derive(OpenApi)]
#[openapi(paths(map), components(schemas(MapSettings, Basemap)))]
pub(super) struct Api;

#[derive(Serialize, ToSchema)]
struct MapSettings {
    /// Absent when the site draws no basemap: the map is then our own
    /// vector layers only, with no request to any other site.
    basemap: Option<Basemap>,
}

#[derive(Serialize, ToSchema)]
struct Basemap {
    /// Web Mercator tile URL with `{z}`, `{x}` and `{y}`.
    #[schema(example = "https://tiles.example.gov.cn/{z}/{x}/{y}.png")]
    tiles: String,
    /// The credit the tiles' licence asks for, shown on the map.
    attribution: String,
    max_zoom: u8,
}

#[utoipa::path(
    get,
    path = "/api/v1/map",
    operation_id = "mapSettings",
    summary = "The dashboard map's settings: the optional tile basemap and its attribution.",
    tags = ["reference"],
    responses(
        (status = 200, description = "The settings.", body = MapSettings),
        (status = 429, response = RateLimited),
    ),
)]
async fn map(State(app): State<AppState>) -> Json<MapSettings> {
    Json(MapSettings {
        basemap: app.settings.basemap.as_ref().map(|b| Basemap {
            tiles: b.tiles.template().to_owned(),
            attribution: b.attribution.clone(),
            max_zoom: b.max_zoom,
        }),
    })
}
