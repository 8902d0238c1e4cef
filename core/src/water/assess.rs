//! Single-factor assessment of one set of samples against GB 3838-2002.
//!
//! GB 3838-2002 §5.1 asks for a single-factor evaluation against the class of
//! the site's target use, reporting the items over the limit and by how much
//! (超标倍数). How item classes combine into one class comes from
//! 《地表水环境质量评价办法（试行）》(环办〔2011〕22号), SECONDARY (README §3): the
//! class is the worst class among the counted items. The national automatic
//! network publishes exactly that for its items (README §3, OBSERVED).
//!
//! This is pure: the caller supplies the values (already averaged, in each
//! item's unit), the water body type and the target class from the registry.

use std::fmt::Write as _;

use serde::Serialize;

use super::limits::{ClassLimits, Exceedance, Limit, class_limits};
use super::{WaterClass, WaterItem};
use crate::station::WaterBodyType;

/// The verdict on one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult {
    /// The item measured.
    pub item: WaterItem,
    /// The value, in the item's unit ([`WaterItem::unit`]).
    pub value: f64,
    /// The item's own class; `None` when the item has no class limits (water
    /// temperature, Table 2 items, TN in rivers).
    pub class: Option<WaterClass>,
    /// Whether the item takes part in the overall class
    /// ([`WaterItem::counts_toward_class`]). TN and fecal coliform are judged
    /// and reported but do not count.
    pub counted: bool,
    /// The limit of the site's target class, if the item has one.
    pub target_limit: Option<Limit>,
    /// Whether the value fails `target_limit`. Set for reference items too:
    /// GB 3838 §5.1 reports every exceeded item.
    pub exceeds_target: bool,
    /// How far past `target_limit` the value is, when it exceeds it: a
    /// multiple for maxima, [`Exceedance::NotApplicable`] for DO and pH.
    pub exceedance: Option<Exceedance>,
}

/// The single-factor assessment of a site's samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterAssessment {
    /// The water body type the limits were taken for (TP differs).
    pub body: WaterBodyType,
    /// The site's target class.
    pub target: WaterClass,
    /// The worst class among the counted items; `None` when no counted item
    /// was measured. Never a default "class I".
    pub class: Option<WaterClass>,
    /// The counted items whose class is `class`, in sample order, each once.
    pub determining: Vec<WaterItem>,
    /// Whether `class` meets `target`; false when there is no class, since
    /// nothing shows the target is met.
    pub meets_target: bool,
    /// One result per valid sample, in sample order.
    pub items: Vec<ItemResult>,
    /// Items whose value was not a measurement (NaN, infinite, negative) and
    /// was left out, in sample order.
    pub invalid: Vec<WaterItem>,
    /// One paragraph in English naming the deciding items, their values, the
    /// limits and the standard's table and row.
    pub explanation: String,
}

/// Assesses `samples` of a site in a water body of type `body` whose target
/// class is `target`, by the single-factor method.
///
/// Each sample is classed by [`item_class`](super::item_class). The overall
/// class is the worst class of the counted items: Table 1 without water
/// temperature, TN and fecal coliform (SECONDARY, 环办〔2011〕22号). Other
/// items are reported with their class and exceedance but do not count. An
/// item given twice is judged twice, so the worse value governs. Invalid
/// values (see [`WaterItem::is_valid_value`]) are listed in
/// [`WaterAssessment::invalid`] and otherwise ignored.
///
/// ```
/// use envmon_core::station::WaterBodyType;
/// use envmon_core::water::{assess, WaterClass, WaterItem};
///
/// let samples = [(WaterItem::Ph, 7.4), (WaterItem::Do, 6.5), (WaterItem::Nh3n, 1.3)];
/// let a = assess(&samples, WaterBodyType::River, WaterClass::III);
/// assert_eq!(a.class, Some(WaterClass::IV));
/// assert_eq!(a.determining, [WaterItem::Nh3n]);
/// assert!(!a.meets_target);
/// assert!(a.explanation.starts_with("Class IV, determined by NH3-N 1.3 mg/L above the class III limit 1 mg/L"));
///
/// // Nothing counted, no class.
/// assert_eq!(assess(&[], WaterBodyType::River, WaterClass::III).class, None);
/// ```
pub fn assess(
    samples: &[(WaterItem, f64)],
    body: WaterBodyType,
    target: WaterClass,
) -> WaterAssessment {
    let (valid, invalid_samples): (Vec<_>, Vec<_>) = samples
        .iter()
        .partition(|(item, value)| item.is_valid_value(*value));
    let items: Vec<ItemResult> = valid
        .into_iter()
        .map(|&(item, value)| judge(item, value, body, target))
        .collect();
    let class = items
        .iter()
        .filter(|r| r.counted)
        .filter_map(|r| r.class)
        .max();
    let mut determining = Vec::new();
    for r in items
        .iter()
        .filter(|r| r.counted && r.class.is_some() && r.class == class)
    {
        if !determining.contains(&r.item) {
            determining.push(r.item);
        }
    }
    let mut assessment = WaterAssessment {
        body,
        target,
        class,
        determining,
        meets_target: class.is_some_and(|c| c.meets(target)),
        items,
        invalid: invalid_samples.into_iter().map(|&(item, _)| item).collect(),
        explanation: String::new(),
    };
    assessment.explanation = explain(&assessment);
    assessment
}

/// Judges one valid sample against its class limits and the target class.
fn judge(item: WaterItem, value: f64, body: WaterBodyType, target: WaterClass) -> ItemResult {
    let limits = class_limits(item, body);
    let target_limit = limits.and_then(|l| l.for_class(target));
    let exceedance = target_limit.and_then(|l| l.exceedance(value));
    ItemResult {
        item,
        value,
        class: limits.map(|l| l.classify(value)),
        counted: item.counts_toward_class(),
        target_limit,
        exceeds_target: exceedance.is_some(),
        exceedance,
    }
}

fn explain(a: &WaterAssessment) -> String {
    let mut text = match a.class {
        None => "No class: no counted GB 3838-2002 Table 1 item was measured (water temperature, \
                 TN, fecal coliform and Table 2 items are reference only)."
            .to_owned(),
        Some(class) => {
            let reasons: Vec<String> = a
                .items
                .iter()
                .filter(|r| r.counted && r.class == Some(class))
                .map(|r| reason(r, a.body))
                .collect();
            format!(
                "{}, determined by {}.",
                class.label_en(),
                reasons.join("; ")
            )
        }
    };
    if a.class.is_some() {
        let target = a.target.roman();
        if a.meets_target {
            let _ = write!(text, " Meets the target class {target}.");
        } else {
            let over: Vec<String> = a
                .items
                .iter()
                .filter(|r| r.counted)
                .filter_map(|r| Some(format!("{} {}", r.item.symbol(), r.exceedance?)))
                .collect();
            let _ = write!(
                text,
                " Does not meet the target class {target} (exceedance multiples: {}).",
                over.join("; ")
            );
        }
    }
    if !a.invalid.is_empty() {
        let codes: Vec<&str> = a.invalid.iter().map(|i| i.code()).collect();
        let _ = write!(text, " Ignored invalid values of {}.", codes.join(", "));
    }
    text
}

/// Why one item has its class, e.g. "NH3-N 1.3 mg/L above the class III
/// limit 1 mg/L (GB 3838-2002 Table 1 row 7)".
fn reason(r: &ItemResult, body: WaterBodyType) -> String {
    let item = r.item;
    let limit = |class: WaterClass| {
        class_limits(item, body)
            .and_then(|l| l.for_class(class))
            .map_or(String::new(), |l| match l {
                Limit::AtMost(v) | Limit::AtLeast(v) => item.format_value(v),
                Limit::Within(min, max) => format!("{min}–{max}"),
            })
    };
    // The class just better than the item's, whose limit the value failed.
    let better = r
        .class
        .and_then(|c| WaterClass::from_number(c.number() - 1));
    let why = match (class_limits(item, body), r.class, better) {
        (Some(ClassLimits::Within(..)), Some(WaterClass::WorseThanV), _) => {
            format!("outside the range {} of classes I–V", limit(WaterClass::I))
        }
        (Some(ClassLimits::Within(..)), _, _) => {
            format!("within the range {} of classes I–V", limit(WaterClass::I))
        }
        (Some(ClassLimits::AtLeast(_)), _, Some(b)) => {
            format!("below the class {} minimum {}", b.roman(), limit(b))
        }
        (Some(ClassLimits::AtLeast(_)), _, None) => {
            format!("at or above the class I minimum {}", limit(WaterClass::I))
        }
        (_, _, Some(b)) => format!("above the class {} limit {}", b.roman(), limit(b)),
        (_, _, None) => format!("within the class I limit {}", limit(WaterClass::I)),
    };
    let clause = match (item, body) {
        (WaterItem::Tp, WaterBodyType::Lake) => ", lakes and reservoirs",
        _ => "",
    };
    format!(
        "{} {} {why} (GB 3838-2002 Table 1 row {}{clause})",
        item.symbol(),
        item.format_value(r.value),
        item.info().row
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use WaterBodyType::{Lake, River};
    use WaterClass::{I, II, III, IV, V, WorseThanV};
    use WaterItem::*;
    use proptest::prelude::*;

    fn multiple(r: &ItemResult) -> f64 {
        match r.exceedance {
            Some(Exceedance::Multiple(m)) => m,
            other => panic!("{:?} has no multiple: {other:?}", r.item),
        }
    }

    #[test]
    fn worst_counted_item_decides_the_class() {
        // GB 3838-2002 Table 1 rows 2, 3, 4, 7, 8 (rivers).
        let samples = [(Ph, 7.4), (Do, 6.5), (Codmn, 3.0), (Nh3n, 1.3), (Tp, 0.15)];
        let a = assess(&samples, River, III);
        assert_eq!(a.class, Some(IV));
        assert_eq!(a.determining, [Nh3n]);
        assert!(!a.meets_target);
        assert_eq!(
            a.explanation,
            "Class IV, determined by NH3-N 1.3 mg/L above the class III limit 1 mg/L \
             (GB 3838-2002 Table 1 row 7). Does not meet the target class III \
             (exceedance multiples: NH3-N 0.30)."
        );
    }

    #[test]
    fn items_tied_at_the_worst_class_all_determine_it() {
        // Row 7 NH3-N 1.3 is IV (III = 1.0, IV = 1.5); row 8 river TP 0.25 is IV (III = 0.2, IV = 0.3).
        let a = assess(&[(Tp, 0.25), (Do, 8.0), (Nh3n, 1.3)], River, IV);
        assert_eq!(a.class, Some(IV));
        assert_eq!(a.determining, [Tp, Nh3n]);
        assert!(a.meets_target);
        assert!(
            a.explanation.ends_with("Meets the target class IV."),
            "{}",
            a.explanation
        );
    }

    #[test]
    fn exceedance_multiples_are_given_for_maxima_and_not_for_do_or_ph() {
        // Row 7 NH3-N III = 1.0: (1.3 − 1.0) / 1.0 = 0.3. Row 4 CODMn II = 4: (6 − 4) / 4 = 0.5.
        let a = assess(
            &[(Nh3n, 1.3), (Codmn, 6.0), (Do, 4.0), (Ph, 9.5)],
            River,
            II,
        );
        let nh3n = &a.items[0];
        assert_eq!(nh3n.target_limit, Some(Limit::AtMost(0.5)));
        assert!((multiple(nh3n) - 1.6).abs() < 1e-12, "(1.3 − 0.5) / 0.5");
        assert!((multiple(&a.items[1]) - 0.5).abs() < 1e-12);
        assert_eq!(a.items[2].exceedance, Some(Exceedance::NotApplicable));
        assert_eq!(a.items[3].exceedance, Some(Exceedance::NotApplicable));
        assert_eq!(a.items[3].class, Some(WorseThanV), "row 2: pH outside 6–9");
        assert_eq!(a.determining, [Ph]);
        assert!(a.items.iter().all(|r| r.exceeds_target));
    }

    #[test]
    fn reference_items_are_judged_but_do_not_count() {
        // Row 24 fecal coliform 50000/L is worse than V; row 9 lake TN 1.2 is IV.
        let a = assess(
            &[
                (FecalColiform, 50_000.0),
                (Tn, 1.2),
                (Temp, 18.0),
                (Do, 8.0),
            ],
            Lake,
            III,
        );
        assert_eq!(a.class, Some(I));
        assert!(a.meets_target);
        assert_eq!(a.items[0].class, Some(WorseThanV));
        assert!(!a.items[0].counted && a.items[0].exceeds_target);
        assert_eq!(a.items[1].class, Some(IV));
        assert_eq!(a.items[2].class, None);
    }

    #[test]
    fn nothing_counted_gives_no_class_rather_than_class_i() {
        for samples in [&[][..], &[(Temp, 20.0), (Tn, 0.1), (Fe, 0.1)][..]] {
            let a = assess(samples, River, III);
            assert_eq!(a.class, None);
            assert!(a.determining.is_empty());
            assert!(!a.meets_target);
            assert!(a.explanation.starts_with("No class"), "{}", a.explanation);
        }
    }

    #[test]
    fn invalid_values_are_listed_and_left_out() {
        let a = assess(&[(Nh3n, f64::NAN), (Tp, -0.1), (Do, 7.0)], River, III);
        assert_eq!(a.invalid, [Nh3n, Tp]);
        assert_eq!(a.items.len(), 1);
        assert_eq!(a.class, Some(II), "row 3: DO II = 6");
        assert!(
            a.explanation
                .ends_with("Ignored invalid values of nh3n, tp."),
            "{}",
            a.explanation
        );
    }

    #[test]
    fn lake_tp_explanation_cites_the_lake_limits() {
        // Row 8 lake TP: III = 0.05, IV = 0.1.
        let a = assess(&[(Tp, 0.08), (Do, 3.5)], Lake, III);
        assert_eq!(a.class, Some(IV));
        assert_eq!(a.determining, [Tp, Do]);
        assert!(a.explanation.contains("TP 0.08 mg/L above the class III limit 0.05 mg/L (GB 3838-2002 Table 1 row 8, lakes and reservoirs)"), "{}", a.explanation);
        assert!(
            a.explanation
                .contains("DO 3.5 mg/L below the class III minimum 5 mg/L"),
            "{}",
            a.explanation
        );
    }

    #[test]
    fn assessment_serializes_classes_as_numbers_and_limits_with_direction() {
        let a = assess(&[(Do, 4.0)], River, III);
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["class"], 4);
        assert_eq!(json["target"], 3);
        assert_eq!(json["determining"], serde_json::json!(["do"]));
        assert_eq!(
            json["items"][0]["target_limit"],
            serde_json::json!({"at_least": 5.0})
        );
        assert_eq!(json["items"][0]["exceedance"], "not_applicable");
    }

    fn sample() -> impl Strategy<Value = (WaterItem, f64)> {
        let value = prop_oneof![4 => 0.0..60_000.0f64, 1 => proptest::num::f64::ANY];
        (proptest::sample::select(WaterItem::ALL.to_vec()), value)
    }

    fn class() -> impl Strategy<Value = WaterClass> {
        proptest::sample::select(WaterClass::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn overall_class_is_never_better_than_a_counted_item(samples in proptest::collection::vec(sample(), 0..12), lake: bool, target in class()) {
            let body = if lake { Lake } else { River };
            let a = assess(&samples, body, target);
            for r in a.items.iter().filter(|r| r.counted) {
                prop_assert!(a.class >= r.class);
                prop_assert!(r.class.is_some());
            }
            prop_assert_eq!(a.class.is_none(), a.items.iter().all(|r| !r.counted));
            prop_assert_eq!(a.meets_target, a.class.is_some() && a.items.iter().filter(|r| r.counted).all(|r| !r.exceeds_target));
            prop_assert_eq!(a.items.len() + a.invalid.len(), samples.len());
            for item in &a.determining {
                prop_assert!(a.items.iter().any(|r| r.item == *item && r.class == a.class));
            }
        }
    }

    #[test]
    fn every_class_can_come_out() {
        // Row 4 CODMn: 2, 4, 6, 10, 15.
        for (v, c) in [
            (1.0, I),
            (3.0, II),
            (5.0, III),
            (8.0, IV),
            (12.0, V),
            (20.0, WorseThanV),
        ] {
            assert_eq!(assess(&[(Codmn, v)], River, III).class, Some(c));
        }
    }
}
