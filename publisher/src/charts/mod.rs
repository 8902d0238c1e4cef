//! Charts for the media: a station's parameter with the official bands
//! behind it, hourly AQI bars, several stations compared; as SVG, PNG or
//! the JSON behind them.
//!
//! # Layout
//!
//! - [`request`]: the URL's parameters, parsed and bounded, and the
//!   normal form that keys the cache.
//! - [`data`]: the data's version (every request) and series (on a miss).
//! - [`series`]: values, flag marks, and where lines break at gaps.
//! - [`bands`]: AQI levels and GB 3838 class limits from envmon-core.
//! - [`compose`]: the chart in words and numbers; the JSON.
//! - [`model`], [`paint`], [`render`]: drawing with plotters; [`font`]
//!   is the CJK font PNG text needs.
//! - [`cache`]: drawn charts per data version, drawn once per change;
//!   [`memo`]: data versions reused for a second.
//! - [`sample`]: charts over made-up data, for the benchmark.
//! - An area's year ([`area_request`], [`area_charts`]): the calendar heat
//!   map ([`calendar`]), monthly good-day ratios and annual means against
//!   the limits ([`area_bars`]), laid out as [`scene`]s of plain shapes
//!   around a shared frame ([`area_frame`]).
//!
//! The HTTP routes (ETag, 304, headers) are `http::charts`.

mod area_bars;
mod area_charts;
mod area_frame;
mod area_request;
mod bands;
mod cache;
mod calendar;
mod compose;
mod data;
mod font;
mod memo;
mod model;
mod paint;
mod render;
mod request;
pub(crate) mod sample;
mod scene;
mod series;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use deadpool_postgres::Pool;
use envmon_core::Station;
use envmon_core::db::DbError;
use envmon_core::registry::load_stations;

pub(crate) use area_charts::beijing_today;
pub(crate) use area_request::{AreaChartKind, AreaChartRequest};
pub(crate) use bands::WATER_CLASS_RGB;
pub(crate) use cache::{Outcome, Rendered};
pub(crate) use compose::{Attribution, display_unit};
pub(crate) use request::{ChartRequest, Format, Lang, Measure, RequestError, Theme};

use cache::RenderCache;
use font::ChartFont;
pub(crate) use render::RenderError;

/// Why a chart could not be served.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ChartError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("no station with code {0}")]
    UnknownStation(String),
    #[error("no area with id {0}")]
    UnknownArea(String),
    #[error("path parameter `parameter`: {0}")]
    NotApplicable(String),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("chart drawing stopped")]
    Join(#[from] tokio::task::JoinError),
}

impl From<tokio_postgres::Error> for ChartError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Database(DbError::from(error))
    }
}

impl From<deadpool_postgres::PoolError> for ChartError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        Self::Database(DbError::from(error))
    }
}

/// A chart's window: the hours ending at the next whole hour. Fixed for
/// an hour, so a chart's URL means one window and can be cached.
pub(crate) fn window(range: request::Range, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let hour = Duration::hours(1);
    let floor = now.duration_trunc(hour).unwrap_or(now);
    let to = if floor == now { now } else { floor + hour };
    (to - range.duration(), to)
}

/// What a chart request resolved to before drawing.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub(crate) etag: String,
    version: String,
    window: (DateTime<Utc>, DateTime<Utc>),
}

/// The chart service: font, cache and attribution, shared by all requests.
#[derive(Debug)]
pub(crate) struct Charts {
    font: Option<Arc<ChartFont>>,
    font_problem: Option<String>,
    cache: RenderCache,
    versions: memo::VersionMemo,
    attribution: Attribution,
}

impl Charts {
    /// Loads the CJK font (`font_path`, or the usual system paths). Without
    /// one, SVG and JSON still work and PNG answers 503 saying why.
    pub(crate) fn new(
        font_path: Option<&Path>,
        cache_entries: usize,
        attribution: Attribution,
    ) -> Self {
        let (font, font_problem) = match ChartFont::load(font_path) {
            Ok(font) => {
                tracing::info!(path = %font.path().display(), face = font.face_name(), "Chart font loaded.");
                (Some(Arc::new(font)), None)
            }
            Err(error) => {
                tracing::warn!(error = %error, "No chart font: PNG charts are unavailable.");
                (None, Some(error.to_string()))
            }
        };
        Self {
            font,
            font_problem,
            cache: RenderCache::new(cache_entries),
            versions: memo::VersionMemo::default(),
            attribution,
        }
    }

    /// The attribution every chart and widget shows.
    pub(crate) fn attribution(&self) -> &Attribution {
        &self.attribution
    }

    /// Checks the stations exist and computes the chart's ETag from its
    /// normal form, its window and its data version: one cheap query.
    pub(crate) async fn resolve(
        &self,
        pool: &Pool,
        request: &ChartRequest,
        now: DateTime<Utc>,
    ) -> Result<Resolved, ChartError> {
        let window = window(request.range, now);
        let codes: Vec<&str> = request
            .subject
            .stations()
            .iter()
            .map(|c| c.as_str())
            .collect();
        let memo_key = format!("{}@{}", codes.join(","), window.0.timestamp());
        let asked = std::time::Instant::now();
        let version = match self.versions.get(&memo_key, asked) {
            Some(version) => version,
            None => {
                let client = pool.get().await?;
                let version = data::version(&client, &codes, window.0).await?;
                self.versions.put(memo_key, asked, version.clone());
                version
            }
        };
        if usize::try_from(version.stations_found).unwrap_or(0) < codes.len() {
            let client = pool.get().await?;
            let known = load_stations(&**client).await?;
            let missing = codes
                .iter()
                .find(|c| !known.iter().any(|s| s.code.as_str() == **c))
                .map_or_else(String::new, |c| (*c).to_owned());
            return Err(ChartError::UnknownStation(missing));
        }
        let version = format!("{}@{}", version.stamp(), window.1.timestamp());
        let mut hasher = DefaultHasher::new();
        (request.key(), &version).hash(&mut hasher);
        Ok(Resolved {
            etag: format!("\"c{:016x}\"", hasher.finish()),
            version,
            window,
        })
    }

    /// The chart, from the cache or drawn now (off the async threads).
    pub(crate) async fn get(
        self: &Arc<Self>,
        pool: &Pool,
        request: &ChartRequest,
        resolved: &Resolved,
    ) -> Result<(Arc<Rendered>, Outcome), ChartError> {
        self.cache
            .get_or_render(
                &request.key(),
                &resolved.version,
                self.draw(pool, request, resolved.window),
            )
            .await
    }

    async fn draw(
        self: &Arc<Self>,
        pool: &Pool,
        request: &ChartRequest,
        window: (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<Rendered, ChartError> {
        if request.format == Format::Png && self.font.is_none() {
            return Err(RenderError::NoFont(self.font_problem.clone().unwrap_or_default()).into());
        }
        let (stations, series) = self.load(pool, request, window).await?;
        if request.format == Format::Json {
            let value = compose::json(request, &stations, &series, window, &self.attribution);
            return Ok(Rendered {
                body: serde_json::to_vec(&value).unwrap_or_default().into(),
                content_type: Format::Json.content_type(),
            });
        }
        let this = Arc::clone(self);
        let request = request.clone();
        let made_at = Utc::now();
        tokio::task::spawn_blocking(move || {
            this.paint(&request, &stations, series, window, made_at)
        })
        .await?
    }

    /// Draws on the calling (blocking) thread.
    fn paint(
        &self,
        request: &ChartRequest,
        stations: &[Station],
        series: Vec<series::Series>,
        window: (DateTime<Utc>, DateTime<Utc>),
        made_at: DateTime<Utc>,
    ) -> Result<Rendered, ChartError> {
        let chart = compose::chart(
            request,
            stations,
            series,
            window,
            made_at,
            &self.attribution,
        );
        let size = (request.width, request.height);
        let font = self.font.as_deref();
        let body = match request.format {
            Format::Png => render::png(&chart, size, font)?,
            _ => render::svg(&chart, size, font)?.into_bytes(),
        };
        Ok(Rendered {
            body: body.into(),
            content_type: request.format.content_type(),
        })
    }

    /// The stations, in request order, and one series per station.
    async fn load(
        &self,
        pool: &Pool,
        request: &ChartRequest,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
    ) -> Result<(Vec<Station>, Vec<series::Series>), ChartError> {
        let client = pool.get().await?;
        let registry = load_stations(&**client).await?;
        let mut stations = Vec::new();
        for code in request.subject.stations() {
            let station = registry
                .iter()
                .find(|s| &s.code == code)
                .cloned()
                .ok_or_else(|| ChartError::UnknownStation(code.to_string()))?;
            let applies = match request.measure {
                Measure::Aqi => station.kind == envmon_core::StationKind::Air,
                Measure::Parameter(p) => p.applies_to(station.kind),
            };
            if !applies {
                return Err(ChartError::NotApplicable(format!(
                    "{} is not measured at {} stations such as {code}",
                    request.measure.code(),
                    station.kind.as_str()
                )));
            }
            stations.push(station);
        }
        let mut all = Vec::with_capacity(stations.len());
        for station in &stations {
            let code = station.code.as_str();
            all.push(match request.measure {
                Measure::Aqi => data::aqi_series(&client, code, from, to).await?,
                Measure::Parameter(p) => data::parameter_series(&client, code, p, from, to).await?,
            });
        }
        Ok((stations, all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_window_ends_at_the_next_whole_hour() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 10, 20, 0).unwrap();
        let (from, to) = window(request::Range::Week, now);
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 11, 25, 11, 0, 0).unwrap());
        assert_eq!(to - from, Duration::days(7));
        let on_the_hour = Utc.with_ymd_and_hms(2026, 11, 25, 11, 0, 0).unwrap();
        assert_eq!(window(request::Range::Day, on_the_hour).1, on_the_hour);
    }
}
