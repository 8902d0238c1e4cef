//! A laboratory sample judged by the standard of its site: GB 3838-2002 for
//! rivers and sources (the class against the site's target, and for
//! sources the drinking-source compliance), GB 5749-2022 for plants and
//! taps. How below-detection results enter GB 3838 is in the module docs.
//!
//! GB 3838-2002 Table 3 results count for sources only: the table applies to
//! drinking-water sources' protection zones (its foreword). A source's
//! Table 3 result passes when its value is at most the limit, or when it is
//! `<DL` with DL at most the limit; `<DL` above the limit and 未检出 without a
//! detection limit are not judged. A river's Table 3 results are kept and
//! reported as not judged.

use serde::Serialize;

use super::{LabItem, LabSample};
use crate::drinking::{Disinfectant, ResultValue, SampleVerdict, SupplyItem, SupplyPoint};
use crate::station::WaterBodyType;
use crate::water::{
    Limit, SECOND_LEVEL_ZONE_CLASS, SourceCompliance, SpecificItem, WaterAssessment, WaterClass,
    WaterItem, assess, class_limits, drinking_source_compliance, supplementary_limit,
};
use crate::{Station, StationKind};

/// The verdict on one laboratory sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LabVerdict {
    /// A river or source, by GB 3838-2002.
    Surface {
        /// The class against the site's target class.
        assessment: WaterAssessment,
        /// For sources, compliance as a drinking-water source (second-level
        /// zone class III and Table 2), as ingest judges sources live.
        source: Option<SourceCompliance>,
        /// The sample's GB 3838-2002 Table 3 results, in file order: judged
        /// for sources, not judged (`passed` is `None`) for rivers.
        specific: Vec<SpecificResult>,
    },
    /// A plant's outlet or a network point, by GB 5749-2022.
    Supply(SampleVerdict),
}

/// One GB 3838-2002 Table 3 result of a sample and its judgement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpecificResult {
    /// The item, serialized as its code.
    pub item: SpecificItem,
    /// The result as the laboratory gave it, in mg/L.
    pub value: ResultValue,
    /// The item's Table 3 limit.
    pub limit: Limit,
    /// Whether it met the limit; `None` when not judged (a river, `<DL`
    /// above the limit, 未检出 without a detection limit).
    pub passed: Option<bool>,
}

impl SpecificResult {
    /// `result` of `item` judged at a source (`at_source`) or a river.
    fn judge(item: SpecificItem, value: ResultValue, at_source: bool) -> Self {
        let limit = item.limit();
        let passed = match value {
            _ if !at_source => None,
            ResultValue::Measured(v) => Some(limit.is_met_by(v)),
            // <DL proves the value is within the limit only when DL is.
            ResultValue::BelowDetection { limit: dl } => limit.is_met_by(dl).then_some(true),
            _ => None,
        };
        Self {
            item,
            value,
            limit,
            passed,
        }
    }
}

impl LabVerdict {
    /// Whether the sample complies: a source's drinking-source compliance
    /// together with its judged Table 3 results, a river's target class, a
    /// supply sample's verdict. `None` when nothing could be judged.
    pub fn compliant(&self) -> Option<bool> {
        match self {
            Self::Surface {
                source: Some(source),
                specific,
                ..
            } => {
                let judged: Vec<bool> = specific.iter().filter_map(|r| r.passed).collect();
                if judged.contains(&false) {
                    Some(false)
                } else if judged.is_empty() {
                    source.compliant
                } else {
                    Some(source.compliant.unwrap_or(true))
                }
            }
            Self::Surface {
                assessment,
                source: None,
                ..
            } => assessment.class.map(|_| assessment.meets_target),
            Self::Supply(verdict) => verdict.compliant,
        }
    }
}

/// Judges `sample`; `station` is its site's registry record, which gives a
/// surface site's water body type and target class.
///
/// Plants are judged at the outlet (出厂水) and taps in the network
/// (管网水), for chlorine disinfection: Shanghai's plants dose chlorine, and
/// free chlorine is the only residual GB 5749-2022 limits are covered for.
pub fn judge_sample(sample: &LabSample, station: &Station) -> LabVerdict {
    match sample.kind {
        StationKind::Plant | StationKind::Tap => {
            let point = if sample.kind == StationKind::Plant {
                SupplyPoint::Outlet
            } else {
                SupplyPoint::Network
            };
            let results: Vec<(SupplyItem, ResultValue)> = sample
                .results
                .iter()
                .filter_map(|r| match r.item {
                    LabItem::Supply(item) => Some((item, r.value)),
                    LabItem::Surface(_) | LabItem::Specific(_) => None,
                })
                .collect();
            LabVerdict::Supply(SampleVerdict::judge(
                point,
                Disinfectant::FreeChlorine,
                &results,
            ))
        }
        // Laboratory files name river and source sites only (the parser
        // refuses the others); the rest fall to the surface rules, which
        // judge nothing they do not know.
        StationKind::River | StationKind::Source | StationKind::Air | StationKind::Radiation => {
            surface(sample, station)
        }
    }
}

fn surface(sample: &LabSample, station: &Station) -> LabVerdict {
    // The registry requires both of a surface site
    // (StationError::MissingWaterField); the fallbacks are never used there.
    let body = station.water_body_type.unwrap_or(WaterBodyType::River);
    let target = station
        .target_class
        .and_then(WaterClass::from_number)
        .unwrap_or(SECOND_LEVEL_ZONE_CLASS);
    let assessment = assess(&values(sample, body, target), body, target);
    let at_source = sample.kind == StationKind::Source;
    let source = at_source.then(|| {
        drinking_source_compliance(
            &values(sample, body, SECOND_LEVEL_ZONE_CLASS),
            body,
            SECOND_LEVEL_ZONE_CLASS,
        )
    });
    let specific = sample
        .results
        .iter()
        .filter_map(|r| match r.item {
            LabItem::Specific(item) => Some(SpecificResult::judge(item, r.value, at_source)),
            _ => None,
        })
        .collect();
    LabVerdict::Surface {
        assessment,
        source,
        specific,
    }
}

/// The numbers GB 3838 judges for `sample` against `class`: measured values,
/// detection limits within the limit they must meet, and 0 for fecal
/// coliform not detected. Other results prove nothing and are left out.
fn values(sample: &LabSample, body: WaterBodyType, class: WaterClass) -> Vec<(WaterItem, f64)> {
    sample
        .results
        .iter()
        .filter_map(|r| {
            let LabItem::Surface(item) = r.item else {
                return None;
            };
            match r.value {
                ResultValue::Measured(v) => Some((item, v)),
                ResultValue::BelowDetection { limit: dl } => {
                    let within = matches!(required_limit(item, body, class), Some(Limit::AtMost(max)) if dl <= max);
                    within.then_some((item, dl))
                }
                ResultValue::NotDetected if item == WaterItem::FecalColiform => Some((item, 0.0)),
                _ => None,
            }
        })
        .collect()
}

/// The limit `item` must meet at `class`: its Table 1 class limit, or its
/// Table 2 limit.
fn required_limit(item: WaterItem, body: WaterBodyType, class: WaterClass) -> Option<Limit> {
    class_limits(item, body)
        .and_then(|limits| limits.for_class(class))
        .or_else(|| supplementary_limit(item))
}

/// What became of one result in its sample's verdict, as stored and
/// published beside the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultOutcome {
    /// It met its limit.
    Pass,
    /// It failed its limit.
    Fail,
    /// It could not be judged (no limit here, a detection limit above the
    /// limit, not a number the limit speaks of).
    NotJudged,
    /// Above a radioactivity guidance value: nuclide analysis decides.
    NuclideAnalysis,
}

impl ResultOutcome {
    /// The name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::NotJudged => "not_judged",
            Self::NuclideAnalysis => "nuclide_analysis",
        }
    }
}

impl LabVerdict {
    /// What became of `item`'s result, and the limit it was judged by as
    /// text (e.g. `≤ 1 NTU`, `≥ 0.05 mg/L`, `不应检出`), for the result's row.
    ///
    /// A source's items follow its drinking-source compliance (class III and
    /// Table 2), a river's its target class.
    pub fn outcome_of(&self, item: LabItem, station: &Station) -> (ResultOutcome, Option<String>) {
        match (self, item) {
            (Self::Supply(verdict), LabItem::Supply(item)) => {
                let Some(judged) = verdict.items.iter().find(|v| v.item == item) else {
                    return (ResultOutcome::NotJudged, None);
                };
                let outcome = match judged.outcome {
                    crate::drinking::Outcome::Pass => ResultOutcome::Pass,
                    crate::drinking::Outcome::Fail { .. } => ResultOutcome::Fail,
                    crate::drinking::Outcome::NeedsNuclideAnalysis => {
                        ResultOutcome::NuclideAnalysis
                    }
                    crate::drinking::Outcome::NotJudged(_) => ResultOutcome::NotJudged,
                };
                (
                    outcome,
                    Some(supply_limit_text(judged.limit, verdict.point, item.unit())),
                )
            }
            (
                Self::Surface {
                    source, specific, ..
                },
                LabItem::Specific(item),
            ) => {
                let passed = specific
                    .iter()
                    .find(|r| r.item == item)
                    .and_then(|r| r.passed);
                let outcome = match passed {
                    Some(true) => ResultOutcome::Pass,
                    Some(false) => ResultOutcome::Fail,
                    None => ResultOutcome::NotJudged,
                };
                // Table 3 is for sources only: a river's result has no limit.
                let limit = source
                    .is_some()
                    .then(|| surface_limit_text(item.limit(), item.unit()));
                (outcome, limit)
            }
            (
                Self::Surface {
                    assessment, source, ..
                },
                LabItem::Surface(item),
            ) => {
                let body = station.water_body_type.unwrap_or(WaterBodyType::River);
                let (class, judged, failed) = match source {
                    Some(source) => (
                        SECOND_LEVEL_ZONE_CLASS,
                        source.assessed.contains(&item),
                        source.failures.iter().any(|f| f.item == item),
                    ),
                    None => {
                        let result = assessment.items.iter().find(|r| r.item == item);
                        let judged = result.is_some_and(|r| r.class.is_some());
                        let failed = result
                            .and_then(|r| r.class)
                            .is_some_and(|c| c.number() > assessment.target.number());
                        (assessment.target, judged, failed)
                    }
                };
                let limit =
                    required_limit(item, body, class).map(|l| surface_limit_text(l, item.unit()));
                let outcome = match (judged, failed) {
                    (_, true) => ResultOutcome::Fail,
                    (true, false) => ResultOutcome::Pass,
                    (false, false) => ResultOutcome::NotJudged,
                };
                (outcome, limit)
            }
            _ => (ResultOutcome::NotJudged, None),
        }
    }
}

fn unit_suffix(unit: &str) -> String {
    if unit == "1" {
        String::new()
    } else {
        format!(" {unit}")
    }
}

fn supply_limit_text(
    limit: crate::drinking::SupplyLimit,
    point: SupplyPoint,
    unit: &str,
) -> String {
    use crate::drinking::SupplyLimit;
    let u = unit_suffix(unit);
    match limit {
        SupplyLimit::Max(max) => format!("≤ {max}{u}"),
        SupplyLimit::Range { min, max } => format!("{min}–{max}{u}"),
        SupplyLimit::NotDetected => "不应检出 not detected".to_owned(),
        SupplyLimit::Absent => "无 none".to_owned(),
        SupplyLimit::Guidance(value) => format!("指导值 guidance {value}{u}"),
        SupplyLimit::Disinfectant(d) => match point {
            SupplyPoint::Outlet => format!("{}–{}{u}", d.outlet_min, d.max),
            SupplyPoint::Network => format!("≥ {}{u} (≤ {})", d.network_min, d.max),
        },
    }
}

fn surface_limit_text(limit: Limit, unit: &str) -> String {
    let u = unit_suffix(unit);
    match limit {
        Limit::AtMost(max) => format!("≤ {max}{u}"),
        Limit::AtLeast(min) => format!("≥ {min}{u}"),
        Limit::Within(min, max) => format!("{min}–{max}{u}"),
    }
}
