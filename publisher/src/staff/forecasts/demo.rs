//! The demo's forecasts (`envmon demo` only): a published three-day forecast
//! of the city, and two weeks of past ones for the scores to judge, drafted
//! and approved by two demo accounts that cannot sign in (disabled, with a
//! random password nobody saw). They are stored, signed and audited exactly as the
//! workflow stores them; the live feed and the broadcaster pick them up from
//! the database when they connect.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use deadpool_postgres::{GenericClient, Pool};
use envmon_core::alert::{Bilingual, NoticeSigner};
use envmon_core::forecast::{ForecastContent, ForecastDay, ForecastStatus};
use serde_json::json;

use super::super::audit;
use super::super::forecast_store as store;
use super::issue::build_forecast;
use crate::error::ApiError;
use crate::public_forecasts::{beijing_today, current, latest_documents};

const AREA: &str = "shanghai";
const FORECASTER: &str = "demo-forecaster";
const APPROVER: &str = "demo-approver";
/// How many past issue days are seeded, each forecasting up to three days.
const PAST_DAYS: i64 = 14;

/// Issues what the demo lacks: the past forecasts when none was issued
/// before today, the city's current forecast when it has none.
pub(crate) async fn seed(pool: &Pool, signer: &NoticeSigner) -> Result<(), ApiError> {
    let mut client = pool.get().await?;
    let (forecaster, approver) = demo_accounts(&client).await?;
    let today = beijing_today();
    let issued = latest_documents(&client, signer).await?;
    let tx = client.transaction().await?;
    if !issued.iter().any(|f| f.issued_at < beijing_midnight(today)) {
        let observed = observed_since(&tx, today - Duration::days(PAST_DAYS)).await?;
        for back in (2..=PAST_DAYS).rev() {
            let day = today - Duration::days(back);
            let content = past_content(day, today, &observed);
            let at = beijing_midnight(day) + Duration::hours(8);
            issue(&tx, signer, (forecaster, approver), &content, at).await?;
        }
    }
    if current(issued, today).iter().all(|f| f.area != AREA) {
        issue(
            &tx,
            signer,
            (forecaster, approver),
            &next_days(today),
            Utc::now(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn beijing_midnight(day: NaiveDate) -> DateTime<Utc> {
    envmon_core::beijing::offset()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map_or_else(Utc::now, |t| t.to_utc())
}

/// The two accounts, made if missing: disabled, with the hash of a random
/// password nobody saw (a real argon2 hash, so a sign-in attempt as them
/// takes the time any refusal takes).
async fn demo_accounts(client: &impl GenericClient) -> Result<(i64, i64), ApiError> {
    let mut ids = Vec::new();
    for (name, role) in [(FORECASTER, "operator"), (APPROVER, "approver")] {
        let exists = client
            .query_opt("SELECT 1 FROM staff_user WHERE username = $1", &[&name])
            .await?
            .is_some();
        if !exists {
            let unseen =
                super::super::tokens::new_token().map_err(|e| ApiError::Internal(e.to_string()))?;
            let phc = tokio::task::spawn_blocking(move || super::super::password::hash(&unseen))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            client
                .execute(
                    "INSERT INTO staff_user (username, role, password_hash, disabled)
                     VALUES ($1, $2, $3, true) ON CONFLICT (username) DO NOTHING",
                    &[&name, &role, &phc],
                )
                .await?;
        }
        let row = client
            .query_one("SELECT id FROM staff_user WHERE username = $1", &[&name])
            .await?;
        ids.push(row.get::<_, i64>(0));
    }
    Ok((ids[0], ids[1]))
}

async fn observed_since(
    client: &impl GenericClient,
    from: NaiveDate,
) -> Result<HashMap<NaiveDate, u16>, ApiError> {
    let rows = client
        .query(
            "SELECT day, aqi FROM area_aqi_daily
             WHERE area_id = $1 AND day >= $2 AND aqi IS NOT NULL",
            &[&AREA, &from],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let aqi: i16 = row.get(1);
            Some((row.get(0), u16::try_from(aqi).ok()?))
        })
        .collect())
}

fn text(zh: &str, en: &str) -> Bilingual {
    Bilingual {
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
}

/// A day forecast as `low..=low + 20`, with the words that fit it.
fn day_of(day: NaiveDate, low: u16) -> ForecastDay {
    let high = low + 20;
    let (primary, words) = match high {
        0..=50 => (vec![], text("空气质量优", "Excellent air quality")),
        51..=100 => (
            vec!["pm25".to_owned()],
            text("空气质量良", "Good air quality"),
        ),
        _ => (
            vec!["pm25".to_owned()],
            text(
                "良至轻度污染，敏感人群减少户外活动",
                "Good to lightly polluted; sensitive groups should limit outdoor activity",
            ),
        ),
    };
    ForecastDay {
        day,
        part: None,
        aqi_low: low,
        aqi_high: high,
        primary: if low > 50 || high > 50 {
            primary
        } else {
            vec![]
        },
        text: words,
    }
}

/// The forecast issued on `issue_day` for its next days before `today`:
/// near what was observed (when the history is there), off by a varying
/// few points, as forecasts are; a plausible range otherwise.
fn past_content(
    issue_day: NaiveDate,
    today: NaiveDate,
    observed: &HashMap<NaiveDate, u16>,
) -> ForecastContent {
    let days = (1..=3)
        .map(|ahead| issue_day + Duration::days(ahead))
        .filter(|day| *day < today)
        .map(|day| {
            let seed = i32::try_from(day.ordinal()).unwrap_or(0);
            let miss = (seed * 37) % 31 - 15;
            let centre = observed.get(&day).map_or(70, |aqi| i32::from(*aqi));
            let low = (centre + miss - 10).clamp(0, 480);
            day_of(day, u16::try_from(low).unwrap_or(50))
        })
        .collect();
    ForecastContent {
        area: AREA.to_owned(),
        days,
    }
}

/// The next three days: a light episode building and clearing.
fn next_days(today: NaiveDate) -> ForecastContent {
    ForecastContent {
        area: AREA.to_owned(),
        days: [(1, 92), (2, 60), (3, 25)]
            .into_iter()
            .map(|(ahead, low)| day_of(today + Duration::days(ahead), low))
            .collect(),
    }
}

async fn issue(
    tx: &deadpool_postgres::Transaction<'_>,
    signer: &NoticeSigner,
    (forecaster, approver): (i64, i64),
    content: &ForecastContent,
    issued_at: DateTime<Utc>,
) -> Result<(), ApiError> {
    let stored = serde_json::to_value(content).map_err(|e| ApiError::Internal(e.to_string()))?;
    let id = store::create(tx, &content.area, &stored, forecaster, issued_at.year()).await?;
    audit::append(
        tx,
        FORECASTER,
        "forecast.draft",
        &id,
        &json!({ "version": 1, "content": stored, "demo": true }),
    )
    .await?;
    let forecast = build_forecast(
        tx,
        signer,
        (&id, 1, issued_at),
        ForecastStatus::Published,
        content,
        None,
    )
    .await?;
    store::issue_draft(tx, &forecast, approver).await?;
    audit::append(
        tx,
        APPROVER,
        "forecast.approve",
        &id,
        &json!({ "version": 1, "demo": true }),
    )
    .await?;
    Ok(())
}
