//! The parts of the OpenAPI document that no Rust type describes: bodies
//! built with `json!` (errors, GeoJSON, reading pages), the shared error
//! responses, and the closed vocabularies of query parameters that the
//! handlers read as strings and check themselves.
//!
//! Each is a type implementing utoipa's traits, so the handlers'
//! annotations name it like any derived schema and the document refers to
//! it by `$ref`.

use serde_json::json;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToResponse, ToSchema};

/// The 304 every cacheable answer can be.
pub(super) const NOT_MODIFIED: &str = "Not modified: the `If-None-Match` ETag is current.";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn nullable(kind: Type) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([kind, Type::Null]))
}

fn date_time() -> ObjectBuilder {
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
}

/// A string from a closed list, with the value used when it is absent.
fn one_of(values: &[&str], default: Option<&str>) -> Schema {
    string()
        .enum_values(Some(values.iter().copied()))
        .default(default.map(|d| json!(d)))
        .into()
}

/// A closed vocabulary of a query parameter, as a schema component.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, [$($value:literal),+], $default:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub(super) struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                one_of(&[$($value),+], $default).into()
            }
        }

        impl ToSchema for $name {}
    };
}

vocabulary!(
    /// `format` of the lists that also come as CSV.
    JsonOrCsv, ["json", "csv"], Some("json")
);
vocabulary!(
    /// `format` of the station registry, which also comes as GeoJSON.
    JsonCsvOrGeoJson, ["json", "csv", "geojson"], Some("json")
);
vocabulary!(
    /// `aggregate` of the readings.
    ReadingAggregate, ["raw", "hourly", "daily"], Some("raw")
);
vocabulary!(
    /// `period` of the AQI.
    AqiPeriod, ["hourly", "daily"], Some("hourly")
);
vocabulary!(
    /// `range` of a chart.
    ChartRange, ["24h", "7d", "30d"], Some("24h")
);
vocabulary!(
    /// `lang` of a chart.
    ChartLang, ["zh", "en"], None
);
vocabulary!(
    /// `theme` of a chart.
    ChartTheme, ["light", "dark"], None
);
vocabulary!(
    /// `format` of oEmbed: JSON only (XML is answered 501).
    OembedFormat, ["json"], None
);

/// `{"error": {"code", "message"}}`, the body of every error.
#[derive(Debug)]
pub(super) struct Error;

impl PartialSchema for Error {
    fn schema() -> RefOr<Schema> {
        let detail = ObjectBuilder::new()
            .property("code", string())
            .property("message", string())
            .required("code")
            .required("message");
        ObjectBuilder::new()
            .property("error", detail)
            .required("error")
            .into()
    }
}

impl ToSchema for Error {}

/// A GeoJSON (RFC 7946) FeatureCollection of station Points.
#[derive(Debug)]
pub(super) struct FeatureCollection;

impl PartialSchema for FeatureCollection {
    fn schema() -> RefOr<Schema> {
        let point = ObjectBuilder::new()
            .property("type", ObjectBuilder::new().enum_values(Some(["Point"])))
            .property(
                "coordinates",
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::Number))
                    .min_items(Some(2))
                    .max_items(Some(2)),
            );
        let feature = ObjectBuilder::new()
            .property("type", ObjectBuilder::new().enum_values(Some(["Feature"])))
            .property("id", string())
            .property("geometry", point)
            .property("properties", ObjectBuilder::new().schema_type(Type::Object));
        ObjectBuilder::new()
            .property(
                "type",
                ObjectBuilder::new().enum_values(Some(["FeatureCollection"])),
            )
            .property("features", ArrayBuilder::new().items(feature))
            .required("type")
            .required("features")
            .into()
    }
}

impl ToSchema for FeatureCollection {}

/// A page of readings: raw values, hourly means or daily statistics.
#[derive(Debug)]
pub(super) struct ReadingPage;

impl PartialSchema for ReadingPage {
    fn schema() -> RefOr<Schema> {
        let raw = ObjectBuilder::new()
            .title(Some("raw"))
            .property("observed_at", date_time())
            .property("value", ObjectBuilder::new().schema_type(Type::Number))
            .property("quality", string())
            .property("revision", ObjectBuilder::new().schema_type(Type::Integer))
            .property(
                "period_seconds",
                ObjectBuilder::new().schema_type(Type::Integer),
            );
        let hourly = ObjectBuilder::new()
            .title(Some("hourly"))
            .property("hour_end", date_time())
            .property("value", nullable(Type::Number))
            .property("minutes", ObjectBuilder::new().schema_type(Type::Integer))
            .property("valid", ObjectBuilder::new().schema_type(Type::Boolean));
        let daily = ObjectBuilder::new()
            .title(Some("daily"))
            .property(
                "day",
                string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
            )
            .property(
                "statistic",
                ObjectBuilder::new().enum_values(Some(["mean", "max_8h", "max_1h"])),
            )
            .property("value", nullable(Type::Number))
            .property("count", ObjectBuilder::new().schema_type(Type::Integer))
            .property("valid", ObjectBuilder::new().schema_type(Type::Boolean));
        let item = OneOfBuilder::new().item(raw).item(hourly).item(daily);
        let mut page = ObjectBuilder::new()
            .property("station", string())
            .property("parameter", string())
            .property("unit", string())
            .property(
                "aggregate",
                ObjectBuilder::new().enum_values(Some(["raw", "hourly", "daily"])),
            )
            .property("from", date_time())
            .property("to", date_time())
            .property("next", nullable(Type::String))
            .property("items", ArrayBuilder::new().items(item));
        for field in [
            "station",
            "parameter",
            "unit",
            "aggregate",
            "from",
            "to",
            "items",
            "next",
        ] {
            page = page.required(field);
        }
        page.into()
    }
}

impl ToSchema for ReadingPage {}

fn error_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(Error::name())))
        .build()
}

/// The answer to a request the API refuses (400) or has nothing for (404,
/// 503): the JSON error naming the parameter.
#[derive(Debug)]
pub(crate) struct ErrorResponse;

impl<'r> ToResponse<'r> for ErrorResponse {
    fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
        let response = ResponseBuilder::new()
            .description("A request error; the message names the parameter.")
            .content("application/json", error_content())
            .build();
        ("Error", response.into())
    }
}

/// 429: this address has used its share.
#[derive(Debug)]
pub(crate) struct RateLimited;

impl<'r> ToResponse<'r> for RateLimited {
    fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
        let retry_after = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::Integer))
            .description(Some("Seconds to wait."))
            .build();
        let response = ResponseBuilder::new()
            .description("Too many requests (or live connections) from this address.")
            .header("Retry-After", retry_after)
            .content("application/json", error_content())
            .build();
        ("RateLimited", response.into())
    }
}

/// A PNG image, as bytes.
#[derive(Debug)]
pub(super) struct PngImage;

impl PartialSchema for PngImage {
    fn schema() -> RefOr<Schema> {
        string().content_media_type("image/png").into()
    }
}

impl ToSchema for PngImage {}
