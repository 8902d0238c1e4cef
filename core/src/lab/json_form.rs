//! Format version 1 as JSON, for the staff API:
//! `{"format_version": 1, "results": [{"site": …, …}, …]}`. Each result has
//! the fields of [`COLUMNS`](super::COLUMNS); `value` may be a number or a
//! string, `method` may be null. A result's row is its 1-based index.

use serde_json::Value;

use super::field::{METHOD, Record, VALUE};
use super::{COLUMNS, FORMAT_VERSION, LabProblem, LabSample, expected_columns, sample};
use crate::Station;

/// Parses and validates laboratory results in JSON form against the
/// registered `stations`, by the same rules as [`parse_csv`](super::parse_csv).
///
/// # Errors
/// Every problem of the document when there is any; problems of the
/// document itself (row 0) stop before the results are read.
pub fn parse_json(body: &Value, stations: &[Station]) -> Result<Vec<LabSample>, Vec<LabProblem>> {
    let document = |column: Option<&str>, message: String| LabProblem::new(0, column, message);
    let Some(object) = body.as_object() else {
        return Err(vec![document(
            None,
            "expected a JSON object with format_version and results".to_owned(),
        )]);
    };
    let mut problems: Vec<LabProblem> = object
        .keys()
        .filter(|k| !matches!(k.as_str(), "format_version" | "results"))
        .map(|k| {
            document(
                Some(k),
                "unknown field; expected format_version and results".to_owned(),
            )
        })
        .collect();
    match object.get("format_version") {
        Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
        Some(v) => problems.push(document(
            Some("format_version"),
            format!("format version {v} is not supported; expected {FORMAT_VERSION}"),
        )),
        None => problems.push(document(
            Some("format_version"),
            format!("missing; expected {FORMAT_VERSION}"),
        )),
    }
    let results = match object.get("results") {
        Some(Value::Array(results)) => results,
        _ => {
            problems.push(document(
                Some("results"),
                "expected an array of results".to_owned(),
            ));
            return Err(problems);
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let records: Vec<Record> = results
        .iter()
        .enumerate()
        .map(|(i, result)| record(i + 1, result, &mut problems))
        .collect();
    sample::samples(&records, stations, problems)
}

/// One result's fields; a missing or mistyped field is reported and left `None`.
fn record(row: usize, result: &Value, problems: &mut Vec<LabProblem>) -> Record {
    let mut fields: [Option<String>; 8] = Default::default();
    let Some(object) = result.as_object() else {
        problems.push(LabProblem::new(
            row,
            None,
            format!("expected an object with the fields {}", expected_columns()),
        ));
        return Record { row, fields };
    };
    for key in object.keys().filter(|k| !COLUMNS.contains(&k.as_str())) {
        problems.push(LabProblem::new(
            row,
            Some(key),
            format!("unknown field; expected the fields {}", expected_columns()),
        ));
    }
    for (i, column) in COLUMNS.iter().enumerate() {
        fields[i] = match (object.get(*column), i) {
            (Some(Value::String(text)), _) => Some(text.clone()),
            (Some(Value::Number(n)), VALUE) => Some(n.to_string()),
            (None | Some(Value::Null), METHOD) => Some(String::new()),
            (None, _) => {
                problems.push(LabProblem::new(row, Some(column), "missing"));
                None
            }
            (Some(_), VALUE) => {
                problems.push(LabProblem::new(
                    row,
                    Some(column),
                    "expected a number or a string",
                ));
                None
            }
            (Some(_), _) => {
                problems.push(LabProblem::new(row, Some(column), "expected a string"));
                None
            }
        };
    }
    Record { row, fields }
}
