//! A period's daily values of a station or an area, read from the stored daily aggregates
//! (`aqi_daily`, `daily_stat`, `area_aqi_daily`): what [`crate::stats::air_period()`] works on. Period statistics
//! never scan raw readings.
//!
//! An area's days are the rollup's (`area_aqi_daily`, computed from its stations' daily
//! statistics with [`crate::stats::area_daily`]), so a period of any length costs one query of
//! one row a day.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tokio_postgres::GenericClient;

use super::DbError;
use crate::Parameter;
use crate::aqi::DailyConcentrations;
use crate::stats::{AirDay, AreaClass};

/// An area as the statistics need it.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaForStats {
    pub id: String,
    pub class: AreaClass,
    pub min_reporting_share: f64,
    pub stations: Vec<String>,
}

/// The area `id` with its evaluation stations; `None` if there is no such area.
///
/// # Errors
/// When the query fails.
pub async fn load_area(
    client: &impl GenericClient,
    id: &str,
) -> Result<Option<AreaForStats>, DbError> {
    let Some(row) = client
        .query_opt(
            "SELECT area_class, min_reporting_share,
                    coalesce(array_agg(s.station_code ORDER BY s.station_code)
                        FILTER (WHERE s.station_code IS NOT NULL), '{}')
             FROM area a LEFT JOIN area_station s ON s.area_id = a.id
             WHERE a.id = $1 GROUP BY a.id",
            &[&id],
        )
        .await?
    else {
        return Ok(None);
    };
    let class: i16 = row.get(0);
    Ok(Some(AreaForStats {
        id: id.to_owned(),
        class: if class == 1 {
            AreaClass::One
        } else {
            AreaClass::Two
        },
        min_reporting_share: row.get(1),
        stations: row.get(2),
    }))
}

/// The stored daily AQI and statistics of `station` for every day of `from..=to` that has any.
///
/// # Errors
/// When a query fails.
pub async fn station_days(
    client: &impl GenericClient,
    station: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AirDay>, DbError> {
    let stations = [station.to_owned()];
    let mut concentrations = daily_concentrations(client, &stations, from, to).await?;
    let rows = client
        .query(
            "SELECT day, aqi, primary_pollutants FROM aqi_daily
             WHERE station_code = $1 AND day BETWEEN $2 AND $3 ORDER BY day",
            &[&station, &from, &to],
        )
        .await?;
    let mut days: BTreeMap<NaiveDate, AirDay> = BTreeMap::new();
    for row in rows {
        let day: NaiveDate = row.get(0);
        let aqi: Option<i16> = row.get(1);
        let primary: Vec<String> = row.get(2);
        days.insert(
            day,
            AirDay {
                day,
                aqi: aqi.and_then(|a| u16::try_from(a).ok()),
                primary: primary.iter().filter_map(|p| Parameter::parse(p)).collect(),
                concentrations: DailyConcentrations::default(),
            },
        );
    }
    for ((day, _), c) in concentrations.iter_mut() {
        days.entry(*day)
            .or_insert_with(|| AirDay {
                day: *day,
                aqi: None,
                primary: Vec::new(),
                concentrations: DailyConcentrations::default(),
            })
            .concentrations = *c;
    }
    Ok(days.into_values().collect())
}

/// An area's days of `from..=to` as the rollup stored them (`area_aqi_daily`): the daily AQI
/// and each pollutant's mean over the area's stations where enough of them reported.
///
/// # Errors
/// When a query fails.
pub async fn area_days(
    client: &impl GenericClient,
    area: &AreaForStats,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AirDay>, DbError> {
    let rows = client.query(AREA_DAYS, &[&area.id, &from, &to]).await?;
    Ok(rows
        .iter()
        .map(|row| {
            let aqi: Option<i16> = row.get(1);
            let primary: Vec<String> = row.get(2);
            AirDay {
                day: row.get(0),
                aqi: aqi.and_then(|a| u16::try_from(a).ok()),
                primary: primary.iter().filter_map(|p| Parameter::parse(p)).collect(),
                concentrations: DailyConcentrations {
                    so2_24h_ug_m3: row.get(3),
                    no2_24h_ug_m3: row.get(4),
                    co_24h_mg_m3: row.get(5),
                    o3_8h_max_ug_m3: row.get(6),
                    pm10_24h_ug_m3: row.get(7),
                    pm25_24h_ug_m3: row.get(8),
                    o3_1h_max_ug_m3: None,
                },
            }
        })
        .collect())
}

/// An area's stored days with each pollutant's valid mean from the report's `area_means`
/// (written by the rollup with [`crate::stats::area_daily`]; `o3` is the daily maximum 8-hour
/// mean).
const AREA_DAYS: &str = "SELECT day, aqi, primary_pollutants,
        m.so2, m.no2, m.co, m.o3, m.pm10, m.pm25
    FROM area_aqi_daily,
    LATERAL (SELECT
        CASE WHEN (a->'so2'->>'valid')::bool THEN (a->'so2'->>'value')::float8 END AS so2,
        CASE WHEN (a->'no2'->>'valid')::bool THEN (a->'no2'->>'value')::float8 END AS no2,
        CASE WHEN (a->'co'->>'valid')::bool THEN (a->'co'->>'value')::float8 END AS co,
        CASE WHEN (a->'o3'->>'valid')::bool THEN (a->'o3'->>'value')::float8 END AS o3,
        CASE WHEN (a->'pm10'->>'valid')::bool THEN (a->'pm10'->>'value')::float8 END AS pm10,
        CASE WHEN (a->'pm25'->>'valid')::bool THEN (a->'pm25'->>'value')::float8 END AS pm25
        FROM (SELECT report->'area_means' AS a) r) m
    WHERE area_id = $1 AND day BETWEEN $2 AND $3
    ORDER BY day";

/// The valid daily statistics of `stations`, by (day, station).
async fn daily_concentrations(
    client: &impl GenericClient,
    stations: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<(NaiveDate, String), DailyConcentrations>, DbError> {
    let rows = client
        .query(
            "SELECT day, station_code, parameter_code, statistic, value FROM daily_stat
             WHERE station_code = ANY($1) AND day BETWEEN $2 AND $3 AND valid
               AND value IS NOT NULL",
            &[&stations, &from, &to],
        )
        .await?;
    let mut out: BTreeMap<(NaiveDate, String), DailyConcentrations> = BTreeMap::new();
    for row in rows {
        let day: NaiveDate = row.get(0);
        let station: String = row.get(1);
        let parameter: &str = row.get(2);
        let statistic: &str = row.get(3);
        let value: f64 = row.get(4);
        let c = out.entry((day, station)).or_default();
        if let Some(slot) = daily_field(c, parameter, statistic) {
            *slot = Some(value);
        }
    }
    Ok(out)
}

/// The field of `c` that a `daily_stat` row (parameter code, statistic) fills; `None` for rows
/// the daily AQI does not read.
pub fn daily_field<'a>(
    c: &'a mut DailyConcentrations,
    parameter: &str,
    statistic: &str,
) -> Option<&'a mut Option<f64>> {
    Some(match (parameter, statistic) {
        ("so2", "mean") => &mut c.so2_24h_ug_m3,
        ("no2", "mean") => &mut c.no2_24h_ug_m3,
        ("co", "mean") => &mut c.co_24h_mg_m3,
        ("pm10", "mean") => &mut c.pm10_24h_ug_m3,
        ("pm25", "mean") => &mut c.pm25_24h_ug_m3,
        ("o3", "max_8h") => &mut c.o3_8h_max_ug_m3,
        ("o3", "max_1h") => &mut c.o3_1h_max_ug_m3,
        _ => return None,
    })
}
