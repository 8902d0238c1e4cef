//! The verdict on one sample: every result taken at one site and time,
//! with one explanation in English and one in Chinese naming each failure.

use serde::Serialize;

use super::verdict::{Disinfectant, Exceedance, ItemVerdict, Outcome, judge_with};
use super::{ResultValue, SupplyItem, SupplyLimit, SupplyPoint};

/// One sample judged item by item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleVerdict {
    /// Where the sample was taken.
    pub point: SupplyPoint,
    /// Every result, judged, in the order given.
    pub items: Vec<ItemVerdict>,
    /// `Some(false)` when any result fails, `Some(true)` when at least one
    /// was judged and none fails, `None` when nothing could be judged.
    /// Results needing nuclide analysis or not judged do not decide it.
    pub compliant: Option<bool>,
    /// Why, in English.
    pub explanation_en: String,
    /// Why, in Chinese.
    pub explanation_zh: String,
}

impl SampleVerdict {
    /// Judges every result of one sample taken at `point`, for a plant
    /// using `disinfectant`.
    pub fn judge(
        point: SupplyPoint,
        disinfectant: Disinfectant,
        results: &[(SupplyItem, ResultValue)],
    ) -> Self {
        let items: Vec<ItemVerdict> = results
            .iter()
            .map(|&(item, value)| judge_with(item, point, disinfectant, value))
            .collect();
        let judged = items.iter().filter(|v| is_judged(v.outcome)).count();
        let failing: Vec<&ItemVerdict> = items.iter().filter(|v| is_failure(v.outcome)).collect();
        let compliant = (judged > 0).then_some(failing.is_empty());
        let nuclide: Vec<&ItemVerdict> = items
            .iter()
            .filter(|v| v.outcome == Outcome::NeedsNuclideAnalysis)
            .collect();
        let not_judged = items.len() - judged - nuclide.len();
        let explanation_en = explain_en(compliant, judged, &failing, &nuclide, not_judged);
        let explanation_zh = explain_zh(compliant, judged, &failing, &nuclide, not_judged);
        Self {
            point,
            items,
            compliant,
            explanation_en,
            explanation_zh,
        }
    }

    /// The failing results, each with its exceedance.
    pub fn failures(&self) -> impl Iterator<Item = &ItemVerdict> {
        self.items.iter().filter(|v| is_failure(v.outcome))
    }
}

/// Whether an outcome is a pass or a fail (the only outcomes rates count).
pub(crate) fn is_judged(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Pass | Outcome::Fail { .. })
}

fn is_failure(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Fail { .. })
}

fn limit_text(v: &ItemVerdict) -> String {
    match v.limit {
        SupplyLimit::Max(max) | SupplyLimit::Guidance(max) => v.item.format_value(max),
        SupplyLimit::Range { min, max } => v.item.format_value(format!("{min}–{max}")),
        SupplyLimit::NotDetected => "不应检出 (not detected)".to_owned(),
        SupplyLimit::Absent => "无 (none)".to_owned(),
        SupplyLimit::Disinfectant(d) => v.item.format_value(format!(
            "≤{} (residual ≥{} outlet, ≥{} network)",
            d.max, d.outlet_min, d.network_min
        )),
    }
}

fn failure_en(v: &ItemVerdict) -> String {
    let name = v.item.info().name_en;
    let value = v.item.format_value(v.value);
    let limit = limit_text(v);
    match v.outcome {
        Outcome::Fail {
            exceedance: Exceedance::Multiple(m),
        } => format!("{name} {value} exceeds the limit {limit} ({m:.2} times)"),
        Outcome::Fail {
            exceedance: Exceedance::BelowMinimum(by),
        } => format!("{name} {value} is below the residual minimum of {limit} by {by:.3}"),
        Outcome::Fail {
            exceedance: Exceedance::OutsideRange(by),
        } => format!("{name} {value} is outside {limit} by {by:.2}"),
        _ => format!("{name} {value} fails the limit {limit}"),
    }
}

fn failure_zh(v: &ItemVerdict) -> String {
    let name = v.item.info().name_zh;
    let value = v.item.format_value(v.value);
    let limit = limit_text(v);
    match v.outcome {
        Outcome::Fail {
            exceedance: Exceedance::Multiple(m),
        } => format!("{name} {value}，超过限值 {limit}（为限值的 {m:.2} 倍）"),
        Outcome::Fail {
            exceedance: Exceedance::BelowMinimum(by),
        } => format!("{name} {value}，低于余量要求 {limit}，差 {by:.3}"),
        Outcome::Fail {
            exceedance: Exceedance::OutsideRange(by),
        } => format!("{name} {value}，超出范围 {limit}，差 {by:.2}"),
        _ => format!("{name} {value}，不符合限值 {limit}"),
    }
}

fn explain_en(
    compliant: Option<bool>,
    judged: usize,
    failing: &[&ItemVerdict],
    nuclide: &[&ItemVerdict],
    not_judged: usize,
) -> String {
    let mut text = match compliant {
        None => "No result could be judged against GB 5749-2022.".to_owned(),
        Some(true) => format!("Meets GB 5749-2022 for all {judged} results judged."),
        Some(false) => format!(
            "Does not meet GB 5749-2022: {}.",
            failing
                .iter()
                .map(|v| failure_en(v))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    for v in nuclide {
        text.push_str(&format!(
            " {} {} is above its guidance value {}: nuclide analysis is needed.",
            v.item.info().name_en,
            v.item.format_value(v.value),
            limit_text(v)
        ));
    }
    if not_judged > 0 {
        text.push_str(&format!(" {not_judged} results were not judged."));
    }
    text
}

fn explain_zh(
    compliant: Option<bool>,
    judged: usize,
    failing: &[&ItemVerdict],
    nuclide: &[&ItemVerdict],
    not_judged: usize,
) -> String {
    let mut text = match compliant {
        None => "无可按GB 5749-2022判定的结果。".to_owned(),
        Some(true) => format!("所判定的 {judged} 项结果均符合GB 5749-2022。"),
        Some(false) => format!(
            "不符合GB 5749-2022：{}。",
            failing
                .iter()
                .map(|v| failure_zh(v))
                .collect::<Vec<_>>()
                .join("；")
        ),
    };
    for v in nuclide {
        text.push_str(&format!(
            "{} {} 超过指导值 {}，应进行核素分析和评价。",
            v.item.info().name_zh,
            v.item.format_value(v.value),
            limit_text(v)
        ));
    }
    if not_judged > 0 {
        text.push_str(&format!("另有 {not_judged} 项结果未判定。"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResultValue::Measured;
    use SupplyItem::*;

    #[test]
    fn a_failing_sample_names_each_failure_with_value_and_limit() {
        let v = SampleVerdict::judge(
            SupplyPoint::Network,
            Disinfectant::FreeChlorine,
            &[
                (Turbidity, Measured(1.2)),
                (FreeChlorine, Measured(0.03)),
                (Iron, Measured(0.1)),
            ],
        );
        assert_eq!(v.compliant, Some(false));
        assert_eq!(v.failures().count(), 2);
        assert!(
            v.explanation_en
                .contains("1.2 NTU exceeds the limit 1 NTU (1.20 times)")
        );
        assert!(v.explanation_en.contains("Free chlorine 0.03 mg/L"));
        assert!(
            v.explanation_zh
                .contains("浑浊度（散射浑浊度单位） 1.2 NTU，超过限值 1 NTU")
        );
        assert!(v.explanation_zh.contains("游离氯 0.03 mg/L"));
    }

    #[test]
    fn a_sample_with_nothing_judged_has_no_verdict() {
        let v = SampleVerdict::judge(
            SupplyPoint::Outlet,
            Disinfectant::default(),
            &[(Arsenic, ResultValue::BelowDetection { limit: 0.05 })],
        );
        assert_eq!(v.compliant, None);
        let empty = SampleVerdict::judge(SupplyPoint::Outlet, Disinfectant::default(), &[]);
        assert_eq!(empty.compliant, None);
    }

    #[test]
    fn nuclide_analysis_is_reported_but_does_not_fail_the_sample() {
        let v = SampleVerdict::judge(
            SupplyPoint::Outlet,
            Disinfectant::default(),
            &[(GrossBeta, Measured(1.5)), (Ph, Measured(7.4))],
        );
        assert_eq!(v.compliant, Some(true));
        assert!(v.explanation_en.contains("nuclide analysis is needed"));
        assert!(v.explanation_zh.contains("核素分析"));
    }
}
