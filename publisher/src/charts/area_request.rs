//! `/api/v1/charts/area/{id}/{kind}.svg|png?year=&lang=&theme=`: which
//! area chart, parsed and bounded, and the normal form that keys its cache.

use std::collections::HashMap;

use super::request::{Format, Lang, RequestError, Theme};

/// The three year charts of an area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AreaChartKind {
    /// Every day of the year in its AQI level's colour.
    Calendar,
    /// Each month's good-day ratio beside the previous year's.
    GoodDays,
    /// The year's statistic of each pollutant against its GB 3095-2026 limit.
    Annual,
}

impl AreaChartKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Calendar => "calendar",
            Self::GoodDays => "good-days",
            Self::Annual => "annual",
        }
    }

    /// The size the chart is drawn at (width, height), for those who lay it out.
    pub(crate) fn size(self) -> (u32, u32) {
        use super::{area_bars, calendar};
        match self {
            Self::Calendar => (calendar::WIDTH, calendar::HEIGHT),
            Self::GoodDays => (area_bars::WIDTH, area_bars::GOOD_DAYS_HEIGHT),
            Self::Annual => (area_bars::WIDTH, area_bars::ANNUAL_HEIGHT),
        }
    }
}

/// Years the charts accept: GB 3095-2026 and HJ 633 tables cover these, and
/// a bound keeps a typo from asking for the year 20270.
const YEARS: std::ops::RangeInclusive<i32> = 2013..=2100;

/// One area chart, as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AreaChartRequest {
    pub(crate) area: String,
    pub(crate) kind: AreaChartKind,
    pub(crate) format: Format,
    pub(crate) year: i32,
    pub(crate) lang: Lang,
    pub(crate) theme: Theme,
}

fn path_error(name: &str, problem: impl Into<String>) -> RequestError {
    RequestError {
        kind: "path",
        name: name.to_owned(),
        problem: problem.into(),
    }
}

fn query_error(name: &str, problem: impl Into<String>) -> RequestError {
    RequestError {
        kind: "query",
        name: name.to_owned(),
        problem: problem.into(),
    }
}

impl AreaChartRequest {
    /// Parses the path's area and file and the query; `this_year` (Beijing)
    /// is the default year.
    pub(crate) fn parse(
        area: &str,
        file: &str,
        query: &HashMap<String, String>,
        this_year: i32,
    ) -> Result<Self, RequestError> {
        let well_formed = !area.is_empty()
            && area.len() <= 64
            && area
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !well_formed {
            return Err(path_error("id", "must be an area id such as shanghai"));
        }
        let (stem, extension) = file
            .rsplit_once('.')
            .ok_or_else(|| path_error("file", "must end in .svg or .png"))?;
        let format = match extension {
            "svg" => Format::Svg,
            "png" => Format::Png,
            _ => return Err(path_error("file", "must end in .svg or .png")),
        };
        let kind = match stem {
            "calendar" => AreaChartKind::Calendar,
            "good-days" => AreaChartKind::GoodDays,
            "annual" => AreaChartKind::Annual,
            _ => {
                return Err(path_error(
                    "file",
                    "must be calendar, good-days or annual (.svg or .png)",
                ));
            }
        };
        if let Some(unknown) = query
            .keys()
            .find(|k| !matches!(k.as_str(), "year" | "lang" | "theme"))
        {
            return Err(query_error(
                unknown,
                "is not known here (year, lang, theme)",
            ));
        }
        let year = match query.get("year") {
            None => this_year,
            Some(text) => text
                .parse::<i32>()
                .ok()
                .filter(|y| YEARS.contains(y))
                .ok_or_else(|| {
                    query_error(
                        "year",
                        format!("must be a year from {} to {}", YEARS.start(), YEARS.end()),
                    )
                })?,
        };
        Ok(Self {
            area: area.to_owned(),
            kind,
            format,
            year,
            lang: Lang::parse("lang", query.get("lang").map(String::as_str))?,
            theme: Theme::parse("theme", query.get("theme").map(String::as_str))?,
        })
    }

    /// The normal form: one key however the query is written.
    pub(crate) fn key(&self) -> String {
        format!(
            "area/{}/{}.{}?year={}&lang={}&theme={}",
            self.area,
            self.kind.as_str(),
            self.format.extension(),
            self.year,
            self.lang.as_str(),
            self.theme.as_str()
        )
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
    fn a_calendar_request_defaults_to_this_year_in_chinese() {
        let request =
            AreaChartRequest::parse("shanghai", "calendar.png", &query(&[]), 2027).unwrap();
        assert_eq!(request.kind, AreaChartKind::Calendar);
        assert_eq!(request.format, Format::Png);
        assert_eq!(request.year, 2027);
        assert_eq!(
            request.key(),
            "area/shanghai/calendar.png?year=2027&lang=zh&theme=light"
        );
    }

    #[test]
    fn bad_files_years_and_fields_are_named() {
        let refused = |area: &str, file: &str, pairs: &[(&str, &str)]| {
            AreaChartRequest::parse(area, file, &query(pairs), 2027)
                .unwrap_err()
                .to_string()
        };
        assert!(refused("shanghai", "pie.svg", &[]).contains("`file`"));
        assert!(refused("shanghai", "annual.json", &[]).contains("`file`"));
        assert!(refused("Shang hai", "annual.svg", &[]).contains("`id`"));
        assert!(refused("pudong", "good-days.svg", &[("year", "20270")]).contains("`year`"));
        assert!(refused("pudong", "good-days.svg", &[("range", "7d")]).contains("`range`"));
        assert!(refused("pudong", "good-days.svg", &[("lang", "fr")]).contains("`lang`"));
    }
}
