//! One site over the period: each month's verdict and, for a drinking-water source, its
//! compliance; then the period's verdict from all its records.

use super::MEAN_DECIMALS;
use super::month::CalendarMonth;
use super::records::{ItemCount, ItemSum, SiteMonthRecords, WaterSite};
use super::report::{ItemMean, SiteMonth, SitePeriod, SourceMonth, SourcePeriod, Verdict};
use super::tally::{add_count, add_item_sum, count, share, sort_counts};
use crate::station::{StationKind, WaterBodyType};
use crate::water::{
    SECOND_LEVEL_ZONE_CLASS, WaterClass, WaterItem, assess, drinking_source_compliance,
};

pub(super) fn site_period(site: &WaterSite, months: &[CalendarMonth]) -> SitePeriod {
    let is_source = site.kind == StationKind::Source;
    let empty = SiteMonthRecords::default();
    let mut period_sums: Vec<ItemSum> = Vec::new();
    let mut source_period = SourcePeriod::default();
    let mut site_months = Vec::with_capacity(months.len());
    for &month in months {
        let records = site
            .months
            .iter()
            .find(|(m, _)| *m == month)
            .map_or(&empty, |(_, r)| r);
        for sum in &records.items {
            add_item_sum(&mut period_sums, *sum);
        }
        let verdict = verdict(&records.items, site.body, site.target);
        let source = is_source.then(|| source_month(records, &verdict.means, site.body));
        if let Some(month) = &source {
            source_period.add(&SourcePeriod::of_month(month));
        }
        site_months.push(SiteMonth {
            month,
            records: records.records,
            verdict,
            source,
        });
    }
    let months_assessed = count(site_months.iter().filter(|m| m.verdict.class.is_some()));
    let months_meeting_target = count(
        site_months
            .iter()
            .filter(|m| m.verdict.meets_target == Some(true)),
    );
    SitePeriod {
        station: site.code.clone(),
        kind: site.kind,
        body: site.body,
        target: site.target,
        months: site_months,
        months_assessed,
        months_meeting_target,
        month_attainment_share: share(months_meeting_target, months_assessed),
        period: verdict(&period_sums, site.body, site.target),
        source: is_source.then_some(source_period),
    }
}

/// The single-factor verdict on the means of `sums` (环办〔2011〕22号: the worst counted item).
pub fn verdict(sums: &[ItemSum], body: WaterBodyType, target: WaterClass) -> Verdict {
    let means: Vec<ItemMean> = sums
        .iter()
        .filter(|s| s.samples > 0)
        .map(|s| ItemMean {
            item: s.item,
            mean: rounded_mean(s.sum, s.samples),
            samples: s.samples,
        })
        .collect();
    let samples: Vec<(WaterItem, f64)> = means.iter().map(|m| (m.item, m.mean)).collect();
    let assessment = assess(&samples, body, target);
    Verdict {
        class: assessment.class,
        determining: assessment.determining,
        meets_target: assessment.class.map(|_| assessment.meets_target),
        exceeding_target: assessment
            .items
            .iter()
            .filter(|r| r.counted && r.exceeds_target)
            .map(|r| r.item)
            .collect(),
        means,
    }
}

fn source_month(
    records: &SiteMonthRecords,
    means: &[ItemMean],
    body: WaterBodyType,
) -> SourceMonth {
    let samples: Vec<(WaterItem, f64)> = means.iter().map(|m| (m.item, m.mean)).collect();
    let compliance = drinking_source_compliance(&samples, body, SECOND_LEVEL_ZONE_CLASS);
    let mut failing_items: Vec<WaterItem> = compliance.failures.iter().map(|f| f.item).collect();
    failing_items.dedup();
    let mut failed_samples = records.failed_samples.clone();
    sort_counts(&mut failed_samples);
    SourceMonth {
        samples_compliant: records.samples_compliant,
        samples_not_compliant: records.samples_not_compliant,
        failed_samples,
        compliant: compliance.compliant,
        failing_items,
    }
}

impl SourcePeriod {
    /// One month's part of a period.
    fn of_month(month: &SourceMonth) -> Self {
        let failed_months = month
            .failing_items
            .iter()
            .map(|&item| ItemCount { item, count: 1 });
        Self {
            samples_assessed: month.samples_compliant + month.samples_not_compliant,
            samples_compliant: month.samples_compliant,
            months_assessed: u32::from(month.compliant.is_some()),
            months_compliant: u32::from(month.compliant == Some(true)),
            failed_samples: month.failed_samples.clone(),
            failed_months: failed_months.collect(),
            ..Self::default()
        }
    }

    /// Adds `other`'s counts, and recomputes the shares.
    pub(super) fn add(&mut self, other: &SourcePeriod) {
        self.samples_assessed += other.samples_assessed;
        self.samples_compliant += other.samples_compliant;
        self.months_assessed += other.months_assessed;
        self.months_compliant += other.months_compliant;
        for c in &other.failed_samples {
            add_count(&mut self.failed_samples, c.item, c.count);
        }
        for c in &other.failed_months {
            add_count(&mut self.failed_months, c.item, c.count);
        }
        sort_counts(&mut self.failed_samples);
        sort_counts(&mut self.failed_months);
        self.sample_compliance_share = share(self.samples_compliant, self.samples_assessed);
        self.month_compliance_share = share(self.months_compliant, self.months_assessed);
    }
}

fn rounded_mean(sum: f64, samples: u32) -> f64 {
    let scale = 10f64.powi(MEAN_DECIMALS);
    (sum / f64::from(samples) * scale).round() / scale
}
