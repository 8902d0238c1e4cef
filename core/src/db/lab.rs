//! Laboratory batches in the database: a preview of what an import would
//! change, the pending batch an operator submits, and its publication by a
//! second person, which stores the results (a changed value raises its
//! revision and keeps the replaced one), judges every touched sample over
//! all its current results, and only then makes them data.
//!
//! The submitted text is kept byte for byte and parsed again at
//! publication against the registry of that moment, so what is published is
//! exactly what was previewed (its SHA-256 is shown to both people) and
//! never something the registry no longer allows.

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio_postgres::GenericClient;

use super::DbError;
use crate::drinking::{ResultValue, Sensory, SupplyItem};
use crate::lab::{
    FORMAT_VERSION, LabItem, LabProblem, LabResult, LabSample, judge_sample, parse_csv, parse_json,
};
use crate::water::{SpecificItem, WaterItem};
use crate::{Station, StationCode, StationKind};

/// How a batch's text is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LabMedia {
    /// Format version 1 as CSV.
    Csv,
    /// Format version 1 as JSON.
    Json,
}

impl LabMedia {
    fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// Why a batch cannot be submitted, published or rejected.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The file has problems; each names its row and column.
    #[error("the file has {} problem(s)", .0.len())]
    Problems(Vec<LabProblem>),
    /// No batch has this id.
    #[error("no laboratory batch {0}")]
    NotFound(i64),
    /// The batch was already published or rejected.
    #[error("laboratory batch {0} is {1}, not pending")]
    NotPending(i64, String),
    /// The approver submitted the batch.
    #[error("nobody publishes their own import: another person must")]
    OwnImport,
    /// The batch's text no longer validates (the registry changed).
    #[error("laboratory batch {0} no longer validates: {1} problem(s)")]
    Stale(i64, usize),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for LabError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::Db(DbError::Statement(error))
    }
}

/// Parses a submission's text.
///
/// # Errors
/// Every problem, by row and column; a JSON syntax error is one problem.
pub fn parse_submission(
    media: LabMedia,
    text: &str,
    stations: &[Station],
) -> Result<Vec<LabSample>, Vec<LabProblem>> {
    match media {
        LabMedia::Csv => parse_csv(text, stations),
        LabMedia::Json => {
            let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                vec![LabProblem {
                    row: 0,
                    column: None,
                    message: format!("not JSON: {e}"),
                }]
            })?;
            parse_json(&value, stations)
        }
    }
}

/// The SHA-256 of a submission, in hex, as both people see it.
pub fn body_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a result is stored: qualifier and number.
fn stored_value(value: ResultValue) -> (&'static str, Option<f64>) {
    match value {
        ResultValue::Measured(v) => ("measured", Some(v)),
        ResultValue::BelowDetection { limit } => ("below_detection", Some(limit)),
        ResultValue::NotDetected => ("not_detected", None),
        ResultValue::Detected => ("detected", None),
        ResultValue::Observation(Sensory::None) => ("none", None),
        ResultValue::Observation(Sensory::Present) => ("present", None),
    }
}

/// A stored result read back as a value.
fn value_of(qualifier: &str, number: Option<f64>) -> Option<ResultValue> {
    Some(match (qualifier, number) {
        ("measured", Some(v)) => ResultValue::Measured(v),
        ("below_detection", Some(limit)) => ResultValue::BelowDetection { limit },
        ("not_detected", _) => ResultValue::NotDetected,
        ("detected", _) => ResultValue::Detected,
        ("none", _) => ResultValue::Observation(Sensory::None),
        ("present", _) => ResultValue::Observation(Sensory::Present),
        _ => return None,
    })
}

/// A stored item code read back for a site of `kind`.
fn item_of(kind: StationKind, code: &str) -> Option<LabItem> {
    if kind.is_supply() {
        SupplyItem::parse(code).map(LabItem::Supply)
    } else {
        // GB 3838-2002: Tables 1 and 2, then Table 3 (codes never collide).
        WaterItem::parse(code)
            .map(LabItem::Surface)
            .or_else(|| SpecificItem::parse(code).map(LabItem::Specific))
    }
}

/// One stored result, as a preview compares it.
#[derive(Debug, Clone, PartialEq)]
struct Current {
    qualifier: String,
    value: Option<f64>,
    value_text: String,
    unit: String,
    method: String,
    revision: i32,
    batch_id: i64,
}

/// The stored results of each of `samples`' (site, sample id).
async fn current_results(
    client: &impl GenericClient,
    samples: &[LabSample],
) -> Result<HashMap<(String, String, String), Current>, tokio_postgres::Error> {
    let sites: Vec<&str> = samples.iter().map(|s| s.site.as_str()).collect();
    let ids: Vec<&str> = samples.iter().map(|s| s.sample_id.as_str()).collect();
    let rows = client
        .query(
            "SELECT r.station_code, r.sample_id, r.item, r.qualifier, r.value, r.value_text,
                    r.unit, r.method, r.revision, r.batch_id
             FROM lab_result r
             JOIN unnest($1::text[], $2::text[]) AS k(station_code, sample_id)
               USING (station_code, sample_id)",
            &[&sites, &ids],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                (r.get(0), r.get(1), r.get(2)),
                Current {
                    qualifier: r.get(3),
                    value: r.get(4),
                    value_text: r.get(5),
                    unit: r.get(6),
                    method: r.get(7),
                    revision: r.get(8),
                    batch_id: r.get(9),
                },
            )
        })
        .collect())
}

/// A result that would change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultChange {
    /// The item's code.
    pub item: String,
    /// The stored value, as written.
    pub before: String,
    /// The value the import brings.
    pub after: String,
}

/// What an import does to one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplePreview {
    /// The site.
    pub site: String,
    /// The sample id.
    pub sample_id: String,
    /// When it was taken, RFC 3339.
    pub sampled_at: String,
    /// `new`, `revised` (some result changes) or `unchanged`.
    pub status: &'static str,
    /// Results in the import.
    pub results: usize,
    /// The results a correction changes.
    pub changes: Vec<ResultChange>,
    /// Its verdict once imported (with the sample's other stored results).
    pub compliant: Option<bool>,
    /// The items that fail.
    pub failing: Vec<String>,
}

/// What an import would change, as both people review it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// The SHA-256 of the submitted text.
    pub body_sha256: String,
    /// Samples in the file.
    pub samples: usize,
    /// Results in the file.
    pub results: usize,
    /// Samples not stored yet.
    pub new_samples: usize,
    /// Stored samples the file corrects.
    pub revised_samples: usize,
    /// Stored samples the file repeats unchanged.
    pub unchanged_samples: usize,
    /// Samples that would fail their standard.
    pub failing_samples: usize,
    /// Each sample.
    pub sample_previews: Vec<SamplePreview>,
}

fn same(current: &Current, result: &LabResult) -> bool {
    let (qualifier, value) = stored_value(result.value);
    current.qualifier == qualifier
        && current.value == value
        && current.unit == result.item.unit()
        && current.method == result.method
}

/// `sample` with the stored results it does not repeat: what the sample
/// will hold once the import is published.
fn merged(sample: &LabSample, stored: &HashMap<(String, String, String), Current>) -> LabSample {
    let mut merged = sample.clone();
    for ((site, id, item), current) in stored {
        if *site != sample.site.as_str() || *id != sample.sample_id {
            continue;
        }
        if sample.results.iter().any(|r| r.item.code() == item) {
            continue;
        }
        if let (Some(item), Some(value)) = (
            item_of(sample.kind, item),
            value_of(&current.qualifier, current.value),
        ) {
            merged.results.push(LabResult {
                row: 0,
                item,
                value,
                method: current.method.clone(),
            });
        }
    }
    merged
}

/// What publishing `samples` (parsed from `text`) would change.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn preview(
    client: &impl GenericClient,
    text: &str,
    samples: &[LabSample],
    stations: &[Station],
) -> Result<Preview, DbError> {
    let stored = current_results(client, samples).await?;
    let by_code: HashMap<&StationCode, &Station> = stations.iter().map(|s| (&s.code, s)).collect();
    let mut previews = Vec::with_capacity(samples.len());
    for sample in samples {
        let key = |item: &str| {
            (
                sample.site.to_string(),
                sample.sample_id.clone(),
                item.to_owned(),
            )
        };
        let exists = stored
            .keys()
            .any(|(site, id, _)| *site == sample.site.as_str() && *id == sample.sample_id);
        let changes: Vec<ResultChange> = sample
            .results
            .iter()
            .filter_map(|r| {
                let current = stored.get(&key(r.item.code()))?;
                (!same(current, r)).then(|| ResultChange {
                    item: r.item.code().to_owned(),
                    before: current.value_text.clone(),
                    after: r.value.to_string(),
                })
            })
            .collect();
        let added = sample
            .results
            .iter()
            .any(|r| !stored.contains_key(&key(r.item.code())));
        let status = match (exists, changes.is_empty() && !added) {
            (false, _) => "new",
            (true, true) => "unchanged",
            (true, false) => "revised",
        };
        let (compliant, failing) = match by_code.get(&sample.site) {
            Some(station) => {
                let whole = merged(sample, &stored);
                let verdict = judge_sample(&whole, station);
                let failing = whole
                    .results
                    .iter()
                    .filter(|r| {
                        verdict.outcome_of(r.item, station).0 == crate::lab::ResultOutcome::Fail
                    })
                    .map(|r| r.item.code().to_owned())
                    .collect();
                (verdict.compliant(), failing)
            }
            None => (None, Vec::new()),
        };
        previews.push(SamplePreview {
            site: sample.site.to_string(),
            sample_id: sample.sample_id.clone(),
            sampled_at: sample.sampled_at.to_rfc3339(),
            status,
            results: sample.results.len(),
            changes,
            compliant,
            failing,
        });
    }
    let count = |status: &str| previews.iter().filter(|p| p.status == status).count();
    Ok(Preview {
        body_sha256: body_sha256(text),
        samples: samples.len(),
        results: samples.iter().map(|s| s.results.len()).sum(),
        new_samples: count("new"),
        revised_samples: count("revised"),
        unchanged_samples: count("unchanged"),
        failing_samples: previews
            .iter()
            .filter(|p| p.compliant == Some(false))
            .count(),
        sample_previews: previews,
    })
}

/// A submission: the file as sent, and who sent it.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// CSV or JSON.
    pub media: LabMedia,
    /// The file's text.
    pub text: &'a str,
    /// Its name, when it came as a file.
    pub file_name: Option<&'a str>,
    /// Who submits it (a staff user name, or `cli:<user>`).
    pub submitted_by: &'a str,
}

/// A stored batch, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchSummary {
    /// Its id.
    pub id: i64,
    /// pending, published or rejected.
    pub state: String,
    /// The file's name.
    pub file_name: Option<String>,
    /// The SHA-256 of its text.
    pub body_sha256: String,
    /// Samples and results in it.
    pub samples: i32,
    /// Results in it.
    pub results: i32,
    /// Who submitted it, and when.
    pub submitted_by: String,
    /// When, RFC 3339.
    pub submitted_at: String,
    /// Who published or rejected it.
    pub decided_by: Option<String>,
    /// When, RFC 3339.
    pub decided_at: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// Validates a submission and stores it as a pending batch.
///
/// # Errors
/// [`LabError::Problems`] when the file is not clean (nothing is stored),
/// or a database failure.
pub async fn submit(
    client: &impl GenericClient,
    submission: Submission<'_>,
    stations: &[Station],
) -> Result<(i64, Preview), LabError> {
    let samples = parse_submission(submission.media, submission.text, stations)
        .map_err(LabError::Problems)?;
    let preview = preview(client, submission.text, &samples, stations).await?;
    let samples_count = i32::try_from(preview.samples).unwrap_or(i32::MAX);
    let results_count = i32::try_from(preview.results).unwrap_or(i32::MAX);
    let row = client
        .query_one(
            "INSERT INTO lab_batch (format_version, media, body, body_sha256, file_name, samples,
                 results, submitted_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                &i16::try_from(FORMAT_VERSION).unwrap_or(1),
                &submission.media.as_str(),
                &submission.text,
                &preview.body_sha256,
                &submission.file_name,
                &samples_count,
                &results_count,
                &submission.submitted_by,
            ],
        )
        .await?;
    Ok((row.get(0), preview))
}

const BATCH_COLUMNS: &str = "id, state, file_name, body_sha256, samples, results, submitted_by,
    submitted_at, decided_by, decided_at, reason";

fn batch_summary(row: &tokio_postgres::Row) -> BatchSummary {
    let at = |i: usize| {
        row.get::<_, Option<chrono::DateTime<chrono::Utc>>>(i)
            .map(|t| t.to_rfc3339())
    };
    BatchSummary {
        id: row.get(0),
        state: row.get(1),
        file_name: row.get(2),
        body_sha256: row.get(3),
        samples: row.get(4),
        results: row.get(5),
        submitted_by: row.get(6),
        submitted_at: at(7).unwrap_or_default(),
        decided_by: row.get(8),
        decided_at: at(9),
        reason: row.get(10),
    }
}

/// The newest batches first.
///
/// # Errors
/// Fails when the database cannot be queried.
pub async fn batches(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<BatchSummary>, DbError> {
    let rows = client
        .query(
            &format!("SELECT {BATCH_COLUMNS} FROM lab_batch ORDER BY id DESC LIMIT $1"),
            &[&limit],
        )
        .await?;
    Ok(rows.iter().map(batch_summary).collect())
}

/// One batch with its preview against what is stored now.
///
/// # Errors
/// [`LabError::NotFound`], or a database failure.
pub async fn batch(
    client: &impl GenericClient,
    id: i64,
    stations: &[Station],
) -> Result<(BatchSummary, Result<Preview, Vec<LabProblem>>), LabError> {
    let row = client
        .query_opt(
            &format!("SELECT {BATCH_COLUMNS}, media, body FROM lab_batch WHERE id = $1"),
            &[&id],
        )
        .await?
        .ok_or(LabError::NotFound(id))?;
    let media = if row.get::<_, &str>(11) == "json" {
        LabMedia::Json
    } else {
        LabMedia::Csv
    };
    let text: String = row.get(12);
    let preview = match parse_submission(media, &text, stations) {
        Ok(samples) => Ok(preview(client, &text, &samples, stations).await?),
        Err(problems) => Err(problems),
    };
    Ok((batch_summary(&row), preview))
}

/// What publishing a batch did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Published {
    /// The batch.
    pub id: i64,
    /// Samples written.
    pub samples: usize,
    /// Results whose value changed (revisions).
    pub revised_results: usize,
    /// Samples that fail their standard.
    pub failing_samples: usize,
    /// The sites touched.
    pub stations: Vec<String>,
}

/// Publishes pending batch `id` as `approver`, in `tx`: stores its results
/// (keeping every replaced value), judges each touched sample over all its
/// current results, and marks the batch published. The caller commits.
///
/// # Errors
/// [`LabError::NotFound`], [`LabError::NotPending`], [`LabError::OwnImport`],
/// [`LabError::Stale`] when the text no longer validates, or a database
/// failure; nothing is written then.
pub async fn publish(
    tx: &impl GenericClient,
    id: i64,
    approver: &str,
    stations: &[Station],
) -> Result<Published, LabError> {
    let row = tx
        .query_opt(
            "SELECT state, submitted_by, media, body FROM lab_batch WHERE id = $1 FOR UPDATE",
            &[&id],
        )
        .await?
        .ok_or(LabError::NotFound(id))?;
    let state: String = row.get(0);
    if state != "pending" {
        return Err(LabError::NotPending(id, state));
    }
    if row.get::<_, &str>(1) == approver {
        return Err(LabError::OwnImport);
    }
    let media = if row.get::<_, &str>(2) == "json" {
        LabMedia::Json
    } else {
        LabMedia::Csv
    };
    let text: String = row.get(3);
    let samples = parse_submission(media, &text, stations)
        .map_err(|problems| LabError::Stale(id, problems.len()))?;
    let stored = current_results(tx, &samples).await?;
    let by_code: HashMap<&StationCode, &Station> = stations.iter().map(|s| (&s.code, s)).collect();
    let mut revised_results = 0;
    let mut failing_samples = 0;
    let mut touched = std::collections::BTreeSet::new();
    for sample in &samples {
        let Some(station) = by_code.get(&sample.site) else {
            return Err(LabError::Stale(id, 1));
        };
        let whole = merged(sample, &stored);
        let verdict = judge_sample(&whole, station);
        let standard = if sample.kind.is_supply() {
            "GB 5749-2022"
        } else {
            "GB 3838-2002"
        };
        let verdict_json = serde_json::to_value(&verdict).unwrap_or(serde_json::Value::Null);
        let mut changed = false;
        // Revisions first: the replaced values are kept before they go.
        for result in &sample.results {
            let key = (
                sample.site.to_string(),
                sample.sample_id.clone(),
                result.item.code().to_owned(),
            );
            match stored.get(&key) {
                Some(current) if !same(current, result) => {
                    changed = true;
                    revised_results += 1;
                    tx.execute(
                        "INSERT INTO lab_result_revision (station_code, sample_id, item, revision,
                             qualifier, value, value_text, unit, method, batch_id, replaced_by)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        &[
                            &key.0,
                            &key.1,
                            &key.2,
                            &current.revision,
                            &current.qualifier,
                            &current.value,
                            &current.value_text,
                            &current.unit,
                            &current.method,
                            &current.batch_id,
                            &id,
                        ],
                    )
                    .await?;
                }
                Some(_) => {}
                None => changed = true,
            }
        }
        tx.execute(
            "INSERT INTO lab_sample (station_code, sample_id, sampled_at, laboratory, standard,
                 compliant, verdict, batch_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (station_code, sample_id) DO UPDATE SET
                 sampled_at = excluded.sampled_at, laboratory = excluded.laboratory,
                 compliant = excluded.compliant, verdict = excluded.verdict,
                 batch_id = CASE WHEN $9 THEN excluded.batch_id ELSE lab_sample.batch_id END,
                 revision = lab_sample.revision + CASE WHEN $9 THEN 1 ELSE 0 END,
                 published_at = CASE WHEN $9 THEN now() ELSE lab_sample.published_at END",
            &[
                &sample.site.as_str(),
                &sample.sample_id,
                &sample.sampled_at,
                &sample.laboratory,
                &standard,
                &verdict.compliant(),
                &verdict_json,
                &id,
                &changed,
            ],
        )
        .await?;
        for result in &whole.results {
            let (qualifier, value) = stored_value(result.value);
            let (outcome, limit_text) = verdict.outcome_of(result.item, station);
            let from_batch = sample.results.iter().any(|r| r.item == result.item);
            tx.execute(
                "INSERT INTO lab_result (station_code, sample_id, item, qualifier, value,
                     value_text, unit, method, outcome, limit_text, batch_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (station_code, sample_id, item) DO UPDATE SET
                     outcome = excluded.outcome, limit_text = excluded.limit_text,
                     qualifier = CASE WHEN $12 THEN excluded.qualifier ELSE lab_result.qualifier END,
                     value = CASE WHEN $12 THEN excluded.value ELSE lab_result.value END,
                     value_text = CASE WHEN $12 THEN excluded.value_text ELSE lab_result.value_text END,
                     unit = CASE WHEN $12 THEN excluded.unit ELSE lab_result.unit END,
                     method = CASE WHEN $12 THEN excluded.method ELSE lab_result.method END,
                     batch_id = CASE WHEN $12 THEN excluded.batch_id ELSE lab_result.batch_id END,
                     revision = lab_result.revision + CASE WHEN $12 THEN 1 ELSE 0 END",
                &[
                    &sample.site.as_str(),
                    &sample.sample_id,
                    &result.item.code(),
                    &qualifier,
                    &value,
                    &result.value.to_string(),
                    &result.item.unit(),
                    &result.method,
                    &outcome.as_str(),
                    &limit_text,
                    &id,
                    &(from_batch
                        && stored
                            .get(&(
                                sample.site.to_string(),
                                sample.sample_id.clone(),
                                result.item.code().to_owned(),
                            ))
                            .is_some_and(|c| !same(c, result))),
                ],
            )
            .await?;
        }
        if verdict.compliant() == Some(false) {
            failing_samples += 1;
        }
        touched.insert(sample.site.to_string());
    }
    tx.execute(
        "UPDATE lab_batch SET state = 'published', decided_by = $2, decided_at = now()
         WHERE id = $1",
        &[&id, &approver],
    )
    .await?;
    Ok(Published {
        id,
        samples: samples.len(),
        revised_results,
        failing_samples,
        stations: touched.into_iter().collect(),
    })
}

/// Rejects pending batch `id` as `approver`, with a reason.
///
/// # Errors
/// [`LabError::NotFound`], [`LabError::NotPending`], [`LabError::OwnImport`]
/// (nobody decides on their own import), or a database failure.
pub async fn reject(
    client: &impl GenericClient,
    id: i64,
    approver: &str,
    reason: &str,
) -> Result<(), LabError> {
    let row = client
        .query_opt(
            "SELECT state, submitted_by FROM lab_batch WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or(LabError::NotFound(id))?;
    let state: String = row.get(0);
    if state != "pending" {
        return Err(LabError::NotPending(id, state));
    }
    if row.get::<_, &str>(1) == approver {
        return Err(LabError::OwnImport);
    }
    client
        .execute(
            "UPDATE lab_batch SET state = 'rejected', decided_by = $2, decided_at = now(),
                 reason = $3 WHERE id = $1 AND state = 'pending'",
            &[&id, &approver, &reason],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_codes_of_all_three_gb_3838_tables_are_read_back() {
        for code in ["nh3n", "sulfate", "benzene", "tl"] {
            let item = item_of(StationKind::Source, code).unwrap();
            assert_eq!(item.code(), code);
            assert_eq!(item.standard(), "GB 3838-2002");
        }
        assert_eq!(
            item_of(StationKind::River, "chloroform"),
            Some(LabItem::Specific(
                SpecificItem::parse("chloroform").unwrap()
            ))
        );
        assert_eq!(item_of(StationKind::Plant, "benzo_a_pyrene"), None);
    }
}
