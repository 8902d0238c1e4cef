//! Surface-water quality by GB 3838-2002 《地表水环境质量标准》.
//!
//! Pure functions, no IO: the caller brings values (averaged as it sees fit,
//! each in its item's unit), the site's water body type and its target class
//! from the registry, and gets back classes with the reasons spelled out.
//!
//! # Layout
//!
//! - [`class`]: the classes I–V and 劣Ⅴ, their labels and categories.
//! - [`item`]: the 24 Table 1 and 5 Table 2 items, their units and codes.
//! - [`limits`]: the limits as constants, and one item's class.
//! - [`assess`](mod@assess): a site's class by the single-factor method.
//! - [`source`]: compliance of a drinking-water source (Tables 1 and 2).
//! - [`specific`]: the 80 Table 3 items for drinking-water sources.
//! - [`table`]: the CSV engine behind `envmon water`.
//!
//! # Sources and decisions
//!
//! Limits are copied from `shared/reference/gb3838_*.csv` (README §3) and
//! tested against copies of those files in `water/reference/`. GB 3838-2002
//! is taken to be current: no newer edition was found (README §5 item 10).
//! The rules for combining items into one class, which items count, the
//! categories and the exceedance multiple come from 环办〔2011〕22号 and are
//! SECONDARY (README §3); each is marked where it is used. DO class I is
//! judged by 7.5 mg/L only, not by 90 % saturation, since stations publish
//! mg/L (README §5 item 9). The published data do not say whether a site is
//! a river or a lake, so the caller passes [`WaterBodyType`](crate::station::WaterBodyType)
//! from the registry (README §5 item 9).

pub mod assess;
pub mod class;
pub mod item;
pub mod limits;
pub mod source;
pub mod specific;
pub mod table;

#[cfg(test)]
mod conformance;

pub use assess::{ItemResult, WaterAssessment, assess};
pub use class::{InvalidClassNumber, QualityCategory, WaterClass};
pub use item::{Gb3838Table, WaterItem, WaterItemInfo};
pub use limits::{ClassLimits, Exceedance, Limit, class_limits, item_class, supplementary_limit};
pub use source::{
    FIRST_LEVEL_ZONE_CLASS, SECOND_LEVEL_ZONE_CLASS, SourceCompliance, SourceFailure,
    drinking_source_compliance,
};
pub use specific::{SpecificItem, SpecificItemInfo};
pub use table::{WATER_TABLE_HELP, WaterTableError, annotate_csv};
