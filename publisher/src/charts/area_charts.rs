//! Serving the area charts: the ETag from the stored daily statistics'
//! version, the drawing cached like the station charts', and the data read
//! from the daily aggregates only (`envmon_core::db::period`), never from
//! raw readings.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use deadpool_postgres::Pool;
use envmon_core::beijing;
use envmon_core::db::period::{AreaForStats, area_days, load_area};

use super::area_bars::{annual, good_days};
use super::area_frame::AreaYear;
use super::area_request::{AreaChartKind, AreaChartRequest};
use super::calendar::calendar;
use super::request::{Format, Lang};
use super::scene;
use super::{ChartError, Charts, Outcome, Rendered};

/// An area chart ready to be served or revalidated.
#[derive(Debug)]
pub(crate) struct AreaResolved {
    pub(crate) etag: String,
    version: String,
    area: AreaForStats,
    names: (String, String),
    today: NaiveDate,
}

/// Beijing's calendar day at `now`.
pub(crate) fn beijing_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&beijing::offset()).date_naive()
}

/// The days an area chart of `year` reads: the year before too, for the
/// good-day comparison.
fn span(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    )
}

impl Charts {
    /// Checks the area exists and computes the chart's ETag from its normal
    /// form, Beijing's day (the year so far ends yesterday) and a summary of
    /// the area's stored daily AQI rows: the rollup rewrites an area's day
    /// (a new `computed_at`) whenever a daily statistic of one of its
    /// stations changes, so the summary follows the data the chart is drawn
    /// from at the cost of one index range of at most 731 rows (summing the
    /// stations' daily statistics themselves cost 60-80 ms a request on a
    /// real history).
    pub(crate) async fn resolve_area(
        &self,
        pool: &Pool,
        request: &AreaChartRequest,
        now: DateTime<Utc>,
    ) -> Result<AreaResolved, ChartError> {
        let client = pool.get().await?;
        let area = load_area(&**client, &request.area)
            .await?
            .ok_or_else(|| ChartError::UnknownArea(request.area.clone()))?;
        let (from, to) = span(request.year);
        let row = client
            .query_one(
                "SELECT a.name_zh, a.name_en, a.updated_at, d.rows, d.stamp
                 FROM area a,
                      (SELECT count(*) AS rows,
                              coalesce(extract(epoch FROM max(computed_at)), 0)::float8 AS stamp
                         FROM area_aqi_daily
                        WHERE area_id = $1 AND day BETWEEN $2 AND $3) AS d
                 WHERE a.id = $1",
                &[&request.area, &from, &to],
            )
            .await?;
        let updated: DateTime<Utc> = row.get(2);
        let rows: i64 = row.get(3);
        let stamp: f64 = row.get(4);
        let today = beijing_today(now);
        let version = format!(
            "{}:{rows}:{stamp}:{}:{today}",
            updated.timestamp_micros(),
            area.stations.join(",")
        );
        let mut hasher = DefaultHasher::new();
        (request.key(), &version).hash(&mut hasher);
        Ok(AreaResolved {
            etag: format!("\"a{:016x}\"", hasher.finish()),
            version,
            names: (row.get(0), row.get(1)),
            area,
            today,
        })
    }

    /// The area chart, from the cache or drawn now (off the async threads).
    pub(crate) async fn get_area(
        self: &Arc<Self>,
        pool: &Pool,
        request: &AreaChartRequest,
        resolved: &AreaResolved,
    ) -> Result<(Arc<Rendered>, Outcome), ChartError> {
        self.cache
            .get_or_render(
                &request.key(),
                &resolved.version,
                self.draw_area(pool, request, resolved),
            )
            .await
    }

    async fn draw_area(
        self: &Arc<Self>,
        pool: &Pool,
        request: &AreaChartRequest,
        resolved: &AreaResolved,
    ) -> Result<Rendered, ChartError> {
        if request.format == Format::Png && self.font.is_none() {
            let problem = self.font_problem.clone().unwrap_or_default();
            return Err(super::RenderError::NoFont(problem).into());
        }
        let (from, to) = span(request.year);
        let client = pool.get().await?;
        let days = area_days(&**client, &resolved.area, from, to).await?;
        drop(client);
        let lang = request.lang;
        let attribution = lang.pick(&self.attribution.zh, &self.attribution.en);
        let data = AreaYear {
            name: lang.pick(&resolved.names.0, &resolved.names.1).to_owned(),
            year: request.year,
            days,
            class: resolved.area.class,
            today: resolved.today,
            lang,
            theme: request.theme,
            source: if attribution.is_empty() {
                "envmon".to_owned()
            } else {
                format!("envmon · {attribution}")
            },
            made_at: made_at(Utc::now(), lang),
        };
        let this = Arc::clone(self);
        let (kind, format) = (request.kind, request.format);
        tokio::task::spawn_blocking(move || {
            let drawn = match kind {
                AreaChartKind::Calendar => calendar(&data),
                AreaChartKind::GoodDays => good_days(&data),
                AreaChartKind::Annual => annual(&data),
            };
            let body = match format {
                Format::Png => scene::png(&drawn, this.font.as_deref())?,
                _ => scene::svg(&drawn)?.into_bytes(),
            };
            Ok(Rendered {
                body: body.into(),
                content_type: format.content_type(),
            })
        })
        .await?
    }
}

fn made_at(now: DateTime<Utc>, lang: Lang) -> String {
    let local = now.with_timezone(&beijing::offset());
    match lang {
        Lang::Zh => format!(
            "{}年{}月{}日 {} 北京时间",
            local.year(),
            local.month(),
            local.day(),
            local.format("%H:%M")
        ),
        Lang::En => format!("{} Beijing time", local.format("%Y-%m-%d %H:%M")),
    }
}
