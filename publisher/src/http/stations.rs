//! `/api/v1/stations` (JSON, CSV, GeoJSON; the nearest to a point with
//! `near=`, those in a box with `bbox=`), `/api/v1/stations.geojson` and
//! `/api/v1/parameters`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use envmon_core::registry::load_stations;
use envmon_core::{Parameter, Station, StationCode, StationKind};
use serde::Serialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::api_schemas::{
    ErrorResponse, FeatureCollection, JsonCsvOrGeoJson, JsonOrCsv, NOT_MODIFIED, RateLimited,
};
use super::format::{Csv, Format, field, geojson};
use super::query::ApiQuery;
use super::station_query::{LonLat, Place, StationParams, distance_m, parse_place};
use crate::error::ApiError;
use crate::live::District;
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/stations", get(stations))
        .route("/api/v1/stations.geojson", get(stations_geojson))
        .route(
            "/api/v1/stations/{code}/completeness",
            get(super::completeness::completeness),
        )
        .route("/api/v1/parameters", get(parameters))
}

/// The registry's routes in the API document.
#[derive(OpenApi)]
#[openapi(
    paths(
        stations,
        stations_geojson,
        parameters,
        super::completeness::completeness
    ),
    components(schemas(
        StationList,
        PublicStation,
        FeatureCollection,
        ParameterList,
        ParameterView
    ))
)]
pub(super) struct Api;

#[derive(Serialize, ToSchema)]
struct StationList<'a> {
    stations: Vec<PublicStation<'a>>,
}

// A station as the public sees it: the fields of the OpenAPI `Station`
// schema, named one by one, so nothing the registry adds for ingest (the
// HJ 212 logger's MN and networks) can reach a response unnoticed.
#[derive(Serialize, ToSchema)]
#[schema(as = Station)]
struct PublicStation<'a> {
    code: &'a StationCode,
    kind: StationKind,
    name_zh: &'a str,
    name_en: &'a str,
    district_zh: &'a str,
    district_en: &'a str,
    longitude: f64,
    latitude: f64,
    coordinates_approximate: bool,
    water_body_zh: Option<&'a str>,
    water_body_en: Option<&'a str>,
    basin_zh: Option<&'a str>,
    basin_en: Option<&'a str>,
    water_body_type: Option<envmon_core::station::WaterBodyType>,
    #[schema(minimum = 1, maximum = 5)]
    target_class: Option<u8>,
    /// Great-circle distance from `near`, in whole metres; only when `near` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_m: Option<u32>,
}

/// A registry station with its distance from `near`, when asked.
struct Located {
    station: Station,
    distance_m: Option<f64>,
}

impl<'a> PublicStation<'a> {
    fn of(located: &'a Located) -> Self {
        let s = &located.station;
        Self {
            code: &s.code,
            kind: s.kind,
            name_zh: &s.name_zh,
            name_en: &s.name_en,
            district_zh: &s.district_zh,
            district_en: &s.district_en,
            longitude: s.longitude,
            latitude: s.latitude,
            coordinates_approximate: s.coordinates_approximate,
            water_body_zh: s.water_body_zh.as_deref(),
            water_body_en: s.water_body_en.as_deref(),
            basin_zh: s.basin_zh.as_deref(),
            basin_en: s.basin_en.as_deref(),
            water_body_type: s.water_body_type,
            target_class: s.target_class,
            distance_m: located.distance_m.map(whole_metres),
        }
    }
}

/// Metres, rounded; a distance on Earth fits a `u32` with room to spare.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole_metres(m: f64) -> u32 {
    m.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Comma-separated station kinds: air, river, source.
    #[param(example = "air,river")]
    pub(super) kind: Option<String>,
    /// Comma-separated districts, by Chinese name (普陀区) or English name in any case (putuo).
    #[param(example = "putuo")]
    pub(super) district: Option<String>,
    /// Comma-separated station codes.
    #[param(example = "1141A")]
    pub(super) station: Option<String>,
    /// Representation of the list.
    #[param(value_type = Option<JsonCsvOrGeoJson>, example = "csv")]
    pub(super) format: Option<String>,
}

impl ListQuery {
    pub(super) fn stations(&self) -> StationParams {
        StationParams {
            kind: self.kind.clone(),
            district: self.district.clone(),
            station: self.station.clone(),
        }
    }
}

/// `/api/v1/stations`' query: the filter, the format, and where.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StationsQuery {
    /// Comma-separated station kinds: air, river, source.
    #[param(example = "air,river")]
    kind: Option<String>,
    /// Comma-separated districts, by Chinese name (普陀区) or English name in any case (putuo).
    #[param(example = "putuo")]
    district: Option<String>,
    /// Comma-separated station codes.
    #[param(example = "1141A")]
    station: Option<String>,
    /// Representation of the list.
    #[param(value_type = Option<JsonCsvOrGeoJson>, example = "csv")]
    format: Option<String>,
    /// `longitude,latitude` (WGS-84 degrees): the stations nearest to this
    /// point, nearest first, each with `distance_m`, the great-circle
    /// distance (haversine on the mean Earth radius, 6 371 008.8 m) in whole
    /// metres; 5 unless `limit` says otherwise.
    #[param(example = "121.4737,31.2304")]
    near: Option<String>,
    /// `minLon,minLat,maxLon,maxLat` (WGS-84 degrees, edges included): only
    /// the stations inside this box (in registry order, or nearest first
    /// with `near`).
    #[param(example = "121.3,31.1,121.6,31.35")]
    bbox: Option<String>,
    /// At most this many stations, 1 to 100, after the other filters
    /// (default: all, or 5 with `near`).
    #[param(minimum = 1, maximum = 100, example = 3)]
    limit: Option<String>,
}

impl StationsQuery {
    fn stations(&self) -> StationParams {
        StationParams {
            kind: self.kind.clone(),
            district: self.district.clone(),
            station: self.station.clone(),
        }
    }
}

/// The stations inside the box (all without one), nearest first to the
/// point (ties by code) with their distances, at most `limit`.
fn locate(stations: Vec<Station>, place: Place) -> Vec<Located> {
    let at = |s: &Station| LonLat {
        lon: s.longitude,
        lat: s.latitude,
    };
    let mut located: Vec<Located> = stations
        .into_iter()
        .filter(|s| place.within.is_none_or(|b| b.contains(at(s))))
        .map(|station| Located {
            distance_m: place.near.map(|from| distance_m(from, at(&station))),
            station,
        })
        .collect();
    if place.near.is_some() {
        located.sort_by(|a, b| {
            a.distance_m
                .partial_cmp(&b.distance_m)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.station.code.as_str().cmp(b.station.code.as_str()))
        });
    }
    if let Some(limit) = place.limit {
        located.truncate(limit);
    }
    located
}

/// The registry, narrowed by `kind`, `district` and `station`.
async fn registry(app: &AppState, query: &StationParams) -> Result<Vec<Station>, ApiError> {
    let filter = query.parse()?;
    let client = app.pool.get().await?;
    let mut stations = load_stations(&**client).await?;
    stations.retain(|s| {
        let district = District {
            zh: s.district_zh.clone(),
            en: s.district_en.clone(),
        };
        filter.matches(&s.code, s.kind, Some(&district))
    });
    Ok(stations)
}

#[utoipa::path(
    get,
    path = "/api/v1/stations",
    operation_id = "listStations",
    summary = "The station registry, filtered by kind, district and station; the nearest to a point (`near`) or those in a box (`bbox`).",
    tags = ["stations"],
    params(StationsQuery),
    responses(
        (status = 200, description = "The stations.",
            content(
                (StationList = "application/json"),
                (String = "text/csv"),
                (FeatureCollection = "application/geo+json"),
            ),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn stations(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<StationsQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), true)?;
    let place = parse_place(
        query.near.as_deref(),
        query.bbox.as_deref(),
        query.limit.as_deref(),
    )?;
    let stations = locate(registry(&app, &query.stations()).await?, place);
    Ok(match format {
        Format::Json => Json(StationList {
            stations: stations.iter().map(PublicStation::of).collect(),
        })
        .into_response(),
        Format::GeoJson => geojson(&feature_collection(&stations)),
        Format::Csv => stations_csv(&stations).into_response("stations"),
    })
}

// The same as `/api/v1/stations?format=geojson`.
#[utoipa::path(
    get,
    path = "/api/v1/stations.geojson",
    operation_id = "stationsGeoJson",
    summary = "The station registry as GeoJSON (RFC 7946), one Point per station.",
    tags = ["stations"],
    params(StationParams),
    responses(
        (status = 200, description = "A FeatureCollection.", body = FeatureCollection, content_type = "application/geo+json"),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn stations_geojson(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<StationParams>,
) -> Result<Response, ApiError> {
    let stations = locate(registry(&app, &query).await?, Place::default());
    Ok(geojson(&feature_collection(&stations)))
}

/// RFC 7946: one Point feature per station, `[longitude, latitude]`, the
/// other fields as properties.
fn feature_collection(stations: &[Located]) -> Value {
    let features: Vec<Value> = stations
        .iter()
        .map(|located| {
            let s = &located.station;
            let mut properties =
                serde_json::to_value(PublicStation::of(located)).unwrap_or(Value::Null);
            if let Some(object) = properties.as_object_mut() {
                object.remove("longitude");
                object.remove("latitude");
            }
            json!({
                "type": "Feature",
                "id": s.code.as_str(),
                "geometry": { "type": "Point", "coordinates": [s.longitude, s.latitude] },
                "properties": properties,
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

/// The registry as CSV; with `near`, a last column `distance_m`.
fn stations_csv(stations: &[Located]) -> Csv {
    let near = stations.iter().any(|l| l.distance_m.is_some());
    let mut columns = vec![
        "code",
        "kind",
        "name_zh",
        "name_en",
        "district_zh",
        "district_en",
        "longitude",
        "latitude",
        "coordinates_approximate",
        "water_body_zh",
        "water_body_en",
        "basin_zh",
        "basin_en",
        "water_body_type",
        "target_class",
    ];
    if near {
        columns.push("distance_m");
    }
    let mut csv = Csv::new(&columns);
    for located in stations {
        let s = &located.station;
        let mut row = vec![
            s.code.to_string(),
            s.kind.to_string(),
            s.name_zh.clone(),
            s.name_en.clone(),
            s.district_zh.clone(),
            s.district_en.clone(),
            s.longitude.to_string(),
            s.latitude.to_string(),
            s.coordinates_approximate.to_string(),
            field(s.water_body_zh.as_ref()),
            field(s.water_body_en.as_ref()),
            field(s.basin_zh.as_ref()),
            field(s.basin_en.as_ref()),
            field(s.water_body_type.map(|t| t.as_str())),
            field(s.target_class),
        ];
        if near {
            row.push(field(located.distance_m.map(whole_metres)));
        }
        csv.row(row);
    }
    csv
}

#[derive(Serialize, ToSchema)]
struct ParameterView {
    code: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    unit: &'static str,
    kinds: Vec<&'static str>,
}

#[derive(Serialize, ToSchema)]
struct ParameterList {
    parameters: Vec<ParameterView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct FormatQuery {
    /// Representation of the list.
    #[param(value_type = Option<JsonOrCsv>, example = "csv")]
    pub(super) format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/parameters",
    operation_id = "listParameters",
    summary = "Parameters with their names and canonical units.",
    tags = ["reference"],
    params(FormatQuery),
    responses(
        (status = 200, description = "`{\"parameters\": [...]}`.",
            content((ParameterList = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn parameters(ApiQuery(query): ApiQuery<FormatQuery>) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let parameters: Vec<ParameterView> = Parameter::ALL
        .into_iter()
        .map(|p| {
            let info = p.info();
            let kinds = StationKind::ALL
                .into_iter()
                .filter(|k| p.applies_to(*k))
                .map(|k| k.as_str())
                .collect();
            ParameterView {
                code: info.code,
                name_zh: info.name_zh,
                name_en: info.name_en,
                unit: info.unit,
                kinds,
            }
        })
        .collect();
    if format == Format::Csv {
        let mut csv = Csv::new(&["code", "name_zh", "name_en", "unit", "kinds"]);
        for p in &parameters {
            csv.row([p.code, p.name_zh, p.name_en, p.unit, &p.kinds.join(" ")]);
        }
        return Ok(csv.into_response("parameters"));
    }
    Ok(Json(ParameterList { parameters }).into_response())
}

#[cfg(test)]
mod tests {
    use envmon_core::network::Network;
    use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};

    use super::*;

    /// A registry station with an HJ 212 logger.
    fn logger_station() -> Station {
        let mut station = parse_registry(SHANGHAI_REGISTRY).unwrap().remove(0);
        station.hj212_mn = Some("3700000A0000000000000001".into());
        station.hj212_networks = vec![Network::parse("10.20.0.0/16").unwrap()];
        station
    }

    #[test]
    fn the_public_station_is_exactly_the_openapi_schema() {
        let located = Located {
            station: logger_station(),
            distance_m: Some(1234.4),
        };
        let json = serde_json::to_value(PublicStation::of(&located)).unwrap();
        assert_eq!(json["distance_m"], 1234);
        let mut fields: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        let schema = serde_json::to_value(super::super::openapi::document()).unwrap();
        let mut documented: Vec<&str> = schema["components"]["schemas"]["Station"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        documented.sort_unstable();
        assert_eq!(fields, documented);
    }

    #[test]
    fn no_format_of_the_registry_carries_the_loggers_mn_or_networks() {
        let stations = vec![Located {
            station: logger_station(),
            distance_m: Some(10.0),
        }];
        let list = serde_json::to_string(&StationList {
            stations: stations.iter().map(PublicStation::of).collect(),
        })
        .unwrap();
        let geojson = feature_collection(&stations).to_string();
        let csv = String::from_utf8(stations_csv(&stations).into_bytes()).unwrap();
        for body in [list, geojson, csv] {
            assert!(!body.contains("3700000A"), "{body}");
            assert!(
                !body.contains("hj212") && !body.contains("10.20."),
                "{body}"
            );
        }
    }

    #[test]
    fn near_orders_by_distance_and_a_box_keeps_registry_order() {
        let registry = parse_registry(SHANGHAI_REGISTRY).unwrap();
        let from = LonLat {
            lon: registry[3].longitude,
            lat: registry[3].latitude,
        };
        let near = locate(
            registry.clone(),
            Place {
                near: Some(from),
                within: None,
                limit: Some(4),
            },
        );
        assert_eq!(near.len(), 4);
        assert_eq!(near[0].station.code, registry[3].code);
        assert_eq!(near[0].distance_m, Some(0.0));
        assert!(near.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
        let everything = super::super::station_query::BoundingBox {
            min: LonLat {
                lon: 120.0,
                lat: 30.0,
            },
            max: LonLat {
                lon: 123.0,
                lat: 32.5,
            },
        };
        let inside = locate(
            registry.clone(),
            Place {
                within: Some(everything),
                ..Place::default()
            },
        );
        let codes: Vec<_> = inside.iter().map(|l| &l.station.code).collect();
        let all: Vec<_> = registry.iter().map(|s| &s.code).collect();
        assert_eq!(codes, all);
        assert!(inside.iter().all(|l| l.distance_m.is_none()));
    }
}
