//! Compliance of a centralized drinking-water surface source (集中式生活饮用水
//! 地表水源地) with GB 3838-2002.
//!
//! GB 3838-2002 §3 puts first-level protection zones (一级保护区) of such
//! sources in class II and second-level zones (二级保护区) in class III. Its
//! foreword and §5.3 add Table 2 (5 supplementary items) for these sources;
//! the 80 Table 3 items are not covered here. A source complies when every
//! counted Table 1 item meets the zone's class and every Table 2 item meets
//! its limit, over the items measured.

use std::fmt::Write as _;

use serde::Serialize;

use super::limits::{Exceedance, Limit, class_limits, supplementary_limit};
use super::{Gb3838Table, WaterClass, WaterItem};
use crate::station::WaterBodyType;

/// The class of a first-level protection zone (一级保护区), GB 3838-2002 §3.
pub const FIRST_LEVEL_ZONE_CLASS: WaterClass = WaterClass::II;

/// The class of a second-level protection zone (二级保护区), GB 3838-2002 §3.
/// Published source compliance usually means this.
pub const SECOND_LEVEL_ZONE_CLASS: WaterClass = WaterClass::III;

/// One item that fails its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceFailure {
    /// The failing item.
    pub item: WaterItem,
    /// Its value, in the item's unit.
    pub value: f64,
    /// The limit it fails: the required class's Table 1 limit, or the
    /// Table 2 limit.
    pub limit: Limit,
    /// The table the limit comes from.
    pub table: Gb3838Table,
    /// How far past the limit: a multiple, or not applicable for DO and pH.
    pub exceedance: Exceedance,
}

/// Whether a drinking-water source complies with GB 3838-2002.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceCompliance {
    /// The water body type the Table 1 limits were taken for (TP differs).
    pub body: WaterBodyType,
    /// The Table 1 class every counted item must meet.
    pub required: WaterClass,
    /// `Some(true)` when every assessed item meets its limit, `Some(false)`
    /// when one fails, `None` when no item could be assessed.
    pub compliant: Option<bool>,
    /// The items judged (counted Table 1 items and Table 2 items), in sample
    /// order, each once. Items not measured are not judged.
    pub assessed: Vec<WaterItem>,
    /// Every failing sample, in sample order.
    pub failures: Vec<SourceFailure>,
    /// Items whose value was not a measurement (NaN, infinite, negative).
    pub invalid: Vec<WaterItem>,
    /// One paragraph in English naming each failure and its limit.
    pub explanation: String,
}

/// Checks the samples of a drinking-water source in a water body of type
/// `body` against GB 3838-2002.
///
/// `required` is the class of the source's protection zone: GB 3838-2002 §3
/// puts first-level protection zones in class II
/// ([`FIRST_LEVEL_ZONE_CLASS`]) and second-level zones in class III
/// ([`SECOND_LEVEL_ZONE_CLASS`]). Every counted Table 1 item (as in
/// [`assess`](super::assess()): not water temperature, TN or fecal coliform)
/// must meet that class's limit and every Table 2 item its single limit.
/// Passing [`WaterClass::WorseThanV`] leaves no Table 1 limit to check.
pub fn drinking_source_compliance(
    samples: &[(WaterItem, f64)],
    body: WaterBodyType,
    required: WaterClass,
) -> SourceCompliance {
    let mut assessed = Vec::new();
    let mut failures = Vec::new();
    let mut invalid = Vec::new();
    for &(item, value) in samples {
        if !item.is_valid_value(value) {
            invalid.push(item);
            continue;
        }
        let Some((limit, table)) = limit_for(item, body, required) else {
            continue;
        };
        if !assessed.contains(&item) {
            assessed.push(item);
        }
        if let Some(exceedance) = limit.exceedance(value) {
            failures.push(SourceFailure {
                item,
                value,
                limit,
                table,
                exceedance,
            });
        }
    }
    let compliant = (!assessed.is_empty()).then_some(failures.is_empty());
    let explanation = explain(compliant, required, &assessed, &failures, &invalid);
    SourceCompliance {
        body,
        required,
        compliant,
        assessed,
        failures,
        invalid,
        explanation,
    }
}

/// The limit a source's sample of `item` must meet, if it is judged at all.
fn limit_for(
    item: WaterItem,
    body: WaterBodyType,
    required: WaterClass,
) -> Option<(Limit, Gb3838Table)> {
    if item.counts_toward_class() {
        let limit = class_limits(item, body)?.for_class(required)?;
        Some((limit, Gb3838Table::Basic))
    } else {
        supplementary_limit(item).map(|limit| (limit, Gb3838Table::Supplementary))
    }
}

fn explain(
    compliant: Option<bool>,
    required: WaterClass,
    assessed: &[WaterItem],
    failures: &[SourceFailure],
    invalid: &[WaterItem],
) -> String {
    let class = required.roman();
    let mut text = match compliant {
        None => "Not assessed: no counted GB 3838-2002 Table 1 item or Table 2 item was measured."
            .to_owned(),
        Some(true) => format!(
            "Compliant: all {} items measured meet GB 3838-2002 Table 1 class {class} and Table 2.",
            assessed.len()
        ),
        Some(false) => {
            let each: Vec<String> = failures
                .iter()
                .map(|f| {
                    let what = match (f.table, f.limit) {
                        (Gb3838Table::Basic, Limit::AtMost(v)) => {
                            format!("the class {class} limit {}", f.item.format_value(v))
                        }
                        (Gb3838Table::Basic, Limit::AtLeast(v)) => {
                            format!("the class {class} minimum {}", f.item.format_value(v))
                        }
                        (Gb3838Table::Basic, Limit::Within(min, max)) => {
                            format!("the class {class} range {min}–{max}")
                        }
                        (Gb3838Table::Supplementary, l) => match l {
                            Limit::AtMost(v) | Limit::AtLeast(v) => {
                                format!("the limit {}", f.item.format_value(v))
                            }
                            Limit::Within(min, max) => format!("the range {min}–{max}"),
                        },
                    };
                    format!(
                        "{} {} fails {what} (GB 3838-2002 Table {} row {}; exceedance multiple {})",
                        f.item.symbol(),
                        f.item.format_value(f.value),
                        f.table.number(),
                        f.item.info().row,
                        f.exceedance
                    )
                })
                .collect();
            format!("Not compliant: {}.", each.join("; "))
        }
    };
    if !invalid.is_empty() {
        let codes: Vec<&str> = invalid.iter().map(|i| i.code()).collect();
        let _ = write!(text, " Ignored invalid values of {}.", codes.join(", "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use WaterBodyType::{Lake, River};
    use WaterItem::*;

    #[test]
    fn a_table_2_failure_makes_a_source_non_compliant() {
        // Table 1 rows 2, 3, 7, 8 (lakes) within class III; Table 2 row 4 iron 0.45 > 0.3.
        let samples = [
            (Ph, 7.6),
            (Do, 7.0),
            (Nh3n, 0.3),
            (Tp, 0.04),
            (Fe, 0.45),
            (Mn, 0.05),
        ];
        let c = drinking_source_compliance(&samples, Lake, SECOND_LEVEL_ZONE_CLASS);
        assert_eq!(c.compliant, Some(false));
        assert_eq!(c.assessed, [Ph, Do, Nh3n, Tp, Fe, Mn]);
        assert_eq!(c.failures.len(), 1);
        let f = &c.failures[0];
        assert_eq!(
            (f.item, f.value, f.limit, f.table),
            (Fe, 0.45, Limit::AtMost(0.3), Gb3838Table::Supplementary)
        );
        let Exceedance::Multiple(m) = f.exceedance else {
            panic!("iron has a maximum")
        };
        assert!((m - 0.5).abs() < 1e-9, "(0.45 − 0.3) / 0.3");
        assert_eq!(
            c.explanation,
            "Not compliant: Fe 0.45 mg/L fails the limit 0.3 mg/L (GB 3838-2002 Table 2 row 4; \
             exceedance multiple 0.50)."
        );
    }

    #[test]
    fn a_source_within_class_iii_and_table_2_complies() {
        // Table 2 rows 1–3: sulfate 250, chloride 250, nitrate 10 mg/L, met at the limit.
        let samples = [
            (Do, 6.0),
            (Nh3n, 1.0),
            (Sulfate, 250.0),
            (Chloride, 120.0),
            (Nitrate, 10.0),
        ];
        let c = drinking_source_compliance(&samples, River, SECOND_LEVEL_ZONE_CLASS);
        assert_eq!(c.compliant, Some(true));
        assert!(c.failures.is_empty());
        assert!(
            c.explanation.starts_with("Compliant: all 5 items"),
            "{}",
            c.explanation
        );
    }

    #[test]
    fn a_first_level_zone_needs_class_ii() {
        // Table 1 row 7 NH3-N: II = 0.5, III = 1.0; row 3 DO: II = 6.
        let samples = [(Nh3n, 0.8), (Do, 5.5), (Tn, 3.0), (Temp, 25.0)];
        let second = drinking_source_compliance(&samples, River, SECOND_LEVEL_ZONE_CLASS);
        assert_eq!(second.compliant, Some(true), "{}", second.explanation);
        let first = drinking_source_compliance(&samples, River, FIRST_LEVEL_ZONE_CLASS);
        assert_eq!(first.compliant, Some(false));
        let failing: Vec<_> = first
            .failures
            .iter()
            .map(|f| (f.item, f.exceedance))
            .collect();
        assert_eq!(failing[1], (Do, Exceedance::NotApplicable));
        assert_eq!(failing[0].0, Nh3n);
        assert!(first.explanation.contains("DO 5.5 mg/L fails the class II minimum 6 mg/L (GB 3838-2002 Table 1 row 3; exceedance multiple not applicable)"), "{}", first.explanation);
    }

    #[test]
    fn nothing_assessable_is_neither_compliant_nor_not() {
        let c = drinking_source_compliance(
            &[(Temp, 20.0), (Tn, 0.1), (Fe, f64::NAN)],
            Lake,
            SECOND_LEVEL_ZONE_CLASS,
        );
        assert_eq!(c.compliant, None);
        assert_eq!(c.invalid, [Fe]);
        assert!(c.explanation.starts_with("Not assessed"));
    }
}
