//! The engine behind `envmon water`: annotate a CSV table of samples with
//! each row's GB 3838-2002 class.
//!
//! Reading and writing go through the `csv` crate so quoting is done right;
//! every row is judged by [`assess()`]. This module owns the column contract
//! ([`WATER_TABLE_HELP`]) and its errors; the CLI only opens the files.

use std::io::{Read, Write};

use super::{Exceedance, WaterClass, WaterItem, assess};
use crate::station::WaterBodyType;

/// The column contract of [`annotate_csv`], for `envmon water --help`.
pub const WATER_TABLE_HELP: &str = "\
Reads a CSV table of water samples (one row per site and time, header row
required) and writes it back with each row's GB 3838-2002 class appended.

Input columns, in any order:
  time, station  optional; copied to the output unchanged
  body           river or lake (lake = lake or reservoir: stricter TP limits)
  target         the site's target class: 1-5 or I-V
  <item>         one column per measured item, named by its code; an empty
                 cell means not measured. Units: mg/L, except ph
                 (dimensionless), temp (degrees Celsius) and fecal_coliform
                 (count per litre).
                 Counted toward the class (GB 3838-2002 Table 1):
                   ph do codmn cod bod5 nh3n tp cu zn fluoride se as hg cd
                   cr6 pb cyanide volatile_phenol petroleum las sulfide
                 Reported only, not counted (环办〔2011〕22号):
                   temp tn fecal_coliform
                 Drinking-water source items (Table 2), no class:
                   sulfate chloride nitrate fe mn
Any other column is an error, so a misspelt item is never silently skipped.
Values must be numbers, not negative (except temp).

Output columns: the input columns, then
  class          I, II, III, IV, V, or worse_than_V (劣Ⅴ); empty when no
                 counted item was measured
  determining    the codes of the counted items at that class, joined by ';'
  exceedances    every item over its target-class limit as item:multiple,
                 joined by ';', multiple = (C - limit) / limit to 2 decimals;
                 do and ph have no multiple and are written do:n/a, ph:n/a.
                 tn and fecal_coliform are listed when over, but do not count.
";

/// Why a water table could not be annotated. Row errors name the line of
/// the input (1 = the header) and the column, worded as `envmon aqi` does.
#[derive(Debug, thiserror::Error)]
pub enum WaterTableError {
    /// The input is not readable CSV (I/O, UTF-8, or a row with the wrong
    /// number of fields; the source names the line).
    #[error("reading the CSV")]
    Read(#[source] csv::Error),
    /// The output could not be written.
    #[error("writing the CSV")]
    Write(#[source] csv::Error),
    /// A header names neither a water item nor a known column.
    #[error(
        "the header has a column `{0}` that is neither a water item code nor time, station, body or target"
    )]
    UnknownColumn(String),
    /// A header appears twice.
    #[error("the header has the column `{0}` twice")]
    DuplicateColumn(String),
    /// A required column is missing.
    #[error("the header has no `{0}` column")]
    MissingColumn(&'static str),
    /// The header already has a column this command appends.
    #[error("the header already has a `{0}` column, which this command appends")]
    OutputColumnExists(String),
    /// An item cell that is not a measurement.
    #[error("line {line}, column `{column}`: `{value}` is {problem}")]
    Value {
        /// Line in the input, 1 = the header.
        line: u64,
        /// The item column.
        column: String,
        /// The cell.
        value: String,
        /// `not a number`, `not finite` or `negative`.
        problem: &'static str,
    },
    /// The `body` cell is neither `river` nor `lake`.
    #[error("line {line}, column `body`: `{value}` is neither river nor lake")]
    Body {
        /// Line in the input, 1 = the header.
        line: u64,
        /// The cell.
        value: String,
    },
    /// The `target` cell is not a class I–V.
    #[error("line {line}, column `target`: `{value}` is not a target class 1-5 or I-V")]
    Target {
        /// Line in the input, 1 = the header.
        line: u64,
        /// The cell.
        value: String,
    },
}

/// The columns [`annotate_csv`] appends, in order.
const OUTPUT_COLUMNS: [&str; 3] = ["class", "determining", "exceedances"];

/// What an input column holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    PassThrough,
    Body,
    Target,
    Item(WaterItem),
}

/// The roles of the input columns, checked once from the header.
#[derive(Debug)]
struct Layout {
    /// One entry per input column, in order.
    columns: Vec<Column>,
    /// Index of the `body` column.
    body: usize,
    /// Index of the `target` column.
    target: usize,
}

/// Reads the CSV table described in [`WATER_TABLE_HELP`] from `input` and
/// writes it to `output` with `class`, `determining` and `exceedances`
/// appended. Returns the number of data rows written.
///
/// # Errors
/// Fails on the first bad header or cell, naming its line and column (see
/// [`WaterTableError`]); rows before it have been written to `output`.
pub fn annotate_csv(input: impl Read, output: impl Write) -> Result<usize, WaterTableError> {
    let mut reader = csv::Reader::from_reader(input);
    let headers = reader.headers().map_err(WaterTableError::Read)?.clone();
    let layout = layout(&headers)?;
    let mut writer = csv::Writer::from_writer(output);
    writer
        .write_record(headers.iter().chain(OUTPUT_COLUMNS))
        .map_err(WaterTableError::Write)?;
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(WaterTableError::Read)?;
        let annotation = annotate_row(&record, &headers, &layout)?;
        writer
            .write_record(record.iter().chain(annotation.iter().map(String::as_str)))
            .map_err(WaterTableError::Write)?;
        rows += 1;
    }
    writer
        .flush()
        .map_err(|e| WaterTableError::Write(e.into()))?;
    Ok(rows)
}

/// Maps each header to its role, refusing unknown and repeated names.
fn layout(headers: &csv::StringRecord) -> Result<Layout, WaterTableError> {
    let mut columns = Vec::with_capacity(headers.len());
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim();
        if headers.iter().take(i).any(|earlier| earlier.trim() == name) {
            return Err(WaterTableError::DuplicateColumn(name.to_owned()));
        }
        columns.push(match name {
            "time" | "station" => Column::PassThrough,
            "body" => Column::Body,
            "target" => Column::Target,
            appended if OUTPUT_COLUMNS.contains(&appended) => {
                return Err(WaterTableError::OutputColumnExists(appended.to_owned()));
            }
            code => Column::Item(
                WaterItem::parse(code)
                    .ok_or_else(|| WaterTableError::UnknownColumn(code.to_owned()))?,
            ),
        });
    }
    let find = |wanted: Column, name: &'static str| {
        columns
            .iter()
            .position(|&c| c == wanted)
            .ok_or(WaterTableError::MissingColumn(name))
    };
    let (body, target) = (find(Column::Body, "body")?, find(Column::Target, "target")?);
    Ok(Layout {
        columns,
        body,
        target,
    })
}

/// Parses one row and returns its `class`, `determining` and `exceedances`.
fn annotate_row(
    record: &csv::StringRecord,
    headers: &csv::StringRecord,
    layout: &Layout,
) -> Result<[String; 3], WaterTableError> {
    let line = record.position().map_or(0, csv::Position::line);
    // The csv reader refuses rows shorter than the header, so both cells exist.
    let body = parse_body(line, record.get(layout.body).unwrap_or_default())?;
    let target = parse_target(line, record.get(layout.target).unwrap_or_default())?;
    let mut samples = Vec::new();
    for ((cell, column), header) in record.iter().zip(&layout.columns).zip(headers) {
        let text = cell.trim();
        if let Column::Item(item) = *column
            && !text.is_empty()
        {
            samples.push((item, parse_value(line, header, item, text)?));
        }
    }
    let a = assess(&samples, body, target);
    let codes: Vec<&str> = a.determining.iter().map(|i| i.code()).collect();
    let exceedances: Vec<String> = a
        .items
        .iter()
        .filter_map(|r| match r.exceedance? {
            Exceedance::Multiple(m) => Some(format!("{}:{m:.2}", r.item.code())),
            Exceedance::NotApplicable => Some(format!("{}:n/a", r.item.code())),
        })
        .collect();
    Ok([
        a.class.map_or(String::new(), |c| c.as_str().to_owned()),
        codes.join(";"),
        exceedances.join(";"),
    ])
}

fn parse_body(line: u64, cell: &str) -> Result<WaterBodyType, WaterTableError> {
    let text = cell.trim();
    WaterBodyType::parse(&text.to_ascii_lowercase()).ok_or_else(|| WaterTableError::Body {
        line,
        value: text.to_owned(),
    })
}

fn parse_target(line: u64, cell: &str) -> Result<WaterClass, WaterTableError> {
    let text = cell.trim();
    // A target is a class with limits: "6" or "worse_than_V" is no target.
    WaterClass::parse(text)
        .filter(|c| WaterClass::WITH_LIMITS.contains(c))
        .ok_or_else(|| WaterTableError::Target {
            line,
            value: text.to_owned(),
        })
}

fn parse_value(
    line: u64,
    header: &str,
    item: WaterItem,
    text: &str,
) -> Result<f64, WaterTableError> {
    let problem = match text.parse::<f64>() {
        Err(_) => "not a number",
        Ok(v) if !v.is_finite() => "not finite",
        Ok(v) if !item.is_valid_value(v) => "negative",
        Ok(v) => return Ok(v),
    };
    Err(WaterTableError::Value {
        line,
        column: header.trim().to_owned(),
        value: text.to_owned(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn annotate(input: &str) -> Result<String, WaterTableError> {
        let mut out = Vec::new();
        annotate_csv(input.as_bytes(), &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn rows_get_class_determining_items_and_exceedances() {
        // GB 3838-2002 Table 1: row 7 NH3-N III = 1.0, IV = 1.5; row 8 river TP IV = 0.3,
        // lake TP III = 0.05; row 3 DO III = 5, IV = 3; row 2 pH 6–9.
        let input = "\
time,station,body,target,ph,do,nh3n,tp
2026-11-25T08:00+08:00,\"Wusong, mouth\",river,III,7.4,6.5,1.3,0.25
2026-11-25T08:00+08:00,qingcaosha,lake,2,9.4,3.5,,0.04
2026-11-25T08:00+08:00,empty,river,III,,,,
";
        let expected = "\
time,station,body,target,ph,do,nh3n,tp,class,determining,exceedances
2026-11-25T08:00+08:00,\"Wusong, mouth\",river,III,7.4,6.5,1.3,0.25,IV,nh3n;tp,nh3n:0.30;tp:0.25
2026-11-25T08:00+08:00,qingcaosha,lake,2,9.4,3.5,,0.04,worse_than_V,ph,ph:n/a;do:n/a;tp:0.60
2026-11-25T08:00+08:00,empty,river,III,,,,,,,
";
        assert_eq!(annotate(input).unwrap(), expected);
    }

    #[test]
    fn returns_the_number_of_rows_and_reads_a_byte_order_mark() {
        let input = "\u{feff}body,target,codmn\r\nriver,3,5\r\nlake,IV,11\r\n";
        let mut out = Vec::new();
        assert_eq!(annotate_csv(input.as_bytes(), &mut out).unwrap(), 2);
        let out = String::from_utf8(out).unwrap();
        // Row 4 CODMn: III = 6, V = 15.
        assert_eq!(
            out,
            "body,target,codmn,class,determining,exceedances\nriver,3,5,III,codmn,\nlake,IV,11,V,codmn,codmn:0.10\n"
        );
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let cases = [
            (
                "body,target,nh3_n\nriver,3,1\n",
                "the header has a column `nh3_n` that is neither a water item code nor time, station, body or target",
            ),
            (
                "body,target,tp,tp\nriver,3,1,1\n",
                "the header has the column `tp` twice",
            ),
            ("body,tp\nriver,1\n", "the header has no `target` column"),
            (
                "body,target,class\nriver,3,I\n",
                "the header already has a `class` column, which this command appends",
            ),
            (
                "body,target,tp\nriver,3,0.1\nriver,3,abc\n",
                "line 3, column `tp`: `abc` is not a number",
            ),
            (
                "body,target,nh3n\nriver,3,-0.2\n",
                "line 2, column `nh3n`: `-0.2` is negative",
            ),
            (
                "body,target,nh3n\nriver,3,NaN\n",
                "line 2, column `nh3n`: `NaN` is not finite",
            ),
            (
                "body,target,nh3n\nsea,3,1\n",
                "line 2, column `body`: `sea` is neither river nor lake",
            ),
            (
                "body,target,nh3n\nriver,6,1\n",
                "line 2, column `target`: `6` is not a target class 1-5 or I-V",
            ),
            (
                "body,target,nh3n\nriver,VI,1\n",
                "line 2, column `target`: `VI` is not a target class 1-5 or I-V",
            ),
            (
                "body,target,nh3n\nriver,,1\n",
                "line 2, column `target`: `` is not a target class 1-5 or I-V",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(annotate(input).unwrap_err().to_string(), message, "{input}");
        }
        assert!(matches!(
            annotate("body,target\nriver,3,1\n"),
            Err(WaterTableError::Read(_))
        ));
    }

    #[test]
    fn negative_water_temperature_is_accepted() {
        let out = annotate("body,target,temp,do\nriver,3,-0.5,8\n").unwrap();
        assert!(out.ends_with("river,3,-0.5,8,I,do,\n"), "{out}");
    }

    #[test]
    fn help_lists_every_item_code() {
        for item in WaterItem::ALL {
            let listed = WATER_TABLE_HELP
                .split(|c: char| c.is_whitespace())
                .any(|word| word == item.code());
            assert!(listed, "{item} missing from WATER_TABLE_HELP");
        }
    }

    proptest! {
        #[test]
        fn any_input_gives_rows_or_an_error_without_panicking(input in "(body,target,(nh3n|do|ph|x),?\n)?[-0-9a-z,.\"\n ]{0,80}") {
            let _ = annotate(&input);
        }

        #[test]
        fn any_byte_input_is_handled(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = annotate_csv(bytes.as_slice(), Vec::new());
        }
    }
}
