//! Issued forecasts as the public receives them, and their scores: read by
//! the public API, the live feed and the broadcaster, written only by the
//! staff workflow.
//!
//! The database is the truth for the forecasts this publisher issued, so
//! what it holds is served as it stands; only the signature is renewed when
//! the stored one is by an earlier key (after a key rotation), so everything
//! served verifies with the key in use now.

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{GenericClient, Pool};
use envmon_core::alert::NoticeSigner;
use envmon_core::db::DbError;
use envmon_core::forecast::{DayScore, PublicForecast, score_day};
use serde::Serialize;

/// The Beijing calendar day of an instant.
pub(crate) fn beijing_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&envmon_core::beijing::offset())
        .date_naive()
}

/// Today in Beijing: the day forecasts count ahead from.
pub(crate) fn beijing_today() -> NaiveDate {
    beijing_day(Utc::now())
}

/// The forecast as served: signed by the key in use now.
pub(crate) fn present(signer: &NoticeSigner, mut forecast: PublicForecast) -> PublicForecast {
    if !forecast.signed_by(signer) {
        forecast.sign(signer);
    }
    forecast
}

/// The latest issued version of every forecast, newest issue first.
pub(crate) async fn latest(
    pool: &Pool,
    signer: &NoticeSigner,
) -> Result<Vec<PublicForecast>, DbError> {
    let client = pool.get().await?;
    latest_documents(&client, signer).await
}

pub(crate) async fn latest_documents(
    client: &impl GenericClient,
    signer: &NoticeSigner,
) -> Result<Vec<PublicForecast>, DbError> {
    let rows = client
        .query(
            "SELECT DISTINCT ON (forecast_id) document FROM forecast_version
             WHERE state <> 'draft' ORDER BY forecast_id, version DESC",
            &[],
        )
        .await?;
    Ok(newest_first(rows, signer))
}

/// The latest issued version of every forecast that speaks of `today` or
/// later (withdrawn ones included), newest issue first: what may be current.
pub(crate) async fn not_over(
    pool: &Pool,
    signer: &NoticeSigner,
    today: NaiveDate,
) -> Result<Vec<PublicForecast>, DbError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT document FROM (
                 SELECT DISTINCT ON (forecast_id) document, last_day FROM forecast_version
                 WHERE state <> 'draft' ORDER BY forecast_id, version DESC
             ) latest WHERE last_day >= $1",
            &[&today],
        )
        .await?;
    Ok(newest_first(rows, signer))
}

/// Every issued version (withdrawals included), newest first, at most `limit`: the Atom feed.
pub(crate) async fn issued_versions(
    client: &impl GenericClient,
    signer: &NoticeSigner,
    limit: i64,
) -> Result<Vec<PublicForecast>, DbError> {
    let rows = client
        .query(
            "SELECT document FROM forecast_version WHERE state <> 'draft'
             ORDER BY published_at DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(newest_first(rows, signer))
}

/// One issued version: the latest of forecast `id`, or version `version`.
pub(crate) async fn issued_version(
    client: &impl GenericClient,
    signer: &NoticeSigner,
    id: &str,
    version: Option<i32>,
) -> Result<Option<PublicForecast>, DbError> {
    let row = client
        .query_opt(
            "SELECT document FROM forecast_version
             WHERE forecast_id = $1 AND state <> 'draft' AND ($2::integer IS NULL OR version = $2)
             ORDER BY version DESC LIMIT 1",
            &[&id, &version],
        )
        .await?;
    Ok(row
        .and_then(|row| serde_json::from_value(row.get(0)).ok())
        .map(|f| present(signer, f)))
}

fn newest_first(rows: Vec<tokio_postgres::Row>, signer: &NoticeSigner) -> Vec<PublicForecast> {
    let mut forecasts: Vec<PublicForecast> = rows
        .iter()
        .filter_map(|row| serde_json::from_value(row.get(0)).ok())
        .map(|f| present(signer, f))
        .collect();
    forecasts.sort_by_key(|f| std::cmp::Reverse(f.issued_at));
    forecasts
}

/// Of `forecasts` (the latest version of each), the current one of each
/// area on `today`: the newest issued that is not withdrawn and not over.
/// A newer forecast of an area supersedes the older ones.
pub(crate) fn current(forecasts: Vec<PublicForecast>, today: NaiveDate) -> Vec<PublicForecast> {
    let mut newest: Vec<PublicForecast> = Vec::new();
    for forecast in forecasts.into_iter().filter(|f| f.is_current(today)) {
        match newest.iter_mut().find(|f| f.area == forecast.area) {
            Some(held) if held.issued_at >= forecast.issued_at => {}
            Some(held) => *held = forecast,
            None => newest.push(forecast),
        }
    }
    newest.sort_by(|a, b| a.area.cmp(&b.area));
    newest
}

/// One forecast day scored against the daily AQI observed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ScoredDay {
    pub(crate) forecast_id: String,
    pub(crate) version: i32,
    pub(crate) area: String,
    pub(crate) issued_at: DateTime<Utc>,
    pub(crate) day: NaiveDate,
    pub(crate) days_ahead: i64,
    pub(crate) aqi_low: u16,
    pub(crate) aqi_high: u16,
    pub(crate) levels: Vec<u8>,
    pub(crate) observed_aqi: u16,
    pub(crate) observed_level: u8,
    pub(crate) observed_primary: Vec<String>,
    #[serde(flatten)]
    pub(crate) score: DayScore,
}

/// The observed daily AQI of `area` on `day`: the AQI, its level and primary pollutants.
const OBSERVED: &str = "SELECT d.area_id, d.day, d.aqi, d.level, d.primary_pollutants
    FROM area_aqi_daily d
    JOIN unnest($1::text[], $2::date[]) AS wanted (area_id, day)
      ON wanted.area_id = d.area_id AND wanted.day = d.day
    WHERE d.aqi IS NOT NULL AND d.level IS NOT NULL";

/// Every whole day of the latest issued (not withdrawn) version of each
/// forecast that is over by `today` and has an observed daily AQI, scored;
/// of `area` only when given, days in `from..=to`. Oldest day first.
pub(crate) async fn scores(
    client: &impl GenericClient,
    signer: &NoticeSigner,
    today: NaiveDate,
    area: Option<&str>,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
) -> Result<Vec<ScoredDay>, DbError> {
    // The latest issued version of each forecast, not withdrawn, with a day
    // in the period asked for that is over.
    let rows = client
        .query(
            "SELECT document FROM (
                 SELECT DISTINCT ON (v.forecast_id) v.document, v.state, v.last_day, f.area_id
                 FROM forecast_version v JOIN forecast f ON f.id = v.forecast_id
                 WHERE v.state <> 'draft' ORDER BY v.forecast_id, v.version DESC
             ) latest
             WHERE state <> 'withdrawn' AND ($1::text IS NULL OR area_id = $1)
               AND ($2::date IS NULL OR last_day >= $2)",
            &[&area, &from],
        )
        .await?;
    let forecasts = newest_first(rows, signer);
    let due: Vec<(&PublicForecast, &envmon_core::forecast::PublicForecastDay)> = forecasts
        .iter()
        .filter(|f| f.status != envmon_core::forecast::ForecastStatus::Withdrawn)
        .filter(|f| area.is_none_or(|a| a == f.area))
        .flat_map(|f| f.days.iter().map(move |d| (f, d)))
        .filter(|(_, d)| d.part.is_none() && d.day < today)
        .filter(|(_, d)| from.is_none_or(|from| d.day >= from) && to.is_none_or(|to| d.day <= to))
        .collect();
    let areas: Vec<&str> = due.iter().map(|(f, _)| f.area.as_str()).collect();
    let days: Vec<NaiveDate> = due.iter().map(|(_, d)| d.day).collect();
    let rows = client.query(OBSERVED, &[&areas, &days]).await?;
    let observed: std::collections::HashMap<(String, NaiveDate), (i16, i16, Vec<String>)> = rows
        .iter()
        .map(|row| {
            (
                (row.get(0), row.get(1)),
                (row.get(2), row.get(3), row.get(4)),
            )
        })
        .collect();
    let mut scored: Vec<ScoredDay> = due
        .into_iter()
        .filter_map(|(f, d)| {
            let (aqi, level, primary) = observed.get(&(f.area.clone(), d.day))?;
            let observed_aqi = u16::try_from(*aqi).ok()?;
            let observed_level = u8::try_from(*level).ok()?;
            Some(ScoredDay {
                forecast_id: f.id.clone(),
                version: f.version,
                area: f.area.clone(),
                issued_at: f.issued_at,
                day: d.day,
                days_ahead: d.days_ahead,
                aqi_low: d.aqi_low,
                aqi_high: d.aqi_high,
                levels: d.levels.clone(),
                observed_aqi,
                observed_level,
                observed_primary: primary.clone(),
                score: score_day(
                    d.aqi_low,
                    d.aqi_high,
                    &d.levels,
                    observed_aqi,
                    observed_level,
                ),
            })
        })
        .collect();
    scored.sort_by(|a, b| (a.day, &a.area, a.days_ahead).cmp(&(b.day, &b.area, b.days_ahead)));
    Ok(scored)
}

#[cfg(test)]
mod tests {
    use envmon_core::alert::Bilingual;
    use envmon_core::forecast::{ForecastStatus, PublicForecastDay};

    use super::*;

    fn forecast(id: &str, area: &str, issued_hour: u32, status: ForecastStatus) -> PublicForecast {
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).unwrap();
        PublicForecast {
            id: id.into(),
            version: 1,
            version_id: format!("{id}.v1"),
            status,
            area: area.into(),
            area_name: Bilingual::default(),
            issued_at: format!("2026-12-08T{issued_hour:02}:00:00Z")
                .parse()
                .unwrap(),
            days: vec![PublicForecastDay {
                day,
                part: None,
                days_ahead: 1,
                aqi_low: 60,
                aqi_high: 80,
                levels: vec![2],
                edition: "HJ 633-2026".into(),
                primary: vec!["pm25".into()],
                text: Bilingual::default(),
            }],
            references: None,
            signature: None,
        }
    }

    #[test]
    fn the_newest_issued_forecast_of_each_area_supersedes_the_older() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let all = vec![
            forecast("old", "shanghai", 1, ForecastStatus::Published),
            forecast("new", "shanghai", 3, ForecastStatus::Published),
            forecast("withdrawn", "shanghai", 5, ForecastStatus::Withdrawn),
            forecast("district", "pudong", 2, ForecastStatus::Updated),
        ];
        let shown: Vec<String> = current(all.clone(), today)
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(shown, ["district", "new"]);
        let after: Vec<String> = current(all, today + chrono::Duration::days(2))
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert!(after.is_empty(), "over once its last day has passed");
    }
}
