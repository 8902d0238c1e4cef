//! What the statistics start from: each site's stored records, summed per item and month by
//! the database, so no record is held in memory twice.

use serde::Serialize;

use super::month::CalendarMonth;
use crate::station::{StationKind, WaterBodyType};
use crate::water::{WaterClass, WaterItem};

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
