//! Charts drawn over made-up data, with no database: what `envmon-bench
//! charts` times. The data look like a real station's (a daily cycle, two
//! missing hours, one flagged value), so drawing costs what it costs in
//! service.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Duration, DurationRound, Utc};
use envmon_core::Station;
use envmon_core::registry::{SHANGHAI_REGISTRY, parse_registry};

use super::series::{Mark, Point, Series};
use super::{Attribution, ChartRequest, Charts, Format};

/// The kinds of chart the service draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleChart {
    /// A station's PM2.5 with the HJ 633 bands.
    Parameter,
    /// A station's hourly AQI bars.
    AqiBars,
    /// Four stations' PM2.5 compared.
    Compare,
}

impl SampleChart {
    /// Every kind.
    pub const ALL: [SampleChart; 3] = [Self::Parameter, Self::AqiBars, Self::Compare];

    /// The chart's URL path, as the service would be asked for it.
    pub fn path(self, extension: &str) -> String {
        match self {
            Self::Parameter => format!("/api/v1/charts/station/1141A/pm25.{extension}"),
            Self::AqiBars => format!("/api/v1/charts/station/1141A/aqi.{extension}"),
            Self::Compare => {
                format!("/api/v1/charts/compare/pm25.{extension}?stations=1141A,1142A,1143A,1147A")
            }
        }
    }
}

/// Draws sample charts.
#[derive(Debug)]
pub struct SampleRenderer {
    charts: Charts,
    stations: Vec<Station>,
}

impl SampleRenderer {
    /// Loads the chart font like the publisher does (`font`, or the usual
    /// system paths).
    ///
    /// # Panics
    /// If the built-in registry does not parse, which its tests rule out.
    pub fn new(font: Option<&Path>) -> Self {
        let charts = Charts::new(
            font,
            1,
            Attribution {
                zh: "样例数据".to_owned(),
                en: "sample data".to_owned(),
            },
        );
        let stations = parse_registry(SHANGHAI_REGISTRY).expect("the built-in registry parses");
        Self { charts, stations }
    }

    /// Whether PNG charts can be drawn (a CJK font was found).
    pub fn has_font(&self) -> bool {
        self.charts.font.is_some()
    }

    /// Draws `chart` over `range` (`24h`, `7d` or `30d`) at the given size
    /// and returns the image's size in bytes.
    ///
    /// # Errors
    /// A bad range or size, or a drawing failure, as text.
    pub fn render(
        &self,
        chart: SampleChart,
        png: bool,
        range: &str,
        (width, height): (u32, u32),
    ) -> Result<usize, String> {
        let query: HashMap<String, String> = [
            ("range", range.to_owned()),
            ("width", width.to_string()),
            ("height", height.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let file = if png { "pm25.png" } else { "pm25.svg" };
        let request = match chart {
            SampleChart::Parameter => ChartRequest::station("1141A", file, &query),
            SampleChart::AqiBars => {
                ChartRequest::station("1141A", if png { "aqi.png" } else { "aqi.svg" }, &query)
            }
            SampleChart::Compare => {
                let mut query = query;
                query.insert("stations".into(), "1141A,1142A,1143A,1147A".into());
                ChartRequest::compare(file, &query)
            }
        }
        .map_err(|e| e.to_string())?;
        let hour = Duration::hours(1);
        let to = Utc::now()
            .duration_trunc(hour)
            .unwrap_or_else(|_| Utc::now())
            + hour;
        let from = to - request.range.duration();
        let stations: Vec<Station> = request
            .subject
            .stations()
            .iter()
            .filter_map(|code| self.stations.iter().find(|s| &s.code == code).cloned())
            .collect();
        let aqi = chart == SampleChart::AqiBars;
        let series = (0..stations.len())
            .map(|i| sample_series(from, to, i, aqi))
            .collect();
        debug_assert!(request.format != Format::Json);
        self.charts
            .paint(&request, &stations, series, (from, to), to)
            .map(|r| r.body.len())
            .map_err(|e| e.to_string())
    }
}

/// Hourly values over (`from`, `to`]: a daily cycle, hours 30 and 31 before
/// the end missing, hour 12 before the end flagged.
fn sample_series(from: DateTime<Utc>, to: DateTime<Utc>, station: usize, aqi: bool) -> Series {
    let hours = (to - from).num_hours();
    let mut series = Series::default();
    for back in 0..hours {
        let at = to - Duration::hours(back);
        #[allow(clippy::cast_precision_loss)]
        let phase = (back as f64 + station as f64 * 3.0) / 24.0 * std::f64::consts::TAU;
        let value = if aqi { 60.0 } else { 40.0 } + 25.0 * phase.sin();
        match back {
            30 | 31 => {}
            12 => series.marks.push(Mark {
                at,
                value: Some(value * 4.0),
            }),
            _ => series.points.push(Point { at, value }),
        }
    }
    series.points.reverse();
    series
}
