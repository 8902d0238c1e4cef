//! Format version 1 as CSV: a header row naming the columns of
//! [`COLUMNS`](super::COLUMNS) in any order, then one result a row.

use super::field::Record;
use super::rfc4180::{self, CsvRecord};
use super::{COLUMNS, LabProblem, LabSample, expected_columns, sample};
use crate::Station;

/// Parses and validates a laboratory results file in CSV form against the
/// registered `stations`.
///
/// # Errors
/// Every problem of the file, by row and column, when there is any: nothing
/// is returned from a file that is not clean.
pub fn parse_csv(text: &str, stations: &[Station]) -> Result<Vec<LabSample>, Vec<LabProblem>> {
    let mut rows = rfc4180::read(text).into_iter();
    let header = match rows.next() {
        None => {
            return Err(vec![LabProblem::new(
                1,
                None,
                format!(
                    "the file is empty; expected a header row with the columns {}",
                    expected_columns()
                ),
            )]);
        }
        Some(Err(e)) => return Err(vec![LabProblem::new(e.line, None, e.message)]),
        Some(Ok(header)) => header,
    };
    let positions = columns(&header)?;
    let mut problems = Vec::new();
    let mut records = Vec::new();
    for row in rows {
        match row {
            Err(e) => problems.push(LabProblem::new(e.line, None, e.message)),
            Ok(row) if row.fields.len() != COLUMNS.len() => problems.push(LabProblem::new(
                row.line,
                None,
                format!(
                    "{} fields, expected {} as in the header",
                    row.fields.len(),
                    COLUMNS.len()
                ),
            )),
            Ok(row) => records.push(Record {
                row: row.line,
                fields: positions.map(|p| Some(row.fields[p].clone())),
            }),
        }
    }
    sample::samples(&records, stations, problems)
}

/// For each of [`COLUMNS`], its position in the header.
fn columns(header: &CsvRecord) -> Result<[usize; 8], Vec<LabProblem>> {
    let mut problems = Vec::new();
    let mut positions: [Option<usize>; 8] = [None; 8];
    for (position, name) in header.fields.iter().enumerate() {
        let name = name.trim();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(i) if positions[i].is_some() => problems.push(LabProblem::new(
                header.line,
                Some(name),
                format!(
                    "column {name} appears twice; expected the columns {}",
                    expected_columns()
                ),
            )),
            Some(i) => positions[i] = Some(position),
            None => problems.push(LabProblem::new(
                header.line,
                Some(name),
                format!(
                    "unknown column {name:?}; expected the columns {}",
                    expected_columns()
                ),
            )),
        }
    }
    for (i, column) in COLUMNS.iter().enumerate() {
        if positions[i].is_none() {
            problems.push(LabProblem::new(
                header.line,
                Some(column),
                format!(
                    "missing column {column}; expected the columns {}",
                    expected_columns()
                ),
            ));
        }
    }
    match positions {
        [
            Some(a),
            Some(b),
            Some(c),
            Some(d),
            Some(e),
            Some(f),
            Some(g),
            Some(h),
        ] if problems.is_empty() => Ok([a, b, c, d, e, f, g, h]),
        _ => Err(problems),
    }
}
