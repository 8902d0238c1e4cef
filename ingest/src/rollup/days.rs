//! Air stations' Beijing days: daily means, the O3 daily maxima, then the
//! day's AQI.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use envmon_core::validity::{self, Average};
use envmon_core::{Parameter, StationCode};
use futures_util::future::try_join;
use tokio_postgres::{Row, Transaction};

use super::indices;
use super::statements::{Params, Statements, execute_each, query_each};

/// Beijing time is UTC+8 all year: days and the edition switch follow it.
const BEIJING_OFFSET: Duration = Duration::hours(8);

pub(super) const DAY_HOURLY: &str = "SELECT parameter_code, hour_end, value, valid FROM hourly_mean
    WHERE station_code = $1 AND hour_end > $2 AND hour_end <= $3";

pub(super) const UPSERT_DAILY: &str = "INSERT INTO daily_stat
        (station_code, parameter_code, day, statistic, value, count, valid)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (station_code, parameter_code, day, statistic) DO UPDATE
        SET value = excluded.value, count = excluded.count, valid = excluded.valid";

pub(super) const UPSERT_AQI_DAILY: &str = "INSERT INTO aqi_daily
        (station_code, day, edition, aqi, computed_aqi, level, primary_pollutants, report)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (station_code, day) DO UPDATE
        SET edition = excluded.edition, aqi = excluded.aqi, computed_aqi = excluded.computed_aqi,
            level = excluded.level, primary_pollutants = excluded.primary_pollutants,
            report = excluded.report, computed_at = now()";

/// One `daily_stat` row.
type DailyRow<'a> = (
    &'a str,
    &'static str,
    NaiveDate,
    &'static str,
    Option<f64>,
    i16,
    bool,
);

/// The Beijing day an hour label belongs to (its period start's date), and
/// the next day too when the hour is among the 7 that the next day's first
/// 8-hour O3 windows reach back into.
pub(super) fn days_affected_by_hour(hour_end: DateTime<Utc>) -> Vec<NaiveDate> {
    let local_start = hour_end - Duration::hours(1) + BEIJING_OFFSET;
    let day = local_start.date_naive();
    // Labels 18:00 ... 24:00 have period starts at 17:00 ... 23:00.
    if local_start.hour() >= 17 {
        vec![day, day.succ_opt().unwrap_or(day)]
    } else {
        vec![day]
    }
}

/// The UTC instant at which a Beijing day starts.
fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.and_utc())
        - BEIJING_OFFSET
}

/// Recomputes Beijing days at air stations: daily means (and the O3 daily
/// maxima), then the daily AQI.
pub(super) async fn roll_days(
    tx: &Transaction<'_>,
    st: &Statements,
    days: &BTreeSet<(&StationCode, NaiveDate)>,
) -> Result<(), tokio_postgres::Error> {
    if days.is_empty() {
        return Ok(());
    }
    let windows: Vec<(&str, DateTime<Utc>, DateTime<Utc>)> = days
        .iter()
        .map(|(code, day)| {
            let start = day_start(*day);
            (
                code.as_str(),
                start - Duration::hours(7),
                start + Duration::hours(24),
            )
        })
        .collect();
    let hourly_rows = query_each(
        tx,
        &st.day_hourly,
        windows
            .iter()
            .map(|(code, from, to)| -> Params<'_> { vec![code, from, to] }),
    )
    .await?;
    let mut daily: Vec<DailyRow<'_>> = Vec::new();
    let mut aqi: Vec<(&str, NaiveDate, indices::AqiRow)> = Vec::new();
    for ((code, day), rows) in days.iter().zip(&hourly_rows) {
        if rows.is_empty() {
            continue;
        }
        let stats = day_stats(code.as_str(), *day, rows, &mut daily);
        if let Some(row) = indices::daily_aqi(*day, &stats) {
            aqi.push((code.as_str(), *day, row));
        }
    }
    let upserts = execute_each(
        tx,
        &st.upsert_daily,
        daily.iter().map(
            |(code, parameter, day, statistic, value, count, valid)| -> Params<'_> {
                vec![code, parameter, day, statistic, value, count, valid]
            },
        ),
    );
    let aqi_upserts = execute_each(
        tx,
        &st.upsert_aqi_daily,
        aqi.iter().map(|(code, day, row)| -> Params<'_> {
            vec![
                code,
                day,
                &row.edition,
                &row.aqi,
                &row.computed_aqi,
                &row.level,
                &row.primary,
                &row.report,
            ]
        }),
    );
    try_join(upserts, aqi_upserts).await?;
    Ok(())
}

/// The daily statistics of one station-day from its rows of
/// [`DAY_HOURLY`], each also pushed onto `daily` as a `daily_stat` row.
fn day_stats<'a>(
    code: &'a str,
    day: NaiveDate,
    rows: &[Row],
    daily: &mut Vec<DailyRow<'a>>,
) -> indices::DailyStats {
    let start = day_start(day);
    // Index 0..7: the previous day's labels 18:00-24:00; 7..31: the day's 01:00-24:00.
    let mut hourly: BTreeMap<Parameter, [Option<f64>; 31]> = BTreeMap::new();
    for row in rows {
        let Some(parameter) = Parameter::parse(row.get(0)) else {
            continue;
        };
        let hour_end: DateTime<Utc> = row.get(1);
        let value: Option<f64> = row.get(2);
        let valid: bool = row.get(3);
        let index = (hour_end - (start - Duration::hours(7))).num_hours() - 1;
        if let (Ok(index), true) = (usize::try_from(index), valid)
            && let Some(slot) = hourly.entry(parameter).or_insert([None; 31]).get_mut(index)
        {
            *slot = value;
        }
    }
    let mut push = |parameter: Parameter, statistic: &'static str, average: &Average| {
        daily.push((
            code,
            parameter.code(),
            day,
            statistic,
            average.value,
            i16::try_from(average.count).unwrap_or(i16::MAX),
            average.valid,
        ));
    };
    let mut stats = indices::DailyStats::default();
    for (parameter, values) in &hourly {
        let day_values = &values[7..];
        let mean = validity::daily_mean(day_values);
        push(*parameter, "mean", &mean);
        stats.means.insert(*parameter, mean);
        if *parameter == Parameter::O3 {
            let max_8h = validity::o3_daily_max_8h(values);
            let max_1h = validity::daily_max(day_values);
            push(*parameter, "max_8h", &max_8h);
            push(*parameter, "max_1h", &max_1h);
            stats.o3_max_8h = Some(max_8h);
            stats.o3_max_1h = Some(max_1h);
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_evening_hour_also_touches_the_next_day() {
        // Hour labelled 2026-11-25 14:00 Beijing (06:00Z): that day only.
        let afternoon = Utc.with_ymd_and_hms(2026, 11, 25, 6, 0, 0).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(days_affected_by_hour(afternoon), vec![day]);
        // Hour labelled 24:00 Beijing (16:00Z) belongs to the 25th and feeds
        // the 26th's first 8-hour windows.
        let midnight = Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap();
        assert_eq!(
            days_affected_by_hour(midnight),
            vec![day, day.succ_opt().unwrap()]
        );
        // Hour labelled 01:00 on the 26th belongs to the 26th.
        let one = Utc.with_ymd_and_hms(2026, 11, 25, 17, 0, 0).unwrap();
        assert_eq!(days_affected_by_hour(one), vec![day.succ_opt().unwrap()]);
    }

    #[test]
    fn a_beijing_day_starts_at_1600_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(
            day_start(day),
            Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap()
        );
    }
}
