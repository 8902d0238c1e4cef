//! Drinking water judged by GB 5749-2022 《生活饮用水卫生标准》.
//!
//! Pure functions, no IO: the caller brings laboratory or sensor results as
//! text or typed values, says where the sample was taken (outlet or network)
//! and which disinfectant the plant uses, and gets back a verdict per result
//! and per sample, with the reasons in English and Chinese, and the
//! compliance rates health authorities publish.
//!
//! # Layout
//!
//! - [`item`]: the covered items of Tables 1 and 2, units, rows, HJ 212 codes.
//! - [`limit`](mod@limit): the limits as constants and typed values, and the
//!   [`SupplyPoint`].
//! - [`value`]: a result as typed data (`<0.002`, 未检出, 无 …) and its parser.
//! - [`verdict`]: one result against its limit.
//! - [`sample`]: one sample, with its explanations.
//! - [`compliance`]: 水样合格率 and 指标合格率 over any set of samples.
//!
//! # Sources and decisions
//!
//! Limits are read from 2022 texts listed in `drinking/reference/README.md`
//! and tested against `reference/gb5749_2022.csv`. Covered: Table 1 except
//! row 20 (chlorite), and free chlorine from Table 2; total chlorine, ozone,
//! chlorine dioxide and the 54 extended items of Table 3 are not, because
//! their 2022 numbers could not be confirmed, and no number was guessed.
//! Decisions: the exceedance over a maximum is value / limit; a result below
//! a detection limit passes a maximum only when the detection limit is within
//! it, and 未检出 without a detection limit is not judged against a number;
//! the disinfectant maximum applies at both points (出厂水和末梢水限值); a
//! radioactivity guidance value exceeded calls for nuclide analysis and is
//! neither a pass nor a fail; the footnotes' relaxed limits for small supplies
//! are not applied.

pub mod compliance;
pub mod item;
pub mod limit;
pub mod sample;
pub mod value;
pub mod verdict;

#[cfg(test)]
mod conformance;

pub use compliance::{ComplianceRates, Rate, compliance_rates};
pub use item::{Gb5749Table, ItemGroup, SupplyItem, SupplyItemInfo};
pub use limit::{DisinfectantLimit, SupplyLimit, SupplyPoint, limit};
pub use sample::SampleVerdict;
pub use value::{ResultValue, Sensory, ValueError, parse};
pub use verdict::{
    Disinfectant, Exceedance, ItemVerdict, NotJudgedReason, Outcome, judge, judge_with,
};
