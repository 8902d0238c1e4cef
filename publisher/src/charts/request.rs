//! What a chart URL asks for, parsed and bounded; and its normal form, the
//! render cache's key, so `?lang=en&range=7d` and `?range=7d&lang=en` are
//! one chart.
//!
//! Pure: no IO, no clock. Every refusal names the parameter at fault.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{Duration, FixedOffset};
use envmon_core::{Parameter, StationCode};

/// Default and bounds of the image size in pixels.
pub(crate) const DEFAULT_WIDTH: u32 = 800;
pub(crate) const DEFAULT_HEIGHT: u32 = 400;
pub(crate) const WIDTH_RANGE: (u32, u32) = (400, 1600);
pub(crate) const HEIGHT_RANGE: (u32, u32) = (240, 1200);
/// Most stations one comparison draws: more lines than this cannot be told
/// apart.
pub(crate) const MAX_COMPARED: usize = 8;

/// A refused request: the parameter and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} parameter `{name}` {problem}")]
pub(crate) struct RequestError {
    pub(super) kind: &'static str,
    pub(super) name: String,
    pub(super) problem: String,
}

fn query_error(name: &'static str, problem: impl Into<String>) -> RequestError {
    RequestError {
        kind: "query",
        name: name.to_owned(),
        problem: problem.into(),
    }
}

fn path_error(name: &'static str, problem: impl Into<String>) -> RequestError {
    RequestError {
        kind: "path",
        name: name.to_owned(),
        problem: problem.into(),
    }
}

/// The image or data format, from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Format {
    Svg,
    Png,
    Json,
}

impl Format {
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
            Self::Json => "json",
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Svg => "image/svg+xml",
            Self::Png => "image/png",
            Self::Json => "application/json",
        }
    }
}

/// How far back a chart looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Range {
    Day,
    Week,
    Month,
}

impl Range {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Month => "30d",
        }
    }

    pub(crate) fn duration(self) -> Duration {
        match self {
            Self::Day => Duration::hours(24),
            Self::Week => Duration::days(7),
            Self::Month => Duration::days(30),
        }
    }
}

/// The language of every label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Lang {
    Zh,
    En,
}

impl Lang {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Zh => "zh",
            Self::En => "en",
        }
    }

    /// `zh` or `en` (default `zh`), for `name`.
    pub(crate) fn parse(name: &'static str, text: Option<&str>) -> Result<Self, RequestError> {
        match text {
            None | Some("zh") => Ok(Self::Zh),
            Some("en") => Ok(Self::En),
            Some(_) => Err(query_error(name, "must be zh or en")),
        }
    }

    /// `zh` or `en` text by language.
    pub(crate) fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }
}

/// Light or dark colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// `light` or `dark` (default `light`), for `name`.
    pub(crate) fn parse(name: &'static str, text: Option<&str>) -> Result<Self, RequestError> {
        match text {
            None | Some("light") => Ok(Self::Light),
            Some("dark") => Ok(Self::Dark),
            Some(_) => Err(query_error(name, "must be light or dark")),
        }
    }
}

/// The time zone of the axis and the captions. Only fixed offsets exist
/// without a time-zone database; Asia/Shanghai has kept UTC+8 all year
/// since 1991, so it is one of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Zone {
    pub(crate) name: String,
    pub(crate) offset: FixedOffset,
}

impl Zone {
    pub(crate) fn shanghai() -> Self {
        Self {
            name: "Asia/Shanghai".to_owned(),
            offset: envmon_core::beijing::offset(),
        }
    }

    /// `Asia/Shanghai` (default), `UTC`, or a fixed offset like `+05:30`.
    fn parse(text: Option<&str>) -> Result<Self, RequestError> {
        let Some(text) = text else {
            return Ok(Self::shanghai());
        };
        let invalid = || query_error("tz", "must be Asia/Shanghai, UTC or an offset like +08:00");
        match text {
            "Asia/Shanghai" => Ok(Self::shanghai()),
            "UTC" | "Z" => Ok(Self {
                name: "UTC".to_owned(),
                offset: FixedOffset::east_opt(0).expect("UTC is a valid offset"),
            }),
            _ => {
                let sign = match text.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(invalid()),
                };
                let (h, m) = text[1..].split_once(':').ok_or_else(invalid)?;
                let (h, m): (i32, i32) = (
                    h.parse().map_err(|_| invalid())?,
                    m.parse().map_err(|_| invalid())?,
                );
                if h.to_string().len() > 2 || !(0..60).contains(&m) || h > 14 {
                    return Err(invalid());
                }
                let offset =
                    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(invalid)?;
                Ok(Self {
                    name: format!("UTC{}", offset),
                    offset,
                })
            }
        }
    }

    /// How captions name the zone.
    pub(crate) fn label(&self, lang: Lang) -> String {
        if self.name == "Asia/Shanghai" {
            lang.pick("北京时间", "Beijing time").to_owned()
        } else {
            self.name.clone()
        }
    }
}

/// What a chart measures: the hourly AQI or one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Measure {
    Aqi,
    Parameter(Parameter),
}

impl Measure {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::Aqi => "aqi",
            Self::Parameter(p) => p.code(),
        }
    }
}

/// One station, or several compared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    Station(StationCode),
    Compare(Vec<StationCode>),
}

impl Subject {
    pub(crate) fn stations(&self) -> &[StationCode] {
        match self {
            Self::Station(code) => std::slice::from_ref(code),
            Self::Compare(codes) => codes,
        }
    }
}

/// A parsed chart request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ChartRequest {
    pub(crate) subject: Subject,
    pub(crate) measure: Measure,
    pub(crate) format: Format,
    pub(crate) range: Range,
    pub(crate) lang: Lang,
    pub(crate) theme: Theme,
    pub(crate) zone: Zone,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// Splits `pm25.svg` into the measure and the format.
fn parse_file(file: &str) -> Result<(Measure, Format), RequestError> {
    let (name, extension) = file
        .rsplit_once('.')
        .ok_or_else(|| path_error("format", "must end in .svg, .png or .json"))?;
    let format = match extension {
        "svg" => Format::Svg,
        "png" => Format::Png,
        "json" => Format::Json,
        _ => return Err(path_error("format", "must be svg, png or json")),
    };
    let measure = if name == "aqi" {
        Measure::Aqi
    } else {
        Measure::Parameter(Parameter::parse(name).ok_or_else(|| {
            path_error(
                "parameter",
                format!("must be aqi or a parameter code (see /api/v1/parameters), not {name:?}"),
            )
        })?)
    };
    Ok((measure, format))
}

fn parse_size(
    query: &HashMap<String, String>,
    name: &'static str,
    default: u32,
    (min, max): (u32, u32),
) -> Result<u32, RequestError> {
    let Some(text) = query.get(name) else {
        return Ok(default);
    };
    text.parse::<u32>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| query_error(name, format!("must be a whole number from {min} to {max}")))
}

/// The query parameters every chart takes.
const COMMON_KEYS: [&str; 6] = ["range", "lang", "theme", "tz", "width", "height"];

fn parse_common(
    subject: Subject,
    file: &str,
    query: &HashMap<String, String>,
    extra: &[&str],
) -> Result<ChartRequest, RequestError> {
    if let Some(unknown) = query
        .keys()
        .filter(|k| !COMMON_KEYS.contains(&k.as_str()) && !extra.contains(&k.as_str()))
        .min()
    {
        return Err(RequestError {
            kind: "query",
            name: unknown.clone(),
            problem: "is not a chart parameter".to_owned(),
        });
    }
    let (measure, format) = parse_file(file)?;
    let range = match query.get("range").map(String::as_str) {
        None | Some("24h") => Range::Day,
        Some("7d") => Range::Week,
        Some("30d") => Range::Month,
        Some(_) => return Err(query_error("range", "must be 24h, 7d or 30d")),
    };
    Ok(ChartRequest {
        subject,
        measure,
        format,
        range,
        lang: Lang::parse("lang", query.get("lang").map(String::as_str))?,
        theme: Theme::parse("theme", query.get("theme").map(String::as_str))?,
        zone: Zone::parse(query.get("tz").map(String::as_str))?,
        width: parse_size(query, "width", DEFAULT_WIDTH, WIDTH_RANGE)?,
        height: parse_size(query, "height", DEFAULT_HEIGHT, HEIGHT_RANGE)?,
    })
}

impl ChartRequest {
    /// `/api/v1/charts/station/{code}/{file}`.
    pub(crate) fn station(
        code: &str,
        file: &str,
        query: &HashMap<String, String>,
    ) -> Result<Self, RequestError> {
        let code = StationCode::parse(code).map_err(|e| path_error("code", e.to_string()))?;
        parse_common(Subject::Station(code), file, query, &[])
    }

    /// `/api/v1/charts/compare/{file}?stations=A,B`.
    pub(crate) fn compare(
        file: &str,
        query: &HashMap<String, String>,
    ) -> Result<Self, RequestError> {
        let list = query.get("stations").ok_or_else(|| {
            query_error("stations", "is required: station codes, comma-separated")
        })?;
        let mut codes: Vec<StationCode> = Vec::new();
        for code in list.split(',').map(str::trim) {
            let code = StationCode::parse(code)
                .map_err(|e| query_error("stations", format!("has a bad code: {e}")))?;
            if codes.contains(&code) {
                return Err(query_error("stations", format!("names {code} twice")));
            }
            codes.push(code);
        }
        if !(1..=MAX_COMPARED).contains(&codes.len()) {
            return Err(query_error(
                "stations",
                format!("must name 1 to {MAX_COMPARED} stations"),
            ));
        }
        parse_common(Subject::Compare(codes), file, query, &["stations"])
    }

    /// The normal form of the request: equal for equal charts, whatever the
    /// order or spelling of the query.
    pub(crate) fn key(&self) -> String {
        let mut key = match &self.subject {
            Subject::Station(code) => format!("station/{code}"),
            Subject::Compare(codes) => {
                let list: Vec<&str> = codes.iter().map(StationCode::as_str).collect();
                format!("compare/{}", list.join(","))
            }
        };
        let _ = write!(
            key,
            "/{}.{}?range={}&lang={}&theme={}&tz={}",
            self.measure.code(),
            self.format.extension(),
            self.range.as_str(),
            self.lang.as_str(),
            self.theme.as_str(),
            self.zone.name,
        );
        if self.format != Format::Json {
            let _ = write!(key, "&width={}&height={}", self.width, self.height);
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_are_24h_chinese_light_beijing_800_by_400() {
        let request = ChartRequest::station("1141A", "pm25.svg", &query(&[])).unwrap();
        assert_eq!(
            request.key(),
            "station/1141A/pm25.svg?range=24h&lang=zh&theme=light&tz=Asia/Shanghai&width=800&height=400"
        );
    }

    #[test]
    fn the_key_ignores_query_order_and_spelled_out_defaults() {
        let a = ChartRequest::station(
            "1141A",
            "aqi.png",
            &query(&[("range", "7d"), ("lang", "en")]),
        );
        let b = ChartRequest::station(
            "1141A",
            "aqi.png",
            &query(&[
                ("lang", "en"),
                ("width", "800"),
                ("range", "7d"),
                ("tz", "Asia/Shanghai"),
            ]),
        );
        assert_eq!(a.unwrap().key(), b.unwrap().key());
    }

    #[test]
    fn every_refusal_names_its_parameter() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: [Case<'_>; 8] = [
            ("pm25.svg", &[("range", "1y")], "`range`"),
            ("pm25.svg", &[("width", "5000")], "`width`"),
            ("pm25.svg", &[("height", "abc")], "`height`"),
            ("pm25.svg", &[("lang", "fr")], "`lang`"),
            ("pm25.svg", &[("theme", "blue")], "`theme`"),
            ("pm25.svg", &[("tz", "Europe/Paris")], "`tz`"),
            ("nope.svg", &[], "`parameter`"),
            ("pm25.gif", &[], "`format`"),
        ];
        for (file, pairs, named) in cases {
            let error = ChartRequest::station("1141A", file, &query(pairs)).unwrap_err();
            assert!(
                error.to_string().contains(named),
                "{error} does not name {named}"
            );
        }
        let error = ChartRequest::station("bad code!", "pm25.svg", &query(&[])).unwrap_err();
        assert!(error.to_string().contains("`code`"), "{error}");
        let error = ChartRequest::compare("pm25.svg", &query(&[])).unwrap_err();
        assert!(error.to_string().contains("`stations`"), "{error}");
        let error =
            ChartRequest::compare("pm25.svg", &query(&[("stations", "1141A,1141A")])).unwrap_err();
        assert!(error.to_string().contains("twice"), "{error}");
        let error =
            ChartRequest::station("1141A", "pm25.svg", &query(&[("colour", "red")])).unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
    }

    #[test]
    fn fixed_offsets_and_utc_are_zones() {
        let request =
            ChartRequest::station("1141A", "pm25.svg", &query(&[("tz", "+05:30")])).unwrap();
        assert_eq!(request.zone.offset.local_minus_utc(), 5 * 3600 + 30 * 60);
        let request = ChartRequest::station("1141A", "pm25.svg", &query(&[("tz", "UTC")])).unwrap();
        assert_eq!(request.zone.offset.local_minus_utc(), 0);
    }
}
