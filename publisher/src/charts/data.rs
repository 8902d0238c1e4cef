//! What charts read from PostgreSQL: the data's version (cheap, asked on
//! every request) and, when a chart must be drawn, its series.
//!
//! Air parameters come from `hourly_mean` (the official hourly means,
//! labelled by the hour's end); water parameters are averaged per hour from
//! `reading` here, as water has no hourly table; flagged readings of either
//! come from `reading`; the AQI from `aqi_hourly`.

use chrono::{DateTime, Utc};
use envmon_core::Parameter;
use tokio_postgres::Client;

use super::series::{Mark, Point, Series};

/// Everything whose change can change a chart of these stations, in one
/// round trip of primary-key lookups and short index range scans:
/// - newer readings move `station_latest.received_at`;
/// - the rollup of air hours rewrites `aqi_hourly.computed_at` (with the
///   hourly means, in one transaction), water records
///   `water_assessment.computed_at`, both also for late readings;
/// - pending rollup marks: between a reading's commit and its rollup the
///   count differs, so a chart drawn in between is not kept past it;
/// - registry edits move `station.updated_at`.
const VERSION: &str = "SELECT
    (SELECT count(*) FROM station WHERE code = ANY($1)),
    (SELECT max(updated_at) FROM station WHERE code = ANY($1)),
    (SELECT max(received_at) FROM station_latest WHERE station_code = ANY($1)),
    (SELECT max(computed_at) FROM aqi_hourly WHERE station_code = ANY($1) AND hour_end > $2),
    (SELECT count(*) FROM aqi_hourly WHERE station_code = ANY($1) AND hour_end > $2),
    (SELECT max(computed_at) FROM water_assessment
        WHERE station_code = ANY($1) AND observed_at > $2),
    (SELECT count(*) FROM rollup_pending WHERE station_code = ANY($1))";

const HOURLY_MEANS: &str = "SELECT hour_end, value, valid FROM hourly_mean
    WHERE station_code = $1 AND parameter_code = $2 AND hour_end > $3 AND hour_end <= $4
    ORDER BY hour_end";

/// Readings per hour, labelled by the hour's end like hourly means: the
/// mean of the valid ones, and the flagged ones apart.
const HOURLY_READINGS: &str = "SELECT
        date_bin('1 hour', observed_at - interval '1 microsecond',
                 timestamptz '2000-01-01 00:00:00+00') + interval '1 hour' AS hour_end,
        avg(value) FILTER (WHERE quality = 'valid'),
        avg(value) FILTER (WHERE quality <> 'valid'),
        count(*) FILTER (WHERE quality <> 'valid')
    FROM reading
    WHERE station_code = $1 AND parameter_code = $2 AND observed_at > $3 AND observed_at <= $4
    GROUP BY 1 ORDER BY 1";

const AQI_HOURS: &str = "SELECT hour_end, aqi FROM aqi_hourly
    WHERE station_code = $1 AND hour_end > $2 AND hour_end <= $3 ORDER BY hour_end";

/// The version of the data behind a chart: equal versions, equal data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct DataVersion {
    /// How many of the asked stations exist.
    pub(crate) stations_found: i64,
    stamp: String,
}

impl DataVersion {
    pub(crate) fn stamp(&self) -> &str {
        &self.stamp
    }

    #[cfg(test)]
    pub(crate) fn for_test(stamp: &str) -> Self {
        Self {
            stations_found: 1,
            stamp: stamp.to_owned(),
        }
    }
}

/// The data version of `stations` for a window starting at `from`.
pub(crate) async fn version(
    client: &Client,
    stations: &[&str],
    from: DateTime<Utc>,
) -> Result<DataVersion, tokio_postgres::Error> {
    let row = client.query_one(VERSION, &[&stations, &from]).await?;
    let stations_found: i64 = row.get(0);
    let station_updated: Option<DateTime<Utc>> = row.get(1);
    let received: Option<DateTime<Utc>> = row.get(2);
    let aqi_computed: Option<DateTime<Utc>> = row.get(3);
    let aqi_rows: i64 = row.get(4);
    let water_computed: Option<DateTime<Utc>> = row.get(5);
    let pending: i64 = row.get(6);
    let micros = |t: Option<DateTime<Utc>>| t.map_or(0, |t| t.timestamp_micros());
    Ok(DataVersion {
        stations_found,
        stamp: format!(
            "{}.{}.{}.{}.{}.{}",
            micros(station_updated),
            micros(received),
            micros(aqi_computed),
            aqi_rows,
            micros(water_computed),
            pending
        ),
    })
}

/// One station's `parameter` over (`from`, `to`], by hour.
pub(crate) async fn parameter_series(
    client: &Client,
    station: &str,
    parameter: Parameter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Series, tokio_postgres::Error> {
    let code = parameter.code();
    let buckets = client
        .query(HOURLY_READINGS, &[&station, &code, &from, &to])
        .await?;
    let mut series = Series::default();
    for row in &buckets {
        let at: DateTime<Utc> = row.get(0);
        let flagged: i64 = row.get(3);
        if flagged > 0 {
            series.marks.push(Mark {
                at,
                value: row.get(2),
            });
        }
        if !parameter.info().air
            && let Some(value) = row.get::<_, Option<f64>>(1)
        {
            series.points.push(Point { at, value });
        }
    }
    if parameter.info().air {
        let means = client
            .query(HOURLY_MEANS, &[&station, &code, &from, &to])
            .await?;
        for row in &means {
            let at: DateTime<Utc> = row.get(0);
            let value: Option<f64> = row.get(1);
            let valid: bool = row.get(2);
            match (value, valid) {
                (Some(value), true) => series.points.push(Point { at, value }),
                // Too few minutes for a valid mean (GB 3095-2026 Table 4):
                // shown, but as a mark, not joined into the line.
                (value, false) if !series.marks.iter().any(|m| m.at == at) => {
                    series.marks.push(Mark { at, value });
                }
                _ => {}
            }
        }
        series.marks.sort_by_key(|m| m.at);
    }
    Ok(series)
}

/// One station's hourly AQI over (`from`, `to`]: withheld hours (HJ
/// 633-2026 §5.3) become marks without a value.
pub(crate) async fn aqi_series(
    client: &Client,
    station: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Series, tokio_postgres::Error> {
    let rows = client.query(AQI_HOURS, &[&station, &from, &to]).await?;
    let mut series = Series::default();
    for row in &rows {
        let at: DateTime<Utc> = row.get(0);
        match row.get::<_, Option<i16>>(1) {
            Some(aqi) => series.points.push(Point {
                at,
                value: f64::from(aqi),
            }),
            None => series.marks.push(Mark { at, value: None }),
        }
    }
    Ok(series)
}
