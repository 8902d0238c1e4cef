//! The engine of `envmon aqi --area`: the AQI of an area (the whole input) from its stations'
//! rows, one output row per time.
//!
//! The input is `envmon aqi`'s CSV with a `station` column. Every station that appears anywhere
//! in the input is one of the area's evaluation stations; at each time, a station without a row
//! or without a value counts as not reporting, so the area's mean of a pollutant stands only
//! when enough of the stations reported it ([`super::area`]).

use std::collections::BTreeMap;
use std::io::{Read, Write};

use chrono::{DateTime, NaiveDate, Utc};

use super::area::{area_daily, area_hourly};
use crate::aqi::table::{
    AqiTableError, DAILY_COLUMNS, REAL_TIME_COLUMNS, daily_values, hourly_values, output_cells,
    parse_day, parse_hour, parse_value,
};
use crate::aqi::{Edition, daily_aqi, real_time_aqi};

/// The `--help` addition of `envmon aqi --area`.
pub const AREA_TABLE_HELP: &str = "\
With --area: the input also has a `station` column, and the output is one row per time for
the area made of every station in the input (the city): time, aqi, level, category, primary,
edition, stations. Each pollutant's area concentration is the mean over the stations that
reported it, valid when at least 75 % of the input's stations did (HJ 663; the share is an
assumption, see docs/indices.md). `stations` is how many stations reported at that time.";

/// When a row belongs: an hour's end or a Beijing day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Hour(DateTime<Utc>),
    Day(NaiveDate),
}

/// One time's rows: the time cell as first written, and each station's seven values.
#[derive(Debug, Default)]
struct TimeRows {
    label: String,
    stations: BTreeMap<String, [Option<f64>; 7]>,
}

/// Reads station rows as CSV from `input` and writes the area's AQI per time to `output`, in
/// time order. Returns the number of rows written.
///
/// # Errors
///
/// Those of [`crate::aqi::table::annotate_csv`], a header without `station`, or a station with
/// two rows for one time.
///
/// # Example
///
/// ```
/// use envmon_core::stats::area_table::area_csv;
///
/// let input = "time,station,pm25\n\
///              2026-03-01T01:00:00+08:00,A,80\n\
///              2026-03-01T01:00:00+08:00,B,100\n";
/// let mut output = Vec::new();
/// assert_eq!(area_csv(input.as_bytes(), &mut output, false).unwrap(), 1);
/// // PM2.5 (80 + 100) / 2 = 90 → 100 + 50 × (90 − 60) / (115 − 60) = 127.3 → 128.
/// assert_eq!(
///     String::from_utf8(output).unwrap(),
///     "time,aqi,level,category,primary,edition,stations\n\
///      2026-03-01T01:00:00+08:00,128,3,轻度污染,pm25,HJ 633-2026,2\n"
/// );
/// ```
pub fn area_csv(input: impl Read, output: impl Write, daily: bool) -> Result<usize, AqiTableError> {
    let mut reader = csv::Reader::from_reader(input);
    let header = reader.headers().map_err(AqiTableError::Read)?.clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let find = |name: &str| names.iter().position(|n| n == name);
    let time = find("time").ok_or(AqiTableError::NoTimeColumn)?;
    let station = find("station").ok_or(AqiTableError::NoStationColumn)?;
    let (mode, wanted) = if daily {
        ("daily", DAILY_COLUMNS)
    } else {
        ("real-time", REAL_TIME_COLUMNS)
    };
    let columns = wanted.map(find);
    if columns.iter().all(Option::is_none) {
        return Err(AqiTableError::NoPollutantColumns {
            mode,
            expected: wanted.join(", "),
        });
    }

    let mut slots: BTreeMap<Slot, TimeRows> = BTreeMap::new();
    let mut every_station: Vec<String> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(AqiTableError::Read)?;
        let line = record.position().map_or(0, csv::Position::line);
        let time_cell = record.get(time).unwrap_or("").trim().to_owned();
        let station_cell = record.get(station).unwrap_or("").trim().to_owned();
        let slot = if daily {
            Slot::Day(parse_day(line, &time_cell)?)
        } else {
            Slot::Hour(parse_hour(line, &time_cell)?.to_utc())
        };
        let mut values = [None; 7];
        for ((value, column), name) in values.iter_mut().zip(columns).zip(wanted) {
            if let Some(column) = column {
                *value = parse_value(line, name, record.get(column).unwrap_or(""))?;
            }
        }
        if !every_station.contains(&station_cell) {
            every_station.push(station_cell.clone());
        }
        let rows = slots.entry(slot).or_insert_with(|| TimeRows {
            label: time_cell.clone(),
            ..TimeRows::default()
        });
        if rows.stations.insert(station_cell.clone(), values).is_some() {
            return Err(AqiTableError::DuplicateStation {
                line,
                station: station_cell,
                time: time_cell,
            });
        }
    }

    let share = super::area::DEFAULT_MIN_REPORTING_SHARE;
    let mut writer = csv::Writer::from_writer(output);
    writer
        .write_record([
            "time", "aqi", "level", "category", "primary", "edition", "stations",
        ])
        .map_err(AqiTableError::Write)?;
    for (slot, rows) in &slots {
        // Stations without a row at this time are there, reporting nothing.
        let values: Vec<[Option<f64>; 7]> = every_station
            .iter()
            .map(|code| rows.stations.get(code).copied().unwrap_or([None; 7]))
            .collect();
        let reporting = values
            .iter()
            .filter(|v| v.iter().any(Option::is_some))
            .count();
        let report = match slot {
            Slot::Hour(end) => {
                let stations: Vec<_> = values.into_iter().map(hourly_values).collect();
                real_time_aqi(
                    Edition::for_hour_ending(*end),
                    &area_hourly(&stations, share).0,
                )
            }
            Slot::Day(day) => {
                let stations: Vec<_> = values.into_iter().map(daily_values).collect();
                daily_aqi(
                    Edition::for_beijing_day(*day),
                    &area_daily(&stations, share).0,
                )
            }
        }
        .map_err(|source| AqiTableError::Index { line: 0, source })?;
        let mut out = vec![rows.label.clone()];
        out.extend(output_cells(&report));
        out.push(reporting.to_string());
        writer.write_record(&out).map_err(AqiTableError::Write)?;
    }
    writer.flush().map_err(|e| AqiTableError::Write(e.into()))?;
    Ok(slots.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str, daily: bool) -> Result<String, AqiTableError> {
        let mut output = Vec::new();
        area_csv(input.as_bytes(), &mut output, daily)?;
        Ok(String::from_utf8(output).unwrap())
    }

    #[test]
    fn a_station_missing_at_one_hour_still_counts_as_one_of_the_area() {
        // Four stations; at 02:00 only two report PM2.5 (50 % < 75 %), so PM2.5 is missing and,
        // the AQI from PM10 alone being ≤ 100, HJ 633-2026 §5.3 publishes NA.
        let input = "time,station,pm25,pm10\n\
            2026-05-01T01:00:00+08:00,A,30,40\n\
            2026-05-01T01:00:00+08:00,B,40,50\n\
            2026-05-01T01:00:00+08:00,C,50,60\n\
            2026-05-01T01:00:00+08:00,D,40,50\n\
            2026-05-01T02:00:00+08:00,A,30,40\n\
            2026-05-01T02:00:00+08:00,B,,50\n\
            2026-05-01T02:00:00+08:00,C,50,60\n";
        let out = run(input, false).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        // 01:00: PM2.5 mean 40 → IAQI 50 + 50 × (40 − 35) / (60 − 35) = 60; PM10 mean 50 → 50.
        // Only PM2.5 and PM10 are present: other pollutants missing and AQI ≤ 100 → NA too.
        assert_eq!(lines[1], "2026-05-01T01:00:00+08:00,,,,,HJ 633-2026,4");
        assert_eq!(lines[2], "2026-05-01T02:00:00+08:00,,,,,HJ 633-2026,3");
    }

    #[test]
    fn rows_come_out_in_time_order_with_the_edition_of_each_time() {
        let input = "time,station,so2,no2,co,o3,pm10,pm25\n\
            2026-03-01T01:00:00+08:00,A,5,20,0.5,50,100,100\n\
            2026-03-01T00:00:00+08:00,A,5,20,0.5,50,100,100\n";
        let out = run(input, false).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        // PM2.5 100: HJ 633-2012 (IAQI 100 at 75, 150 at 115) → 131.25 → 132;
        // HJ 633-2026 (100 at 60, 150 at 115) → 136.4 → 137.
        assert_eq!(
            lines[1],
            "2026-03-01T00:00:00+08:00,132,3,轻度污染,pm25,HJ 633-2012,1"
        );
        assert_eq!(
            lines[2],
            "2026-03-01T01:00:00+08:00,137,3,轻度污染,pm25,HJ 633-2026,1"
        );
    }

    #[test]
    fn daily_rows_group_by_beijing_day() {
        let input = "time,station,so2_24h,no2_24h,co_24h,pm10_24h,pm25_24h,o3_8h\n\
            2027-01-05,A,6,40,0.8,70,50,60\n\
            2027-01-05,B,8,50,1.0,90,70,80\n";
        let out = run(input, true).unwrap();
        // PM2.5 60 → 100 exactly (IAQI 100 at 60 under HJ 633-2026), PM10 80 → 71.4; AQI 100.
        assert_eq!(
            out.lines().nth(1).unwrap(),
            "2027-01-05,100,2,良,pm25,HJ 633-2026,2"
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let no_station = run("time,pm25\n2026-05-01T01:00:00+08:00,30\n", false);
        assert!(matches!(no_station, Err(AqiTableError::NoStationColumn)));
        let twice = run(
            "time,station,pm25\n2026-05-01T01:00:00+08:00,A,30\n2026-05-01T01:00:00+08:00,A,31\n",
            false,
        );
        assert!(matches!(
            twice,
            Err(AqiTableError::DuplicateStation { line: 3, .. })
        ));
    }
}
