//! The history the benchmark answers from: generated in PostgreSQL itself (generate_series),
//! shaped like real data (yearly and daily cycles, noise), for every registry station.
//!
//! - hourly means of three years: the six pollutants at the air stations, five items at the
//!   water sites;
//! - the stored aggregates and indices ingest keeps beside them: daily statistics, the
//!   stations' and areas' hourly AQI (values plausible, reports small), and the areas' daily
//!   AQI computed as the rollup does;
//! - minute readings of the air stations for `minute_days`, in the raw `reading` table that no
//!   answer may scan.

use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use tokio_postgres::Client;

/// A smooth yearly and daily cycle with noise around `base`, for hour `h`.
const SHAPE: &str =
    "greatest(0, p.base * (1 + 0.45 * sin(extract(epoch FROM h) / 5022000.0 + s.phase)
    + 0.25 * sin(extract(epoch FROM h) / 13751.0)) * (0.85 + 0.3 * random()))";

fn statements() -> Vec<(&'static str, String)> {
    vec![
        (
            "air hourly means",
            format!(
                "INSERT INTO hourly_mean (station_code, parameter_code, hour_end, value, minutes, valid)
                 SELECT s.code, p.code, h, {SHAPE}, 60, true
                 FROM (SELECT code, random() * 6.28 AS phase FROM station WHERE kind = 'air') s
                 CROSS JOIN (VALUES ('pm25', 35.0), ('pm10', 60.0), ('so2', 8.0), ('no2', 35.0),
                                    ('co', 0.7), ('o3', 80.0)) AS p(code, base)
                 CROSS JOIN generate_series($1::timestamptz, $2::timestamptz, interval '1 hour') h"
            ),
        ),
        (
            "water hourly means",
            format!(
                "INSERT INTO hourly_mean (station_code, parameter_code, hour_end, value, minutes, valid)
                 SELECT s.code, p.code, h, {SHAPE}, 60, true
                 FROM (SELECT code, random() * 6.28 AS phase FROM station WHERE kind <> 'air') s
                 CROSS JOIN (VALUES ('ph', 7.5), ('do', 7.0), ('codmn', 4.0), ('nh3n', 0.5),
                                    ('tp', 0.12)) AS p(code, base)
                 CROSS JOIN generate_series($1::timestamptz, $2::timestamptz, interval '1 hour') h"
            ),
        ),
        (
            "daily statistics",
            "INSERT INTO daily_stat (station_code, parameter_code, day, statistic, value, count, valid)
             SELECT station_code, parameter_code,
                    ((hour_end - interval '1 hour') AT TIME ZONE 'Asia/Shanghai')::date,
                    CASE WHEN parameter_code = 'o3' THEN 'max_8h' ELSE 'mean' END,
                    CASE WHEN parameter_code = 'o3' THEN 0.85 * max(value) ELSE avg(value) END,
                    count(*), count(*) >= 20
             FROM hourly_mean
             WHERE parameter_code IN ('pm25', 'pm10', 'so2', 'no2', 'co', 'o3')
             GROUP BY 1, 2, 3"
                .to_owned(),
        ),
        (
            "stations' hourly AQI",
            "INSERT INTO aqi_hourly (station_code, hour_end, edition, aqi, computed_aqi, level,
                                     primary_pollutants, report)
             SELECT station_code, hour_end, 'HJ 633-2026', a, a,
                    least(6, 1 + greatest(0, a - 1) / 50), '{pm25}',
                    jsonb_build_object('sub_indices', jsonb_build_array(jsonb_build_object(
                        'pollutant', 'pm25', 'averaging', '24h', 'concentration', value)))
             FROM (SELECT station_code, hour_end, value,
                          least(500, greatest(1, ceil(value * 1.6)))::smallint AS a
                   FROM hourly_mean WHERE parameter_code = 'pm25') x"
                .to_owned(),
        ),
        (
            "stations' daily AQI",
            "INSERT INTO aqi_daily (station_code, day, edition, aqi, computed_aqi, level,
                                    primary_pollutants, report)
             SELECT station_code, day, 'HJ 633-2026', a, a, least(6, 1 + greatest(0, a - 1) / 50),
                    '{pm25}', '{}'::jsonb
             FROM (SELECT station_code, day, least(500, greatest(1, ceil(value * 1.6)))::smallint AS a
                   FROM daily_stat WHERE parameter_code = 'pm25' AND statistic = 'mean') x"
                .to_owned(),
        ),
        (
            "areas' hourly AQI",
            "INSERT INTO area_aqi_hourly (area_id, hour_end, edition, aqi, computed_aqi, level,
                                          primary_pollutants, stations, report)
             SELECT s.area_id, q.hour_end, 'HJ 633-2026', max(q.aqi), max(q.aqi),
                    least(6, 1 + greatest(0, max(q.aqi) - 1) / 50), '{pm25}', count(*),
                    jsonb_build_object('sub_indices', jsonb_build_array(jsonb_build_object(
                        'pollutant', 'pm25', 'averaging', '24h',
                        'concentration', avg(q.aqi) / 1.6)))
             FROM area_station s JOIN aqi_hourly q ON q.station_code = s.station_code
             GROUP BY s.area_id, q.hour_end"
                .to_owned(),
        ),
    ]
}

const MINUTES: &str = "INSERT INTO reading (station_code, parameter_code, observed_at, value,
        quality, received_at)
    SELECT s.code, p.code, m, p.base * (0.8 + 0.4 * random()), 'valid', m
    FROM (SELECT code FROM station WHERE kind = 'air') s
    CROSS JOIN (VALUES ('pm25', 35.0), ('pm10', 60.0), ('so2', 8.0), ('no2', 35.0),
                       ('co', 0.7), ('o3', 80.0)) AS p(code, base)
    CROSS JOIN generate_series($1::timestamptz, $2::timestamptz - interval '1 minute',
                               interval '1 minute') m";

/// Rows written per table, and how long each took.
pub(super) async fn seed(
    client: &mut Client,
    hourly_from: DateTime<Utc>,
    minute_from: DateTime<Utc>,
    end: DateTime<Utc>,
) -> anyhow::Result<()> {
    for (what, sql) in statements() {
        let started = Instant::now();
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&hourly_from, &end];
        let rows = if sql.contains("$1") {
            client.execute(&sql, &params).await
        } else {
            client.execute(&sql, &[]).await
        }
        .with_context(|| format!("seeding {what}"))?;
        println!(
            "seeded {what}: {rows} rows in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    // The areas' days as the rollup computes them (their reports carry the pollutants' means,
    // which period statistics read).
    let started = Instant::now();
    let pairs = envmon_ingest::rebuild_area_days(
        client,
        (hourly_from + chrono::Duration::hours(8)).date_naive(),
        (end + chrono::Duration::hours(8)).date_naive(),
    )
    .await
    .context("seeding the areas' daily AQI")?;
    println!(
        "seeded areas' daily AQI from {pairs} station-days in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // A day at a time, so no single statement holds a year of rows in memory.
    let started = Instant::now();
    let mut rows = 0;
    let mut day = minute_from;
    while day < end {
        let next = (day + chrono::Duration::days(1)).min(end);
        rows += client
            .execute(MINUTES, &[&day, &next])
            .await
            .context("seeding minute readings")?;
        day = next;
    }
    println!(
        "seeded air minute readings: {rows} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    client.batch_execute("ANALYZE").await?;
    println!("ANALYZE in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
