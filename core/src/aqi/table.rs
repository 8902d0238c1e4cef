//! The engine of `envmon aqi`: annotate a CSV of concentrations with the HJ 633 AQI.
//!
//! Each row is judged by the edition in force during its period ([`Edition::for_hour_ending`]
//! for hours, [`Edition::for_beijing_day`] for days). Rows pass through unchanged, other
//! columns included; five columns are appended. Reading, parsing and the index are this
//! module's; where the bytes come from (stdin, a file) is the CLI's.

use std::io::{Read, Write};

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::{
    AqiReport, DailyConcentrations, Edition, HourlyConcentrations, IaqiError, daily_aqi,
    real_time_aqi,
};

/// The `--help` text of `envmon aqi`: the columns read and written.
pub const AQI_TABLE_HELP: &str = "\
Reads a CSV with a header row and writes it back with five columns appended:
aqi, level, category, primary, edition. Other columns pass through untouched.
A pollutant column that is absent, or an empty cell, means that value is missing.

Input columns:
  time        real-time mode: the hour's label, ISO 8601 with offset, naming the END of
              the hour (2026-03-01T01:00:00+08:00 is the mean over 00:00-01:00 Beijing time)
              --daily: the Beijing calendar date (2026-03-01), or a time with offset in that day
  so2 no2 co o3 pm10 pm25
              real-time mode: 1-hour means; CO in mg/m3, the others in ug/m3
  so2_24h     real-time mode, HJ 633-2012 only: SO2 24-hour mean, used when SO2 1-hour > 800
  so2_24h no2_24h co_24h pm10_24h pm25_24h
              --daily: 24-hour (natural-day) means
  o3_8h       --daily: O3 daily maximum 8-hour mean
  o3_1h_max   --daily: O3 daily maximum 1-hour mean (HJ 633-2012 only; ignored from 2026-03-01)

Output columns:
  aqi         the published AQI; empty when NA (HJ 633-2026 5.3: a pollutant is missing and
              the AQI from the others is 100 or less) or when no pollutant has a value
  level       1-6 (一级-六级); empty when aqi is
  category    优, 良, 轻度污染, 中度污染, 重度污染 or 严重污染; empty when aqi is
  primary     primary pollutants (only when AQI > 50), codes joined by ';', e.g. pm25;pm10
  edition     HJ 633-2012 for periods before 2026-03-01T00:00+08:00, HJ 633-2026 from then on";

/// Columns read in the real-time mode, in [`HourlyConcentrations`] order.
pub(crate) const REAL_TIME_COLUMNS: [&str; 7] =
    ["so2", "no2", "co", "o3", "pm10", "pm25", "so2_24h"];
/// Columns read in the daily mode, in [`DailyConcentrations`] order.
pub(crate) const DAILY_COLUMNS: [&str; 7] = [
    "so2_24h",
    "no2_24h",
    "co_24h",
    "pm10_24h",
    "pm25_24h",
    "o3_8h",
    "o3_1h_max",
];
/// Columns appended.
const OUTPUT_COLUMNS: [&str; 5] = ["aqi", "level", "category", "primary", "edition"];

/// What went wrong annotating a CSV. Row errors name the line (1 = the header) and column.
#[derive(Debug, thiserror::Error)]
pub enum AqiTableError {
    /// The input is not readable CSV (I/O, encoding, unequal row lengths).
    #[error("reading the CSV")]
    Read(#[source] csv::Error),
    /// The output could not be written.
    #[error("writing the CSV")]
    Write(#[source] csv::Error),
    /// The header has no `time` column.
    #[error("the header has no `time` column")]
    NoTimeColumn,
    /// `--area`: the header has no `station` column.
    #[error("the header has no `station` column, which --area needs to tell the stations apart")]
    NoStationColumn,
    /// `--area`: one station has two rows for one time.
    #[error("line {line}: station `{station}` already has a row for {time}")]
    DuplicateStation {
        /// Line in the input, 1 = the header.
        line: u64,
        /// The station cell.
        station: String,
        /// The time cell.
        time: String,
    },
    /// The header has none of the pollutant columns of the chosen mode.
    #[error("the header has none of the {mode} columns {expected}")]
    NoPollutantColumns {
        /// `real-time` or `daily`.
        mode: &'static str,
        /// The column names looked for.
        expected: String,
    },
    /// The header already has a column this command appends.
    #[error("the header already has a `{0}` column, which this command appends")]
    OutputColumnExists(String),
    /// A `time` cell that does not parse.
    #[error("line {line}, column `time`: `{value}` is not {expected}")]
    Time {
        /// Line in the input, 1 = the header.
        line: u64,
        /// The cell.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A concentration cell that is not a valid concentration.
    #[error("line {line}, column `{column}`: `{value}` is {problem}")]
    Value {
        /// Line in the input, 1 = the header.
        line: u64,
        /// The column name.
        column: String,
        /// The cell.
        value: String,
        /// `not a number`, `not finite` or `negative`.
        problem: &'static str,
    },
    /// The index could not be computed for a row.
    #[error("line {line}: computing the AQI")]
    Index {
        /// Line in the input, 1 = the header.
        line: u64,
        /// Why.
        #[source]
        source: IaqiError,
    },
}

/// Reads concentrations as CSV from `input` and writes them to `output` with `aqi`, `level`,
/// `category`, `primary` and `edition` appended (see [`AQI_TABLE_HELP`]). `daily` selects the
/// daily report's columns instead of the real-time ones. Returns the number of data rows.
///
/// # Errors
///
/// Unreadable CSV, a header without `time` or without any pollutant column, a cell that is not
/// a valid time or concentration (named by line and column), or a failed write.
///
/// # Example
///
/// ```
/// use envmon_core::aqi::table::annotate_csv;
///
/// let input = "time,pm25,pm10\n2026-03-01T00:00:00+08:00,62,\n2026-03-01T01:00:00+08:00,93,\n";
/// let mut output = Vec::new();
/// assert_eq!(annotate_csv(input.as_bytes(), &mut output, false).unwrap(), 2);
/// assert_eq!(
///     String::from_utf8(output).unwrap(),
///     "time,pm25,pm10,aqi,level,category,primary,edition\n\
///      2026-03-01T00:00:00+08:00,62,,84,2,良,pm25,HJ 633-2012\n\
///      2026-03-01T01:00:00+08:00,93,,130,3,轻度污染,pm25,HJ 633-2026\n"
/// );
/// ```
pub fn annotate_csv(
    input: impl Read,
    output: impl Write,
    daily: bool,
) -> Result<usize, AqiTableError> {
    let mut reader = csv::Reader::from_reader(input);
    let mut writer = csv::Writer::from_writer(output);
    let header = reader.headers().map_err(AqiTableError::Read)?.clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let find = |name: &str| names.iter().position(|n| n == name);

    let time = find("time").ok_or(AqiTableError::NoTimeColumn)?;
    if let Some(taken) = OUTPUT_COLUMNS.iter().find(|c| find(c).is_some()) {
        return Err(AqiTableError::OutputColumnExists((*taken).to_owned()));
    }
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

    let mut out_header = header.clone();
    out_header.extend(OUTPUT_COLUMNS);
    writer
        .write_record(&out_header)
        .map_err(AqiTableError::Write)?;
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(AqiTableError::Read)?;
        let line = record.position().map_or(0, csv::Position::line);
        let time_cell = record.get(time).unwrap_or("").trim();
        let mut values = [None; 7];
        for ((value, column), name) in values.iter_mut().zip(columns).zip(wanted) {
            if let Some(column) = column {
                *value = parse_value(line, name, record.get(column).unwrap_or(""))?;
            }
        }
        let report = if daily {
            let edition = Edition::for_beijing_day(parse_day(line, time_cell)?);
            daily_aqi(edition, &daily_values(values))
        } else {
            let edition = Edition::for_hour_ending(parse_hour(line, time_cell)?.to_utc());
            real_time_aqi(edition, &hourly_values(values))
        }
        .map_err(|source| AqiTableError::Index { line, source })?;
        let mut out = record.clone();
        out.extend(output_cells(&report));
        writer.write_record(&out).map_err(AqiTableError::Write)?;
        rows += 1;
    }
    writer.flush().map_err(|e| AqiTableError::Write(e.into()))?;
    Ok(rows)
}

pub(crate) fn hourly_values(v: [Option<f64>; 7]) -> HourlyConcentrations {
    HourlyConcentrations {
        so2_ug_m3: v[0],
        no2_ug_m3: v[1],
        co_mg_m3: v[2],
        o3_ug_m3: v[3],
        pm10_ug_m3: v[4],
        pm25_ug_m3: v[5],
        so2_24h_ug_m3: v[6],
    }
}

pub(crate) fn daily_values(v: [Option<f64>; 7]) -> DailyConcentrations {
    DailyConcentrations {
        so2_24h_ug_m3: v[0],
        no2_24h_ug_m3: v[1],
        co_24h_mg_m3: v[2],
        pm10_24h_ug_m3: v[3],
        pm25_24h_ug_m3: v[4],
        o3_8h_max_ug_m3: v[5],
        o3_1h_max_ug_m3: v[6],
    }
}

/// The five appended cells of one row.
pub(crate) fn output_cells(report: &AqiReport) -> [String; 5] {
    let primary: Vec<_> = report.primary.iter().map(|p| p.code()).collect();
    [
        report.aqi.map(|a| a.to_string()).unwrap_or_default(),
        report
            .level
            .map(|l| l.level.to_string())
            .unwrap_or_default(),
        report
            .level
            .map(|l| l.category_zh.to_owned())
            .unwrap_or_default(),
        primary.join(";"),
        report.edition.code().to_owned(),
    ]
}

pub(crate) fn parse_value(
    line: u64,
    column: &str,
    cell: &str,
) -> Result<Option<f64>, AqiTableError> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Ok(None);
    }
    let problem = match cell.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => return Ok(Some(v)),
        Ok(v) if v.is_finite() => "negative",
        Ok(_) => "not finite",
        Err(_) => "not a number",
    };
    Err(AqiTableError::Value {
        line,
        column: column.to_owned(),
        value: cell.to_owned(),
        problem,
    })
}

/// Offsets are required: a bare local time would be a guess.
const TIME_FORMATS: [&str; 2] = ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z"];

fn parse_time(cell: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(cell).ok().or_else(|| {
        TIME_FORMATS
            .iter()
            .find_map(|f| DateTime::parse_from_str(cell, f).ok())
    })
}

pub(crate) fn parse_hour(line: u64, cell: &str) -> Result<DateTime<FixedOffset>, AqiTableError> {
    parse_time(cell).ok_or_else(|| AqiTableError::Time {
        line,
        value: cell.to_owned(),
        expected: "an ISO 8601 time with offset, e.g. 2026-03-01T01:00:00+08:00",
    })
}

pub(crate) fn parse_day(line: u64, cell: &str) -> Result<NaiveDate, AqiTableError> {
    NaiveDate::parse_from_str(cell, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            parse_time(cell).map(|t| t.with_timezone(&crate::beijing::offset()).date_naive())
        })
        .ok_or_else(|| AqiTableError::Time {
            line,
            value: cell.to_owned(),
            expected: "a date such as 2026-03-01 or an ISO 8601 time with offset",
        })
}

#[cfg(test)]
mod tests;
