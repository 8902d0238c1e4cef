//! Compliance rates as health authorities report them, over any set of
//! sample verdicts: 水样合格率 (compliant samples / samples judged), 指标合格率
//! (passing results / results judged) and the same per item.
//!
//! Only passes and fails count: a result needing nuclide analysis or not
//! judged is in neither the numerator nor the denominator, and a sample
//! with nothing judged is not counted. An empty set has no rate, not 100 %.

use std::collections::BTreeMap;

use serde::Serialize;

use super::SupplyItem;
use super::sample::{SampleVerdict, is_judged};
use super::verdict::Outcome;

/// A count of passes out of a count judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// How many were judged.
    pub judged: usize,
    /// How many of those passed.
    pub passing: usize,
}

impl Rate {
    /// `passing / judged` as a fraction in 0..=1, `None` when nothing was
    /// judged.
    pub fn fraction(self) -> Option<f64> {
        (self.judged > 0).then(|| self.passing as f64 / self.judged as f64)
    }

    /// The same as a percentage.
    pub fn percent(self) -> Option<f64> {
        self.fraction().map(|f| f * 100.0)
    }

    /// Counts one judged result or sample.
    pub fn count(&mut self, passed: bool) {
        self.judged += 1;
        if passed {
            self.passing += 1;
        }
    }
}

/// The rates over a set of samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ComplianceRates {
    /// 水样合格率: compliant samples out of samples judged.
    pub samples: Rate,
    /// 指标合格率: passing results out of results judged.
    pub results: Rate,
    /// The results of each item.
    pub per_item: BTreeMap<SupplyItem, Rate>,
}

/// The compliance rates over `verdicts`.
pub fn compliance_rates<'a>(
    verdicts: impl IntoIterator<Item = &'a SampleVerdict>,
) -> ComplianceRates {
    let mut rates = ComplianceRates::default();
    for sample in verdicts {
        if let Some(compliant) = sample.compliant {
            rates.samples.count(compliant);
        }
        for v in sample.items.iter().filter(|v| is_judged(v.outcome)) {
            let passed = v.outcome == Outcome::Pass;
            rates.results.count(passed);
            rates.per_item.entry(v.item).or_default().count(passed);
        }
    }
    rates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drinking::{Disinfectant, ResultValue::Measured, SupplyPoint};
    use SupplyItem::*;

    fn sample(results: &[(SupplyItem, crate::drinking::ResultValue)]) -> SampleVerdict {
        SampleVerdict::judge(SupplyPoint::Network, Disinfectant::FreeChlorine, results)
    }

    #[test]
    fn rates_over_a_small_known_set() {
        let samples = [
            sample(&[(Turbidity, Measured(0.3)), (FreeChlorine, Measured(0.2))]),
            sample(&[(Turbidity, Measured(1.5)), (FreeChlorine, Measured(0.2))]),
            sample(&[(Turbidity, Measured(0.4)), (FreeChlorine, Measured(0.01))]),
            sample(&[(Turbidity, Measured(0.2)), (GrossBeta, Measured(3.0))]),
        ];
        let rates = compliance_rates(&samples);
        assert_eq!(
            rates.samples,
            Rate {
                judged: 4,
                passing: 2
            }
        );
        assert_eq!(rates.samples.percent(), Some(50.0));
        // 7 results judged (gross beta needs nuclide analysis), 5 pass.
        assert_eq!(
            rates.results,
            Rate {
                judged: 7,
                passing: 5
            }
        );
        assert_eq!(
            rates.per_item[&Turbidity],
            Rate {
                judged: 4,
                passing: 3
            }
        );
        assert_eq!(
            rates.per_item[&FreeChlorine],
            Rate {
                judged: 3,
                passing: 2
            }
        );
        assert!(!rates.per_item.contains_key(&GrossBeta));
    }

    #[test]
    fn an_empty_set_has_no_rate() {
        let rates = compliance_rates(&[]);
        assert_eq!(rates.samples.fraction(), None);
        assert_eq!(rates.results.percent(), None);
        assert!(rates.per_item.is_empty());
    }
}
