//! The verdict on one result, and on one sample (every result taken at one
//! site and time), with explanations in English and Chinese.

use serde::Serialize;

use super::{ResultValue, Sensory, SupplyItem, SupplyLimit, SupplyPoint, limit};

/// The disinfectant a plant uses. Only its residual is judged against the
/// Table 2 minimums; a residual of another disinfectant found in the same
/// sample is judged against its maximum only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disinfectant {
    /// Liquid chlorine, sodium or calcium hypochlorite: 游离氯 is measured.
    #[default]
    FreeChlorine,
    /// Chloramine: 总氯 is measured.
    TotalChlorine,
    /// Ozone.
    Ozone,
    /// Chlorine dioxide.
    ChlorineDioxide,
}

impl Disinfectant {
    /// The item whose residual this disinfectant leaves, when this module
    /// covers it. Only free chlorine is covered: the 2022 numbers of total
    /// chlorine, ozone and chlorine dioxide were not confirmed
    /// (`reference/README.md`).
    pub fn residual_item(self) -> Option<SupplyItem> {
        match self {
            Self::FreeChlorine => Some(SupplyItem::FreeChlorine),
            Self::TotalChlorine | Self::Ozone | Self::ChlorineDioxide => None,
        }
    }
}

/// How far a failing result is from its limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Exceedance {
    /// Over a maximum: value / limit, so 1.01 NTU against 1 NTU is 1.01.
    /// (GB 3838's 超标倍数 in `water` is (value − limit) / limit instead.)
    Multiple(f64),
    /// Under a residual minimum by this much, in the item's unit. For a
    /// result below a detection limit, the shortfall is at least this.
    BelowMinimum(f64),
    /// Outside a range (pH) by this much.
    OutsideRange(f64),
    /// Found where it must not be (microbiological items).
    Detected,
    /// An odour, taste or visible matter was observed.
    Observed,
}

/// Why a result was not judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotJudgedReason {
    /// "<x" with x above the limit: the value may or may not meet it.
    DetectionLimitAboveLimit,
    /// 未检出 without a detection limit, for an item with a numeric limit:
    /// nothing says how low the method reaches.
    NotDetectedWithoutDetectionLimit,
    /// The kind of result does not fit the item (an observation for a
    /// concentration, "detected" for a pH).
    WrongKindOfResult,
}

impl NotJudgedReason {
    /// Short English text.
    pub fn text_en(self) -> &'static str {
        match self {
            Self::DetectionLimitAboveLimit => "detection limit above the limit",
            Self::NotDetectedWithoutDetectionLimit => "not detected, detection limit not given",
            Self::WrongKindOfResult => "result of the wrong kind for this item",
        }
    }

    /// Short Chinese text.
    pub fn text_zh(self) -> &'static str {
        match self {
            Self::DetectionLimitAboveLimit => "检出限高于限值",
            Self::NotDetectedWithoutDetectionLimit => "未检出但未给出检出限",
            Self::WrongKindOfResult => "结果类型与指标不符",
        }
    }
}

/// The outcome of judging one result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The result meets the limit.
    Pass,
    /// The result fails the limit.
    Fail {
        /// How far it is from the limit.
        exceedance: Exceedance,
    },
    /// Above a radioactivity guidance value: not a failure, but nuclide
    /// analysis must decide whether the water may be drunk.
    NeedsNuclideAnalysis,
    /// The result cannot be judged against the limit.
    NotJudged(NotJudgedReason),
}

/// One result judged against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ItemVerdict {
    /// The item.
    pub item: SupplyItem,
    /// The result as given.
    pub value: ResultValue,
    /// The limit it was judged against.
    pub limit: SupplyLimit,
    /// The outcome.
    pub outcome: Outcome,
}

/// Judges a result for a plant disinfecting with free chlorine, the
/// default. See [`judge_with`].
pub fn judge(item: SupplyItem, point: SupplyPoint, value: ResultValue) -> ItemVerdict {
    judge_with(item, point, Disinfectant::default(), value)
}

/// Judges one result of `item`, sampled at `point`, for a plant using
/// `disinfectant`.
pub fn judge_with(
    item: SupplyItem,
    point: SupplyPoint,
    disinfectant: Disinfectant,
    value: ResultValue,
) -> ItemVerdict {
    let item_limit = limit(item);
    let outcome = match item_limit {
        SupplyLimit::Max(max) => at_most(max, value),
        SupplyLimit::Range { min, max } => within(min, max, value),
        SupplyLimit::NotDetected => not_detected(value),
        SupplyLimit::Absent => absent(value),
        SupplyLimit::Guidance(guidance) => match at_most(guidance, value) {
            Outcome::Fail { .. } => Outcome::NeedsNuclideAnalysis,
            other => other,
        },
        SupplyLimit::Disinfectant(d) => {
            // The residual minimum first: 未检出 or "<0.02" says nothing
            // about the maximum but is a clear shortfall of the residual.
            let in_use = disinfectant.residual_item() == Some(item);
            match at_least(d.min_at(point), value) {
                Outcome::Pass => at_most(d.max, value),
                shortfall if in_use => shortfall,
                _ => at_most(d.max, value),
            }
        }
    };
    ItemVerdict {
        item,
        value,
        limit: item_limit,
        outcome,
    }
}

fn fail(exceedance: Exceedance) -> Outcome {
    Outcome::Fail { exceedance }
}

fn at_most(max: f64, value: ResultValue) -> Outcome {
    match value {
        ResultValue::Measured(v) if v <= max => Outcome::Pass,
        ResultValue::Measured(v) => fail(Exceedance::Multiple(v / max)),
        ResultValue::BelowDetection { limit } if limit <= max => Outcome::Pass,
        ResultValue::BelowDetection { .. } => {
            Outcome::NotJudged(NotJudgedReason::DetectionLimitAboveLimit)
        }
        ResultValue::NotDetected => {
            Outcome::NotJudged(NotJudgedReason::NotDetectedWithoutDetectionLimit)
        }
        ResultValue::Detected | ResultValue::Observation(_) => {
            Outcome::NotJudged(NotJudgedReason::WrongKindOfResult)
        }
    }
}

/// A residual minimum. A result below a detection limit at or under the
/// minimum certainly fails it; one with a higher detection limit may not.
fn at_least(min: f64, value: ResultValue) -> Outcome {
    match value {
        ResultValue::Measured(v) if v >= min => Outcome::Pass,
        ResultValue::Measured(v) => fail(Exceedance::BelowMinimum(min - v)),
        ResultValue::BelowDetection { limit } if limit <= min => {
            fail(Exceedance::BelowMinimum(min - limit))
        }
        ResultValue::BelowDetection { .. } => {
            Outcome::NotJudged(NotJudgedReason::DetectionLimitAboveLimit)
        }
        ResultValue::NotDetected => fail(Exceedance::BelowMinimum(min)),
        ResultValue::Detected | ResultValue::Observation(_) => {
            Outcome::NotJudged(NotJudgedReason::WrongKindOfResult)
        }
    }
}

fn within(min: f64, max: f64, value: ResultValue) -> Outcome {
    match value {
        ResultValue::Measured(v) if v < min => fail(Exceedance::OutsideRange(min - v)),
        ResultValue::Measured(v) if v > max => fail(Exceedance::OutsideRange(v - max)),
        ResultValue::Measured(_) => Outcome::Pass,
        _ => Outcome::NotJudged(NotJudgedReason::WrongKindOfResult),
    }
}

fn not_detected(value: ResultValue) -> Outcome {
    match value {
        ResultValue::NotDetected => Outcome::Pass,
        ResultValue::Measured(0.0) => Outcome::Pass,
        ResultValue::Measured(_) | ResultValue::Detected => fail(Exceedance::Detected),
        // "<1" MPN/100mL: nothing was counted in the volume examined.
        ResultValue::BelowDetection { limit } if limit <= 1.0 => Outcome::Pass,
        ResultValue::BelowDetection { .. } => {
            Outcome::NotJudged(NotJudgedReason::DetectionLimitAboveLimit)
        }
        ResultValue::Observation(_) => Outcome::NotJudged(NotJudgedReason::WrongKindOfResult),
    }
}

fn absent(value: ResultValue) -> Outcome {
    match value {
        ResultValue::Observation(Sensory::None) => Outcome::Pass,
        ResultValue::Observation(Sensory::Present) => fail(Exceedance::Observed),
        _ => Outcome::NotJudged(NotJudgedReason::WrongKindOfResult),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResultValue::{BelowDetection, Measured};
    use SupplyItem::*;
    use SupplyPoint::{Network, Outlet};

    fn outcome(item: SupplyItem, point: SupplyPoint, value: ResultValue) -> Outcome {
        judge(item, point, value).outcome
    }

    #[test]
    fn turbidity_at_the_limit_passes_and_just_above_fails_by_its_multiple() {
        assert_eq!(outcome(Turbidity, Outlet, Measured(1.0)), Outcome::Pass);
        assert_eq!(
            outcome(Turbidity, Outlet, Measured(1.01)),
            fail(Exceedance::Multiple(1.01))
        );
    }

    #[test]
    fn ph_passes_at_both_ends_of_its_range_and_fails_just_outside() {
        for v in [6.5, 8.5] {
            assert_eq!(outcome(Ph, Network, Measured(v)), Outcome::Pass, "{v}");
        }
        for v in [6.49, 8.51] {
            assert!(
                matches!(
                    outcome(Ph, Network, Measured(v)),
                    Outcome::Fail {
                        exceedance: Exceedance::OutsideRange(_)
                    }
                ),
                "{v}"
            );
        }
    }

    #[test]
    fn free_chlorine_at_the_outlet_must_be_between_0_3_and_2() {
        for v in [0.3, 2.0] {
            assert_eq!(outcome(FreeChlorine, Outlet, Measured(v)), Outcome::Pass);
        }
        let Outcome::Fail {
            exceedance: Exceedance::BelowMinimum(short),
        } = outcome(FreeChlorine, Outlet, Measured(0.29))
        else {
            panic!("0.29 at the outlet is below the residual minimum");
        };
        assert!((short - 0.01).abs() < 1e-9);
        assert_eq!(
            outcome(FreeChlorine, Outlet, Measured(2.01)),
            fail(Exceedance::Multiple(2.01 / 2.0))
        );
    }

    #[test]
    fn free_chlorine_in_the_network_must_be_at_least_0_05() {
        assert_eq!(
            outcome(FreeChlorine, Network, Measured(0.05)),
            Outcome::Pass
        );
        assert!(matches!(
            outcome(FreeChlorine, Network, Measured(0.049)),
            Outcome::Fail {
                exceedance: Exceedance::BelowMinimum(_)
            }
        ));
        assert!(matches!(
            outcome(FreeChlorine, Network, ResultValue::NotDetected),
            Outcome::Fail { .. }
        ));
    }

    #[test]
    fn residual_of_a_disinfectant_not_in_use_is_judged_on_its_maximum_only() {
        let v = judge_with(
            FreeChlorine,
            Network,
            Disinfectant::TotalChlorine,
            Measured(0.01),
        );
        assert_eq!(v.outcome, Outcome::Pass);
        let v = judge_with(
            FreeChlorine,
            Network,
            Disinfectant::ChlorineDioxide,
            Measured(2.5),
        );
        assert!(matches!(v.outcome, Outcome::Fail { .. }));
    }

    #[test]
    fn coliforms_not_detected_pass_and_a_count_fails() {
        let nd = super::super::parse(TotalColiforms, "未检出").unwrap();
        assert_eq!(outcome(TotalColiforms, Network, nd), Outcome::Pass);
        let two = super::super::parse(TotalColiforms, "2").unwrap();
        assert_eq!(
            outcome(TotalColiforms, Network, two),
            fail(Exceedance::Detected)
        );
        assert_eq!(
            outcome(EColi, Network, ResultValue::Detected),
            fail(Exceedance::Detected)
        );
    }

    #[test]
    fn below_detection_passes_only_when_the_detection_limit_is_within_the_limit() {
        let v = judge(Arsenic, Outlet, BelowDetection { limit: 0.002 });
        assert_eq!(v.outcome, Outcome::Pass);
        assert_eq!(v.value, BelowDetection { limit: 0.002 });
        assert_eq!(v.value.to_string(), "<0.002");
        assert_eq!(
            outcome(Arsenic, Outlet, BelowDetection { limit: 0.05 }),
            Outcome::NotJudged(NotJudgedReason::DetectionLimitAboveLimit)
        );
        assert_eq!(
            outcome(Arsenic, Outlet, ResultValue::NotDetected),
            Outcome::NotJudged(NotJudgedReason::NotDetectedWithoutDetectionLimit)
        );
    }

    #[test]
    fn gross_beta_above_its_guidance_value_needs_nuclide_analysis() {
        assert_eq!(
            outcome(GrossBeta, Outlet, Measured(1.2)),
            Outcome::NeedsNuclideAnalysis
        );
        assert_eq!(outcome(GrossBeta, Outlet, Measured(1.0)), Outcome::Pass);
        assert_eq!(outcome(GrossAlpha, Outlet, Measured(0.04)), Outcome::Pass);
    }

    #[test]
    fn sensory_observations_pass_only_when_nothing_was_observed() {
        use super::super::Sensory;
        assert_eq!(
            outcome(OdourTaste, Outlet, ResultValue::Observation(Sensory::None)),
            Outcome::Pass
        );
        assert_eq!(
            outcome(
                VisibleMatter,
                Outlet,
                ResultValue::Observation(Sensory::Present)
            ),
            fail(Exceedance::Observed)
        );
        assert_eq!(
            outcome(Iron, Outlet, ResultValue::Observation(Sensory::None)),
            Outcome::NotJudged(NotJudgedReason::WrongKindOfResult)
        );
    }
}
