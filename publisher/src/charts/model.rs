//! A chart as the renderer sees it: every text already in the chosen
//! language, every number already loaded. Building one from the data is
//! [`super::compose`]'s job; drawing it is [`super::render`]'s.

use chrono::{DateTime, FixedOffset, Utc};

use super::bands::Bands;
use super::request::{Lang, Range, Theme};
use super::series::Series;

/// What the plot area shows.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// One line per station.
    Lines(Vec<Line>),
    /// Hourly AQI bars, each in its level's colour; marks are hours whose
    /// AQI was withheld.
    AqiBars(Series),
}

/// One station's line.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) label: String,
    pub(crate) series: Series,
}

/// Everything one image shows.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    /// Station and measure, with the unit.
    pub(crate) title: String,
    /// The data's time range and what the values are.
    pub(crate) subtitle: String,
    /// Source and attribution; when it was made, the bands' source and the
    /// flag legend.
    pub(crate) footer: [String; 2],
    /// Shown in the plot when there is no data at all.
    pub(crate) empty_text: String,
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
    pub(crate) offset: FixedOffset,
    pub(crate) range: Range,
    pub(crate) lang: Lang,
    pub(crate) theme: Theme,
    pub(crate) bands: Option<Bands>,
    pub(crate) body: Body,
    /// Whether values can be negative (water temperature): otherwise the
    /// axis starts at zero.
    pub(crate) allow_negative: bool,
}

impl Chart {
    /// Whether any value or mark falls in the window.
    pub(crate) fn has_data(&self) -> bool {
        match &self.body {
            Body::Lines(lines) => lines
                .iter()
                .any(|l| !l.series.points.is_empty() || !l.series.marks.is_empty()),
            Body::AqiBars(series) => !series.points.is_empty() || !series.marks.is_empty(),
        }
    }
}
