//! Radiation stations' hours: the dose rate's hourly mean with its
//! validity, the hour's rain, and the verdict against the station's natural
//! background (configured, or learned from its dry valid hours of the last
//! 30 days); then the Beijing day's mean of valid hours.

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use envmon_core::radiation::{self, Background, judge_hour, learn_background};
use envmon_core::validity::{self, Sample};
use envmon_core::{Parameter, Station};
use serde_json::Value;
use tokio_postgres::Transaction;

const HOUR_READINGS: &str = "SELECT parameter_code, observed_at, value, period_seconds
    FROM reading
    WHERE station_code = $1 AND observed_at > $2 AND observed_at <= $3
        AND quality = 'valid' AND parameter_code IN ('dose_rate', 'precipitation')";

/// The dry valid hours the background is learned from.
const DRY_HOURS: &str = "SELECT mean FROM radiation_hourly
    WHERE station_code = $1 AND hour_end > $2 AND hour_end < $3
        AND valid AND rain_mm = 0 AND mean IS NOT NULL";

const UPSERT_HOURLY_MEAN: &str = "INSERT INTO hourly_mean
        (station_code, parameter_code, hour_end, value, minutes, valid)
    VALUES ($1, 'dose_rate', $2, $3, $4, $5)
    ON CONFLICT (station_code, parameter_code, hour_end) DO UPDATE
        SET value = excluded.value, minutes = excluded.minutes, valid = excluded.valid";

const UPSERT_HOUR: &str = "INSERT INTO radiation_hourly
        (station_code, hour_end, mean, valid, rain_mm, state, excess, investigate, report)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (station_code, hour_end) DO UPDATE
        SET mean = excluded.mean, valid = excluded.valid, rain_mm = excluded.rain_mm,
            state = excluded.state, excess = excluded.excess,
            investigate = excluded.investigate, report = excluded.report, computed_at = now()";

const DAY_HOURS: &str = "SELECT mean FROM radiation_hourly
    WHERE station_code = $1 AND hour_end > $2 AND hour_end <= $3 AND valid";

const UPSERT_DAY: &str = "INSERT INTO radiation_daily (station_code, day, mean, valid_hours, valid)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (station_code, day) DO UPDATE
        SET mean = excluded.mean, valid_hours = excluded.valid_hours, valid = excluded.valid,
            computed_at = now()";

/// How far back the background is learned from.
const LEARNING_WINDOW: Duration = Duration::days(30);

/// Recomputes the hours labelled `hour_end` at radiation stations, and
/// their days.
pub(super) async fn roll_radiation(
    tx: &Transaction<'_>,
    hours: &[(&Station, DateTime<Utc>)],
) -> Result<(), tokio_postgres::Error> {
    let mut days = std::collections::BTreeSet::new();
    for (station, hour_end) in hours {
        let code = station.code.as_str();
        let rows = tx
            .query(
                HOUR_READINGS,
                &[&code, &(*hour_end - Duration::hours(1)), hour_end],
            )
            .await?;
        let mut samples = Vec::new();
        let mut rain_mm: f64 = 0.0;
        for row in &rows {
            let period: i32 = row.get(3);
            match Parameter::parse(row.get(0)) {
                Some(Parameter::DoseRate) => samples.push(Sample {
                    observed_at: row.get(1),
                    value: row.get(2),
                    period: Duration::seconds(i64::from(period)),
                }),
                Some(Parameter::Precipitation) => rain_mm += row.get::<_, f64>(2),
                _ => {}
            }
        }
        let mean = validity::hourly_mean(*hour_end, &samples);
        // Judged and published to 0.1 nGy/h, the resolution stations report.
        let shown = mean.value.map(|v| (v * 10.0).round() / 10.0);
        let background = match (station.background_low, station.background_high) {
            (Some(low), Some(high)) => Some(Background::configured(low, high)),
            _ => {
                let dry: Vec<f64> = tx
                    .query(
                        DRY_HOURS,
                        &[&code, &(*hour_end - LEARNING_WINDOW), hour_end],
                    )
                    .await?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                learn_background(&dry)
            }
        };
        let verdict = judge_hour(
            shown,
            mean.valid,
            rain_mm,
            background,
            station.investigation_level,
        );
        let rain_mm = (rain_mm * 100.0).round() / 100.0;
        let (state, excess) = match verdict.state {
            radiation::DoseState::Within => ("within", None),
            radiation::DoseState::Above { excess } => ("above", Some(excess)),
            radiation::DoseState::Below => ("below", None),
            radiation::DoseState::NoBackground => ("no_background", None),
            radiation::DoseState::Invalid => ("invalid", None),
        };
        let minutes = i16::try_from(mean.count).unwrap_or(i16::MAX);
        tx.execute(
            UPSERT_HOURLY_MEAN,
            &[&code, hour_end, &mean.value, &minutes, &mean.valid],
        )
        .await?;
        let report = serde_json::to_value(&verdict).unwrap_or(Value::Null);
        tx.execute(
            UPSERT_HOUR,
            &[
                &code,
                hour_end,
                &shown,
                &mean.valid,
                &rain_mm,
                &state,
                &excess,
                &verdict.investigate,
                &report,
            ],
        )
        .await?;
        // The Beijing day the hour belongs to: the hour starting at 23:00 ends the day.
        let day = (*hour_end - Duration::seconds(1))
            .with_timezone(&envmon_core::beijing::offset())
            .date_naive();
        days.insert((code, day));
    }
    for (code, day) in days {
        let start = envmon_core::beijing::offset()
            .from_local_datetime(&day.and_time(NaiveTime::MIN))
            .single()
            .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc));
        let means: Vec<f64> = tx
            .query(DAY_HOURS, &[&code, &start, &(start + Duration::days(1))])
            .await?
            .iter()
            .filter_map(|r| r.get::<_, Option<f64>>(0))
            .collect();
        let valid_hours = u32::try_from(means.len()).unwrap_or(u32::MAX);
        let valid = valid_hours >= radiation::VALID_DAY_HOURS;
        let mean = (!means.is_empty()).then(|| means.iter().sum::<f64>() / means.len() as f64);
        let hours = i16::try_from(valid_hours).unwrap_or(i16::MAX);
        tx.execute(UPSERT_DAY, &[&code, &day, &mean, &hours, &valid])
            .await?;
    }
    Ok(())
}
