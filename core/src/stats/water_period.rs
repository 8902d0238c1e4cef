//! Surface water over a period of whole months (a month, a quarter, a year or any range of
//! months): what the bureau's monthly and annual bulletins print for river sections (断面) and
//! drinking-water sources (水源地). The class rules are GB 3838-2002's through
//! [`crate::water`]; how they combine over time and over sections is 《地表水环境质量评价办法
//! （试行）》(环办〔2011〕22号), SECONDARY (README §3), as below.
//!
//! - A site's month: the arithmetic mean of each item over the month's stored records, classed
//!   by the single-factor method ([`assess()`](crate::water::assess())): each item's mean gets its GB 3838-2002 Table 1
//!   class, the site's class is the worst counted item's (water temperature, TN and fecal
//!   coliform are reference only), the items at that class determine it, and the class meets the
//!   target or not. A month without records has no class and is left out of every share.
//! - A site's period: the same from the mean of each item over all the period's records (the
//!   22号 method evaluates a period by the mean of its monitoring data), and the share of its
//!   classed months that meet the target.
//! - The city (river sections only; sources are reported apart, as bulletins do), for each
//!   month and for the period: the share of classed sections in classes I–III (优良比例), the
//!   share worse than V (劣Ⅴ比例), the share meeting their target (达标率), and the main
//!   pollutants: the counted items whose mean exceeds the section's target-class limit, with the
//!   number of sections where it does, most first. (22号 ranks items by the share of sections
//!   over class III; envmon's sections have their own targets, so it ranks by target.)
//! - Drinking-water sources: the share of samples compliant, from the verdict stored with each
//!   record (ingest judges each record by [`drinking_source_compliance`] against the
//!   second-level zone's class III, [`SECOND_LEVEL_ZONE_CLASS`]), with the items that failed and
//!   in how many samples; and the share of months compliant, by the same function on the month
//!   means against the same class, so both shares answer the same question.
//!
//! Means are rounded to [`MEAN_DECIMALS`] places before they are classed: the summing order of
//! floating-point values must not push a mean that is exactly at a limit (NH3-N 1.0) over it.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::station::{StationKind, WaterBodyType};
use crate::water::{
    SECOND_LEVEL_ZONE_CLASS, WaterClass, WaterItem, assess, drinking_source_compliance,
};

/// Decimal places a mean keeps: far below any GB 3838 limit's precision (Hg 0.00005 mg/L),
/// far above the noise of summing binary fractions.
pub const MEAN_DECIMALS: i32 = 9;

/// A calendar month of the Beijing calendar, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CalendarMonth {
    /// Always the first day of the month.
    first_day: NaiveDate,
}

/// Text that is not a month `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a month written YYYY-MM, e.g. 2027-01")]
pub struct InvalidMonth(pub String);

impl CalendarMonth {
    /// The month `month` (1–12) of `year`; `None` if there is no such month.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|first_day| Self { first_day })
    }

    /// The month a day is in.
    pub fn of(day: NaiveDate) -> Self {
        Self {
            first_day: day.with_day(1).unwrap_or(day),
        }
    }

    /// Parses `YYYY-MM`. A full date is refused: statistics cover whole months only, and a
    /// date would suggest otherwise.
    ///
    /// # Errors
    /// When the text is not a month.
    pub fn parse(text: &str) -> Result<Self, InvalidMonth> {
        let invalid = || InvalidMonth(text.to_owned());
        let (year, month) = text.trim().split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        Self::new(year, month).ok_or_else(invalid)
    }

    pub fn first_day(self) -> NaiveDate {
        self.first_day
    }

    /// The first day of the next month.
    pub fn end(self) -> NaiveDate {
        self.next().first_day
    }

    pub fn next(self) -> Self {
        let next = self.first_day.checked_add_months(chrono::Months::new(1));
        Self {
            first_day: next.unwrap_or(NaiveDate::MAX),
        }
    }

    /// Every month from `self` to `last`, both included; empty if `last` is earlier.
    pub fn through(self, last: Self) -> Vec<Self> {
        let mut months = Vec::new();
        let mut month = self;
        while month <= last && month.first_day != NaiveDate::MAX {
            months.push(month);
            month = month.next();
        }
        months
    }
}

impl fmt::Display for CalendarMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}",
            self.first_day.year(),
            self.first_day.month()
        )
    }
}

impl FromStr for CalendarMonth {
    type Err = InvalidMonth;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl Serialize for CalendarMonth {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One item's stored values at a site in one month: their sum and how many there are, so
/// months add up to a period without weighting months by hand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemSum {
    pub item: WaterItem,
    /// In the item's unit.
    pub sum: f64,
    pub samples: u32,
}

/// An item and how often something happened to it (sections, samples or months).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ItemCount {
    pub item: WaterItem,
    pub count: u32,
}

/// A site's stored records in one month.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SiteMonthRecords {
    /// Records (instants) stored.
    pub records: u32,
    /// Each item measured, once.
    pub items: Vec<ItemSum>,
    /// Drinking-water sources: records whose stored verdict is compliant.
    pub samples_compliant: u32,
    /// Drinking-water sources: records whose stored verdict is not compliant.
    pub samples_not_compliant: u32,
    /// Drinking-water sources: per item, the records in which it failed.
    pub failed_samples: Vec<ItemCount>,
}

/// A river section or drinking-water source with its records, month by month.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterSite {
    pub code: String,
    pub kind: StationKind,
    pub body: WaterBodyType,
    pub target: WaterClass,
    /// Months without records may be absent; months outside the period are ignored.
    pub months: Vec<(CalendarMonth, SiteMonthRecords)>,
}

/// One item's mean over a month or period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ItemMean {
    pub item: WaterItem,
    /// Rounded to [`MEAN_DECIMALS`] places, in the item's unit.
    pub mean: f64,
    pub samples: u32,
}

/// The single-factor verdict on a site's means.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub means: Vec<ItemMean>,
    /// The worst counted item's class; `None` without a counted item.
    pub class: Option<WaterClass>,
    /// The counted items at `class`.
    pub determining: Vec<WaterItem>,
    /// `None` without a class.
    pub meets_target: Option<bool>,
    /// The counted items whose mean fails the target class's limit.
    pub exceeding_target: Vec<WaterItem>,
}

/// A drinking-water source's compliance in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceMonth {
    pub samples_compliant: u32,
    pub samples_not_compliant: u32,
    /// Per item, the samples in which it failed, most first.
    pub failed_samples: Vec<ItemCount>,
    /// The month means against class III and Table 2; `None` when nothing could be judged.
    pub compliant: Option<bool>,
    /// The items whose month mean fails.
    pub failing_items: Vec<WaterItem>,
}

/// A site in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SiteMonth {
    pub month: CalendarMonth,
    pub records: u32,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Drinking-water sources only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceMonth>,
}

/// A drinking-water source's compliance over a period, or all sources' together.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SourcePeriod {
    /// Samples with a stored verdict (compliant or not).
    pub samples_assessed: u32,
    pub samples_compliant: u32,
    /// `samples_compliant / samples_assessed`; `None` without assessed samples.
    pub sample_compliance_share: Option<f64>,
    /// Months whose means could be judged.
    pub months_assessed: u32,
    pub months_compliant: u32,
    /// `months_compliant / months_assessed`; `None` without assessed months.
    pub month_compliance_share: Option<f64>,
    /// Per item, the samples in which it failed, most first.
    pub failed_samples: Vec<ItemCount>,
    /// Per item, the months whose mean failed, most first.
    pub failed_months: Vec<ItemCount>,
}

/// A site over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SitePeriod {
    pub station: String,
    pub kind: StationKind,
    pub body: WaterBodyType,
    pub target: WaterClass,
    /// Every month of the period, with or without records.
    pub months: Vec<SiteMonth>,
    /// Months with a class.
    pub months_assessed: u32,
    pub months_meeting_target: u32,
    /// `months_meeting_target / months_assessed`; `None` without a classed month.
    pub month_attainment_share: Option<f64>,
    /// The verdict on the period's means.
    pub period: Verdict,
    /// Drinking-water sources only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePeriod>,
}

/// The city's river sections over a month or the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CityFigures {
    /// First month, inclusive.
    pub from: CalendarMonth,
    /// Last month, inclusive.
    pub to: CalendarMonth,
    /// River sections considered.
    pub sections: u32,
    /// Sections with a class; the denominator of every share.
    pub sections_assessed: u32,
    /// Sections per class, I to worse than V.
    pub class_counts: [u32; 6],
    /// Classes I–III (优良比例).
    pub good_share: Option<f64>,
    /// Worse than class V (劣Ⅴ比例).
    pub worse_than_v_share: Option<f64>,
    /// Meeting their target (达标率).
    pub attainment_rate: Option<f64>,
    /// Sections whose mean exceeds the target-class limit, per item, most first.
    pub main_pollutants: Vec<ItemCount>,
}

/// Surface water over `from..=to`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaterPeriod {
    pub from: CalendarMonth,
    pub to: CalendarMonth,
    pub months: u32,
    /// Sections and sources, in the order given.
    pub stations: Vec<SitePeriod>,
    /// The river sections month by month.
    pub city_months: Vec<CityFigures>,
    /// The river sections over the period, by their period means.
    pub city: CityFigures,
    /// All drinking-water sources together.
    pub sources: SourcePeriod,
}

/// The statistics of `sites` over the months `from..=to`.
///
/// ```
/// use envmon_core::station::{StationKind, WaterBodyType};
/// use envmon_core::stats::water_period::{CalendarMonth, ItemSum, SiteMonthRecords, WaterSite, water_period};
/// use envmon_core::water::{WaterClass, WaterItem};
///
/// // One river section, target III, with two NH3-N values in January: mean 1.3 mg/L, class IV
/// // (GB 3838-2002 Table 1 row 7: III = 1.0, IV = 1.5).
/// let january = CalendarMonth::parse("2027-01").unwrap();
/// let records = SiteMonthRecords {
///     records: 2,
///     items: vec![ItemSum { item: WaterItem::Nh3n, sum: 2.6, samples: 2 }],
///     ..SiteMonthRecords::default()
/// };
/// let site = WaterSite {
///     code: "linjiang".into(),
///     kind: StationKind::River,
///     body: WaterBodyType::River,
///     target: WaterClass::III,
///     months: vec![(january, records)],
/// };
/// let period = water_period(january, january, &[site]);
/// assert_eq!(period.stations[0].months[0].verdict.class, Some(WaterClass::IV));
/// assert_eq!(period.city.attainment_rate, Some(0.0));
/// ```
pub fn water_period(from: CalendarMonth, to: CalendarMonth, sites: &[WaterSite]) -> WaterPeriod {
    let months = from.through(to);
    let stations: Vec<SitePeriod> = sites
        .iter()
        .map(|site| site_period(site, &months))
        .collect();
    let sections: Vec<&SitePeriod> = stations
        .iter()
        .filter(|s| s.kind == StationKind::River)
        .collect();
    let city_months = months
        .iter()
        .enumerate()
        .map(|(i, &month)| {
            let verdicts = sections.iter().map(|s| &s.months[i].verdict);
            city_figures(month, month, verdicts)
        })
        .collect();
    let city = city_figures(from, to, sections.iter().map(|s| &s.period));
    let mut sources = SourcePeriod::default();
    for source in stations.iter().filter_map(|s| s.source.as_ref()) {
        sources.add(source);
    }
    WaterPeriod {
        from,
        to,
        months: u32::try_from(months.len()).unwrap_or(u32::MAX),
        stations,
        city_months,
        city,
        sources,
    }
}

fn site_period(site: &WaterSite, months: &[CalendarMonth]) -> SitePeriod {
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
    fn add(&mut self, other: &SourcePeriod) {
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

fn city_figures<'a>(
    from: CalendarMonth,
    to: CalendarMonth,
    verdicts: impl Iterator<Item = &'a Verdict>,
) -> CityFigures {
    let mut sections = 0;
    let mut class_counts = [0u32; 6];
    let mut meeting = 0;
    let mut main_pollutants = Vec::new();
    for verdict in verdicts {
        sections += 1;
        let Some(class) = verdict.class else { continue };
        class_counts[usize::from(class.number() - 1)] += 1;
        meeting += u32::from(verdict.meets_target == Some(true));
        for &item in &verdict.exceeding_target {
            add_count(&mut main_pollutants, item, 1);
        }
    }
    sort_counts(&mut main_pollutants);
    let assessed: u32 = class_counts.iter().sum();
    // 环办〔2011〕22号: 优良 = classes I–III; 劣Ⅴ = class 6 (README §3).
    let good: u32 = class_counts[..3].iter().sum();
    CityFigures {
        from,
        to,
        sections,
        sections_assessed: assessed,
        class_counts,
        good_share: share(good, assessed),
        worse_than_v_share: share(class_counts[5], assessed),
        attainment_rate: share(meeting, assessed),
        main_pollutants,
    }
}

fn rounded_mean(sum: f64, samples: u32) -> f64 {
    let scale = 10f64.powi(MEAN_DECIMALS);
    (sum / f64::from(samples) * scale).round() / scale
}

fn add_item_sum(sums: &mut Vec<ItemSum>, add: ItemSum) {
    match sums.iter_mut().find(|s| s.item == add.item) {
        Some(s) => {
            s.sum += add.sum;
            s.samples += add.samples;
        }
        None => sums.push(add),
    }
}

fn add_count(counts: &mut Vec<ItemCount>, item: WaterItem, by: u32) {
    match counts.iter_mut().find(|c| c.item == item) {
        Some(c) => c.count += by,
        None => counts.push(ItemCount { item, count: by }),
    }
}

/// Most first; ties in GB 3838 row order.
fn sort_counts(counts: &mut [ItemCount]) {
    counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.item.cmp(&b.item)));
}

fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
