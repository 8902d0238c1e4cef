//! What the statistics are: per site and month, per site over the period, for the city's river
//! sections and for the drinking-water sources.

use serde::Serialize;

use super::month::CalendarMonth;
use super::records::ItemCount;
use crate::station::{StationKind, WaterBodyType};
use crate::water::{WaterClass, WaterItem};

/// One item's mean over a month or period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ItemMean {
    pub item: WaterItem,
    /// Rounded to [`MEAN_DECIMALS`] places, in the item's unit.
    ///
    /// [`MEAN_DECIMALS`]: super::MEAN_DECIMALS
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
