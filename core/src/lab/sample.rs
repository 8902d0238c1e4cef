//! Valid rows grouped into samples: one sample is every result of one
//! (site, sample_id). A sample is taken once, by one laboratory, and gives
//! each item once; rows that say otherwise are reported, naming the row
//! they contradict.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::field::{self, Record, Row};
use super::{LabItem, LabProblem};
use crate::drinking::ResultValue;
use crate::{Station, StationCode, StationKind};

/// One result of a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabResult {
    /// The row it was read from (CSV line, or index in the JSON results).
    pub row: usize,
    /// The item, of the standard the site is judged by.
    pub item: LabItem,
    /// The result in the item's unit ([`LabItem::unit`]), converted from
    /// µg/L where given so; below-detection results keep their limit.
    pub value: ResultValue,
    /// The analytical method as the laboratory cited it; may be empty.
    pub method: String,
}

/// Every result of one sample taken at one site and time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabSample {
    /// The site, a registered river, source, plant or tap.
    pub site: StationCode,
    /// The site's kind, which decides the standard.
    pub kind: StationKind,
    /// The laboratory's sample id, unique per site.
    pub sample_id: String,
    /// When the sample was taken.
    pub sampled_at: DateTime<Utc>,
    /// The laboratory that analysed it.
    pub laboratory: String,
    /// Its results, in row order, each item once.
    pub results: Vec<LabResult>,
}

/// Checks every record and groups the valid rows into samples, in order of
/// first appearance.
///
/// # Errors
/// Every problem found, in row order, when there is any (including those
/// already in `problems`).
pub(super) fn samples(
    records: &[Record],
    stations: &[Station],
    mut problems: Vec<LabProblem>,
) -> Result<Vec<LabSample>, Vec<LabProblem>> {
    let rows: Vec<Row<'_>> = records
        .iter()
        .filter_map(|record| field::check(record, stations, &mut problems))
        .collect();
    let samples = group(rows, &mut problems);
    if problems.is_empty() {
        Ok(samples)
    } else {
        problems.sort_by_key(|p| p.row);
        Err(problems)
    }
}

/// What the first row of a sample said, to compare later rows against.
struct First {
    row: usize,
    /// Row of each item given so far.
    items: HashMap<LabItem, usize>,
}

fn group(rows: Vec<Row<'_>>, problems: &mut Vec<LabProblem>) -> Vec<LabSample> {
    let mut samples: Vec<LabSample> = Vec::new();
    let mut firsts: Vec<First> = Vec::new();
    let mut index: HashMap<(StationCode, String), usize> = HashMap::new();
    for row in rows {
        let key = (row.station.code.clone(), row.sample_id.clone());
        let Some(&i) = index.get(&key) else {
            index.insert(key, samples.len());
            firsts.push(First {
                row: row.row,
                items: HashMap::from([(row.item, row.row)]),
            });
            samples.push(LabSample {
                site: row.station.code.clone(),
                kind: row.station.kind,
                sample_id: row.sample_id,
                sampled_at: row.sampled_at,
                laboratory: row.laboratory,
                results: vec![LabResult {
                    row: row.row,
                    item: row.item,
                    value: row.value,
                    method: row.method,
                }],
            });
            continue;
        };
        let (sample, first) = (&mut samples[i], &mut firsts[i]);
        if consistent(sample, first, &row, problems) {
            sample.results.push(LabResult {
                row: row.row,
                item: row.item,
                value: row.value,
                method: row.method,
            });
        }
    }
    samples
}

/// Whether `row` agrees with its sample so far; reports each disagreement.
fn consistent(
    sample: &LabSample,
    first: &mut First,
    row: &Row<'_>,
    problems: &mut Vec<LabProblem>,
) -> bool {
    let before = problems.len();
    let whose = format!("sample {} of {}", sample.sample_id, sample.site);
    if row.sampled_at != sample.sampled_at {
        let beijing = |at: DateTime<Utc>| at.with_timezone(&crate::beijing::offset()).to_rfc3339();
        problems.push(LabProblem::new(
            row.row,
            Some("sampled_at"),
            format!(
                "{} differs from {} in row {} of {whose}; a sample is taken once",
                beijing(row.sampled_at),
                beijing(sample.sampled_at),
                first.row
            ),
        ));
    }
    if row.laboratory != sample.laboratory {
        problems.push(LabProblem::new(
            row.row,
            Some("laboratory"),
            format!(
                "{:?} differs from {:?} in row {} of {whose}",
                row.laboratory, sample.laboratory, first.row
            ),
        ));
    }
    if let Some(earlier) = first.items.get(&row.item) {
        problems.push(LabProblem::new(
            row.row,
            Some("item"),
            format!(
                "duplicate: {} is already given in row {earlier} of {whose}",
                row.item
            ),
        ));
    } else {
        first.items.insert(row.item, row.row);
    }
    problems.len() == before
}
