//! The item of a laboratory result: a GB 3838-2002 item for surface water
//! (rivers and sources), a GB 5749-2022 item for the public supply (plants
//! and taps). Laboratories write either the code or the Chinese name as the
//! standard prints it, so both are accepted.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::StationKind;
use crate::drinking::SupplyItem;
use crate::water::{SpecificItem, WaterItem};

/// The standard surface-water results are judged by.
pub const SURFACE_STANDARD: &str = "GB 3838-2002";
/// The standard supply results are judged by.
pub const SUPPLY_STANDARD: &str = "GB 5749-2022";

/// An item of either standard. Serialized as its code, which is unique
/// within a standard only (`ph`, `sulfate` are in both), so it is not
/// deserialized: the site's kind says which standard a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabItem {
    /// A GB 3838-2002 Table 1 or Table 2 item, for river and source sites.
    Surface(WaterItem),
    /// A GB 3838-2002 Table 3 item, for river and source sites; judged for
    /// sources only.
    Specific(SpecificItem),
    /// A GB 5749-2022 item, for plant and tap sites.
    Supply(SupplyItem),
}

impl LabItem {
    /// The item's code, e.g. `nh3n` or `free_chlorine`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Surface(item) => item.code(),
            Self::Specific(item) => item.code(),
            Self::Supply(item) => item.code(),
        }
    }

    /// The unit every value of this item is in.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Surface(item) => item.unit(),
            Self::Specific(item) => item.unit(),
            Self::Supply(item) => item.unit(),
        }
    }

    /// The standard the item comes from: `GB 3838-2002` or `GB 5749-2022`.
    pub fn standard(self) -> &'static str {
        match self {
            Self::Surface(_) | Self::Specific(_) => SURFACE_STANDARD,
            Self::Supply(_) => SUPPLY_STANDARD,
        }
    }

    /// The Chinese name as the standard prints it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Surface(item) => item.info().name_zh,
            Self::Specific(item) => item.info().name_zh,
            Self::Supply(item) => item.info().name_zh,
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Surface(item) => item.info().name_en,
            Self::Specific(item) => item.info().name_en,
            Self::Supply(item) => item.info().name_en,
        }
    }

    /// The item `text` names at a site of `kind` (code or Chinese name).
    ///
    /// # Errors
    /// A message saying which standard the site is judged by when `text` is
    /// an item of the other standard, or that `text` is no item at all.
    pub(super) fn resolve(text: &str, kind: StationKind) -> Result<Self, String> {
        let surface = find_surface(text);
        let supply = find_supply(text).map(Self::Supply);
        let (wanted, other, site_standard, example) = if kind.is_supply() {
            (supply, surface, SUPPLY_STANDARD, "free_chlorine or 游离氯")
        } else {
            (surface, supply, SURFACE_STANDARD, "nh3n or 氨氮（NH3-N）")
        };
        match (wanted, other) {
            (Some(item), _) => Ok(item),
            (None, Some(item)) => Err(format!(
                "{text} is a {} item; {kind} sites are judged by {site_standard}",
                item.standard()
            )),
            (None, None) => Err(format!(
                "unknown item {text:?}; expected a {site_standard} item code or Chinese name, e.g. {example}"
            )),
        }
    }

    /// Whether `text` names an item of either standard.
    pub(super) fn exists(text: &str) -> bool {
        find_surface(text).is_some() || find_supply(text).is_some()
    }
}

/// A GB 3838-2002 item: Tables 1 and 2 first, then Table 3. Codes and
/// names of the tables never collide (tests in `water::specific` and here).
fn find_surface(text: &str) -> Option<LabItem> {
    let basic = WaterItem::parse(text).or_else(|| {
        WaterItem::ALL
            .into_iter()
            .find(|item| same_name(item.info().name_zh, text))
    });
    let specific = || {
        SpecificItem::parse(text).or_else(|| {
            SpecificItem::ALL
                .into_iter()
                .find(|item| same_name(item.info().name_zh, text))
        })
    };
    basic
        .map(LabItem::Surface)
        .or_else(|| specific().map(LabItem::Specific))
}

fn find_supply(text: &str) -> Option<SupplyItem> {
    SupplyItem::parse(text).or_else(|| {
        SupplyItem::ALL
            .into_iter()
            .find(|item| same_name(item.info().name_zh, text))
    })
}

/// Names compare with ASCII and full-width parentheses alike: sheets typed
/// on an English keyboard write `氨氮(NH3-N)` for the standard's `氨氮（NH3-N）`.
fn same_name(standard: &str, text: &str) -> bool {
    let fold = |s: &str| s.replace('（', "(").replace('）', ")");
    !text.is_empty() && fold(standard) == fold(text)
}

impl fmt::Display for LabItem {
    /// `硫酸盐 (sulfate)`: the standard's name, then the code.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name_zh(), self.code())
    }
}

impl Serialize for LabItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}
