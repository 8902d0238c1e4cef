//! How open-data lists are written: JSON, CSV (RFC 4180: CRLF, quoted as
//! needed, UTF-8 so Chinese names stay intact, a header row) or GeoJSON;
//! and times in ISO 8601 with Beijing's offset, as the national platform
//! labels them.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::error::ApiError;

/// The representation a list is asked for with `?format=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Csv,
    GeoJson,
}

impl Format {
    /// Reads `?format=`; `allowed` lists what this list offers beyond JSON.
    ///
    /// # Errors
    /// A 400 naming `format` and what it may be.
    pub(crate) fn parse(text: Option<&str>, geojson: bool) -> Result<Self, ApiError> {
        match text {
            None | Some("json") => Ok(Self::Json),
            Some("csv") => Ok(Self::Csv),
            Some("geojson") if geojson => Ok(Self::GeoJson),
            Some(_) => Err(ApiError::BadRequest(format!(
                "query parameter `format` must be json{}",
                if geojson {
                    ", csv or geojson"
                } else {
                    " or csv"
                }
            ))),
        }
    }
}

/// An optional query parameter `name` that must be an RFC 3339 time with an offset.
///
/// # Errors
/// A 400 naming the parameter and the form it must have.
pub(crate) fn parse_time(
    name: &str,
    text: Option<&str>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ApiError::BadRequest(format!(
                    "query parameter `{name}` must be an RFC 3339 time with offset, e.g. 2026-11-25T16:00:00+08:00"
                ))
            })
    })
    .transpose()
}

/// The Beijing calendar day of an instant: the calendar of daily values.
pub(crate) fn beijing_day(t: DateTime<Utc>) -> chrono::NaiveDate {
    t.with_timezone(&envmon_core::beijing::offset())
        .date_naive()
}

/// `2026-11-25T16:00:00+08:00`.
pub(crate) fn iso_beijing(t: DateTime<Utc>) -> String {
    t.with_timezone(&envmon_core::beijing::offset())
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Serialises with [`iso_beijing`]: `#[serde(serialize_with = "beijing")]`.
pub(crate) fn beijing<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso_beijing(*t))
}

/// A CSV document built row by row.
#[derive(Debug)]
pub(crate) struct Csv {
    writer: csv::Writer<Vec<u8>>,
}

impl Csv {
    /// A document with this header row.
    pub(crate) fn new(header: &[&str]) -> Self {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = writer.write_record(header);
        Self { writer }
    }

    /// Appends a row; `None` fields are empty.
    pub(crate) fn row<I, F>(&mut self, fields: I)
    where
        I: IntoIterator<Item = F>,
        F: AsRef<[u8]>,
    {
        let _ = self.writer.write_record(fields);
    }

    /// The document's bytes.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner().unwrap_or_default()
    }

    /// The response: `text/csv`, named for download.
    pub(crate) fn into_response(self, name: &str) -> Response {
        let body = self.writer.into_inner().unwrap_or_default();
        (
            [
                (
                    header::CONTENT_TYPE,
                    "text/csv; charset=utf-8; header=present".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{name}.csv\""),
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// A GeoJSON response (RFC 7946 media type).
pub(crate) fn geojson<T: Serialize>(body: &T) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/geo+json"),
    );
    response
}

/// An optional value as a CSV field.
pub(crate) fn field<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_carry_beijing_offset() {
        let t: DateTime<Utc> = "2026-11-25T08:00:00Z".parse().unwrap();
        assert_eq!(iso_beijing(t), "2026-11-25T16:00:00+08:00");
    }

    #[test]
    fn csv_quotes_and_ends_lines_with_crlf() {
        let mut csv = Csv::new(&["code", "name_zh"]);
        csv.row(["a", "普陀, \"新\""]);
        let body = csv.writer.into_inner().unwrap();
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "code,name_zh\r\na,\"普陀, \"\"新\"\"\"\r\n"
        );
    }

    #[test]
    fn unknown_formats_are_named() {
        let error = Format::parse(Some("xml"), false).unwrap_err().to_string();
        assert_eq!(error, "query parameter `format` must be json or csv");
        assert_eq!(
            Format::parse(Some("geojson"), true).unwrap(),
            Format::GeoJson
        );
    }
}
