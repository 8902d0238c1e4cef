//! `/api/v1/rankings`: districts or stations ranked, cleanest first.
//!
//! - `period=hourly` (default) or `daily`: the latest hour or day that has an AQI, by the AQI
//!   (`by=aqi`, default) or by one pollutant's concentration behind it (`by=pm25` …).
//! - `period=range&from=…&to=…`: a period's ranking by the composite index (环境空气质量综合指数,
//!   `by=composite`, default) or by one pollutant's period statistic, from the stored daily
//!   aggregates ([`envmon_core::stats`]).
//!
//! Ties share a rank and the next rank skips (1, 2, 2, 4), as the bureau's tables print them;
//! entries without a value come last, unranked.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use envmon_core::Parameter;
use envmon_core::db::period::{AreaForStats, area_days, load_area, station_days};
use envmon_core::stats::{AreaClass, air_period, composite_index};
use serde::{Deserialize, Serialize};

use utoipa::OpenApi;

use super::api_schemas::{ErrorResponse, JsonOrCsv, NOT_MODIFIED, RateLimited};
use super::format::{Csv, Format, field};
use super::query::ApiQuery;
use crate::error::ApiError;
use crate::state::AppState;

/// The longest range a period ranking may cover.
const MAX_DAYS: i64 = 3 * 365 + 1;

/// The rankings' route in the API document.
#[derive(OpenApi)]
#[openapi(paths(rankings))]
pub(super) struct Api;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/rankings", get(rankings))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RankingQuery {
    scope: Option<String>,
    by: Option<String>,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    District,
    Station,
}

/// What the entries are ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Aqi,
    Composite,
    Pollutant(Parameter),
}

#[derive(Debug, Serialize)]
struct Entry {
    /// 1 = cleanest; `None` without a value.
    rank: Option<u32>,
    id: String,
    name_zh: String,
    name_en: String,
    value: Option<f64>,
    /// The AQI's level and primary pollutants (hourly and daily rankings).
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<i16>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    primary: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Ranking {
    scope: &'static str,
    by: String,
    period: &'static str,
    /// The hour (`2026-11-25T16:00:00+08:00`) or day ranked, or the range.
    at: Option<String>,
    items: Vec<Entry>,
}

fn parse_day(name: &str, text: Option<&str>) -> Result<NaiveDate, ApiError> {
    let text = text.ok_or_else(|| {
        ApiError::BadRequest(format!(
            "query parameter `{name}` is needed with period=range"
        ))
    })?;
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!(
            "query parameter `{name}` must be a date, e.g. 2027-01-01"
        ))
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/rankings",
    operation_id = "rankings",
    summary = "Districts or stations ranked, cleanest first; ties share a rank (1, 2, 2, 4) and entries without a value come last, unranked.",
    tags = ["statistics"],
    params(
        ("scope" = Option<String>, Query, description = "district (default) or station.", example = "district"),
        ("by" = Option<String>, Query, description = "aqi (default for hourly and daily), composite (default for range), or a pollutant: so2, no2, co, o3, pm10, pm25.", example = "composite"),
        ("period" = Option<String>, Query, description = "hourly (default): the latest hour with an AQI; daily: the latest day; range: from `from` to `to`.", example = "range"),
        ("from" = Option<String>, Query, description = "With period=range: first day, YYYY-MM-DD.", format = Date, example = "2027-01-01"),
        ("to" = Option<String>, Query, description = "With period=range: last day, YYYY-MM-DD; at most 1,096 days after `from`.", format = Date, example = "2027-01-31"),
        ("format" = Option<JsonOrCsv>, Query, description = "Representation of the answer.", example = "csv"),
    ),
    responses(
        (status = 200, description = "`{\"scope\", \"by\", \"period\", \"at\", \"items\": [...]}`: rank, id, name_zh, name_en, value, level, primary.",
            content((Object = "application/json"), (String = "text/csv")),
            headers(("ETag" = String, description = "Validator of the body; send it back in If-None-Match."), ("Cache-Control" = String, description = "How long the answer may be reused.")),
        ),
        (status = 304, description = NOT_MODIFIED),
        (status = 400, response = ErrorResponse),
        (status = 429, response = RateLimited),
    ),
)]
async fn rankings(
    State(app): State<AppState>,
    ApiQuery(query): ApiQuery<RankingQuery>,
) -> Result<Response, ApiError> {
    let format = Format::parse(query.format.as_deref(), false)?;
    let scope = match query.scope.as_deref() {
        None | Some("district") => Scope::District,
        Some("station") => Scope::Station,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "query parameter `scope` must be district or station".into(),
            ));
        }
    };
    let period = query.period.as_deref().unwrap_or("hourly");
    let by = match query.by.as_deref() {
        None if period == "range" => By::Composite,
        None | Some("aqi") => By::Aqi,
        Some("composite") => By::Composite,
        Some(code) => match Parameter::parse(code) {
            Some(
                p @ (Parameter::So2
                | Parameter::No2
                | Parameter::Co
                | Parameter::O3
                | Parameter::Pm10
                | Parameter::Pm25),
            ) => By::Pollutant(p),
            _ => {
                return Err(ApiError::BadRequest(
                    "query parameter `by` must be aqi, composite, so2, no2, co, o3, pm10 or pm25"
                        .into(),
                ));
            }
        },
    };
    let mut ranking = match period {
        "hourly" | "daily" => {
            if by == By::Composite {
                return Err(ApiError::BadRequest(
                    "`by=composite` ranks a range: use period=range with from and to".into(),
                ));
            }
            if query.from.is_some() || query.to.is_some() {
                return Err(ApiError::BadRequest(
                    "`from` and `to` go with period=range".into(),
                ));
            }
            latest(&app, scope, by, period == "daily").await?
        }
        "range" => {
            if by == By::Aqi {
                return Err(ApiError::BadRequest(
                    "period=range ranks by composite or a pollutant, not by aqi".into(),
                ));
            }
            let from = parse_day("from", query.from.as_deref())?;
            let to = parse_day("to", query.to.as_deref())?;
            if from > to || (to - from).num_days() >= MAX_DAYS {
                return Err(ApiError::BadRequest(format!(
                    "`from` must not be after `to`, and the range at most {MAX_DAYS} days"
                )));
            }
            over_range(&app, scope, by, from, to).await?
        }
        _ => {
            return Err(ApiError::BadRequest(
                "query parameter `period` must be hourly, daily or range".into(),
            ));
        }
    };
    assign_ranks(&mut ranking.items);
    if format == Format::Csv {
        let mut csv = Csv::new(&[
            "rank", "id", "name_zh", "name_en", "value", "level", "primary",
        ]);
        for e in &ranking.items {
            csv.row([
                field(e.rank),
                e.id.clone(),
                e.name_zh.clone(),
                e.name_en.clone(),
                field(e.value),
                field(e.level),
                e.primary.join(" "),
            ]);
        }
        return Ok(csv.into_response("rankings"));
    }
    Ok(Json(ranking).into_response())
}

/// Sorts by value (none last) and numbers the entries; equal values share a rank.
fn assign_ranks(items: &mut [Entry]) {
    items.sort_by(|a, b| match (a.value, b.value) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.id.cmp(&b.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    });
    let mut previous: Option<(f64, u32)> = None;
    for (i, entry) in items.iter_mut().enumerate() {
        let Some(value) = entry.value else { break };
        let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let rank = match previous {
            Some((v, r)) if v == value => r,
            _ => position,
        };
        entry.rank = Some(rank);
        previous = Some((value, rank));
    }
}

fn by_name(by: By) -> String {
    match by {
        By::Aqi => "aqi".into(),
        By::Composite => "composite".into(),
        By::Pollutant(p) => p.code().into(),
    }
}

/// The latest hour or day of every district or station.
async fn latest(app: &AppState, scope: Scope, by: By, daily: bool) -> Result<Ranking, ApiError> {
    let (table, key, time) = match (scope, daily) {
        (Scope::District, false) => ("area_aqi_hourly", "area_id", "hour_end"),
        (Scope::District, true) => ("area_aqi_daily", "area_id", "day"),
        (Scope::Station, false) => ("aqi_hourly", "station_code", "hour_end"),
        (Scope::Station, true) => ("aqi_daily", "station_code", "day"),
    };
    let names = match scope {
        Scope::District => "SELECT id, name_zh, name_en FROM area WHERE kind = 'district'",
        Scope::Station => "SELECT code AS id, name_zh, name_en FROM station WHERE kind = 'air'",
    };
    // Labelled in Beijing time, as every time the API writes.
    let at = if daily {
        "latest.at::text"
    } else {
        "to_char(latest.at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"
    };
    // The latest time walks the index on the time column backwards (a max()
    // over a join would read every row of the history). The pollutant's
    // concentration behind the AQI: the sub-index's input (for a daily O3,
    // the 8-hour one).
    let sql = format!(
        "WITH names AS ({names}),
              latest AS (SELECT t.{time} AS at FROM {table} t
                         WHERE t.aqi IS NOT NULL AND t.{key} IN (SELECT id FROM names)
                         ORDER BY t.{time} DESC LIMIT 1)
         SELECT n.id, n.name_zh, n.name_en, {at}, t.aqi, t.level,
                coalesce(t.primary_pollutants, '{{}}'),
                (SELECT (s->>'concentration')::float8
                   FROM jsonb_array_elements(t.report->'sub_indices') s
                  WHERE s->>'pollutant' = $1
                  ORDER BY s->>'averaging' = '8h' DESC LIMIT 1)
         FROM names n CROSS JOIN latest
         LEFT JOIN {table} t ON t.{key} = n.id AND t.{time} = latest.at"
    );
    let pollutant = match by {
        By::Pollutant(p) => p.code(),
        _ => "",
    };
    let client = app.pool.get().await?;
    let rows = client.query(&sql, &[&pollutant]).await?;
    let at = rows.first().and_then(|r| r.get::<_, Option<String>>(3));
    let items = rows
        .iter()
        .map(|row| {
            let aqi: Option<i16> = row.get(4);
            let concentration: Option<f64> = row.get(7);
            Entry {
                rank: None,
                id: row.get(0),
                name_zh: row.get(1),
                name_en: row.get(2),
                value: match by {
                    By::Pollutant(_) => concentration,
                    _ => aqi.map(f64::from),
                },
                level: row.get(5),
                primary: row.get(6),
            }
        })
        .collect();
    Ok(Ranking {
        scope: match scope {
            Scope::District => "district",
            Scope::Station => "station",
        },
        by: by_name(by),
        period: if daily { "daily" } else { "hourly" },
        at,
        items,
    })
}

/// A range ranked by the composite index or a pollutant's period statistic.
async fn over_range(
    app: &AppState,
    scope: Scope,
    by: By,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Ranking, ApiError> {
    let client = app.pool.get().await?;
    let names = match scope {
        Scope::District => {
            "SELECT id, name_zh, name_en FROM area WHERE kind = 'district' ORDER BY id"
        }
        Scope::Station => {
            "SELECT code, name_zh, name_en FROM station WHERE kind = 'air' ORDER BY code"
        }
    };
    let mut items = Vec::new();
    for row in client.query(names, &[]).await? {
        let id: String = row.get(0);
        let (class, days) = match scope {
            Scope::District => {
                let area: Option<AreaForStats> = load_area(&**client, &id).await?;
                match area {
                    Some(area) => (area.class, area_days(&**client, &area, from, to).await?),
                    None => continue,
                }
            }
            Scope::Station => (
                AreaClass::Two,
                station_days(&**client, &id, from, to).await?,
            ),
        };
        let stats = air_period(from, to, class, &days);
        let value = match by {
            By::Pollutant(p) => stats
                .pollutants
                .iter()
                .find(|s| s.pollutant == p && s.valid)
                .and_then(|s| s.value),
            _ => composite_index(&stats).map(|c| c.value),
        };
        items.push(Entry {
            rank: None,
            id,
            name_zh: row.get(1),
            name_en: row.get(2),
            value,
            level: None,
            primary: Vec::new(),
        });
    }
    Ok(Ranking {
        scope: match scope {
            Scope::District => "district",
            Scope::Station => "station",
        },
        by: by_name(by),
        period: "range",
        at: Some(format!("{from}/{to}")),
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, value: Option<f64>) -> Entry {
        Entry {
            rank: None,
            id: id.into(),
            name_zh: String::new(),
            name_en: String::new(),
            value,
            level: None,
            primary: Vec::new(),
        }
    }

    #[test]
    fn ties_share_a_rank_and_the_next_skips_and_missing_values_come_last() {
        let mut items = vec![
            entry("d", None),
            entry("c", Some(80.0)),
            entry("a", Some(50.0)),
            entry("b", Some(50.0)),
            entry("e", Some(90.0)),
        ];
        assign_ranks(&mut items);
        let got: Vec<(&str, Option<u32>)> = items.iter().map(|e| (e.id.as_str(), e.rank)).collect();
        assert_eq!(
            got,
            vec![
                ("a", Some(1)),
                ("b", Some(1)),
                ("c", Some(3)),
                ("e", Some(4)),
                ("d", None)
            ]
        );
    }
}
