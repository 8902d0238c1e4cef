//! One page of a station's readings, hourly means or daily statistics:
//! the keyset queries, and the rows as JSON objects and CSV rows.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use envmon_core::beijing;
use serde_json::{Value, json};

use super::super::format::{field, iso_beijing};
use super::cursor::Cursor;
use super::request::{Aggregate, Request};
use crate::error::ApiError;

const RAW: &str = "SELECT observed_at, value, quality, revision, period_seconds FROM reading
    WHERE station_code = $1 AND parameter_code = $2 AND observed_at >= $3 AND observed_at < $4
        AND observed_at > $5
    ORDER BY observed_at LIMIT $6";
const HOURLY: &str = "SELECT hour_end, value, minutes, valid FROM hourly_mean
    WHERE station_code = $1 AND parameter_code = $2 AND hour_end >= $3 AND hour_end < $4
        AND hour_end > $5
    ORDER BY hour_end LIMIT $6";
const DAILY: &str = "SELECT day, statistic, value, count, valid FROM daily_stat
    WHERE station_code = $1 AND parameter_code = $2 AND day >= $3 AND day <= $4
        AND (day, statistic) > ($5, $6)
    ORDER BY day, statistic LIMIT $7";

/// One page: items as JSON objects and CSV rows, and the last item's key.
pub(super) struct Page {
    pub(super) columns: &'static [&'static str],
    pub(super) json: Vec<Value>,
    pub(super) csv: Vec<Vec<String>>,
    pub(super) last: Option<Cursor>,
    pub(super) more: bool,
}

pub(super) async fn fetch(
    client: &deadpool_postgres::Client,
    request: &Request,
) -> Result<Page, ApiError> {
    let station = request.station.as_str();
    let parameter = request.parameter.to_string();
    // One row more than the page, to know whether another page follows.
    let fetch_limit = request.limit + 1;
    let mut page = match request.aggregate {
        Aggregate::Raw | Aggregate::Hourly => {
            // Without a cursor, "after" is just before the range.
            let after = match &request.cursor {
                Some(Cursor::Time(t)) => *t,
                _ => request.from - Duration::microseconds(1),
            };
            let sql = if request.aggregate == Aggregate::Raw {
                RAW
            } else {
                HOURLY
            };
            let rows = client
                .query(
                    sql,
                    &[
                        &station,
                        &parameter,
                        &request.from,
                        &request.to,
                        &after,
                        &fetch_limit,
                    ],
                )
                .await?;
            time_page(request.aggregate, &rows)
        }
        Aggregate::Daily => {
            let from = request.from.with_timezone(&beijing::offset()).date_naive();
            // Without a cursor, every statistic of the first day sorts after
            // the empty one.
            let (after_day, after_statistic) = match &request.cursor {
                Some(Cursor::Day(day, statistic)) => (*day, statistic.clone()),
                _ => (from, String::new()),
            };
            let to = request.to.with_timezone(&beijing::offset()).date_naive();
            let rows = client
                .query(
                    DAILY,
                    &[
                        &station,
                        &parameter,
                        &from,
                        &to,
                        &after_day,
                        &after_statistic,
                        &fetch_limit,
                    ],
                )
                .await?;
            daily_page(&rows)
        }
    };
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    page.more = page.json.len() > limit;
    if page.more {
        page.json.truncate(limit);
        page.csv.truncate(limit);
        page.last = page.last_of(limit, request.aggregate);
    }
    Ok(page)
}

impl Page {
    /// The key of item `limit - 1`, recomputed after truncating.
    fn last_of(&self, limit: usize, aggregate: Aggregate) -> Option<Cursor> {
        let item = self.json.get(limit.checked_sub(1)?)?;
        match aggregate {
            Aggregate::Raw | Aggregate::Hourly => {
                let key = if aggregate == Aggregate::Raw {
                    "observed_at"
                } else {
                    "hour_end"
                };
                let t = DateTime::parse_from_rfc3339(item[key].as_str()?).ok()?;
                Some(Cursor::Time(t.with_timezone(&Utc)))
            }
            Aggregate::Daily => Some(Cursor::Day(
                item["day"].as_str()?.parse().ok()?,
                item["statistic"].as_str()?.to_owned(),
            )),
        }
    }
}

fn time_page(aggregate: Aggregate, rows: &[tokio_postgres::Row]) -> Page {
    let mut page = Page {
        columns: if aggregate == Aggregate::Raw {
            &[
                "observed_at",
                "value",
                "quality",
                "revision",
                "period_seconds",
            ]
        } else {
            &["hour_end", "value", "minutes", "valid"]
        },
        json: Vec::with_capacity(rows.len()),
        csv: Vec::with_capacity(rows.len()),
        last: None,
        more: false,
    };
    for row in rows {
        let at: DateTime<Utc> = row.get(0);
        let time = iso_beijing(at);
        if aggregate == Aggregate::Raw {
            let value: f64 = row.get(1);
            let quality: String = row.get(2);
            let revision: i32 = row.get(3);
            let period: i32 = row.get(4);
            page.csv.push(vec![
                time.clone(),
                value.to_string(),
                quality.clone(),
                revision.to_string(),
                period.to_string(),
            ]);
            page.json.push(json!({
                "observed_at": time, "value": value, "quality": quality,
                "revision": revision, "period_seconds": period,
            }));
        } else {
            let value: Option<f64> = row.get(1);
            let minutes: i16 = row.get(2);
            let valid: bool = row.get(3);
            page.csv.push(vec![
                time.clone(),
                field(value),
                minutes.to_string(),
                valid.to_string(),
            ]);
            page.json.push(json!({
                "hour_end": time, "value": value, "minutes": minutes, "valid": valid,
            }));
        }
        page.last = Some(Cursor::Time(at));
    }
    page
}

fn daily_page(rows: &[tokio_postgres::Row]) -> Page {
    let mut page = Page {
        columns: &["day", "statistic", "value", "count", "valid"],
        json: Vec::with_capacity(rows.len()),
        csv: Vec::with_capacity(rows.len()),
        last: None,
        more: false,
    };
    for row in rows {
        let day: NaiveDate = row.get(0);
        let statistic: String = row.get(1);
        let value: Option<f64> = row.get(2);
        let count: i16 = row.get(3);
        let valid: bool = row.get(4);
        page.csv.push(vec![
            day.to_string(),
            statistic.clone(),
            field(value),
            count.to_string(),
            valid.to_string(),
        ]);
        page.json.push(json!({
            "day": day.to_string(), "statistic": statistic.clone(), "value": value,
            "count": count, "valid": valid,
        }));
        page.last = Some(Cursor::Day(day, statistic));
    }
    page
}
