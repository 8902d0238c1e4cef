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
//!
//! [`drinking_source_compliance`]: crate::water::drinking_source_compliance
//! [`SECOND_LEVEL_ZONE_CLASS`]: crate::water::SECOND_LEVEL_ZONE_CLASS
//!
//! # Layout
//!
//! - `month`: [`CalendarMonth`], the unit every figure is reported by;
//! - `records`: what the database gives: each site's sums and counts per month;
//! - `report`: what the statistics are: per site, per month, for the city and the sources;
//! - `site`: a site's months and period, and the single-factor [`verdict`];
//! - `city`: the river sections' shares and main pollutants together;
//! - `tally`: adding counts and sums up across months and sites, and the shares they give.

mod city;
mod month;
mod records;
mod report;
mod site;
mod tally;
#[cfg(test)]
mod tests;

use crate::station::StationKind;

use city::city_figures;
use site::site_period;

pub use month::{CalendarMonth, InvalidMonth};
pub use records::{ItemCount, ItemSum, SiteMonthRecords, WaterSite};
pub use report::{
    CityFigures, ItemMean, SiteMonth, SitePeriod, SourceMonth, SourcePeriod, Verdict, WaterPeriod,
};
pub use site::verdict;

/// Decimal places a mean keeps: far below any GB 3838 limit's precision (Hg 0.00005 mg/L),
/// far above the noise of summing binary fractions.
pub const MEAN_DECIMALS: i32 = 9;

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
